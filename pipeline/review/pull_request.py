"""`python -m pipeline review comment`: render the sticky review comment for a PR's module files, and post it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.github.git import run_git
from pipeline.module.assets import ASSET_URL_PREFIX
from pipeline.module.document import ModuleLoadError, load_module
from pipeline.preview.build import read_base_version, resolve_base
from pipeline.review.comment import ReviewedModule, needs_second_review, render_review_comment
from pipeline.review.impact import ImpactReport, impact_from_json
from pipeline.review.post import PostedComment, post_review_comment
from pipeline.review.sections import AssetUrl
from pipeline.settings import Settings


@dataclass(frozen=True)
class ReviewResult:
    """The rendered comment and, when it was posted, what posting did."""

    body: str
    posted: PostedComment | None

    ok = True

    def lines(self) -> list[str]:
        return self.posted.lines() if self.posted else self.body.rstrip("\n").split("\n")


def web_root(api_url: str) -> str:
    """github.com for api.github.com; `https://host` for GitHub Enterprise's `https://host/api/v3`."""
    api_url = api_url.rstrip("/")
    if api_url == "https://api.github.com":
        return "https://github.com"
    return api_url.removesuffix("/api/v3")


def head_asset_url(settings: Settings, head_sha: str | None) -> AssetUrl:
    """`/assets/x.png` -> the file at the PR's head commit (a `raw` URL, which works in private repositories too)."""
    assets = repository_path(settings.resolved_assets_dir)
    if settings.github_repository and head_sha:
        root = f"{web_root(settings.github_api_url)}/{settings.github_repository}/raw/{head_sha}/{assets}/"
    else:
        root = f"{assets}/"  # relative to the repository: right on a branch page, and for a local look
    return lambda url: root + url[len(ASSET_URL_PREFIX) :] if url.startswith(ASSET_URL_PREFIX) else url


def repository_path(folder: Path) -> str:
    """`folder` as a path inside its Git repository (data/assets), wherever the command runs from."""
    found = run_git(folder if folder.is_dir() else Path.cwd(), "rev-parse", "--show-toplevel", needed_for="review")
    top = Path(found.stdout.decode().strip()) if found.returncode == 0 else None
    absolute = folder.resolve()
    if top is not None and absolute.is_relative_to(top.resolve()):
        return absolute.relative_to(top.resolve()).as_posix()
    return folder.as_posix().strip("/")


def read_impact(path: Path | None) -> ImpactReport | None:
    """The `--impact FILE` report; None (not configured) when no file was given."""
    if path is None:
        return None
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"--impact {path}: cannot be read ({exc.strerror}); give the JSON file of the impact"
        ) from None
    return impact_from_json(raw, f"--impact {path}")


def reviewed_modules(paths: Sequence[Path], base_ref: str) -> list[ReviewedModule]:
    """Each module file as it is now (None when the PR deletes it) and at `base_ref` (None when it is new)."""
    if not paths:
        raise ConfigError("no module files given; give the module files the PR changes (deleted ones too)")
    folder = paths[0].absolute().parent
    while not folder.is_dir():  # the PR may delete a whole folder
        folder = folder.parent
    resolve_base(base_ref, folder)
    modules = []
    for path in paths:
        base = read_base_version(path, base_ref)
        head = None
        if path.exists():
            try:
                head = load_module(path).data
            except ModuleLoadError as exc:
                raise ConfigError(f"{exc.problem}; run `python -m pipeline validate` for the whole list") from None
        elif base is None:
            raise ConfigError(f"{path}: no such file, here or at {base_ref}; give the module files the PR changes")
        document = head if head is not None else base or {}
        modules.append(ReviewedModule(str(document.get("module_id", path.stem)), base, head))
    return modules


def review_pull_request(
    paths: Sequence[Path],
    settings: Settings,
    *,
    base_ref: str,
    pr_number: int | None = None,
    head_sha: str | None = None,
    impact_path: Path | None = None,
    preview_url: str | None = None,
    impact_failed: bool = False,
) -> ReviewResult:
    """Render the review comment; with `pr_number`, create or update it on that PR (and set the impact label)."""
    impact = read_impact(impact_path)
    modules = reviewed_modules(paths, base_ref)
    body = render_review_comment(
        modules,
        impact,
        asset_url=head_asset_url(settings, head_sha),
        preview_url=preview_url,
        impact_failed=impact_failed,
    )
    if pr_number is None:
        return ReviewResult(body, None)
    return ReviewResult(
        body,
        post_review_comment(settings, pr_number, body, flag=None if impact_failed else needs_second_review(impact)),
    )
