"""`schemas register`: set each subject's declared level, then register every subject whose local
schema the registry does not have yet."""

from __future__ import annotations

from dataclasses import dataclass

from governance.gate.findings import GateFinding
from governance.workspace import Workspace
from governance.gate.registry_judge import judge, parse_locals, request_body
from governance.gate.registry_view import RegistryView
from governance.registry.client import RegistryClient


@dataclass(frozen=True)
class Action:
    subject: str
    what: str  # "level set", "would set level", "policy set", "would set policy", "unchanged", "registered",
    # "would register", "refused", "skipped"
    version: int | None = None
    schema_id: int | None = None
    note: str = ""


def register_all(workspace: Workspace, url: str, *, dry_run: bool) -> tuple[list[Action], list[GateFinding]]:
    view = RegistryView(RegistryClient(url))
    parsed = parse_locals(view, workspace)
    actions: list[Action] = []
    refused: list[GateFinding] = []
    # References first, so a subject's references exist when it is registered.
    for subject in _dependency_order(workspace):
        actions += _declared_level(view, workspace, subject, dry_run)
        actions += _declared_policy(view, workspace, subject, dry_run)
        body = request_body(view, workspace, subject)
        known = view.lookup(subject, body) if body is not None else None
        if known is not None:
            actions.append(Action(subject, "unchanged", known.get("version"), known.get("id")))
            continue
        findings = judge(view, workspace, parsed[subject]).findings if view.versions(subject) else []
        if findings:
            refused += findings
            actions.append(Action(subject, "refused"))
        elif dry_run:
            actions.append(Action(subject, "would register"))
        elif body is None:
            actions.append(Action(subject, "skipped", note=" (a subject it references is not registered)"))
        else:
            registered = view.registered(subject, body)
            version = (view.lookup(subject, body) or {}).get("version")
            actions.append(Action(subject, "registered", version, registered.get("id")))
    return actions, refused


def _declared_level(view: RegistryView, workspace: Workspace, subject: str, dry_run: bool) -> list[Action]:
    """Set the level subjects.yml declares on the subject (a subject that declares none keeps the
    registry's global level)."""
    declared = workspace.declared_level(subject)
    if declared is None:
        return []
    current = view.subject_level(subject)
    if current == declared.value:
        return []
    before = current or f"inherited: the registry's global {view.effective_level(subject)}"
    if dry_run:
        return [Action(subject, "would set level", note=f" {declared.value} (now {before})")]
    view.set_level(subject, declared.value)
    return [Action(subject, "level set", note=f" {declared.value} (was {before})")]


def _declared_policy(view: RegistryView, workspace: Workspace, subject: str, dry_run: bool) -> list[Action]:
    """Set the compatibility policy subjects.yml declares on a JSON Schema subject, as its level is set."""
    declared = workspace.declared_policy(subject)
    if declared is None:
        return []
    current = view.subject_policy(subject)
    if current == declared:
        return []
    before = current or f"inherited: {view.effective_policy(subject)}"
    if dry_run:
        return [Action(subject, "would set policy", note=f" {declared} (now {before})")]
    view.set_policy(subject, declared)
    return [Action(subject, "policy set", note=f" {declared} (was {before})")]


def _dependency_order(workspace: Workspace) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()

    def visit(subject: str) -> None:
        if subject in seen or subject not in workspace.texts:
            return
        seen.add(subject)
        for ref in workspace.references(subject):
            visit(ref.subject)
        order.append(subject)

    for subject in sorted(workspace.texts):
        visit(subject)
    return order
