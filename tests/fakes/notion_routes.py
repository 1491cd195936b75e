"""The Notion fake's endpoints: each takes the fake's state and a parsed request and returns the JSON answer."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tests.fakes import notion_objects as obj
from tests.fakes import notion_schema as schema

if TYPE_CHECKING:
    from tests.fakes.notion_server import NotionFake


def _error(status: int, code: str, message: str) -> Exception:
    from tests.fakes.notion_server import ApiError

    return ApiError(status, code, message)


def _uuid(value: str, what: str) -> str:
    try:
        return obj.dashed(value)
    except ValueError:
        raise _error(
            400,
            "validation_error",
            f'path failed validation: path.{what} should be a valid uuid, instead was `"{value}"`.',
        ) from None


def _find(table: dict[str, dict], object_id: str, what: str) -> dict:
    found = table.get(_uuid(object_id, f"{what}_id"))
    if found is None:
        raise _error(
            404,
            "object_not_found",
            f"Could not find {what} with ID: {obj.dashed(object_id)}. "
            "Make sure the relevant pages and databases are shared with your integration.",
        )
    return found


def _page_size(value: Any) -> int:
    size = int(value) if value is not None else 100
    if not 1 <= size <= 100:
        raise _error(
            400, "validation_error", f"body failed validation: body.page_size should be ≤ `100`, instead was `{size}`."
        )
    return size


def _paginate(items: list[dict], cursor: str | None, size: int) -> tuple[list[dict], str | None]:
    """Notion's cursors name the first item of the next page."""
    start = 0
    if cursor:
        ids = [item["id"] for item in items]
        if cursor not in ids:
            raise _error(400, "validation_error", "The start_cursor provided is invalid: " + cursor)
        start = ids.index(cursor)
    chunk = items[start : start + size]
    rest = items[start + size :]
    return chunk, rest[0]["id"] if rest else None


def dispatch(fake: NotionFake, method: str, path: str, query: dict[str, str], body: dict) -> dict:
    parts = path.strip("/").split("/")[1:]  # drop "v1"
    with fake._lock:
        match (method, parts):
            case ("GET", ["data_sources", ds_id]):
                return _find(fake.data_sources, ds_id, "data_source")
            case ("POST", ["data_sources", ds_id, "query"]):
                return _query(fake, _find(fake.data_sources, ds_id, "data_source"), body)
            case ("PATCH", ["data_sources", ds_id]):
                return schema.update_data_source(fake, _find(fake.data_sources, ds_id, "data_source"), body)
            case ("POST", ["databases"]):
                return schema.create_database(fake, body)
            case ("GET", ["databases", db_id]):
                return _find(fake.databases, db_id, "database")
            case ("GET", ["pages", page_id]):
                return _page_view(fake, _find(fake.pages, page_id, "page"))
            case ("PATCH", ["pages", page_id]):
                return _update_page(fake, _find(fake.pages, page_id, "page"), body)
            case ("GET", ["pages", page_id, "properties", prop_id]):
                return _property_items(fake, _find(fake.pages, page_id, "page"), prop_id, query)
            case ("GET", ["blocks", block_id]):
                return fake.sign_files(_find(fake.blocks, block_id, "block"))
            case ("GET", ["blocks", block_id, "children"]):
                return _children(fake, block_id, query)
            case ("GET", ["users", "me"]):
                return obj.bot_user()
            case ("GET", ["comments"]):
                return _list_comments(fake, query)
            case ("POST", ["comments"]):
                return _create_comment(fake, body)
    raise _error(400, "invalid_request_url", "Invalid request URL.")


def _page_view(fake: NotionFake, page: dict) -> dict:
    """A page as Notion shows it: relation values hold at most 25 references, then has_more."""
    view = {**page, "properties": dict(page["properties"])}
    for name, prop in page["properties"].items():
        if prop["type"] == "relation" and len(prop["relation"]) > fake.relation_page_limit:
            view["properties"][name] = {
                **prop,
                "relation": prop["relation"][: fake.relation_page_limit],
                "has_more": True,
            }
    return view


def _query(fake: NotionFake, ds: dict, body: dict) -> dict:
    pages = [p for p in fake.pages.values() if p["parent"].get("data_source_id") == ds["id"] and not p["in_trash"]]
    if body.get("filter"):
        _check_filter(body["filter"], ds)  # Notion validates the filter whether or not any page matches
        pages = [p for p in pages if _matches(p, body["filter"], ds)]
    for sort in reversed(body.get("sorts") or []):
        key = sort.get("timestamp") or sort.get("property")
        pages.sort(
            key=lambda p, k=key: str(p.get(k) or fake_property_sort_key(p, k)),
            reverse=sort.get("direction") == "descending",
        )
    chunk, cursor = _paginate(pages, body.get("start_cursor"), _page_size(body.get("page_size")))
    return obj.list_envelope([_page_view(fake, p) for p in chunk], cursor, "page_or_data_source")


def fake_property_sort_key(page: dict, name: str) -> str:
    prop = page["properties"].get(name, {})
    value = prop.get(prop.get("type", ""), "")
    return str(value)


def _check_filter(condition: dict, ds: dict) -> None:
    """A condition on a property must use the property's own type (a `status` filter on a select is a 400)."""
    for key in ("and", "or"):
        for part in condition.get(key) or []:
            _check_filter(part, ds)
    name = condition.get("property")
    if name is None:
        return
    if name not in ds["properties"]:
        raise _error(400, "validation_error", f"Could not find property with name or id: {name}")
    kind = ds["properties"][name]["type"]
    if kind not in condition:
        raise _error(
            400, "validation_error", f"body failed validation: filter for property `{name}` must use `{kind}`."
        )


def _matches(page: dict, condition: dict, ds: dict) -> bool:
    if "and" in condition:
        return all(_matches(page, c, ds) for c in condition["and"])
    if "or" in condition:
        return any(_matches(page, c, ds) for c in condition["or"])
    if condition.get("timestamp") in ("last_edited_time", "created_time"):
        stamp = condition["timestamp"]
        value = _parse_time(page[stamp])
        test = condition[stamp]
        op, operand = next(iter(test.items()))
        ops = {
            "on_or_after": value.__ge__,
            "after": value.__gt__,
            "before": value.__lt__,
            "on_or_before": value.__le__,
            "equals": value.__eq__,
        }
        if op not in ops:
            raise _error(400, "validation_error", f"body failed validation: unsupported timestamp filter `{op}`.")
        return ops[op](_parse_time(operand))
    name = condition.get("property")
    if name not in ds["properties"]:
        raise _error(400, "validation_error", f"Could not find property with name or id: {name}")
    prop = page["properties"][name]
    kind = ds["properties"][name]["type"]
    test = condition.get(kind)
    if test is None:
        raise _error(
            400, "validation_error", f"body failed validation: filter for property `{name}` must use `{kind}`."
        )
    current = prop[kind]
    if kind in ("status", "select"):
        current_name = current and current["name"]
        if "equals" in test:
            return current_name == test["equals"]
        if "does_not_equal" in test:
            return current_name != test["does_not_equal"]
        return (current_name is None) == bool(test.get("is_empty"))
    if kind in ("title", "rich_text") and "equals" in test:
        return "".join(run["plain_text"] for run in current) == test["equals"]
    raise _error(400, "validation_error", f"the Notion fake does not support this filter on `{name}`.")


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise _error(400, "validation_error", f"body failed validation: `{text}` is not a date with a time zone.")
    return value


def _update_page(fake: NotionFake, page: dict, body: dict) -> dict:
    if "data_source_id" not in page["parent"]:
        raise _error(400, "validation_error", "the fake updates only pages in a data source.")
    ds = fake.data_sources[page["parent"]["data_source_id"]]
    for name, value in (body.get("properties") or {}).items():
        schema = ds["properties"].get(name)
        if schema is None:
            raise _error(400, "validation_error", f"{name} is not a property that exists.")
        kind = schema["type"]
        if kind not in value:
            raise _error(
                400,
                "validation_error",
                f"body failed validation: body.properties.{name}.{kind} should be defined, instead was `undefined`.",
            )
        new = value[kind]
        if kind in ("status", "select"):
            options = {o["name"]: o for o in schema[kind]["options"]}
            if new is not None and new.get("name") not in options:
                raise _error(
                    400,
                    "validation_error",
                    f'Invalid status option. Status option "{new.get("name")}" does not exist.'
                    if kind == "status"
                    else f'Invalid select option "{new.get("name")}".',
                )
            stored = None if new is None else {k: options[new["name"]][k] for k in ("id", "name", "color")}
            page["properties"][name] = {"id": schema["id"], "type": kind, kind: stored}
        elif kind == "url":
            if new is not None and (not isinstance(new, str) or len(new) > 2000):
                raise _error(
                    400,
                    "validation_error",
                    f"body failed validation: body.properties.{name}.url should be a "
                    "string of at most 2000 characters or `null`.",
                )
            page["properties"][name] = {"id": schema["id"], "type": kind, kind: new}
        elif kind == "date":
            if new is not None and not re.fullmatch(
                r"\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?", str(new.get("start"))
            ):
                raise _error(
                    400,
                    "validation_error",
                    f"body failed validation: body.properties.{name}.date.start should be "
                    f"an ISO 8601 date, instead was `{new.get('start')}`.",
                )
            stored = (
                None
                if new is None
                else {"start": new["start"], "end": new.get("end"), "time_zone": new.get("time_zone")}
            )
            page["properties"][name] = {"id": schema["id"], "type": kind, kind: stored}
        elif kind in ("rich_text", "title"):
            text = "".join((run.get("text") or {}).get("content", "") for run in new)
            page["properties"][name] = obj.property_value(name, kind, text) | {"id": schema["id"]}
        else:
            page["properties"][name] = {"id": schema["id"], "type": kind, kind: new}
    page["last_edited_time"] = obj.notion_time(fake.now())
    page["last_edited_by"] = dict(obj.BOT_USER)  # the integration's own write: its bot user (users.me)
    return _page_view(fake, page)


def _property_items(fake: NotionFake, page: dict, prop_id: str, query: dict[str, str]) -> dict:
    from urllib.parse import unquote

    for name, prop in page["properties"].items():
        if prop["id"] == unquote(prop_id) or name == unquote(prop_id):
            break
    else:
        raise _error(404, "object_not_found", f"Could not find property with ID: {prop_id}.")
    kind = prop["type"]
    if kind != "relation":
        item = {"object": "property_item", "id": prop["id"], "type": kind, kind: prop[kind]}
        return item
    items = [
        {"object": "property_item", "type": "relation", "id": prop["id"], "relation": ref, **{"_id": ref["id"]}}
        for ref in prop["relation"]
    ]
    for item in items:
        item["id"] = item.pop("_id")  # cursor by the referenced id, then restore the property id below
    chunk, cursor = _paginate(items, query.get("start_cursor"), _page_size(query.get("page_size", 25)))
    chunk = [{**item, "id": prop["id"]} for item in chunk]
    return obj.list_envelope(
        chunk, cursor, "property_item", {"id": prop["id"], "next_url": None, "type": "relation", "relation": {}}
    )


def _children(fake: NotionFake, block_id: str, query: dict[str, str]) -> dict:
    parent_id = _uuid(block_id, "block_id")
    if parent_id not in fake.children:
        raise _error(
            404,
            "object_not_found",
            f"Could not find block with ID: {parent_id}. "
            "Make sure the relevant pages and databases are shared with your integration.",
        )
    block = fake.blocks.get(parent_id)
    if block and block["type"] == "synced_block" and block["synced_block"]["synced_from"]:
        parent_id = block["synced_block"]["synced_from"]["block_id"]  # a reference lists its original's children
    items = [fake.blocks[i] for i in fake.children[parent_id]]
    chunk, cursor = _paginate(items, query.get("start_cursor"), _page_size(query.get("page_size")))
    return obj.list_envelope([fake.sign_files(b) for b in chunk], cursor, "block")


def _list_comments(fake: NotionFake, query: dict[str, str]) -> dict:
    if not fake.read_comments:
        raise _error(403, "restricted_resource", "Insufficient permissions for this endpoint.")
    block_id = _uuid(query.get("block_id", ""), "block_id")
    items = list(fake.comments.get(block_id, []))
    chunk, cursor = _paginate(items, query.get("start_cursor"), _page_size(query.get("page_size")))
    return obj.list_envelope(chunk, cursor, "comment")


def _create_comment(fake: NotionFake, body: dict) -> dict:
    if not fake.insert_comments:
        raise _error(403, "restricted_resource", "Insufficient permissions for this endpoint.")
    page_id = (body.get("parent") or {}).get("page_id")
    if not page_id:
        raise _error(400, "validation_error", "body failed validation: body.parent.page_id should be defined.")
    page = _find(fake.pages, page_id, "page")
    text = "".join((run.get("text") or {}).get("content", "") for run in body.get("rich_text") or [])
    if not text:
        raise _error(400, "validation_error", "body failed validation: body.rich_text should be defined.")
    comment = obj.comment_object(page["id"], text, obj.notion_time(fake.now()))
    fake.comments.setdefault(page["id"], []).append(comment)
    return comment
