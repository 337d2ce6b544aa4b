"""Structural keys for subtrees, so identical parts of two schemas are compared once.

A node's key is a hash of everything compatibility checking looks at in its
subtree (kinds, names, aliases, field names, whether a field has a default,
symbols, enum defaults, sizes) and nothing it ignores (docs, default values,
logical types, properties). Two subtrees with equal keys are therefore always
compatible with each other, and the checker's memo, keyed on (reader key,
writer key), never reuses a result for a reader that differs in a default or
alias. Subtrees that reach a cycle (recursive types) get no key and are
always checked in full.
"""

from __future__ import annotations

from hashlib import blake2b

from governance.avro.model import BARE, Array, Enum, Fixed, Map, Node, Primitive, Record, Union


def _hash(*parts: bytes) -> bytes:
    """Digest of a sequence of byte strings (each length-prefixed, so the sequence is unambiguous)."""
    return blake2b(b"".join([len(part).to_bytes(4, "little") + part for part in parts]), digest_size=16).digest()


_PRIMITIVE_KEYS = {kind: _hash(b"p", kind.encode()) for kind in BARE}
for _kind, _node in BARE.items():
    _node.key = _PRIMITIVE_KEYS[_kind]


def _aliases(node: Record | Enum | Fixed) -> bytes:
    return _hash(*(a.encode() for a in node.aliases))


def _shape(node: Node) -> tuple[list[bytes], list[Node]]:
    """What identifies a node apart from its children, and its children."""
    if isinstance(node, Record):
        names = [_hash(f.name.encode(), b"d" if f.has_default else b"-", *(a.encode() for a in f.aliases)) for f in node.fields]
        return [b"record", node.fullname.encode(), _aliases(node), *names], [f.type for f in node.fields]
    if isinstance(node, Enum):
        default = b"-" if node.default is None else b"d" + node.default.encode()
        return [b"enum", node.fullname.encode(), _aliases(node), default, *(s.encode() for s in node.symbols)], []
    if isinstance(node, Fixed):
        return [b"fixed", node.fullname.encode(), _aliases(node), str(node.size).encode()], []
    if isinstance(node, Array):
        return [b"array"], [node.items]
    if isinstance(node, Map):
        return [b"map"], [node.values]
    if isinstance(node, Union):
        return [b"union"], list(node.branches)
    raise AssertionError(f"unexpected node kind {node.kind}")


def assign_keys(root: Node) -> None:
    finished: dict[int, bool] = {}

    def visit(node: Node) -> bytes | None:
        if isinstance(node, Primitive):
            node.key = _PRIMITIVE_KEYS[node.kind]
            return node.key
        state = finished.get(id(node))
        if state is not None:
            return node.key if state else None
        finished[id(node)] = False
        parts, children = _shape(node)
        keys = [visit(child) for child in children]
        if all(key is not None for key in keys):
            node.key = _hash(*parts, str(len(keys)).encode(), *keys)  # type: ignore[arg-type]
        else:
            node.key = None
        finished[id(node)] = True
        return node.key

    visit(root)
