"""YAML files read by hand from PyYAML's node tree, so that every key and list item
keeps the line it was written on and every mistake reads `file, line N: what is wrong`.
JSON is YAML too: connector configs and GX suites are read the same way."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from governance.errors import GovernanceError, did_you_mean


class Doc:
    """Turns nodes into values and errors into `file, line N: message`."""

    def __init__(self, path: Path, loader: yaml.SafeLoader) -> None:
        self.path = path
        self._loader = loader

    def error(self, node: yaml.Node | None, message: str) -> GovernanceError:
        line = node.start_mark.line + 1 if node is not None else 1
        return GovernanceError(f"{self.path}, line {line}: {message}")

    def value(self, node: yaml.Node) -> Any:
        return self._loader.construct_object(node, deep=True)

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """Key -> (key node, value node); duplicate keys are an error."""
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{what} must be a mapping, not {_kind(node)}")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                raise self.error(key_node, f"keys of {what} must be strings, not {key!r}")
            if key in out:
                raise self.error(key_node, f"duplicate key `{key}` in {what}")
            out[key] = (key_node, value_node)
        return out

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, f"{what} must be a list, not {_kind(node)}")
        return list(node.value)

    def string(self, node: yaml.Node, what: str) -> str:
        v = self.value(node)
        if not isinstance(v, str) or not v.strip():
            raise self.error(node, f"{what} must be a non-empty string, not {v!r}")
        return v

    def integer(self, node: yaml.Node, what: str, minimum: int) -> int:
        v = self.value(node)
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise self.error(node, f"{what} must be an integer >= {minimum}, not {v!r}")
        return v

    def choice(self, node: yaml.Node, what: str, options: tuple[str, ...]) -> str:
        v = self.value(node)
        if v not in options:
            raise self.error(node, f"{what} must be one of {', '.join(options)}, not {v!r}"
                                   + (did_you_mean(v, options) if isinstance(v, str) else ""))
        return v

    def check_keys(self, m: Mapping[str, tuple[yaml.Node, yaml.Node]], what: str,
                   allowed: frozenset[str], required: tuple[str, ...], node: yaml.Node) -> None:
        for key, (key_node, _) in m.items():
            if key not in allowed:
                raise self.error(key_node, f"unknown key `{key}` in {what} (allowed: {', '.join(sorted(allowed))})"
                                           + did_you_mean(key, allowed))
        for key in required:
            if key not in m:
                raise self.error(node, f"{what} is missing the required key `{key}`")


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"the scalar {node.value!r}"


def compose(path: Path, text: str) -> tuple[Doc, yaml.Node | None]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise GovernanceError(f"{path}, line {line}: YAML syntax error: {e.problem or e}") from None
    except yaml.YAMLError as e:
        raise GovernanceError(f"{path}, line 1: YAML error: {e}") from None
    return Doc(path, loader), node


def load(path: Path, what: str) -> tuple[Doc, yaml.Node | None]:
    """Read and compose `path`; `what` names the file in errors (`pipeline file`, `connector config`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise GovernanceError(f"cannot read {what} {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise GovernanceError(f"{path}, line 1: not UTF-8 text ({e.reason})") from None
    return compose(path, text)
