"""Deleted subjects: which registered subjects this schemas folder governs, and the finding for one
whose schema file is gone.

In registry mode a subject counts as the folder's when its schema file (schemas/<subject>.avsc, .proto or .json)
was ever committed in the history reachable from HEAD (or subjects.yml names it): the registry holds every team's
subjects, and only the folder's own history tells a deleted file from a subject it never had.
"""

from __future__ import annotations

from collections.abc import Iterable

from governance.errors import GovernanceError
from governance.gate.findings import SUBJECT_DELETED, GateFinding, GateWarning
from governance.workspace import Workspace


def deleted_finding(workspace: Workspace, subject: str, schema_type: str | None) -> GateFinding:
    """`schema_type`: the deleted file's (its suffix names the file); None when unknown (.avsc)."""
    from governance.formats import format_for

    return GateFinding(
        str(workspace.root / f"{subject}{format_for(schema_type).suffixes[0]}"), subject,
        workspace.level(subject).value, None, SUBJECT_DELETED, "", "", 1,
        f"subject {subject} was deleted, so its consumers lose their schema; "
        f"say `allow_delete: true` for it in subjects.yml if that is intended")


def committed_subjects(workspace: Workspace) -> tuple[dict[str, str], bool] | None:
    """Subjects whose schema file was ever added in the schemas folder's git history up to HEAD (each with
    the schema type of its latest file), and whether that history is cut short (a shallow clone); None
    outside git."""
    from governance.gate.history import Repo, _git, subject_of

    try:
        repo = Repo.of(workspace.root)
    except GovernanceError:
        return None
    shallow = _git(repo.top, "rev-parse", "--is-shallow-repository").strip() == b"true"
    try:
        out = _git(repo.top, "log", "--format=", "--name-only", "--no-renames", "--diff-filter=A", "-z", "HEAD",
                   "--", repo.prefix or ".")
    except GovernanceError:
        return {}, shallow  # no commits yet: the folder has no history
    names = (path[len(repo.prefix):] for path in out.decode(errors="replace").replace("\n", "\0").split("\0"))
    committed: dict[str, str] = {}
    for name in names:  # newest first
        if found := subject_of(name):
            committed.setdefault(*found)
    return committed, shallow


def deleted_in_registry(workspace: Workspace, registered: Iterable[str]) -> tuple[list[GateFinding], list[GateWarning]]:
    """SUBJECT_DELETED for each registered subject the folder governs whose schema file is gone."""
    missing = sorted(set(registered) - set(workspace.texts))
    history = committed_subjects(workspace)
    committed, shallow = history if history is not None else ({}, False)
    warnings = []
    if missing and history is None:
        warnings.append(GateWarning(str(workspace.root), "", (
            f"{workspace.root} is not in a git work tree, so a deleted schema file cannot be told from a "
            "registry subject this folder never had: deleted subjects are not checked (run the check in a "
            "clone of the repository)")))
    elif missing and shallow:
        warnings.append(GateWarning(str(workspace.root), "", (
            "this clone is shallow, so a schema file deleted before its oldest commit cannot be told from a registry "
            "subject this folder never had: such deletions are not checked (fetch the history: `fetch-depth: 0` "
            "with actions/checkout, or `git fetch --unshallow`)")))
    governed = set(committed) | set(workspace.config)
    findings = [deleted_finding(workspace, s, committed.get(s)) for s in missing
                if s in governed and not workspace.allows_delete(s)]
    return findings, warnings
