"""Validate module files: the JSON Schema plus the rules a schema cannot express.

Every problem names the file, the line, the JSON pointer and what to do (docs/module-format.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from pipeline.errors import ConfigError
from pipeline.module.document import (
    ModuleDocument,
    ModuleLoadError,
    content_problem,
    id_problem,
    parse_module,
    read_module_bytes,
)
from pipeline.module.json_locator import pointer_of
from pipeline.module.problems import Problem, format_github, format_json
from pipeline.module.schema import load_schema
from pipeline.settings import Settings
from pipeline.validate.experiments import experiment_problems, immutability_problems
from pipeline.validate.graphs import cycle_through, strongly_connected
from pipeline.validate.schema_messages import describe_error
from pipeline.validate.sections import MarkdownCheck, section_problems
from pipeline.validate.trust import Trusted, Validated, validation_key, validator_fingerprint

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating some module files."""

    problems: tuple[Problem, ...]
    files_checked: int
    documents: dict[str, ModuleDocument] = field(default_factory=dict)  # the valid ones, by module_id
    validated: dict[str, Validated] = field(default_factory=dict)  # their validation keys, by module_id
    files_trusted: int = 0  # files whose bytes carried a trusted key (byte-only checks skipped)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def lines(self, output_format: str = "text") -> list[str]:
        """The problems as `path:line: /pointer: message` and the summary; or as GitHub annotations; or as JSON."""
        if output_format == "json":
            return [format_json(self.problems, self.files_checked)]
        shown = format_github if output_format == "github" else str
        return [shown(problem) for problem in self.problems] + [self.summary()]

    def summary(self) -> str:
        """One line for humans: how many files, how many problems in how many files."""
        errors = [p for p in self.problems if p.severity == "error"]
        if not errors:
            return f"ok: {self.files_checked} module file(s) valid"
        files = len({p.path for p in errors})
        return (
            f"FAILED: {len(errors)} problem(s) in {files} of {self.files_checked} module file(s); "
            "fix them and run `python -m pipeline validate` again"
        )


@dataclass(frozen=True)
class PreviousVersions:
    """The modules as they were before this change (live in the database, or on the PR's base branch): running
    experiments in them must not change."""

    documents: Mapping[str, Mapping[str, Any]]  # module_id -> its document
    where: str  # "live in the database", "on origin/main"


@lru_cache(maxsize=1)
def schema_validator() -> Draft202012Validator:
    """The module schema, compiled once, for explaining what is wrong (jsonschema's errors carry context).

    Stricter than JSON Schema about integers: 10.0 is not one (JSON Schema says it is, and PostgreSQL's ::int
    then refuses it at deploy), so a file that writes a whole number with a fraction is refused here.
    """
    from jsonschema import Draft202012Validator, validators  # imported when first needed

    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
    )
    strict = validators.extend(Draft202012Validator, type_checker=checker)
    return strict(schema)


@lru_cache(maxsize=1)
def fast_schema_validator() -> jsonschema_rs.Draft202012Validator:
    """The same schema compiled by jsonschema-rs: ~100x faster, used to pass valid files quickly."""
    return jsonschema_rs.Draft202012Validator(load_schema())


def collect_module_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into their *.json files (sorted); refuse paths that do not exist."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.json") if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise ConfigError(f"{path}: no such file or folder; give module files or a folder such as data/modules")
    unique: dict[Path, Path] = {}  # a file named twice (a folder and a file in it) is one module, not a duplicate id
    for file in files:
        unique.setdefault(file.resolve(), file)
    return list(unique.values())


def validate_paths(
    paths: Sequence[Path],
    settings: Settings | None = None,
    trusted: Trusted | None = None,
    *,
    require_files: bool = False,
    previous: PreviousVersions | None = None,
) -> ValidationReport:
    """Validate the module files in `paths` (files or folders), cross-checked with their sibling modules.

    `trusted` (deploy passes the keys of the live revisions; the validate command never does): files whose
    validation key is in it skip the checks that depend on their bytes alone; the result is the same.
    `require_files`: folders named on the command line that hold no module file are a usage error, not "ok".
    `previous`: the versions a running experiment must be unchanged from (deploy: live; the PR: its base branch).
    """
    settings = settings or Settings.from_env()
    trusted = trusted or {}
    fingerprint = validator_fingerprint()
    files = collect_module_files(paths)
    if require_files and not files:  # a mistyped folder must not pass as "ok"
        raise ConfigError(f"no module files in {', '.join(map(str, paths))}; give *.json files or their folder")
    problems: list[Problem] = []
    documents: list[ModuleDocument] = []
    keys: list[str] = []
    recorded: list[Mapping[str, Sequence[str]] | None] = []
    for path in files:
        try:
            raw = read_module_bytes(path)
            key = validation_key(raw, fingerprint)
            known = trusted.get(key)
            documents.append(parse_module(raw, path) if known is None else _trusted_document(raw, path))
        except ModuleLoadError as exc:
            problems.append(exc.problem)
            continue
        keys.append(key)
        recorded.append(known)
    found, images = _validate_loaded(
        documents, _assets_dir_for(files, settings), _sibling_dirs(files), recorded, previous
    )
    problems.extend(found)
    failed = {p.path for p in problems if p.severity == "error"}
    valid: dict[str, ModuleDocument] = {}
    validated: dict[str, Validated] = {}
    for doc, key, markdown_images in zip(documents, keys, images, strict=True):
        if doc.module_id and doc.display_path not in failed:
            valid[doc.module_id] = doc
            validated[doc.module_id] = Validated(key, markdown_images)
    trusted_count = sum(known is not None for known in recorded)
    return ValidationReport(tuple(problems), len(files), valid, validated, trusted_count)


def _trusted_document(raw: bytes, path: Path) -> ModuleDocument:
    """A file whose very bytes passed the strict parser before: plain json gives the same object, faster."""
    text = raw.decode("utf-8")
    return ModuleDocument(path, text, json.loads(text))


def validate_documents(documents: Sequence[ModuleDocument], modules_dir: Path, assets_dir: Path) -> list[Problem]:
    """Validate documents not yet written (export); they override files of the same module_id in modules_dir."""
    return _validate_loaded(list(documents), assets_dir, [modules_dir])[0]


def _sibling_dirs(files: Sequence[Path]) -> list[Path]:
    return sorted({f.parent for f in files})


def _assets_dir_for(files: Sequence[Path], settings: Settings) -> Path:
    """ASSETS_DIR; else `assets` beside the one folder the files are in (as preview does), so `validate
    examples/modules` checks examples/assets; files from several folders fall back to MODULES_DIR's sibling."""
    if settings.assets_dir is not None:
        return settings.assets_dir
    folders = {f.resolve().parent for f in files}
    return next(iter(folders)).parent / "assets" if len(folders) == 1 else settings.resolved_assets_dir


def _validate_loaded(
    documents: list[ModuleDocument],
    assets_dir: Path,
    catalog_dirs: Sequence[Path],
    recorded: Sequence[Mapping[str, Sequence[str]] | None] | None = None,
    previous: PreviousVersions | None = None,
) -> tuple[list[Problem], list[dict[str, tuple[str, ...]]]]:
    """Problems, sorted, and per document the /assets/ images its Markdown refers to (empty unless schema-valid)."""
    problems: list[Problem] = []
    checks = [MarkdownCheck(known) for known in recorded or [None] * len(documents)]
    schema_ok: list[tuple[ModuleDocument, MarkdownCheck]] = []
    for doc, check in zip(documents, checks, strict=True):
        found = schema_problems(doc) if check.recorded is None else []  # trusted bytes passed this schema before
        problems.extend(found)
        if not found:
            schema_ok.append((doc, check))
    problems.extend(_duplicate_module_ids(documents))
    catalog = _prerequisite_catalog(catalog_dirs, documents)
    for doc, check in schema_ok:
        problems.extend(semantic_problems(doc, catalog, assets_dir, check))
        if previous is not None and doc.module_id:
            problems.extend(immutability_problems(doc, previous.documents.get(doc.module_id), previous.where))
    problems.extend(_cycle_problems([doc for doc, _ in schema_ok], catalog))
    return sorted(problems, key=lambda p: (p.path, p.line or 0, p.pointer)), [check.images for check in checks]


def schema_problems(doc: ModuleDocument) -> list[Problem]:
    """Problems against data/schemas/module-schema.json, one per fixable thing."""
    if not doc.strict:  # built in memory (export), not read by parse_module: check what the parser would refuse
        found = content_problem(doc.data)
        if found is not None:
            return [doc.problem(*found)]
    try:
        # The fast validator takes 10.0 for an integer: files with fractions get the strict one.
        if not doc.fractions and fast_schema_validator().is_valid(doc.data):
            return []
        errors = list(schema_validator().iter_errors(doc.data))
    except (RecursionError, ValueError, OverflowError) as exc:
        return [doc.problem("", f"document cannot be checked against the schema: {exc}")]
    if not errors:  # the two implementations disagree: trust the stricter one and say what it found
        return [
            doc.problem(pointer_of(*e.instance_path), e.message) for e in fast_schema_validator().iter_errors(doc.data)
        ]
    seen: set[tuple[str, str]] = set()
    problems = []
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        for pointer, message in describe_error(error, doc.data):
            if (pointer, message) not in seen:
                seen.add((pointer, message))
                problems.append(doc.problem(pointer, message))
    return problems


def _duplicate_module_ids(documents: Sequence[ModuleDocument]) -> list[Problem]:
    owners: dict[str, ModuleDocument] = {}
    problems = []
    for doc in documents:
        module_id = doc.module_id
        if not module_id:
            continue
        if module_id in owners:
            problems.append(
                doc.problem(
                    "/module_id",
                    f"module_id {module_id!r} is also used by "
                    f"{owners[module_id].display_path}; every module needs its own id",
                )
            )
        else:
            owners[module_id] = doc
    return problems


def _prerequisite_catalog(dirs: Sequence[Path], documents: Sequence[ModuleDocument]) -> dict[str, list[str]]:
    """module_id -> prerequisites for every module in `dirs`, overridden by `documents`."""
    catalog: dict[str, list[str]] = {}
    given = {str(d.path) for d in documents if d.path}  # the same spelling is the same file: no resolve() needed
    given_resolved: set[Path] | None = None
    for directory in dirs:
        for path in sorted(directory.glob("*.json")):
            if str(path) in given:
                continue
            if given_resolved is None:
                given_resolved = {d.path.resolve() for d in documents if d.path}
            if path.resolve() in given_resolved:
                continue
            try:
                # Numbers stay text: only ids matter here, and a 5,000-digit one must not hide the module's id.
                data = json.loads(path.read_bytes(), parse_int=str, parse_float=str)
            except (OSError, ValueError, RecursionError):
                continue  # an unreadable sibling is reported when it is validated itself
            if isinstance(data, dict) and isinstance(data.get("module_id"), str):
                catalog[data["module_id"]] = _prerequisites_of(data)
    for doc in documents:
        if doc.module_id:
            catalog[doc.module_id] = _prerequisites_of(doc.data)
    return catalog


def _prerequisites_of(data: dict[str, Any]) -> list[str]:
    """The prerequisite ids of a possibly invalid document (anything malformed is reported elsewhere)."""
    prerequisites = data.get("prerequisites")
    return [p for p in prerequisites if isinstance(p, str)] if isinstance(prerequisites, list) else []


def semantic_problems(
    doc: ModuleDocument, catalog: Mapping[str, list[str]], assets_dir: Path, markdown: MarkdownCheck | None = None
) -> list[Problem]:
    """The rules beyond the schema, for one schema-valid document."""
    markdown = markdown or MarkdownCheck()
    data = doc.data
    problems: list[Problem] = []
    module_id = data["module_id"]
    unusable = id_problem(module_id)  # the schema's pattern passed: what is left is a reserved name
    if unusable:
        problems.append(doc.problem("/module_id", f"module_id {unusable}; choose another id"))
    if doc.path is not None and doc.path.stem != module_id:
        problems.append(
            doc.problem(
                "/module_id",
                f"module_id {module_id!r} does not match the file name "
                f"{doc.path.name!r}; rename the file to {module_id}.json",
            )
        )
    for index, prerequisite in enumerate(data["prerequisites"]):
        pointer = pointer_of("prerequisites", index)
        if prerequisite == module_id:
            problems.append(doc.problem(pointer, "a module cannot be its own prerequisite"))
        elif prerequisite not in catalog:
            problems.append(
                doc.problem(
                    pointer,
                    f"prerequisite {prerequisite!r} is not a module in "
                    "data/modules; fix the id or add that module first",
                )
            )
    seen_ids: dict[str, int] = {}
    for index, section in enumerate(data["sections"]):
        base = pointer_of("sections", index)
        if section["section_number"] != index + 1:
            problems.append(
                doc.problem(
                    base + "/section_number",
                    f"section_number is {section['section_number']}"
                    f" but this is section {index + 1}; number sections 1..n in order",
                )
            )
        section_id = section["section_id"]
        if section_id in seen_ids:
            problems.append(
                doc.problem(
                    base + "/section_id",
                    f"section_id {section_id!r} is already used by "
                    f"section {seen_ids[section_id] + 1}; section ids must be unique",
                )
            )
        seen_ids.setdefault(section_id, index)
        problems.extend(section_problems(doc, base, section, assets_dir, markdown))
    problems.extend(experiment_problems(doc, assets_dir, markdown))
    return problems


def _cycle_problems(documents: Sequence[ModuleDocument], catalog: Mapping[str, list[str]]) -> list[Problem]:
    """One problem per prerequisite cycle that passes through a validated document, naming the cycle."""
    by_id = {doc.module_id: doc for doc in documents if doc.module_id}
    problems = []
    for component in strongly_connected(catalog):
        members = [m for m in component if m in by_id]
        if len(component) < 2 or not members:
            continue  # a module listing itself is reported by semantic_problems already
        doc = by_id[min(members)]
        cycle = cycle_through(doc.module_id or "", set(component), catalog)
        index = doc.data["prerequisites"].index(cycle[1])
        problems.append(
            doc.problem(
                pointer_of("prerequisites", index),
                "prerequisites form a cycle: " + " → ".join([*cycle, cycle[0]]) + "; remove one of these prerequisites",
            )
        )
    return problems
