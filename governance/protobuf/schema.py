"""A parsed Protobuf schema: one file's descriptor with its imports, from `.proto` text or a serialized descriptor.

Both forms give the same `ProtoSchema`: `canonical()` is printed from the
descriptor, and `fingerprint` hashes it, so a schema registered as text and
again as confluent-kafka's base64 `FileDescriptorProto` is one schema.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from google.protobuf import descriptor_pb2

from governance.protobuf import compiler, printer
from governance.protobuf.errors import InvalidProtoError

FileDescriptorProto = descriptor_pb2.FileDescriptorProto
_BASE64 = re.compile(r"^[A-Za-z0-9+/\s]+={0,2}\s*$")
DEFAULT_NAME = "schema.proto"


@dataclass(frozen=True, eq=False)
class ProtoSchema:
    """`file` is the schema's descriptor (no source positions, json_name only where not protoc's default);
    `imports` every file it depends on, directly or not, dependencies first, well-known types included."""

    file: FileDescriptorProto
    imports: tuple[FileDescriptorProto, ...] = ()
    text: str | None = None
    import_texts: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.file.name

    @property
    def package(self) -> str:
        return self.file.package

    @property
    def syntax(self) -> str:
        return self.file.syntax or "proto2"

    @cached_property
    def canonical(self) -> str:
        return printer.print_file(self.file)

    @property
    def normalized(self) -> str:
        """What `normalize=true` stores: the canonical text, already one layout for every way of writing the file."""
        return self.canonical

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical text: equal for the same schema sent as text or as a descriptor."""
        return hashlib.sha256(self.canonical.encode("utf-8")).hexdigest()

    def serialized(self) -> str:
        """The base64 `FileDescriptorProto` (what `?format=serialized` answers)."""
        return base64.b64encode(self.file.SerializeToString(deterministic=True)).decode("ascii")

    def descriptor_set(self) -> descriptor_pb2.FileDescriptorSet:
        """The file with its dependency closure, dependencies first."""
        return descriptor_pb2.FileDescriptorSet(file=[*self.imports, self.file])

    @cached_property
    def pool(self) -> Any:
        """A private `DescriptorPool` holding the file and its imports (dynamic messages need no generated code)."""
        from google.protobuf import descriptor_pool

        pool = descriptor_pool.DescriptorPool()
        for fdp in self.descriptor_set().file:
            pool.Add(fdp)
        return pool

    @cached_property
    def descriptor(self) -> Any:
        """The runtime `FileDescriptor` of the schema."""
        return self.pool.FindFileByName(self.file.name)

    def sources(self) -> dict[str, str]:
        """`.proto` text of the file and its non-well-known imports (printed where it was given as a descriptor)."""
        out = {f.name: self.import_texts.get(f.name) or printer.print_file(f)
               for f in self.imports if not compiler.is_well_known(f.name)}
        out[self.file.name] = self.text if self.text is not None else self.canonical
        return out


def parse_schema(schema: str, name: str = DEFAULT_NAME, imports: Mapping[str, str] | None = None) -> ProtoSchema:
    """The schema in `schema`, which is `.proto` text or a base64 serialized `FileDescriptorProto`.

    `name` is the file's name when given as text (a descriptor carries its own).
    `imports` maps import paths to the imported files, each text or base64
    descriptor; the well-known types `google/protobuf/*.proto` need not be given.
    Raises InvalidProtoError with the file, line and reason.
    """
    key = tuple(sorted((imports or {}).items()))
    return _parse(schema, name, key)


def is_descriptor_text(schema: str) -> bool:
    """Whether `schema` looks like base64 rather than `.proto` text (which always has a space, brace or semicolon)."""
    return bool(schema.strip()) and _BASE64.match(schema) is not None and " " not in schema.strip()


def same_schema(a: ProtoSchema, b: ProtoSchema) -> bool:
    """Equal descriptors, file names aside."""
    x, y = FileDescriptorProto(), FileDescriptorProto()
    x.CopyFrom(a.file)
    y.CopyFrom(b.file)
    x.ClearField("name")
    y.ClearField("name")
    return x.SerializeToString(deterministic=True) == y.SerializeToString(deterministic=True)


@lru_cache(maxsize=512)
def _parse(schema: str, name: str, imports: tuple[tuple[str, str], ...]) -> ProtoSchema:
    given = dict(imports)
    if is_descriptor_text(schema):
        return _from_descriptor(_decode(schema, name), given)
    return _from_text(schema, name, given)


def _decode(schema: str, name: str) -> FileDescriptorProto:
    try:
        raw = base64.b64decode("".join(schema.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidProtoError("the schema is neither .proto text nor a base64 serialized FileDescriptorProto",
                                file=name) from None
    try:
        fdp = FileDescriptorProto.FromString(raw)
    except Exception:  # noqa: BLE001 - protobuf raises DecodeError or RuntimeWarning-derived errors
        raise InvalidProtoError("the base64 text does not decode to a serialized FileDescriptorProto",
                                file=name) from None
    if not fdp.name:
        fdp.name = name
    return fdp


def _from_text(text: str, name: str, given: Mapping[str, str]) -> ProtoSchema:
    files = {imp: (_import(imp, body, given).canonical if is_descriptor_text(body) else body)
             for imp, body in given.items()}
    files[name] = text
    compiled = compiler.compile_files(files, name)
    main = _normalized(compiled.pop(name))
    closure = _closure(main, {n: _normalized(f) for n, f in compiled.items()})
    texts = {n: t for n, t in given.items() if not is_descriptor_text(t)}
    return ProtoSchema(main, closure, text, texts)


def _from_descriptor(fdp: FileDescriptorProto, given: Mapping[str, str]) -> ProtoSchema:
    known: dict[str, FileDescriptorProto] = {}
    texts: dict[str, str] = {}
    pending = list(fdp.dependency)
    while pending:
        dep = pending.pop()
        if dep in known:
            continue
        if compiler.is_well_known(dep):
            known.update({f.name: f for f in compiler.well_known(dep)})
            continue
        if dep not in given:
            raise InvalidProtoError(f'import "{dep}" was not found: it is neither a given file nor a well-known type',
                                    file=fdp.name)
        imported = _import(dep, given[dep], given)
        known[dep] = imported.file
        known.update({f.name: f for f in imported.imports})
        if imported.text is not None:
            texts[dep] = imported.text
    main = _normalized(fdp)
    closure = _closure(main, {n: _normalized(f) for n, f in known.items()})
    schema = ProtoSchema(main, closure, None, texts)
    try:
        schema.pool  # noqa: B018 - building the pool is the validation
    except (TypeError, KeyError, ValueError) as exc:
        raise InvalidProtoError(f"the descriptor is not valid: {exc}", file=fdp.name) from None
    return schema


def _import(path: str, body: str, given: Mapping[str, str]) -> ProtoSchema:
    others = tuple(sorted((k, v) for k, v in given.items() if k != path))
    imported = _parse(body, path, others)
    if imported.name != path:
        fdp = FileDescriptorProto()
        fdp.CopyFrom(imported.file)
        fdp.name = path
        return ProtoSchema(fdp, imported.imports, imported.text, imported.import_texts)
    return imported


def _closure(main: FileDescriptorProto, files: Mapping[str, FileDescriptorProto]) -> tuple[FileDescriptorProto, ...]:
    """`main`'s dependencies, transitively, each after its own dependencies."""
    order: list[FileDescriptorProto] = []
    seen: set[str] = set()

    def visit(fdp: FileDescriptorProto) -> None:
        for dep in fdp.dependency:
            if dep not in seen and dep in files:
                seen.add(dep)
                visit(files[dep])
                order.append(files[dep])

    visit(main)
    return tuple(order)


def _normalized(fdp: FileDescriptorProto) -> FileDescriptorProto:
    """Without source positions, and without json_name where it is protoc's default (clients differ there)."""
    out = FileDescriptorProto()
    out.CopyFrom(fdp)
    out.ClearField("source_code_info")
    for message in out.message_type:
        _drop_default_json_names(message)
    for ext in out.extension:
        _drop_json_name(ext)
    return out


def _drop_default_json_names(message: descriptor_pb2.DescriptorProto) -> None:
    for f in [*message.field, *message.extension]:
        _drop_json_name(f)
    for nested in message.nested_type:
        _drop_default_json_names(nested)


def _drop_json_name(f: descriptor_pb2.FieldDescriptorProto) -> None:
    if f.HasField("json_name") and f.json_name == printer.default_json_name(f.name):
        f.ClearField("json_name")
