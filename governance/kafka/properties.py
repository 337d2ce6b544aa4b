"""Extra librdkafka properties (SASL, TLS, ...) from a .properties or YAML file.

Values pass through to librdkafka unchanged; the file is only checked for
shape, and a mistake is reported with the file and line.
"""

from __future__ import annotations

from pathlib import Path

from governance.errors import GovernanceError


def load_client_properties(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GovernanceError(f"{path}: no such file.", hint="check the --kafka-config path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GovernanceError(f"{path}: cannot read it ({exc}).") from None
    if path.suffix in (".yml", ".yaml"):
        return _from_yaml(path, text)
    return _from_properties(path, text)


def _from_properties(path: Path, text: str) -> dict[str, str]:
    """Java-style `key=value` (or `key: value`) lines; `#` and `!` start comments."""
    result: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        separator = min((i for i in (line.find("="), line.find(":")) if i > 0), default=-1)
        if separator < 0:
            raise GovernanceError(
                f"{path}, line {number}: expected `key=value`, found {line!r}.",
                hint="write one librdkafka property per line, for example `security.protocol=SASL_SSL`",
            )
        result[line[:separator].strip()] = line[separator + 1 :].strip()
    return result


def _from_yaml(path: Path, text: str) -> dict[str, str]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise GovernanceError(f"{path}{where}: not valid YAML ({problem}).") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise GovernanceError(
            f"{path}: expected a mapping of librdkafka properties, found a {type(data).__name__}.",
            hint="write `security.protocol: SASL_SSL`-style lines",
        )
    result = {}
    for key, value in data.items():
        if isinstance(value, (dict, list)) or value is None:
            line = _line_of(text, str(key))
            raise GovernanceError(
                f"{path}, line {line}: property {key!r} must have a single value, not {value!r}.",
                hint="librdkafka properties are flat: `sasl.mechanism: PLAIN`",
            )
        result[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    return result


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(key):
            return number
    return 1
