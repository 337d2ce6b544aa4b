"""`schemas diff`: the two versions of a subject to compare, from the registry, git or the local file.

The comparison itself is the subject's schema format's (`governance.formats`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def structural_diff(old_text: str, new_text: str, references: Mapping[str, str] | None = None,
                    schema_type: str | None = None) -> list[str]:
    """The format's field-by-field diff; `InvalidSchemaError` when a version is not a valid schema."""
    from governance.formats import format_for

    return format_for(schema_type).diff(old_text, new_text, references)


def registry_references(url: str, subject: str, versions: Iterable[str]) -> dict[str, str]:
    """Reference name -> schema text for what these registered versions use, read from the registry."""
    from governance.registry.client import RegistryClient, references_of

    return references_of(RegistryClient(url), subject, versions)


def versions_from_registry(url: str, subject: str) -> dict[str, str]:
    """"1", "2", ... -> schema text of each live registered version."""
    from governance.registry.client import RegistryClient, RegistryClientError, subject_path

    registry = RegistryClient(url)
    try:
        numbers = registry.call("GET", f"/subjects/{subject_path(subject)}/versions")
    except RegistryClientError as e:
        if e.status == 404:
            return {}
        raise
    return {str(n): registry.call("GET", f"/subjects/{subject_path(subject)}/versions/{n}")["schema"] for n in numbers}


def versions_from_git(folder: Any, subject: str, ref: str) -> dict[str, str]:
    """"1", "2", ... -> each distinct content schemas/<subject>.avsc had in history reachable from `ref`."""
    from governance.gate.history import Repo

    repo = Repo.of(folder)
    blobs = repo.blob_history(repo.commit(ref), {subject})[subject]
    texts = repo.read_blobs(set(blobs))
    return {str(i): texts[b] for i, b in enumerate(blobs, start=1)}


def pick(versions: dict[str, str], local: str | None, wanted: str | None, default: str) -> tuple[str, str]:
    """The (label, text) of version `wanted`: a number, "latest" or "local"."""
    from governance.errors import GovernanceError

    choice = (wanted or default).lower()
    if choice == "latest":
        if not versions:
            raise GovernanceError("the subject has no versions to compare with")
        choice = max(versions, key=int)
    if choice == "local":
        if local is None:
            raise GovernanceError("the subject has no local .avsc file", hint="pass --to VERSION")
        return "local file", local
    if choice not in versions:
        known = ", ".join(sorted(versions, key=int)) or "none"
        raise GovernanceError(f"no version {choice} (versions: {known})", hint='a version is a number, "latest" or "local"')
    return f"version {choice}", versions[choice]
