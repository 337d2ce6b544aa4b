"""One subject against the registry, at the level (and for JSON Schema the compatibility policy) subjects.yml
declares.

When the registry enforces that level and policy and has every reference the local file uses, the registry's
own compatibility endpoint decides (its verdict, its messages). Otherwise the registry cannot give
the declared level's verdict (its endpoint checks at its own level and policy, and cannot see a reference that
is only a local file), so the gate's engine checks the local file against the registry's versions, each
parsed with the references it was registered with: the same engine, level and policy as git mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from governance.formats import DEFAULT_TYPE, Level
from governance.gate.findings import GateFinding, GateWarning, type_changed
from governance.gate.parse import Parsed, engine_findings, parse_all
from governance.gate.registry_view import RegistryView
from governance.registry.client import RegistryClientError, subject_path
from governance.workspace import InputError, Reference, Workspace


@dataclass
class Verdict:
    findings: list[GateFinding] = field(default_factory=list)
    warnings: list[GateWarning] = field(default_factory=list)


def parse_locals(view: RegistryView, workspace: Workspace) -> dict[str, Parsed]:
    """The local files with their references: the local files, or for a pinned version the registry's."""
    return parse_all(workspace, lambda owner, ref: pinned_text(view, workspace, owner, ref))


def pinned_text(view: RegistryView, workspace: Workspace, owner: str, ref: Reference) -> str:
    """Version `ref.version` of the referenced subject: the registry's, or the local file when that is the
    version registering it would create."""
    assert ref.version is not None
    answer = view.version(ref.subject, ref.version)
    if answer is not None:
        return str(answer["schema"])
    versions = view.versions(ref.subject)
    if ref.version == max(versions, default=0) + 1 and ref.subject in workspace.texts:
        return workspace.texts[ref.subject]
    have = f"versions {', '.join(map(str, versions))}" if versions else "no versions"
    raise InputError(workspace.subjects_file, f"subject {owner!r}: reference {ref.subject!r} version {ref.version} does "
                     f"not exist: the registry has {have} of it", workspace.config[owner].line or None,
                     hint="pin a registered version, or the next one (the local file, once registered)")


def registry_references(view: RegistryView, workspace: Workspace, subject: str,
                        seen: frozenset[str] = frozenset()) -> list[dict[str, Any]] | None:
    """The subject's references as registered versions, for a request to the registry; None when one
    of them (or one of theirs) is only a local file the registry does not have."""
    out = []
    for ref in workspace.references(subject):
        if ref.version is not None:
            if view.version(ref.subject, ref.version) is None:
                return None
            out.append({"name": ref.name, "subject": ref.subject, "version": ref.version})
            continue
        if ref.subject in seen or ref.subject not in workspace.texts:
            return None
        body = request_body(view, workspace, ref.subject, seen | {subject})
        known = view.lookup(ref.subject, body) if body is not None else None
        if known is None:
            return None
        out.append({"name": ref.name, "subject": ref.subject, "version": known["version"]})
    return out


def request_body(view: RegistryView, workspace: Workspace, subject: str,
                 seen: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    refs = registry_references(view, workspace, subject, seen)
    if refs is None:
        return None
    schema_type = workspace.schema_type(subject)
    return {"schema": workspace.texts[subject], **({"schemaType": schema_type} if schema_type != DEFAULT_TYPE else {}),
            **({"references": refs} if refs else {})}


def judge(view: RegistryView, workspace: Workspace, local: Parsed) -> Verdict:
    """Findings for a registered subject's local file at its declared level, and a warning when the
    registry enforces another level."""
    from governance.gate.registry_check import incompatibility_findings

    subject, declared = local.subject, workspace.level(local.subject)
    effective = view.effective_level(subject)
    verdict = Verdict()
    if effective != declared.value:
        verdict.warnings.append(level_warning(workspace, local, effective))
    policy = workspace.policy(subject) if local.format.schema_type == "JSON" else None
    effective_policy = view.effective_policy(subject) if policy is not None else None
    if effective_policy != policy:
        verdict.warnings.append(policy_warning(workspace, local, str(effective_policy)))
    same = effective == declared.value and effective_policy == policy
    body = request_body(view, workspace, subject) if same else None
    if body is not None:
        try:
            result = view.registry.call("POST", f"/compatibility/subjects/{subject_path(subject)}/versions?verbose=true", body)
        except RegistryClientError as e:
            if e.status == 404:
                return verdict
            raise
        if not result.get("is_compatible", True):
            verdict.findings = (_each_version(view, local, body) if declared.transitive
                                else incompatibility_findings(view.registry, local, subject, result))
        return verdict
    previous = view.previous(subject, declared.transitive, local.format)
    verdict.findings = engine_findings(local, previous, declared, policy)
    latest = view.version(subject, view.versions(subject)[-1]) if view.versions(subject) else None
    old_type = (latest or {}).get("schemaType", DEFAULT_TYPE)
    if latest is not None and old_type != local.format.schema_type and declared != Level.NONE:
        verdict.findings.append(type_changed(workspace, subject, view.versions(subject)[-1], old_type))
    return verdict


def _each_version(view: RegistryView, local: Parsed, body: dict[str, Any]) -> list[GateFinding]:
    """A transitive level's findings against every version they break, as git mode gives them: a registry
    (Confluent's, and ours like it) stops at the newest version that fails, so each is asked on its own."""
    from governance.gate.registry_check import incompatibility_findings

    path, findings = subject_path(local.subject), []
    for version in view.versions(local.subject):
        result = view.registry.call("POST", f"/compatibility/subjects/{path}/versions/{version}?verbose=true", body)
        if not result.get("is_compatible", True):
            findings += incompatibility_findings(view.registry, local, local.subject, result)
    return findings


def level_warning(workspace: Workspace, local: Parsed, effective: str) -> GateWarning:
    subject, level = local.subject, workspace.level(local.subject).value
    judged = f"the gate judged it at {level}, with its own engine against the registry's versions"
    if effective == "unknown":
        message = f"the registry would not say which level it checks {subject} at; {judged}"
    elif workspace.declared_level(subject) is None:
        message = (f"the registry checks {subject} at {effective}, but {workspace.subjects_file} declares no level "
                   f"for it, so {judged} (as git mode does); declare `compatibility: {effective}` for it there if "
                   "that is the level you mean")
    else:
        message = (f"the registry checks {subject} at {effective}, but {workspace.subjects_file} declares {level}: "
                   f"{judged}; `governance schemas register` sets the declared level in the registry")
    return GateWarning(str(local.path), subject, message)


def policy_warning(workspace: Workspace, local: Parsed, effective: str) -> GateWarning:
    """As `level_warning`, for a JSON Schema subject's compatibility policy."""
    subject, policy = local.subject, workspace.policy(local.subject)
    engine = "with its own engine against the registry's versions"
    if effective == "unknown":
        message = (f"the registry would not say which compatibility policy it checks {subject} under; the gate judged "
                   f"it under {policy}, {engine}")
    elif workspace.declared_policy(subject) is None:
        message = (f"the registry checks {subject} under the compatibility policy {effective}, but "
                   f"{workspace.subjects_file} declares none for it, so the gate judged it under Confluent's default, "
                   f"{policy}, {engine} (as git mode does); declare `compatibility_policy: {effective}` for it there "
                   "if that is the policy you mean")
    else:
        message = (f"the registry checks {subject} under the compatibility policy {effective}, but "
                   f"{workspace.subjects_file} declares {policy}: the gate judged it under {policy}, {engine}; "
                   "`governance schemas register` sets the declared policy in the registry")
    return GateWarning(str(local.path), subject, message)
