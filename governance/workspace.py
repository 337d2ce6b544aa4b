"""The project's schemas: schemas/<subject>.<suffix> files (a suffix each schema format declares:
`.avsc`, `.proto`, `.json`) and the optional schemas/subjects.yml. Read alike by the gate, lineage and the console."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from governance.errors import GovernanceError
from governance.formats import DEFAULT_TYPE, POLICIES, Level, format_for, suffixes

SUBJECTS_FILE = "subjects.yml"


class InputError(GovernanceError):
    """A schema file or subjects.yml that cannot be used, told as `file:line:column: reason`."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None, column: int | None = None, hint: str | None = None):
        where = str(path) + (f":{line}" if line else "") + (f":{column}" if line and column else "")
        super().__init__(f"{where}: {reason}", hint)
        self.path, self.line, self.column, self.reason = str(path), line, column, reason


@dataclass(frozen=True)
class Reference:
    name: str
    subject: str
    version: int | None = None


@dataclass(frozen=True)
class SubjectConfig:
    level: Level | None = None
    references: tuple[Reference, ...] = ()
    allow_delete: bool = False
    line: int = 0
    policy: str | None = None
    """JSON Schema's `compatibilityPolicy` (STRICT or LENIENT) declared as `compatibility_policy`; None: undeclared."""


@dataclass
class Workspace:
    """The local schemas: subject -> file text, plus per-subject settings from subjects.yml."""

    root: Path
    texts: dict[str, str]
    config: dict[str, SubjectConfig] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    """Subject -> its schema type (AVRO), from its file's suffix; AVRO when not listed."""
    imported: dict[str, tuple[Reference, ...]] = field(default_factory=dict)
    """Subject -> the references its own text makes by importing another file of the folder
    (`import "customer.proto";`), beyond those subjects.yml declares (see `imported_references`)."""

    def schema_type(self, subject: str) -> str:
        return self.types.get(subject, DEFAULT_TYPE)

    def path(self, subject: str) -> Path:
        return self.root / f"{subject}{format_for(self.schema_type(subject)).suffixes[0]}"

    def level(self, subject: str) -> Level:
        conf = self.config.get(subject)
        return conf.level if conf and conf.level else Level.default()

    def policy(self, subject: str) -> str:
        """The subject's JSON Schema compatibility policy: the declared one, else Confluent's default (STRICT)."""
        return self.declared_policy(subject) or POLICIES[0]

    def declared_policy(self, subject: str) -> str | None:
        conf = self.config.get(subject)
        return conf.policy if conf else None

    def declared_level(self, subject: str) -> Level | None:
        """The level subjects.yml declares for the subject, None when it declares none."""
        conf = self.config.get(subject)
        return conf.level if conf else None

    @property
    def subjects_file(self) -> Path:
        return self.root / SUBJECTS_FILE

    def references(self, subject: str) -> tuple[Reference, ...]:
        conf = self.config.get(subject)
        return (conf.references if conf else ()) + self.imported.get(subject, ())

    def allows_delete(self, subject: str) -> bool:
        conf = self.config.get(subject)
        return bool(conf and conf.allow_delete)


def load_workspace(root: Path) -> Workspace:
    if not root.is_dir():
        raise GovernanceError(f"{root}: no such schemas folder", hint="pass --schemas DIR (default: ./schemas)")
    texts: dict[str, str] = {}
    types: dict[str, str] = {}
    for path in schema_files(root):
        if path.stem in texts:
            raise InputError(path, f"subject {path.stem!r} has a schema file already: "
                             f"{Workspace(root, {}, types=types).path(path.stem).name}", hint="keep one file per subject")
        try:
            texts[path.stem] = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(path, f"cannot read: {e}") from None
        types[path.stem] = suffixes()[path.suffix]
    workspace = Workspace(root, texts, types=types)
    config_path = root / SUBJECTS_FILE
    if config_path.exists():
        workspace.config = load_subjects_file(config_path, set(texts))
        _policies_only_for_json(workspace)
    workspace.imported = imported_references(texts, types, workspace.config)
    return workspace


def _policies_only_for_json(workspace: Workspace) -> None:
    """A compatibility policy is JSON Schema's (Confluent has none for Avro or Protobuf): declared for a subject
    of another format it would be silently ignored, so it is refused."""
    for subject, conf in workspace.config.items():
        schema_type = workspace.types.get(subject)
        if conf.policy and schema_type is not None and schema_type != "JSON":
            raise InputError(workspace.subjects_file, f"subject {subject!r}: compatibility_policy applies to JSON Schema "
                             f"subjects only, and {workspace.path(subject).name} is {format_for(schema_type).label}",
                             conf.line, hint="remove compatibility_policy for it")


def imported_references(texts: dict[str, str], types: dict[str, str],
                        config: dict[str, SubjectConfig]) -> dict[str, tuple[Reference, ...]]:
    """The references the schema texts make by import: `import "customer.proto";` in a subject's file is a
    reference named `customer.proto` to the subject of schemas/customer.proto, unless subjects.yml already
    declares a reference of that name (which may name another subject, or a path like `common/x.proto`)."""
    files = {f"{subject}{format_for(types.get(subject, DEFAULT_TYPE)).suffixes[0]}": subject for subject in texts}
    out: dict[str, tuple[Reference, ...]] = {}
    for subject, text in texts.items():
        declared = {r.name for r in config[subject].references} if subject in config else set()
        found = tuple(Reference(name, files[name]) for name in format_for(types.get(subject, DEFAULT_TYPE)).imports(text)
                      if name not in declared and name in files and files[name] != subject)
        if found:
            out[subject] = found
    return out


def schema_files(root: Path) -> list[Path]:
    """The schema files of a schemas/ folder: those with a suffix a schema format declares, by name. Hidden
    files (an editor's `.something.json`) are not schemas; subjects.yml is YAML, so never one."""
    return sorted(path for suffix in suffixes() for path in root.glob(f"*{suffix}") if not path.name.startswith("."))


_SUBJECT_KEYS = {"compatibility", "compatibility_policy", "references", "allow_delete"}


def load_subjects_file(path: Path, local_subjects: set[str]) -> dict[str, SubjectConfig]:
    """Parse subjects.yml. A subject with no schema file is an error unless it says `allow_delete: true`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(path, f"cannot read: {e}") from None
    return parse_subjects_file(path, text, local_subjects)


def parse_subjects_file(path: Path, text: str, local_subjects: set[str]) -> dict[str, SubjectConfig]:
    """subjects.yml's text (`path` names it in errors) as settings per subject."""
    import yaml

    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        raise InputError(path, f"not valid YAML: {e.problem}", mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise InputError(path, "expected a mapping of subject names to settings", node.start_mark.line + 1)
    subjects = node.value
    if len(subjects) == 1 and subjects[0][0].value == "subjects":
        subjects = subjects[0][1].value if isinstance(subjects[0][1], yaml.MappingNode) else []
    out: dict[str, SubjectConfig] = {}
    for key, value in subjects:
        subject, line = str(key.value), key.start_mark.line + 1
        settings = yaml.safe_load(yaml.serialize(value)) if value is not None else None
        settings = settings or {}
        if not isinstance(settings, dict):
            raise InputError(path, f"subject {subject!r}: expected a mapping of settings", line)
        unknown = set(settings) - _SUBJECT_KEYS
        if unknown:
            raise InputError(path, f"subject {subject!r}: unknown setting(s) {', '.join(sorted(map(str, unknown)))}; "
                             f"known: {', '.join(sorted(_SUBJECT_KEYS))}", line)
        allow_delete = settings.get("allow_delete", False)
        if not isinstance(allow_delete, bool):
            raise InputError(path, f"subject {subject!r}: allow_delete must be true or false", line)
        if subject not in local_subjects and not allow_delete:
            raise InputError(path, f"unknown subject {subject!r}: there is no {_file_names(subject)} beside this file", line,
                             hint=f"fix the name, add the {_file_names('')}, or say `allow_delete: true` for a subject being removed")
        level = None
        if "compatibility" in settings:
            try:
                level = Level.parse(str(settings["compatibility"]))
            except ValueError as e:
                raise InputError(path, f"subject {subject!r}: {e}", line) from None
        policy = None
        if "compatibility_policy" in settings:
            policy = str(settings["compatibility_policy"]).strip().upper()
            if policy not in POLICIES:
                raise InputError(path, f"subject {subject!r}: unknown compatibility_policy "
                                 f"{settings['compatibility_policy']!r}: expected {' or '.join(POLICIES)}", line)
        out[subject] = SubjectConfig(level, _references(path, subject, line, settings.get("references") or [], local_subjects),
                                     allow_delete, line, policy)
    return out


def _references(path: Path, subject: str, line: int, raw: object, local: set[str]) -> tuple[Reference, ...]:
    if not isinstance(raw, list):
        raise InputError(path, f"subject {subject!r}: references must be a list of {{name, subject, version}}", line)
    refs = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not isinstance(item.get("subject"), str):
            raise InputError(path, f"subject {subject!r}: each reference needs a name and a subject", line)
        if item["subject"] not in local:
            raise InputError(path, f"subject {subject!r}: reference to unknown subject {item['subject']!r}", line)
        version = item.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool) or version < 1):
            raise InputError(path, f"subject {subject!r}: reference version must be a positive integer", line)
        refs.append(Reference(item["name"], item["subject"], version))
    return tuple(refs)


def _file_names(subject: str) -> str:
    """`orders-value.avsc`, or with several formats `orders-value.avsc, orders-value.proto or orders-value.json`."""
    names = [f"{subject}{suffix}" for suffix in suffixes()]
    return " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
