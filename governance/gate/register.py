"""`schemas register`: register every subject whose local schema the registry does not have yet."""

from __future__ import annotations

from dataclasses import dataclass

from governance.gate.findings import GateFinding
from governance.gate.inputs import Workspace
from governance.gate.parse import parse_workspace_subject
from governance.gate.registry_check import incompatibility_findings, request_body
from governance.registry.client import RegistryClient, RegistryClientError, subject_path


@dataclass(frozen=True)
class Action:
    subject: str
    what: str  # "unchanged", "registered", "would register", "refused"
    version: int | None = None
    schema_id: int | None = None


def register_all(workspace: Workspace, url: str, *, dry_run: bool) -> tuple[list[Action], list[GateFinding]]:
    registry = RegistryClient(url)
    parsed = {s: parse_workspace_subject(workspace, s) for s in workspace.texts}
    actions: list[Action] = []
    refused: list[GateFinding] = []
    # References first, so a subject's references exist when it is registered.
    for subject in _dependency_order(workspace):
        body = request_body(registry, workspace, subject)
        path = subject_path(subject)
        try:
            known = registry.call("POST", f"/subjects/{path}", body)
            actions.append(Action(subject, "unchanged", known.get("version"), known.get("id")))
            continue
        except RegistryClientError as e:
            if e.status != 404:
                raise
        try:
            result = registry.call("POST", f"/compatibility/subjects/{path}/versions?verbose=true", body)
        except RegistryClientError as e:
            if e.status != 404:
                raise
            result = {"is_compatible": True}
        if not result.get("is_compatible", True):
            refused += incompatibility_findings(registry, parsed[subject], subject, result)
            actions.append(Action(subject, "refused"))
            continue
        if dry_run:
            actions.append(Action(subject, "would register"))
            continue
        registered = registry.call("POST", f"/subjects/{path}/versions", body)
        version = registry.call("POST", f"/subjects/{path}", body).get("version")
        actions.append(Action(subject, "registered", version, registered.get("id")))
    return actions, refused


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
