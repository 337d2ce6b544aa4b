"""`schemas check --against REF`: each changed subject against its history in git, with our engine."""

from __future__ import annotations

from governance.avro import Level, check_compatibility
from governance.gate.findings import GateFinding, Outcome
from governance.gate.governed import deleted_finding
from governance.gate.history import Repo, blob_id
from governance.gate.inputs import Workspace
from governance.gate.parse import Parsed, parse_workspace_subject, schema_from


def check_against_git(workspace: Workspace, ref: str) -> Outcome:
    repo = Repo.of(workspace.root)
    commit = repo.commit(ref)
    at_ref = repo.blobs_at(commit)
    changed = sorted(s for s, text in workspace.texts.items() if at_ref.get(s) != blob_id(text))
    # Every file parses, changed or not: a broken schema must not hide behind an unchanged blob.
    parsed = {s: parse_workspace_subject(workspace, s) for s in workspace.texts}
    transitive = {s for s in changed if s in at_ref and workspace.level(s).transitive}
    histories = repo.blob_history(commit, transitive) if transitive else {}
    needed = {at_ref[s] for s in changed if s in at_ref} | {b for blobs in histories.values() for b in blobs}
    needed |= {at_ref[r.subject] for s in changed for r in workspace.references(s) if r.subject in at_ref}
    texts = repo.read_blobs(needed)
    old_refs_text = {s: texts[b] for s, b in at_ref.items() if b in texts}

    findings: list[GateFinding] = []
    for subject in changed:
        if subject not in at_ref:
            continue  # a new subject has nothing to break
        level = workspace.level(subject)
        blobs = histories.get(subject) or [at_ref[subject]]
        if at_ref[subject] not in blobs:
            blobs = [*blobs, at_ref[subject]]
        previous = []
        for version, blob in enumerate(blobs, start=1):
            old = schema_from(texts[blob], workspace, subject, old_refs_text)
            if old is not None:
                previous.append((version, old))
        findings += located(parsed[subject], check_compatibility(parsed[subject].schema, previous, level), level)

    for subject in sorted(set(at_ref) - set(workspace.texts)):
        if not workspace.allows_delete(subject):
            findings.append(deleted_finding(workspace, subject))
    return Outcome(findings, len(workspace.texts), len(changed) + len(set(at_ref) - set(workspace.texts)), f"git {ref}")


def located(parsed: Parsed, engine_findings: list, level: Level) -> list[GateFinding]:
    return [
        GateFinding(str(parsed.path), parsed.subject, level.value, f.version, f.type, f.field_path, f.location,
                    parsed.positions.field_line(f.field_path), f.message, f.direction)
        for f in engine_findings
    ]
