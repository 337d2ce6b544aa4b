"""References in git mode: what each subject's references resolve to in the working tree and at the ref.

A reference pinned at `version: N` resolves to the referenced subject's Nth distinct content in git
history (as history.py numbers versions), whatever its file holds now; the working tree's pin may
also name the next version, the referenced file as it is now. An unpinned reference resolves to the
referenced file itself. At the ref, references resolve with subjects.yml as it was there.
"""

from __future__ import annotations

from governance.errors import GovernanceError
from governance.gate.history import Repo, _git, blob_id
from governance.gate.parse import resolved_references
from governance.workspace import (
    SUBJECTS_FILE,
    InputError,
    Reference,
    SubjectConfig,
    Workspace,
    imported_references,
    parse_subjects_file,
)


class GitReferences:
    def __init__(self, repo: Repo, commit: str, ref: str, workspace: Workspace, files: dict[str, tuple[str, str]]) -> None:
        """`files`: subject -> (schema type, blob id) at the ref (Repo.files_at)."""
        self.repo, self.commit, self.ref, self.workspace = repo, commit, ref, workspace
        self.at_ref = at_ref = {s: blob for s, (_, blob) in files.items()}
        types = {s: t for s, (t, _) in files.items()}
        config = self._config_at_ref()
        # The files at the ref say what they imported there (`import "customer.proto";`).
        imported = imported_references(self._texts_at_ref(), types, config)
        self.at_ref_workspace = Workspace(workspace.root, {}, config, types, imported)
        sides = (workspace, self.at_ref_workspace)
        subjects = {s for w in sides for s in (*w.config, *w.imported)}
        pinned = {r.subject for w in sides for s in subjects for r in w.references(s) if r.version}
        referenced = {r.subject for w in sides for s in subjects for r in w.references(s)}
        self.histories = repo.blob_history(commit, pinned) if pinned else {}
        wanted = {b for blobs in self.histories.values() for b in blobs} | {at_ref[s] for s in referenced if s in at_ref}
        texts = repo.read_blobs(wanted)
        self.ref_texts = {s: texts[at_ref[s]] for s in referenced if s in at_ref}
        self.pinned_texts = {s: [texts[b] for b in blobs] for s, blobs in self.histories.items()}

    def _texts_at_ref(self) -> dict[str, str]:
        texts = self.repo.read_blobs(set(self.at_ref.values()))
        return {s: texts[blob] for s, blob in self.at_ref.items()}

    def _config_at_ref(self) -> dict[str, SubjectConfig]:
        """subjects.yml at the ref; none there, none; one that does not parse there, today's."""
        try:
            text = _git(self.repo.top, "cat-file", "blob", f"{self.commit}:{self.repo.prefix}{SUBJECTS_FILE}").decode("utf-8")
        except (GovernanceError, UnicodeDecodeError):
            return {}
        try:
            return parse_subjects_file(self.workspace.subjects_file, text, set(self.at_ref))
        except InputError:
            return self.workspace.config

    def pinned_now(self, owner: str, ref: Reference) -> str:
        assert ref.version is not None
        versions = self.pinned_texts.get(ref.subject, [])
        if ref.version <= len(versions):
            return versions[ref.version - 1]
        local = self.workspace.texts.get(ref.subject)
        blobs = self.histories.get(ref.subject, [])
        if ref.version == len(versions) + 1 and local is not None and blob_id(local) not in blobs:
            return local
        raise InputError(self.workspace.subjects_file,
                         f"subject {owner!r}: reference {ref.subject!r} version {ref.version} does not exist: git history "
                         f"up to {self.ref} has {len(versions)} version(s) of {self.workspace.path(ref.subject).name}"
                         + (", and the file now would be the next" if local is not None and blob_id(local) not in blobs else ""),
                         self.workspace.config[owner].line or None,
                         hint=f"pin a version from 1 to {len(versions) + (local is not None and blob_id(local) not in blobs)}")

    def pinned_at_ref(self, owner: str, ref: Reference) -> str | None:
        assert ref.version is not None
        versions = self.pinned_texts.get(ref.subject, [])
        return versions[ref.version - 1] if ref.version <= len(versions) else None

    def now(self, subject: str) -> dict[str, tuple[str, str]]:
        return resolved_references(self.workspace, subject, self.workspace.texts, self.pinned_now)

    def then(self, subject: str) -> dict[str, tuple[str, str]]:
        return resolved_references(self.at_ref_workspace, subject, self.ref_texts, self.pinned_at_ref)

    def changes(self, subject: str) -> list[str]:
        """How what the subject references differs from the ref, in words ([] when it does not)."""
        now, then = self.now(subject), self.then(subject)
        pins = {r.subject: r.version for r in self.workspace.references(subject)}
        out = []
        for name, (referenced, text) in sorted(now.items()):
            if then.get(name, ("", None))[1] != text:
                pin = pins.get(referenced)
                out.append(f"the reference to {referenced} is pinned at version {pin}" if pin and
                           self._pin_at_ref(subject, referenced) != pin else f"{self.workspace.path(referenced).name} changed")
        out += [f"the reference {name} was removed" for name in sorted(set(then) - set(now))]
        return out

    def _pin_at_ref(self, subject: str, referenced: str) -> int | None:
        return next((r.version for r in self.at_ref_workspace.references(subject) if r.subject == referenced), None)
