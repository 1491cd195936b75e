"""In-memory git object store for the fake GitHub: blobs, trees and commits hashed exactly like git."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

BLOB_MODE = "100644"
TREE_MODE = "040000"


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a tree object (a file or a sub-tree)."""

    name: str
    mode: str
    type: str  # "blob" | "tree"
    sha: str


@dataclass(frozen=True)
class Commit:
    """A commit object with the fields the REST API shows."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: dict
    committer: dict


def _hash(kind: str, payload: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(payload)}\0".encode() + payload).hexdigest()


def _tree_sort_key(entry: TreeEntry) -> bytes:
    # git sorts sub-trees as if their name ended with "/"
    return (entry.name + ("/" if entry.type == "tree" else "")).encode()


@dataclass
class GitStore:
    """Objects by sha and refs by name, as one repository holds them."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, tuple[TreeEntry, ...]] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # "refs/heads/main" -> commit sha

    def put_blob(self, data: bytes) -> str:
        sha = _hash("blob", data)
        self.blobs[sha] = data
        return sha

    def put_tree(self, entries: list[TreeEntry]) -> str:
        ordered = tuple(sorted(entries, key=_tree_sort_key))
        payload = b"".join(f"{e.mode.lstrip('0')} {e.name}\0".encode() + bytes.fromhex(e.sha) for e in ordered)
        sha = _hash("tree", payload)
        self.trees[sha] = ordered
        return sha

    def put_commit(self, tree: str, parents: list[str], message: str, author: dict, committer: dict) -> str:
        lines = [
            f"tree {tree}",
            *(f"parent {p}" for p in parents),
            f"author {author['name']} <{author['email']}> {author['date']}",
            f"committer {committer['name']} <{committer['email']}> {committer['date']}",
            "",
            message,
        ]
        sha = _hash("commit", "\n".join(lines).encode())
        self.commits[sha] = Commit(sha, tree, tuple(parents), message, author, committer)
        return sha

    def has(self, sha: str) -> bool:
        return sha in self.blobs or sha in self.trees or sha in self.commits

    def flatten(self, tree_sha: str, prefix: str = "") -> dict[str, TreeEntry]:
        """Every blob under `tree_sha`, by full path."""
        files: dict[str, TreeEntry] = {}
        for entry in self.trees[tree_sha]:
            path = f"{prefix}{entry.name}"
            if entry.type == "tree":
                files.update(self.flatten(entry.sha, path + "/"))
            else:
                files[path] = entry
        return files

    def build_tree(self, files: dict[str, TreeEntry]) -> str:
        """A nested tree from full paths (the inverse of flatten); returns the root tree sha."""
        here: list[TreeEntry] = []
        children: dict[str, dict[str, TreeEntry]] = {}
        for path, entry in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                children.setdefault(head, {})[rest] = entry
            else:
                here.append(TreeEntry(head, entry.mode, entry.type, entry.sha))
        for name, sub in children.items():
            here.append(TreeEntry(name, TREE_MODE, "tree", self.build_tree(sub)))
        return self.put_tree(here)

    def file_at(self, commit_sha: str, path: str) -> bytes | None:
        """The bytes of `path` in a commit, or None."""
        entry = self.flatten(self.commits[commit_sha].tree).get(path)
        return self.blobs[entry.sha] if entry else None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        stack, seen = [descendant], set()
        while stack:
            sha = stack.pop()
            if sha == ancestor:
                return True
            if sha in seen or sha not in self.commits:
                continue
            seen.add(sha)
            stack.extend(self.commits[sha].parents)
        return False

    def seed_directory(self, root: Path, prefix: str, message: str, signature: dict) -> str:
        """A root commit holding the files under `root` at `prefix` (e.g. "data/"); returns its sha."""
        files = {
            prefix + path.relative_to(root).as_posix(): TreeEntry(
                "", BLOB_MODE, "blob", self.put_blob(path.read_bytes())
            )
            for path in sorted(root.rglob("*"))
            if path.is_file()
        }
        return self.put_commit(self.build_tree(files), [], message, signature, signature)
