"""Incremental validation: recognise file bytes that this exact validator has already passed.

A file's validation key is sha256(validator fingerprint + the file's bytes). The fingerprint covers the schema,
the source of every module that decides validity and the versions of the libraries they call, so any change to
them changes every key. Deploy stores the key (and the /assets/ images the file's Markdown refers to) with each
revision; the next deploy passes the live keys to validate_paths, which then skips, for files whose bytes carry
such a key, only the checks that depend on nothing but those bytes: strict parsing, the JSON Schema and the
Markdown policy. Everything that looks beyond the file (its name, other modules, asset files) still runs.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline.module.schema import SCHEMA_PATH

PIPELINE_DIR = Path(__file__).resolve().parents[1]
# Every pipeline module pipeline.validate imports, relative to pipeline/ (tests/validate/test_trust.py keeps this
# list complete).
VALIDATOR_SOURCES = (
    "__init__.py",
    "errors.py",
    "settings.py",
    "validate/__init__.py",
    "validate/rules.py",
    "validate/sections.py",
    "validate/trust.py",
    "validate/schema_messages.py",
    "validate/graphs.py",
    "validate/experiments.py",
    "module/__init__.py",
    "module/document.py",
    "module/canonical.py",
    "module/schema.py",
    "module/markdown_policy.py",
    "module/assets.py",
    "module/media.py",
    "module/json_locator.py",
    "module/problems.py",
    "module/diff.py",
    "module/experiments.py",
)
# Libraries whose behaviour decides validity: a new version may parse or validate differently.
VALIDATOR_LIBRARIES = (
    "markdown-it-py",
    "mdurl",
    "jsonschema",
    "jsonschema-rs",
    "referencing",
    "jsonschema-specifications",
)

# Validation key -> {JSON pointer of a Markdown content: its /assets/ image sources}, as recorded at validation.
Trusted = Mapping[str, Mapping[str, Sequence[str]]]


@dataclass(frozen=True)
class Validated:
    """What validating one valid file established, stored so a later deploy can trust the same bytes."""

    key: str
    markdown_images: dict[str, tuple[str, ...]] = field(default_factory=dict)


def fingerprint_of(files: Sequence[Path], versions: Sequence[str]) -> str:
    """sha256 over the files' names and bytes and the given version strings."""
    digest = hashlib.sha256()
    for path in files:
        content = path.read_bytes()
        digest.update(f"{path.name}\0{len(content)}\0".encode())
        digest.update(content)
    for version in versions:
        digest.update(f"{version}\0".encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def validator_fingerprint() -> str:
    """The fingerprint of the validator running in this process (computed once)."""
    from importlib.metadata import PackageNotFoundError, version

    versions = [f"python {platform.python_implementation()} {platform.python_version()}"]
    for name in VALIDATOR_LIBRARIES:
        try:
            versions.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            versions.append(f"{name} missing")
    return fingerprint_of([SCHEMA_PATH, *(PIPELINE_DIR / name for name in VALIDATOR_SOURCES)], versions)


def validation_key(raw: bytes, fingerprint: str | None = None) -> str:
    """The key of a file's bytes under `fingerprint` (default: this process's validator)."""
    fingerprint = fingerprint or validator_fingerprint()
    return hashlib.sha256(fingerprint.encode() + b"\0" + raw).hexdigest()
