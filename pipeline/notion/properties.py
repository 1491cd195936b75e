"""The Module Library's properties: which ones the exporter reads, their Notion types, and the module fields they fill.

Properties are found BY NAME, so a renamed or retyped column fails loudly (`check_data_source_schema`) instead of
exporting empty fields. docs/notion-template.md shows the same table for team leads.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.module.document import id_problem, is_valid_id
from pipeline.module.problems import Severity
from pipeline.notion.ids import normalise_page_id
from pipeline.notion.issues import ConversionIssue
from pipeline.notion.page_updates import STATUS_PROPERTY
from pipeline.notion.rich_text import rich_text_to_plain

AUTHORING_METHODS = {
    "ai-assisted": "ai-assisted",
    "ai assisted": "ai-assisted",
    "form": "form",
    "interview": "interview",
}
READY_STATUS = "Ready"
# Status options that export a module as `retired` (hidden from students, progress kept)
RETIRED_OPTIONS = ("Retired", "Archived")
RETIRED_STATUSES = frozenset(name.lower() for name in RETIRED_OPTIONS)
STATUS_TYPES = ("status", "select")  # a Status column is either; Notion's filters are typed by it


@dataclass(frozen=True)
class ExpectedProperty:
    """One Module Library property: the Notion types accepted, whether it must exist, and the field it fills."""

    types: frozenset[str]
    required: bool
    field: str  # module field (or what reads it, e.g. "writeback")


def _expect(types: str, required: bool, field: str) -> ExpectedProperty:
    return ExpectedProperty(frozenset(types.split()), required, field)


_PERSON = "people rich_text select"
EXPECTED_PROPERTIES: dict[str, ExpectedProperty] = {
    "Module Name": _expect("title", True, "title"),
    "Module ID": _expect("rich_text", True, "module_id"),
    "Status": _expect("status select", True, "status"),
    "Description": _expect("rich_text", True, "description"),
    "Category": _expect("select rich_text", True, "category"),
    "Estimated Minutes": _expect("number", True, "estimated_minutes"),
    "Tags": _expect("multi_select", True, "tags"),
    "University": _expect("select rich_text", True, "university_id"),
    "Cohort": _expect("select rich_text", False, "cohort"),
    "Content Source": _expect("select", False, "authoring_method"),
    "Target Audience": _expect("select rich_text", True, "target_audience"),
    "Team Lead": _expect(_PERSON, True, "created_by_id"),
    "Owner": _expect(_PERSON, False, "owner_id"),
    "Prerequisites": _expect("relation", False, "prerequisites"),
    "GitHub Branch/PR": _expect("url", True, "writeback: the pull request link"),
    "Last Updated": _expect("date", True, "writeback: the time the module went live"),
    "Related Task": _expect("relation", False, "not exported"),
    # An experiment on the page's "Variant:" toggles (docs/experiments.md): its id, and Draft / Running / Stopped.
    "Experiment": _expect("rich_text", False, "experiments"),
    "Experiment Status": _expect("select status", False, "experiments"),
}
# Status options the pipeline moves a page between (export reads Ready, writeback sets Live).
REQUIRED_STATUS_OPTIONS = ("Ready", "Live")


def exported_statuses(data_source: Mapping[str, Any]) -> tuple[str, ...]:
    """The Status names export reads: Ready, and whichever of Retired/Archived the Status property offers."""
    status = (data_source.get("properties") or {}).get("Status") or {}
    options = {option.get("name") for option in (status.get(str(status.get("type"))) or {}).get("options") or []}
    return (READY_STATUS, *(name for name in RETIRED_OPTIONS if name in options))


def check_data_source_schema(data_source: Mapping[str, Any]) -> list[ConversionIssue]:
    """Properties of a retrieved data source that are missing or of the wrong type, named; [] when all is well."""
    source_id = str(data_source.get("id", ""))
    properties: Mapping[str, Any] = data_source.get("properties") or {}
    issues: list[ConversionIssue] = []
    for name, expected in EXPECTED_PROPERTIES.items():
        actual = properties.get(name)
        if actual is None:
            if expected.required:
                near = [other for other in properties if other.strip().lower() == name.lower()]
                hint = f" (there is {near[0]!r}: rename it to {name!r})" if near else ""
                issues.append(
                    _schema_issue(source_id, name, f"the property is missing{hint}; add it (type {_types(expected)})")
                )
            continue
        kind = actual.get("type")
        if kind not in expected.types:
            message = f"the property is of type {kind!r} but must be {_types(expected)}; change its type in Notion"
            issues.append(_schema_issue(source_id, name, message))
        elif name == "Status":
            options = {option.get("name") for option in (actual.get(kind) or {}).get("options") or []}
            for option in REQUIRED_STATUS_OPTIONS:
                if option not in options:
                    issues.append(_schema_issue(source_id, name, f"the option {option!r} is missing; add it"))
    return issues


def _types(expected: ExpectedProperty) -> str:
    return " or ".join(sorted(expected.types))


def _schema_issue(source_id: str, name: str, message: str) -> ConversionIssue:
    return ConversionIssue(source_id, None, name, f"Module Library property {name!r}: {message}")


def slug(text: str, separator: str = "-") -> str:
    """Lowercase ASCII words joined by `separator`: "Dr. María López" -> "dr-maria-lopez"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return separator.join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


def property_value(prop: Mapping[str, Any]) -> Any:
    """The plain value of a page property: text, a select name, names, a number, users, page ids, a URL, a date."""
    kind = prop.get("type")
    value = prop.get(str(kind))
    if kind in ("title", "rich_text"):
        return rich_text_to_plain(value).strip()
    if kind in ("select", "status"):
        return (value or {}).get("name")
    if kind == "multi_select":
        return [option.get("name", "") for option in value or []]
    if kind in ("people", "relation"):
        return list(value or [])
    if kind == "date":
        return (value or {}).get("start")
    if kind == "formula":
        return (value or {}).get((value or {}).get("type", ""))
    return value  # number, url, email, checkbox…


def person_id(value: Any) -> str | None:
    """A lowercase id for a Team Lead / Owner: from a person's name (or email), or from text / a select."""
    if isinstance(value, list):
        if not value:
            return None
        user = value[0]
        name = user.get("name") or ((user.get("person") or {}).get("email") or "").split("@")[0]
        return slug(name) or None
    return slug(str(value)) if value else None


class _FieldReader:
    """Reads one page's properties into module fields, collecting what the team lead must fix."""

    def __init__(self, page: Mapping[str, Any]) -> None:
        self.page_id = str(page.get("id", ""))
        self.properties: Mapping[str, Any] = page.get("properties") or {}
        self.issues: list[ConversionIssue] = []

    def problem(self, name: str, message: str, severity: Severity = "error") -> None:
        field = EXPECTED_PROPERTIES[name].field
        pointer = f"/{field}" if field.isidentifier() else ""
        self.issues.append(ConversionIssue(self.page_id, None, name, message, severity, pointer=pointer))

    def value(self, name: str) -> Any:
        expected = EXPECTED_PROPERTIES[name]
        prop = self.properties.get(name)
        if prop is None:
            if expected.required:
                self.problem(name, "is missing from the Module Library (was it renamed?); restore it")
            return None
        if prop.get("type") not in expected.types:
            self.problem(name, f"has type {prop.get('type')!r}, expected {_types(expected)}; change it in Notion")
            return None
        value = property_value(prop)
        return value if value not in ("", [], None) else None

    def required(self, name: str, what: str) -> Any:
        value = self.value(name)
        if value is None and name in self.properties:
            self.problem(name, f"is empty; fill in {what}")
        return value


def module_fields(
    page: Mapping[str, Any], prerequisite_ids: Mapping[str, str]
) -> tuple[dict[str, Any], list[ConversionIssue]]:
    """The module fields a Module Library page's properties give, in schema order, and the problems found."""
    read = _FieldReader(page)
    fields: dict[str, Any] = {}

    module_id = read.required("Module ID", "the module's id, e.g. lab-safety-101")
    if module_id is not None and not is_valid_id(module_id):
        read.problem("Module ID", f"{id_problem(module_id)} (e.g. lab-safety-101)")
    fields["module_id"] = module_id
    fields["title"] = read.required("Module Name", "the title students see")
    fields["description"] = read.required("Description", "one or two sentences for the module list")
    fields["category"] = read.required("Category", "a category such as Safety")

    minutes = read.required("Estimated Minutes", "how many minutes a student needs")
    if minutes is not None and (not float(minutes).is_integer() or not 1 <= minutes <= 600):
        read.problem("Estimated Minutes", f"{minutes} must be a whole number of minutes from 1 to 600")
        minutes = None
    fields["estimated_minutes"] = int(minutes) if minutes is not None else None

    fields["created_by_id"] = _person(read, "Team Lead", required=True)
    fields["owner_id"] = _person(read, "Owner", required=False)
    university = read.required("University", "the university, e.g. CPP")
    fields["university_id"] = slug(university) if university else None
    fields["cohort"] = read.value("Cohort")

    status = read.value("Status") or ""
    fields["status"] = "retired" if status.strip().lower() in RETIRED_STATUSES else "ready"
    fields["prerequisites"] = _prerequisites(read, prerequisite_ids)
    fields["tags"] = list(dict.fromkeys(t for t in (slug(tag) for tag in read.value("Tags") or []) if t))
    audience = read.required("Target Audience", "who the module is for, e.g. Incoming Students")
    fields["target_audience"] = slug(audience, "_") if audience else None
    fields["notion_page_id"] = normalise_page_id(read.page_id) if read.page_id else None
    fields["content_source"] = "notion"

    source = read.value("Content Source")
    fields["authoring_method"] = AUTHORING_METHODS.get(source.strip().lower()) if source else None
    if source and fields["authoring_method"] is None:
        read.problem("Content Source", f"{source!r} is not one of AI-assisted, Form, Interview; pick one of those")
    return fields, read.issues


def experiment_columns(page: Mapping[str, Any]) -> tuple[str | None, str | None, list[ConversionIssue]]:
    """The Experiment column (an id) and Experiment Status (draft, running, stopped; empty: draft)."""
    read = _FieldReader(page)
    experiment_id = read.value("Experiment")
    status = read.value("Experiment Status")
    if isinstance(experiment_id, str):
        experiment_id = experiment_id.strip()
        if not is_valid_id(experiment_id):
            read.problem(
                "Experiment", f"{experiment_id!r} must be lowercase words joined by hyphens, e.g. video-vs-text"
            )
    if isinstance(status, str) and status.strip().lower() not in ("draft", "running", "stopped"):
        read.problem("Experiment Status", f"{status!r} is not Draft, Running or Stopped; pick one of those")
        status = None
    return experiment_id, status.strip().lower() if isinstance(status, str) else None, read.issues


def _person(read: _FieldReader, name: str, *, required: bool) -> str | None:
    value = read.required(name, "the person responsible") if required else read.value(name)
    if value is None:
        return None
    if isinstance(value, list) and len(value) > 1:
        read.problem(name, "has several people; the first one is used", "warning")
    found = person_id(value)
    if not found:
        read.problem(
            name,
            "the person has no name the exporter can read: ask your Notion workspace admin to give the "
            "integration the 'Read user information' capability, or put the "
            "person's id in a text column instead",
        )
    return found


def _prerequisites(read: _FieldReader, prerequisite_ids: Mapping[str, str]) -> list[str]:
    known = {normalise_page_id(page): module for page, module in prerequisite_ids.items()}
    found: list[str] = []
    for number, related in enumerate(read.value("Prerequisites") or [], start=1):
        page = normalise_page_id(str(related.get("id", "")))
        module = known.get(page)
        if page == normalise_page_id(read.page_id):
            read.problem("Prerequisites", "the module lists itself; remove that relation")
        elif module is None:
            read.problem(
                "Prerequisites",
                f"related page {number} is not a Module Library page with a Module ID; "
                "give that page a Module ID or remove the relation",
            )
        elif module not in found:
            found.append(module)
    return found


def page_title(page: Mapping[str, Any]) -> str:
    """The page's title (its Module Name column) as the team lead sees it."""
    for prop in (page.get("properties") or {}).values():
        if prop.get("type") == "title":
            return rich_text_to_plain(prop.get("title")).strip()
    return ""


def page_module_id(page: Mapping[str, Any]) -> str | None:
    """A page's Module ID property as typed (None when absent or empty): to build page_to_module's prerequisite_ids."""
    prop = (page.get("properties") or {}).get("Module ID")
    if not prop or prop.get("type") not in EXPECTED_PROPERTIES["Module ID"].types:
        return None
    return property_value(prop) or None


def status_filter(status_type: str, names: Sequence[str]) -> dict[str, Any]:
    """The data-source query filter for pages whose Status is one of `names`.

    `status_type` is the Status column's type, "status" or "select": Notion answers a filter of the other type
    with 400 validation_error, so the filter is always built from the column's own type.
    """
    if status_type not in STATUS_TYPES:
        raise ValueError(f"a Status column is of type status or select, not {status_type!r}")
    conditions = [{"property": STATUS_PROPERTY, status_type: {"equals": name}} for name in names]
    return conditions[0] if len(conditions) == 1 else {"or": conditions}
