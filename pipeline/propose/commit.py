"""One commit per module on its branch, through the Git Data API (blobs, a tree on main, a commit, the ref): no
checkout, no push; and main as the run found it."""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from github import GithubException, InputGitTreeElement

from pipeline.github.client import git_blob_sha, git_tree_sha, github_errors, is_already_exists
from pipeline.propose.pr_body import pr_title
from pipeline.settings import Settings

if TYPE_CHECKING:
    from github.GitCommit import GitCommit
    from github.GitTree import GitTree
    from github.Repository import Repository

log = logging.getLogger(__name__)


BLOB_MODE = "100644"


@dataclass(frozen=True)
class MainSnapshot:
    """`main` at the start of the run: its head commit, its tree and every file's blob sha."""

    commit: GitCommit
    tree: GitTree
    files: dict[str, tuple[str, str]]  # path -> (mode, sha); blobs and submodules, not sub-trees
    open_heads: frozenset[str]  # head branches of the PRs open against it


def read_main(repo: Repository, settings: Settings, base: str = "main") -> MainSnapshot:
    """Fetch `base`'s head commit and its whole file list (one recursive tree request)."""
    with github_errors(settings, f"read branch {base}", repo.full_name):
        head = repo.get_git_ref(f"heads/{base}").object.sha
        commit = repo.get_git_commit(head)
        tree = repo.get_git_tree(commit.tree.sha, recursive=True)
        open_heads = frozenset(pr.head.ref for pr in repo.get_pulls(state="open", base=base))
    if tree.raw_data.get("truncated"):
        # GitHub lists at most 100,000 entries: files beyond would look new and be re-committed needlessly
        log.warning(
            "%s: GitHub truncated the file list of %s; propose may commit unchanged assets", repo.full_name, base
        )
    files = {e.path: (e.mode, e.sha) for e in tree.tree if e.type != "tree"}
    return MainSnapshot(commit, tree, files, open_heads)


def commit_to_branch(
    repo: Repository,
    settings: Settings,
    main: MainSnapshot,
    branch: str,
    files: dict[str, bytes],
    changes: dict[str, bytes],
    data: Mapping[str, Any],
    reason: str | None,
    subject: str,
) -> tuple[str, bool]:
    """Point `branch` at one commit on main holding `changes`; (head sha, whether a new commit was made)."""
    with github_errors(settings, "read the branch", subject):
        ref = _find_ref(repo, branch)
        if ref is not None and _branch_is_current(repo, ref.object.sha, files, changes, main):
            return ref.object.sha, False  # already proposed: no second commit
    with github_errors(settings, "create the commit", subject):
        elements = [
            InputGitTreeElement(
                p, BLOB_MODE, "blob", sha=repo.create_git_blob(base64.b64encode(b).decode(), "base64").sha
            )
            for p, b in sorted(changes.items())
        ]
        tree = repo.create_git_tree(elements, base_tree=main.tree)
        message = f"{pr_title(data)}\n\n{reason or 'Exported from Notion by the FRAMES module pipeline.'}\n"
        commit = repo.create_git_commit(message, tree, [main.commit])
    with github_errors(settings, "move the branch to the new commit", subject):
        if ref is None:
            try:
                repo.create_git_ref(f"refs/heads/{branch}", commit.sha)
                return commit.sha, True
            except GithubException as exc:
                if not is_already_exists(exc):  # a retried POST that had succeeded, or a parallel run
                    raise
                ref = repo.get_git_ref(f"heads/{branch}")
        ref.edit(commit.sha, force=True)
    return commit.sha, True


def _branch_is_current(
    repo: Repository, head_sha: str, files: dict[str, bytes], changes: dict[str, bytes], main: MainSnapshot
) -> bool:
    """True when the branch already proposes exactly these files and main has not touched them since.

    Main moving on (another module merged) is no reason for a new commit: that would dismiss reviews and restart
    checks on every open module PR after each merge.
    """
    head = repo.get_git_commit(head_sha)
    wanted = {p: (BLOB_MODE, git_blob_sha(b)) for p, b in files.items()}
    if len(head.parents) != 1:
        return False
    if head.parents[0].sha == main.commit.sha:  # the common case: built on today's main
        return head.tree.sha == git_tree_sha({**main.files, **{p: wanted[p] for p in changes}})
    branch_files = _tree_files(repo, head.tree.sha)
    base_files = _tree_files(repo, repo.get_git_commit(head.parents[0].sha).tree.sha)
    on_branch = {p for p in branch_files.keys() | base_files.keys() if branch_files.get(p) != base_files.get(p)}
    return (
        on_branch <= wanted.keys()
        and all(branch_files.get(p) == wanted[p] for p in wanted)
        and all(main.files.get(p) == base_files.get(p) for p in wanted)
    )


def _tree_files(repo: Repository, tree_sha: str) -> dict[str, tuple[str, str]]:
    return {e.path: (e.mode, e.sha) for e in repo.get_git_tree(tree_sha, recursive=True).tree if e.type != "tree"}


def _find_ref(repo: Repository, branch: str):  # -> GitRef | None
    try:
        return repo.get_git_ref(f"heads/{branch}")
    except GithubException as exc:
        if exc.status == 404:
            return None
        raise
