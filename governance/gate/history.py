"""Schema history from git: each subject's versions at a ref, with one git process per batch.

A subject's versions are the distinct contents its file had in the commits
reachable from the ref, oldest first and numbered from 1, as a registry would
number them had each commit been registered.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from governance.errors import GovernanceError
from governance.formats import suffixes


@dataclass(frozen=True)
class Repo:
    """A schemas folder inside a git work tree."""

    top: Path
    prefix: str  # the schemas folder relative to `top`, with a trailing slash ("" at the top)

    @classmethod
    def of(cls, folder: Path) -> Repo:
        out = _git(folder, "rev-parse", "--show-toplevel", "--show-prefix", what="find the git repository")
        top, _, prefix = out.decode().partition("\n")
        return cls(Path(top.strip()), prefix.strip())

    def commit(self, ref: str) -> str:
        try:
            return _git(self.top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").decode().strip()
        except GovernanceError:
            raise GovernanceError(f"git ref {ref!r} does not exist in {self.top}",
                                  hint="fetch it first (CI checkouts are often shallow: `git fetch origin main`, or `fetch-depth: 0`)") from None

    def files_at(self, commit: str) -> dict[str, tuple[str, str]]:
        """subject -> (schema type, blob id) of schemas/<subject>.<suffix> at `commit`, for each schema format's suffix."""
        out = _git(self.top, "ls-tree", "-z", "--full-tree", commit, "--", self.prefix or ".")
        files = {}
        for entry in out.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.decode().partition("\t")
            found = subject_of(path[len(self.prefix):])
            if meta.split()[1] == "blob" and found is not None:
                files[found[0]] = (found[1], meta.split()[2])
        return files

    def blob_history(self, commit: str, subjects: set[str]) -> dict[str, list[str]]:
        """subject -> blob ids of every distinct content its file had, oldest first, in history reachable from `commit`."""
        paths = [f"{self.prefix}{s}{suffix}" for s in sorted(subjects) for suffix in suffixes()]
        out = _git(self.top, "log", "--reverse", "--raw", "--no-abbrev", "--no-renames", "-m", "--first-parent",
                   "--format=", "-z", commit, "--", *paths)
        history: dict[str, list[str]] = {s: [] for s in subjects}
        fields = out.split(b"\0")
        i = 0
        while i < len(fields):
            meta = fields[i].decode().strip()
            if not meta.startswith(":"):
                i += 1
                continue
            path = fields[i + 1].decode()
            i += 2
            new_blob = meta.split()[3]
            subject = (subject_of(path[len(self.prefix):]) or ("", ""))[0]
            if subject in history and set(new_blob) != {"0"} and new_blob not in history[subject]:
                history[subject].append(new_blob)
        return history

    def shallow_cut(self, commit: str) -> str | None:
        """The commit where a shallow clone's history of `commit` stops (its parents were never fetched),
        or None when that history goes back to the first commit."""
        if _git(self.top, "rev-parse", "--is-shallow-repository").decode().strip() != "true":
            return None
        shallow = self.top / _git(self.top, "rev-parse", "--git-path", "shallow").decode().strip()
        cut = set(shallow.read_text().split()) if shallow.exists() else set()
        roots = _git(self.top, "rev-list", "--first-parent", "--max-parents=0", commit).decode().split()
        return next((root for root in roots if root in cut), None)

    def read_blobs(self, blob_ids: set[str]) -> dict[str, str]:
        """Blob id -> text, through one `git cat-file --batch`."""
        if not blob_ids:
            return {}
        ids = sorted(blob_ids)
        proc = subprocess.run(["git", "cat-file", "--batch"], cwd=self.top, input="\n".join(ids).encode() + b"\n",
                              capture_output=True, check=False)
        if proc.returncode != 0:
            raise GovernanceError(f"git cat-file failed: {proc.stderr.decode().strip()}")
        data, pos, texts = proc.stdout, 0, {}
        for blob in ids:
            end = data.index(b"\n", pos)
            header = data[pos:end].split()
            size = int(header[2])
            texts[blob] = data[end + 1:end + 1 + size].decode("utf-8", errors="replace")
            pos = end + 1 + size + 1
        return texts


def subject_of(name: str) -> tuple[str, str] | None:
    """(subject, schema type) of a file name in the schemas folder (`orders-value.proto`); None for other files."""
    if "/" in name:
        return None
    stem, dot, suffix = name.rpartition(".")
    schema_type = suffixes().get(dot + suffix) if stem else None
    return (stem, schema_type) if schema_type else None


def blob_id(text: str) -> str:
    """The id git gives a file with this content, so unchanged files need no git call."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _git(cwd: Path, *args: str, what: str | None = None) -> bytes:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise GovernanceError("git is not installed", hint="install git, or use --registry URL instead of --against") from None
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip() or f"git {args[0]} exited {proc.returncode}"
        raise GovernanceError(f"cannot {what or 'run git ' + args[0]}: {reason}")
    return proc.stdout
