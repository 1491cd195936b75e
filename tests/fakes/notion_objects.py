"""Notion API object shapes for the fake, filled in from real 2025-09-03 recordings in tests/data/notion/."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data" / "notion"
BOT_USER = {"object": "user", "id": "019a87c7-d197-44a4-b19a-baa684400f81"}
PERSON_USER = {"object": "user", "id": "2200a911-6a96-44bb-bd38-6bfb1e01b9f6"}


@cache
def _recording(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def recording(name: str) -> dict[str, Any]:
    """A fresh copy of one recorded response (tests/data/notion/<name>)."""
    return copy.deepcopy(_recording(name))


def new_id() -> str:
    return str(uuid.uuid4())


def dashed(object_id: str) -> str:
    """Notion accepts ids with or without dashes; the fake keys everything by the dashed form."""
    return str(uuid.UUID(object_id.replace("-", "")))


def notion_time(moment: datetime) -> str:
    """Notion's timestamp format, rounded down to the minute as Notion does for last_edited_time."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:00.000Z")


def rich_text(content: str, *, link: str | None = None, **annotations: Any) -> list[dict[str, Any]]:
    """One text run, shaped like the recorded paragraph's rich_text."""
    run = copy.deepcopy(
        recording("retrieve_block_children_block_test_page.json")["results"][0]["paragraph"]["rich_text"][0]
    )
    run["text"] = {"content": content, "link": {"url": link} if link else None}
    run["plain_text"] = content
    run["href"] = link
    run["annotations"].update(annotations)
    return [run] if content else []


# --- the Module Library data source (property name -> type, options) ---

STATUS_OPTIONS = ("Draft", "In Review", "Ready", "Live", "Retired", "Archived")
MODULE_LIBRARY_SCHEMA: dict[str, tuple[str, tuple[str, ...]]] = {
    "Module Name": ("title", ()),
    "Module ID": ("rich_text", ()),
    "Status": ("status", STATUS_OPTIONS),
    "Description": ("rich_text", ()),
    "Category": ("select", ("Safety", "Equipment", "Software", "Onboarding")),
    "Estimated Minutes": ("number", ()),
    "Tags": ("multi_select", ("safety", "onboarding", "equipment", "electronics", "git")),
    "University": ("select", ("CPP", "UCLA")),
    "Cohort": ("select", ("Fall 2025", "Spring 2026")),
    "Content Source": ("select", ("Form", "Interview", "AI-assisted")),
    "Target Audience": ("select", ("Incoming Students", "All Students", "Team Leads")),
    "Team Lead": ("people", ()),
    "Owner": ("people", ()),
    "Prerequisites": ("relation", ()),
    "GitHub Branch/PR": ("url", ()),
    "Last Updated": ("date", ()),
    "Related Task": ("relation", ()),
    "Experiment": ("rich_text", ()),
    "Experiment Status": ("select", ("Draft", "Running", "Stopped")),
}


def property_id(name: str) -> str:
    """A short stable property id like Notion's (`%3CnJT`); the title is always `title`."""
    return (
        "title"
        if MODULE_LIBRARY_SCHEMA.get(name, ("",))[0] == "title"
        else uuid.uuid5(uuid.NAMESPACE_URL, name).hex[:4]
    )


def schema_property(name: str, kind: str, options: tuple[str, ...], data_source_id: str, database_id: str) -> dict:
    """One property of a data source schema, shaped like the recorded data source's."""
    prop: dict[str, Any] = {"id": property_id(name), "name": name, "description": None, "type": kind}
    if kind in ("select", "multi_select", "status"):
        prop[kind] = {
            "options": [
                {
                    "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/{o}").hex,
                    "name": o,
                    "color": "default",
                    "description": None,
                }
                for o in options
            ]
        }
    elif kind == "relation":
        prop[kind] = {
            "database_id": database_id,
            "data_source_id": data_source_id,
            "type": "single_property",
            "single_property": {},
        }
    elif kind == "number":
        prop[kind] = {"format": "number"}
    else:
        prop[kind] = {}
    return prop


def data_source_object(data_source_id: str, database_id: str, title: str, properties: dict[str, dict]) -> dict:
    ds = recording("retrieve_data_source_data_source.json")
    ds.pop("request_id", None)
    ds.update(id=data_source_id, title=rich_text(title), properties=properties, icon=None)
    ds["parent"] = {"type": "database_id", "database_id": database_id}
    ds["url"] = f"https://www.notion.so/{data_source_id.replace('-', '')}"
    ds["public_url"] = None
    return ds


def database_object(database_id: str, title: str, data_sources: list[dict[str, str]]) -> dict:
    db = recording("retrieve_database_database.json")
    db.pop("request_id", None)
    db.update(
        id=database_id,
        title=rich_text(title),
        data_sources=data_sources,
        public_url=None,
        url=f"https://www.notion.so/{database_id.replace('-', '')}",
    )
    return db


def page_object(page_id: str, data_source_id: str, database_id: str, edited: str, properties: dict) -> dict:
    page = recording("query_data_source_limit_2.json")["results"][0]
    page.update(
        id=page_id,
        created_time=edited,
        last_edited_time=edited,
        properties=properties,
        public_url=None,
        url=f"https://www.notion.so/{page_id.replace('-', '')}",
    )
    page["parent"] = {"type": "data_source_id", "data_source_id": data_source_id, "database_id": database_id}
    return page


def property_value(name: str, kind: str, value: Any) -> dict[str, Any]:
    """A page property value from a plain Python value (str, number, list of names, list of page ids…)."""
    pid = property_id(name)
    if kind in ("title", "rich_text"):
        return {"id": pid, "type": kind, kind: rich_text(value or "")}
    if kind in ("select", "status"):
        option = (
            None
            if value is None
            else {"id": uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/{value}").hex, "name": value, "color": "default"}
        )
        return {"id": pid, "type": kind, kind: option}
    if kind == "multi_select":
        return {
            "id": pid,
            "type": kind,
            kind: [
                {"id": uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/{v}").hex, "name": v, "color": "default"}
                for v in value or []
            ],
        }
    if kind == "people":  # names -> users shaped like the docs' people example
        names = [value] if isinstance(value, str) else list(value or [])
        return {"id": pid, "type": kind, kind: [_person(n) for n in names]}
    if kind == "relation":
        return {"id": pid, "type": kind, kind: [{"id": dashed(v)} for v in value or []], "has_more": False}
    if kind == "date":
        return {
            "id": pid,
            "type": kind,
            kind: None if value is None else {"start": value, "end": None, "time_zone": None},
        }
    return {"id": pid, "type": kind, kind: value}


def _person(name: str) -> dict[str, Any]:
    user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"user/{name}"))
    email = ".".join(name.lower().split()) + "@example.edu"
    return {
        "object": "user",
        "id": user_id,
        "name": name,
        "avatar_url": None,
        "type": "person",
        "person": {"email": email},
    }


def block_object(
    block_type: str,
    payload: dict,
    *,
    parent: dict,
    edited: str,
    block_id: str | None = None,
    has_children: bool = False,
) -> dict:
    """A block shaped like the recorded ones (parent, times, users, has_children, archived, in_trash)."""
    block = recording("retrieve_block_image_file.json")
    block.pop("request_id", None)
    block.pop("image")
    block.update(
        id=block_id or new_id(),
        parent=parent,
        created_time=edited,
        last_edited_time=edited,
        has_children=has_children,
        type=block_type,
    )
    block[block_type] = payload
    return block


def list_envelope(results: list[dict], next_cursor: str | None, kind: str, extra: dict | None = None) -> dict:
    """The paginated list shape: object, results, next_cursor, has_more, type and its empty type object."""
    body = {
        "object": "list",
        "results": results,
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
        "type": kind,
        kind: extra if extra is not None else {},
    }
    return body


def comment_object(page_id: str, text: str, created: str) -> dict:
    comment = recording("append_comment_top_page.json")
    comment.update(
        id=new_id(),
        discussion_id=new_id(),
        created_time=created,
        last_edited_time=created,
        rich_text=rich_text(text),
        created_by=BOT_USER,
    )
    comment["parent"] = {"type": "page_id", "page_id": page_id}
    return comment


def bot_user() -> dict:
    """`GET /v1/users/me`: the integration's bot user, whose id its own writes leave in last_edited_by."""
    user = recording("retrieve_bot_user_me.json")
    user.pop("request_id", None)
    user["id"] = BOT_USER["id"]
    return user


def error_body(status: int, code: str, message: str) -> dict:
    body = recording("retrieve_block_unpermitted_block.json")
    body.update(status=status, code=code, message=message, request_id=new_id())
    return body


S3_EXPIRED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message>'
    "<X-Amz-Expires>3600</X-Amz-Expires><Expires>{expired}</Expires><ServerTime>{now}</ServerTime>"
    "<RequestId>{request_id}</RequestId></Error>"
)
