"""`notion init`: create the Module Library database through the API, with every property the pipeline reads."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from pipeline.errors import ConfigError, NotionError
from pipeline.notion.client import NotionGateway
from pipeline.notion.ids import normalise_page_id, notion_page_url
from pipeline.settings import Settings

log = logging.getLogger(__name__)

StatusType = Literal["status", "select"]
LIBRARY_TITLE = "Module Library"
# The Status options, in the order a module moves through them (export reads Ready, Retired and Archived;
# writeback sets Live). Draft is where a team lead works; Notion answers 400 for an option that does not exist.
STATUS_OPTIONS = (("Draft", "gray"), ("Ready", "blue"), ("Live", "green"), ("Retired", "red"))
_CONTENT_SOURCES = ("Form", "Interview", "AI-assisted")  # the names AUTHORING_METHODS maps (case-insensitive)
# Property -> the Notion type created (one that EXPECTED_PROPERTIES accepts) and its settings.
_SCHEMA: dict[str, tuple[str, dict[str, Any]]] = {
    "Module Name": ("title", {}),
    "Module ID": ("rich_text", {}),
    "Description": ("rich_text", {}),
    "Category": ("select", {"options": []}),
    "Estimated Minutes": ("number", {"format": "number"}),
    "Tags": ("multi_select", {"options": []}),
    "University": ("select", {"options": []}),
    "Cohort": ("select", {"options": []}),
    "Content Source": ("select", {"options": [{"name": n, "color": "default"} for n in _CONTENT_SOURCES]}),
    "Target Audience": ("select", {"options": []}),
    "Team Lead": ("people", {}),
    "Owner": ("people", {}),
    "GitHub Branch/PR": ("url", {}),
    "Last Updated": ("date", {}),
    "Experiment": ("rich_text", {}),
    "Experiment Status": (
        "select",
        {
            "options": [
                {"name": n, "color": c} for n, c in (("Draft", "gray"), ("Running", "green"), ("Stopped", "red"))
            ]
        },
    ),
}
# A relation to the library itself can only name the data source once it exists: added by a second request.
SELF_RELATION = "Prerequisites"
# Not created: a relation to a database of the team's own (the pipeline does not read it).
NOT_CREATED = ("Related Task",)


@dataclass(frozen=True)
class LibraryReport:
    """The Module Library `notion init` created, and what the operator sets next."""

    database_id: str
    data_source_id: str
    title: str
    status_type: StatusType

    ok = True

    def lines(self) -> list[str]:
        lines = [
            f"created the Notion database {self.title!r}: {notion_page_url(self.database_id)}",
            f"  data source {self.data_source_id} with {len(_SCHEMA) + 2} properties; Status is a {self.status_type} "
            f"with the options {', '.join(name for name, _ in STATUS_OPTIONS)}",
        ]
        if self.status_type == "select":
            lines.append(
                "  Notion did not accept a status column from the API, so Status is a select: the pipeline reads "
                "and writes it the same way"
            )
        lines += [
            f"next: set the repository variable NOTION_DATA_SOURCE_ID={self.data_source_id} "
            "(Settings → Secrets and variables → Actions → Variables), then run "
            "`python -m pipeline notion check` with it",
            f"optional: add a {NOT_CREATED[0]!r} relation to your own tasks database in Notion",
        ]
        return lines


def library_properties(status_type: StatusType) -> dict[str, Any]:
    """The `initial_data_source.properties` of a new Module Library (without the self-relation)."""
    properties: dict[str, Any] = {name: {kind: dict(config)} for name, (kind, config) in _SCHEMA.items()}
    properties["Status"] = {status_type: {"options": [{"name": n, "color": c} for n, c in STATUS_OPTIONS]}}
    return properties


def create_module_library(
    settings: Settings, parent_page_id: str, *, title: str = LIBRARY_TITLE, status_type: StatusType | None = None
) -> LibraryReport:
    """Create the Module Library under `parent_page_id`; Status as a status column, else (if Notion refuses) a select.

    `status_type` forces one. Refuses when the page already holds a database of that title (run it once).
    """
    parent = _page_id(parent_page_id)
    with NotionGateway(settings, needs_library=False) as notion:
        _refuse_a_second_library(notion, parent, title)
        database, used = _create(notion, parent, title, status_type)
        sources = database.get("data_sources") or []
        if not sources:
            raise NotionError(
                f"Notion created the database {database['id']} without a data source; delete it in Notion and run again"
            )
        data_source_id = sources[0]["id"]
        relation = {
            SELF_RELATION: {
                "relation": {"data_source_id": data_source_id, "type": "single_property", "single_property": {}}
            }
        }
        try:
            notion.update_data_source_properties(data_source_id, relation)
        except NotionError as error:
            # The database exists now: say what is missing and how to finish, rather than leave a silent half.
            raise NotionError(
                f"created the Module Library ({notion_page_url(database['id'])}, data source {data_source_id}) "
                f"but could not add its {SELF_RELATION} column: {error}. Finish by hand: add a Relation column "
                f"{SELF_RELATION!r} to the Module Library itself, then set NOTION_DATA_SOURCE_ID={data_source_id}",
                code=error.code,
                status=error.status,
            ) from None
    return LibraryReport(database["id"], data_source_id, title, used)


def _page_id(raw: str) -> str:
    # a bare id (dashes or not) or the page's URL, whose last segment ends in the id: …/Teams-<32 hex>?v=…
    candidate = normalise_page_id(raw.strip().split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])[-32:]
    if len(candidate) != 32 or any(c not in "0123456789abcdef" for c in candidate):
        raise ConfigError(
            f"--parent {raw!r} is not a Notion page id; copy the 32 hexadecimal digits from the page's URL "
            "(notion.so/<workspace>/<title>-<32 hex>)"
        )
    return candidate


def _refuse_a_second_library(notion: NotionGateway, parent: str, title: str) -> None:
    for block in notion.list_children(parent, parent):
        if block.get("type") == "child_database" and (block.get("child_database") or {}).get("title") == title:
            raise ConfigError(
                f"the page {parent} already holds a database {title!r} ({notion_page_url(block['id'])}): set "
                f"NOTION_DATABASE_ID={normalise_page_id(block['id'])} to use it, or give --title for a new one"
            )


def _create(
    notion: NotionGateway, parent: str, title: str, status_type: StatusType | None
) -> tuple[dict[str, Any], StatusType]:
    wanted: StatusType = status_type or "status"
    try:
        return notion.create_database(parent, title, library_properties(wanted)), wanted
    except NotionError as error:
        # Before Notion's changelog of 2026-03-19 the API could not create status columns: a 400 validation_error.
        if status_type is not None or error.code != "validation_error" or "status" not in str(error).lower():
            raise
        log.warning("Notion refused a status column (%s); creating Status as a select", error)
        return notion.create_database(parent, title, library_properties("select")), "select"
