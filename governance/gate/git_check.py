"""`schemas check --against REF`: each changed subject against its history in git, with our engine."""

from __future__ import annotations

from dataclasses import replace

from governance.errors import GovernanceError
from governance.formats import Level
from governance.gate.findings import GateFinding, Outcome, type_changed
from governance.gate.git_refs import GitReferences
from governance.gate.governed import deleted_finding
from governance.gate.history import Repo, blob_id
from governance.workspace import Workspace
from governance.gate.parse import engine_findings, parse_all, schema_from


def check_against_git(workspace: Workspace, ref: str) -> Outcome:
    repo = Repo.of(workspace.root)
    commit = repo.commit(ref)
    files = repo.files_at(commit)
    refs = GitReferences(repo, commit, ref, workspace, files)
    at_ref = refs.at_ref
    # Every file parses, changed or not: a broken schema must not hide behind an unchanged blob.
    parsed = parse_all(workspace, refs.pinned_now)
    # A subject changes with its file, or with what it references (a referenced file, a pin).
    reasons = {s: refs.changes(s) for s in workspace.texts if s in at_ref and at_ref[s] == blob_id(workspace.texts[s])}
    changed = sorted(s for s, text in workspace.texts.items() if at_ref.get(s) != blob_id(text) or reasons.get(s))
    transitive = {s for s in changed if s in at_ref and workspace.level(s).transitive}
    if transitive:
        require_full_history(repo, commit, ref, workspace, transitive)
    # One git log numbers every changed subject's versions as a registry would, so that a finding names the
    # version the ref holds (the 3rd, not "1"); only transitive levels read the older texts.
    histories = repo.blob_history(commit, {s for s in changed if s in at_ref}) if changed else {}
    needed = {at_ref[s] for s in changed if s in at_ref} | {b for s in transitive for b in histories.get(s, [])}
    texts = repo.read_blobs(needed)

    findings: list[GateFinding] = []
    for subject in changed:
        if subject not in at_ref:
            continue  # a new subject has nothing to break
        level = workspace.level(subject)
        blobs = histories.get(subject) or [at_ref[subject]]
        if at_ref[subject] not in blobs:
            blobs = [*blobs, at_ref[subject]]
        old_type = refs.at_ref_workspace.schema_type(subject)
        if old_type != workspace.schema_type(subject):
            if level != Level.NONE:
                findings.append(type_changed(workspace, subject, blobs.index(at_ref[subject]) + 1, old_type))
            continue
        numbered = list(enumerate(blobs, start=1))
        if not level.transitive:
            numbered = [(blobs.index(at_ref[subject]) + 1, at_ref[subject])]
        previous = []
        for version, blob in numbered:
            old = schema_from(texts[blob], refs.at_ref_workspace, subject, refs.ref_texts, refs.pinned_at_ref)
            if old is not None:
                previous.append((version, old))
        found = engine_findings(parsed[subject], previous, level, workspace.policy(subject))
        if reasons.get(subject):
            because = f" (from a change to what {subject} references: {'; '.join(reasons[subject])})"
            found = [replace(f, message=f.message + because) for f in found]
        findings += found

    for subject in sorted(set(at_ref) - set(workspace.texts)):
        if not workspace.allows_delete(subject):
            findings.append(deleted_finding(workspace, subject, refs.at_ref_workspace.schema_type(subject)))
    return Outcome(findings, len(workspace.texts), len(changed) + len(set(at_ref) - set(workspace.texts)), f"git {ref}")


def require_full_history(repo: Repo, commit: str, ref: str, workspace: Workspace, subjects: set[str]) -> None:
    """A *_TRANSITIVE level checks every earlier version: refuse, rather than pass, when a shallow clone lacks some."""
    cut = repo.shallow_cut(commit)
    if cut is None:
        return
    names = ", ".join(f"{s} ({workspace.level(s).value})" for s in sorted(subjects))
    raise GovernanceError(
        f"this clone is shallow: the history of {ref} stops at commit {cut[:12]}, so {names} cannot be checked "
        f"against every earlier version as a transitive level requires",
        hint="fetch the whole history: `fetch-depth: 0` under `with:` of actions/checkout, "
             "or run `git fetch --unshallow` before the check")
