"""`schemas diff`: the two versions of a subject to compare, from the registry, git or the local file,
and the schema type they are of (the comparison itself is that format's, `governance.formats`)."""

from __future__ import annotations

from typing import Any

from governance.errors import GovernanceError


def versions_from_registry(registry: Any, subject: str) -> tuple[dict[str, str], str | None]:
    """"1", "2", ... -> schema text of each live registered version, and the latest's schema type (None
    when there is no version)."""
    from governance.registry.client import RegistryClientError, subject_path

    try:
        numbers = registry.call("GET", f"/subjects/{subject_path(subject)}/versions")
    except RegistryClientError as e:
        if e.status == 404:
            return {}, None
        raise
    answers = {str(n): registry.call("GET", f"/subjects/{subject_path(subject)}/versions/{n}") for n in numbers}
    latest = answers[str(numbers[-1])] if numbers else {}
    return {n: a["schema"] for n, a in answers.items()}, (latest.get("schemaType", "AVRO") if latest else None)


def versions_from_git(folder: Any, subject: str, ref: str) -> tuple[dict[str, str], str | None]:
    """"1", "2", ... -> each distinct content the subject's schema file had in history reachable from `ref`,
    and its schema type at `ref` (None when the file is not there)."""
    from governance.gate.history import Repo

    repo = Repo.of(folder)
    commit = repo.commit(ref)
    blobs = repo.blob_history(commit, {subject})[subject]
    texts = repo.read_blobs(set(blobs))
    at_ref = repo.files_at(commit).get(subject)
    return {str(i): texts[b] for i, b in enumerate(blobs, start=1)}, at_ref[0] if at_ref else None


def pick(versions: dict[str, str], local: str | None, wanted: str | None, default: str) -> tuple[str, str]:
    """The (label, text) of version `wanted`: a number, "latest" or "local"."""
    choice = (wanted or default).lower()
    if choice == "latest":
        if not versions:
            raise GovernanceError("the subject has no versions to compare with")
        choice = max(versions, key=int)
    if choice == "local":
        if local is None:
            raise GovernanceError("the subject has no local schema file", hint="pass --to VERSION")
        return "local file", local
    if choice not in versions:
        known = ", ".join(sorted(versions, key=int)) or "none"
        raise GovernanceError(f"no version {choice} (versions: {known})", hint='a version is a number, "latest" or "local"')
    return f"version {choice}", versions[choice]
