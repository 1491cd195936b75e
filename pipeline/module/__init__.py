"""The module file: the contract every stage reads.

`schema` is the format's schema and section types; `document` loads a module file strictly; `canonical` dumps,
hashes and writes it; `problems` and `json_locator` say where in a file a
problem is; `assets` maps `/assets/…` URLs to files; `markdown_policy` says what Markdown a module may hold;
`diff` says what changed between two versions.
"""

from pipeline.module.assets import ASSET_URL_PREFIX, asset_path, image_size, is_local_asset, referenced_assets
from pipeline.module.canonical import content_hash, dump_module, write_atomically, write_module
from pipeline.module.diff import ModuleDiff, SectionChange, diff_modules, text_diff
from pipeline.module.document import (
    MAX_FILE_BYTES,
    ModuleDocument,
    ModuleLoadError,
    is_valid_id,
    load_module,
    parse_module,
    read_module_bytes,
)
from pipeline.module.json_locator import locate, pointer_of
from pipeline.module.markdown_policy import MarkdownInspection, inspect_markdown, is_safe_link
from pipeline.module.problems import Problem, display_path
from pipeline.module.schema import BOOKKEEPING_KEY, SCHEMA_PATH, load_schema

__all__ = [
    "ASSET_URL_PREFIX",
    "BOOKKEEPING_KEY",
    "MAX_FILE_BYTES",
    "SCHEMA_PATH",
    "MarkdownInspection",
    "ModuleDiff",
    "ModuleDocument",
    "ModuleLoadError",
    "Problem",
    "SectionChange",
    "asset_path",
    "content_hash",
    "diff_modules",
    "display_path",
    "dump_module",
    "image_size",
    "inspect_markdown",
    "is_local_asset",
    "is_safe_link",
    "is_valid_id",
    "load_module",
    "load_schema",
    "locate",
    "parse_module",
    "pointer_of",
    "read_module_bytes",
    "referenced_assets",
    "text_diff",
    "write_atomically",
    "write_module",
]
