"""`governance schemas check|register|diff`: the CI gate (governance.gate)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from governance.cli.options import CONTEXT, RegistryFlag, registry_option, schemas_dir_option
from governance.errors import GovernanceError
from governance.gate import FORMATS


@click.group("schemas", context_settings=CONTEXT)
def command() -> None:
    """The CI gate: stop breaking Avro, Protobuf and JSON Schema changes before they merge.

    \b
    schemas/<subject>.avsc   one schema per subject, e.g. schemas/orders-value.avsc
    schemas/<subject>.proto  or a Protobuf file; `import "customer.proto";` references
                             the subject of schemas/customer.proto
    schemas/<subject>.json   or a JSON Schema; `"$ref": "address.json"` references
                             the subject of schemas/address.json
    schemas/subjects.yml     optional, per subject:
                               orders-value:
                                 compatibility: FULL_TRANSITIVE
                                 references: [{name: com.example.Address, subject: address-value, version: 1}]
                               payments-value:
                                 compatibility_policy: LENIENT   (JSON Schema's; default STRICT)
                               old-subject-value:
                                 allow_delete: true

    \b
    Exit codes: 0 compatible, 1 breaking changes found, 2 anything else
    (bad arguments, unreadable files, missing git ref, registry unreachable).
    """


@command.command("check")
@click.option("--against", "against", metavar="GIT_REF", help="Check against the schemas in git at this ref (no server).")
@registry_option("Check against this registry.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people; json, one object per finding per line; junit XML; github annotations.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write the report here instead of stdout.")
@click.option("--verbose", "-v", is_flag=True,
              help="One finding per earlier version a field breaks against (default: one per broken field, "
                   "naming the versions).")
@schemas_dir_option
def schemas_check(against: str | None, registry: RegistryFlag, fmt: str, output: Path | None, verbose: bool,
                  schemas_dir: Path) -> None:
    """Check every schema in schemas/ for changes that break consumers.

    With --against, each changed subject is checked with our engine against
    its history in git: the version at the ref, or for *_TRANSITIVE levels
    every version committed up to the ref (refused in a shallow clone, which
    lacks them: fetch with `fetch-depth: 0`). New subjects pass; a deleted one
    breaks unless subjects.yml says `allow_delete: true`. With --registry
    (or neither), each registered subject is checked at the level subjects.yml
    declares (and a JSON Schema subject under its compatibility_policy): by
    the registry's compatibility endpoint when the registry enforces that
    level and policy, else by our engine against the registry's versions,
    with a warning. New subjects pass (their references come from the local
    files); a deleted one breaks as in git mode.

    \b
    Examples:
      governance schemas check --against origin/main
      governance schemas check --against HEAD~1 --format github
      governance schemas check --registry http://registry:8081 --format junit -o schemas.xml
    """
    from governance.workspace import load_workspace
    from governance.gate.report import render, render_error

    def write(report: str) -> None:
        if output is not None:
            try:
                output.write_text(report + "\n", encoding="utf-8")
            except OSError as e:
                raise GovernanceError(f"cannot write the report to {output}: {e.strerror}",
                                      hint="give -o a path in a folder that exists and is writable") from None
        elif report:
            click.echo(report)

    if against and registry.flag:
        raise click.UsageError("give --against GIT_REF or --registry URL, not both")
    try:
        workspace = load_workspace(schemas_dir)
        if against:
            from governance.gate.git_check import check_against_git

            outcome = check_against_git(workspace, against)
        else:
            from governance.gate.registry_check import check_against_registry

            outcome = check_against_registry(workspace, registry.url())
    except GovernanceError as e:  # also in the CI format, so that the pull request shows why there is no verdict
        try:
            write(render_error(e, fmt))
        except GovernanceError as unwritten:
            click.secho(f"error: {unwritten.message}", fg="red", err=True)
        raise
    if not outcome.ok:
        from governance.lineage.show import downstream_impacts

        try:  # who reads each broken subject, from rules/ and lineage/ beside schemas/
            outcome.impacts = downstream_impacts(schemas_dir, {f.subject for f in outcome.findings})
        except GovernanceError as e:
            click.echo(f"note: downstream impact not shown: {e.message}", err=True)
    for warning in outcome.warnings:
        click.echo(f"warning: {warning.message}", err=True)
    write(render(outcome, fmt, verbose))
    sys.exit(0 if outcome.ok else 1)


@command.command("register")
@registry_option("Registry to write to.")
@click.option("--dry-run", is_flag=True, help="Say what would be registered; register nothing.")
@schemas_dir_option
def schemas_register(registry: RegistryFlag, dry_run: bool, schemas_dir: Path) -> None:
    """Set each subject's level (and a JSON Schema subject's compatibility policy)
    from subjects.yml, and register every subject whose schema the registry does
    not have yet.

    An unchanged schema makes no new version. A subject whose schema is
    incompatible under its level is refused (nothing registered for it, exit 1);
    the others are still registered.

    \b
    Examples:
      governance schemas register --dry-run
      governance schemas register --registry https://user:pass@registry:8081
    """
    from governance.workspace import load_workspace
    from governance.gate.register import register_all
    from governance.gate.report import render
    from governance.gate.findings import Outcome

    url = registry.url()
    actions, refused = register_all(load_workspace(schemas_dir), url, dry_run=dry_run)
    for a in actions:
        detail = f" version {a.version} id {a.schema_id}" if a.version is not None else ""
        click.echo(f"{a.what:<15} {a.subject}{detail}{a.note}")
    if refused:
        click.echo(render(Outcome(refused, len(actions), len(actions), f"registry {url}"), "text"))
    sys.exit(1 if any(a.what == "refused" for a in actions) else 0)


@command.command("diff")
@click.argument("subject")
@click.option("--from", "from_", metavar="V", help='Version to compare from: a number, "latest" or "local". Default: latest.')
@click.option("--to", metavar="V", help='Version to compare to: a number, "latest" or "local". Default: local.')
@click.option("--against", metavar="GIT_REF", help="Take versions from git history up to this ref instead of a registry.")
@registry_option("Registry to read versions from.")
@schemas_dir_option
def schemas_diff(subject: str, from_: str | None, to: str | None, against: str | None, registry: RegistryFlag,
                 schemas_dir: Path) -> None:
    """Show what changed in SUBJECT between two versions, field by field.

    Versions are the registry's, or with --against the distinct contents of
    schemas/SUBJECT.avsc (or .proto, .json) in git history (1 = oldest); "local"
    is the file now. Avro fields are compared by name, Protobuf fields by
    number, JSON Schema properties by JSON path.

    \b
    Examples:
      governance schemas diff orders-value                      registry latest -> local file
      governance schemas diff orders-value --from 1 --to 2
      governance schemas diff orders-value --against origin/main
    """
    from governance.formats import InvalidSchemaError, format_for
    from governance.gate import diff
    from governance.gate.parse import reference_texts
    from governance.workspace import load_workspace

    workspace = load_workspace(schemas_dir) if schemas_dir.is_dir() else None
    local = workspace.texts.get(subject) if workspace is not None else None
    references = reference_texts(workspace, subject, workspace.texts) if workspace is not None else {}
    if against:
        versions, history_type = diff.versions_from_git(schemas_dir, subject, against)
    else:
        from governance.registry.client import RegistryClient, references_of

        client = RegistryClient(registry.url())
        versions, history_type = diff.versions_from_registry(client, subject)
    (before_label, before), (after_label, after) = diff.pick(versions, local, from_, "latest"), diff.pick(versions, local, to, "local")
    if not against:
        numbers = [label.removeprefix("version ") for label in (before_label, after_label)]
        references = {**references, **references_of(client, subject, numbers)}
    schema_type = workspace.schema_type(subject) if local is not None and workspace is not None else history_type
    try:
        lines = format_for(schema_type).diff(before, after, references)
    except InvalidSchemaError as e:
        raise GovernanceError(f"{subject}: {before_label} or {after_label} is not a valid schema: {e.message}") from None
    click.echo(f"{subject}: {before_label} -> {after_label}")
    for line in lines or ["  no structural changes"]:
        click.echo(f"  {line}" if not line.startswith("  ") else line)
