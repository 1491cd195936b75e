"""The Notion fake's schema endpoints: create a database (POST /v1/databases) and change a data source's
properties (PATCH /v1/data_sources/{id}), validating property schemas as Notion does (API 2025-09-03).

The request and response shapes follow the recorded create_database_from_page.json and
update_data_source_add_property.json in tests/data/notion/.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from tests.fakes import notion_objects as obj

if TYPE_CHECKING:
    from tests.fakes.notion_server import NotionFake

COLORS = frozenset({"default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red"})
NUMBER_FORMATS = frozenset({"number", "number_with_commas", "percent", "dollar", "euro", "pound", "yen"})
SIMPLE_TYPES = frozenset(
    {"title", "rich_text", "number", "url", "date", "people", "checkbox", "email", "phone_number", "files"}
)
OPTION_TYPES = frozenset({"select", "multi_select", "status"})
# Computed by Notion: kept as sent (the pipeline never creates them; the recorded request has them).
COMPUTED_TYPES = frozenset(
    {"created_by", "created_time", "last_edited_by", "last_edited_time", "formula", "rollup", "unique_id"}
)
KNOWN_TYPES = SIMPLE_TYPES | OPTION_TYPES | COMPUTED_TYPES | {"relation"}


def _error(status: int, code: str, message: str) -> Exception:
    from tests.fakes.notion_server import ApiError

    return ApiError(status, code, message)


def _invalid(message: str) -> Exception:
    return _error(400, "validation_error", f"body failed validation: {message}")


def create_database(fake: NotionFake, body: dict) -> dict:
    """POST /v1/databases: a database under a page, with one data source holding `initial_data_source`."""
    parent = body.get("parent") or {}
    if parent.get("type", "page_id") != "page_id" or not parent.get("page_id"):
        raise _invalid("body.parent.page_id should be defined, instead was `undefined`.")
    parent_id = obj.dashed(str(parent["page_id"]))
    if parent_id not in fake.pages:
        raise _error(
            404,
            "object_not_found",
            f"Could not find page with ID: {parent_id}. "
            "Make sure the relevant pages and databases are shared with your integration.",
        )
    title_runs = body.get("title") or []
    if not isinstance(title_runs, list):
        raise _invalid("body.title should be an array, instead was `" + type(title_runs).__name__ + "`.")
    title = "".join(((run.get("text") or {}).get("content", "")) for run in title_runs)
    initial = body.get("initial_data_source") or {}
    requested = initial.get("properties") or {"Name": {"title": {}}}
    database_id, data_source_id = obj.new_id(), obj.new_id()
    properties = {
        name: _property(fake, "body.initial_data_source.properties", name, spec, data_source_id, database_id)
        for name, spec in _checked_names(requested, "body.initial_data_source.properties").items()
    }
    titles = [name for name, prop in properties.items() if prop["type"] == "title"]
    if len(titles) != 1:
        raise _invalid(f"a data source needs exactly one title property, instead got {len(titles)}.")
    data_source = obj.data_source_object(data_source_id, database_id, title, properties)
    database = obj.database_object(database_id, title, [{"id": data_source_id, "name": title}])
    database["parent"] = {"type": "page_id", "page_id": parent_id}
    database["is_inline"] = bool(body.get("is_inline", False))
    database["description"] = body.get("description") or []
    fake.data_sources[data_source_id] = data_source
    fake.databases[database_id] = database
    block = obj.block_object(
        "child_database",
        {"title": title},
        parent={"type": "page_id", "page_id": parent_id},
        edited=obj.notion_time(fake.now()),
        block_id=database_id,
    )
    fake.blocks[database_id] = block
    fake.children.setdefault(parent_id, []).append(database_id)
    return database


def update_data_source(fake: NotionFake, data_source: dict, body: dict) -> dict:
    """PATCH /v1/data_sources/{id}: add (a type), rename ({"name"}) or remove (null) properties."""
    current: dict[str, dict] = data_source["properties"]
    database_id = data_source["parent"]["database_id"]
    for name, spec in _checked_names(body.get("properties") or {}, "body.properties").items():
        where = f"body.properties.{name}"
        existing = current.get(name) or next((p for p in current.values() if p["id"] == name), None)
        if spec is None:
            if existing is None:
                raise _invalid(f"{where} is not a property that exists.")
            if existing["type"] == "title":
                raise _invalid("the title property cannot be removed.")
            del current[existing["name"]]
            continue
        if set(spec) == {"name"}:
            if existing is None:
                raise _invalid(f"{where} is not a property that exists.")
            del current[existing["name"]]
            existing["name"] = spec["name"]
            current[spec["name"]] = existing
            continue
        prop = _property(fake, "body.properties", name, spec, data_source["id"], database_id)
        if existing is not None and existing["type"] == "title" and prop["type"] != "title":
            raise _invalid("the title property cannot change its type.")
        current[name] = prop
    data_source["last_edited_time"] = obj.notion_time(fake.now())
    return data_source


def _checked_names(properties: Any, where: str) -> dict[str, Any]:
    if not isinstance(properties, dict):
        raise _invalid(f"{where} should be an object, instead was `{type(properties).__name__}`.")
    for name in properties:
        if not name.strip():
            raise _invalid(f"{where} has a property with an empty name.")
        if len(name) > 100:
            raise _invalid(f"{where}.{name[:20]}… name should be at most 100 characters.")
    return properties


def _property(fake: NotionFake, where: str, name: str, spec: Any, data_source_id: str, database_id: str) -> dict:
    """One property schema as Notion stores it (id, name, type, its settings), or the 400 Notion answers."""
    here = f"{where}.{name}"
    if not isinstance(spec, dict):
        raise _invalid(f"{here} should be an object, instead was `{spec!r}`.")
    kinds = [key for key in spec if key not in ("name", "description")]
    if len(kinds) != 1 or kinds[0] not in KNOWN_TYPES:
        shown = ", ".join(f"`{k}`" for k in kinds) or "nothing"
        raise _invalid(f"{here} should have exactly one property type, instead got {shown}.")
    kind = kinds[0]
    settings = spec[kind]
    if not isinstance(settings, dict):
        raise _invalid(f"{here}.{kind} should be an object, instead was `{settings!r}`.")
    if kind == "status" and not fake.status_creation_supported:
        raise _invalid(f"{here}.status: status properties cannot be created or changed through the API.")
    prop: dict[str, Any] = {"id": obj.property_id(name), "name": name, "description": None, "type": kind}
    if kind in OPTION_TYPES:
        prop[kind] = {"options": _options(f"{here}.{kind}", name, settings.get("options") or [])}
    elif kind == "number":
        number_format = settings.get("format", "number")
        if number_format not in NUMBER_FORMATS:
            raise _invalid(f"{here}.number.format should be a number format, instead was `{number_format}`.")
        prop[kind] = {"format": number_format}
    elif kind == "relation":
        target = settings.get("data_source_id")
        relation_type = settings.get("type", "single_property")
        if not target:
            raise _invalid(f"{here}.relation.data_source_id should be defined, instead was `undefined`.")
        if relation_type not in ("single_property", "dual_property") or relation_type not in settings:
            raise _invalid(f"{here}.relation should have `type` single_property or dual_property and its object.")
        target_id = obj.dashed(str(target))
        if target_id not in fake.data_sources and target_id != data_source_id:
            raise _error(404, "object_not_found", f"Could not find data_source with ID: {target_id}.")
        target_db = (
            fake.data_sources[target_id]["parent"]["database_id"] if target_id in fake.data_sources else database_id
        )
        prop[kind] = {
            "database_id": target_db,
            "data_source_id": target_id,
            "type": relation_type,
            relation_type: {},
        }
    else:
        prop[kind] = dict(settings) if kind in COMPUTED_TYPES else {}
    return prop


def _options(where: str, name: str, options: Any) -> list[dict]:
    if not isinstance(options, list):
        raise _invalid(f"{where}.options should be an array, instead was `{options!r}`.")
    seen: set[str] = set()
    out = []
    for index, option in enumerate(options):
        label = (option or {}).get("name") if isinstance(option, dict) else None
        if not isinstance(label, str) or not label.strip():
            raise _invalid(f"{where}.options[{index}].name should be defined, instead was `undefined`.")
        if "," in label:
            raise _invalid(f"{where}.options[{index}].name cannot contain commas, instead was `{label}`.")
        if len(label) > 100:
            raise _invalid(f"{where}.options[{index}].name should be at most 100 characters.")
        if label in seen:
            raise _invalid(f"{where}.options has the name `{label}` twice.")
        color = option.get("color", "default")
        if color not in COLORS:
            raise _invalid(f"{where}.options[{index}].color should be a color, instead was `{color}`.")
        seen.add(label)
        out.append(
            {
                "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/{label}").hex,
                "name": label,
                "color": color,
                "description": None,
            }
        )
    return out
