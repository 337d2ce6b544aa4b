"""`.proto` text to descriptors, with protoc in process (grpcio-tools).

Python's protobuf package has no `.proto` parser; grpcio-tools links protoc
itself. Its `get_protos` entry point reports errors as values (file, line,
column, message) instead of printing them, and returns the generated Python
modules, each of which carries its file's serialized `FileDescriptorProto`:
the very bytes confluent-kafka's ProtobufSerializer registers for a generated
class. Those descriptors have no source positions, so the lines of fields are
asked for separately, only by callers that show them (`source_info`).

Compilation is isolated from the filesystem: the given files are written to a
fresh temporary directory, and the include path is that directory after
protoc's bundled `google/protobuf/*.proto` (so the well-known types resolve
without being given and cannot be shadowed). Nothing else is readable.
"""

from __future__ import annotations

import ast
import os
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from google.protobuf import descriptor_pb2

from governance.protobuf.errors import InvalidProtoError

_SERIALIZED = re.compile(rb"AddSerializedFile\((b'(?:[^'\\]|\\.)*')\)")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")
_STDERR_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def well_known_root() -> str:
    """protoc's bundled include directory (google/protobuf/*.proto), shipped inside grpcio-tools."""
    from importlib import resources

    return str(resources.files("grpc_tools") / "_proto")


def is_well_known(name: str) -> bool:
    return name.startswith("google/protobuf/") and (Path(well_known_root()) / name).is_file()


@lru_cache(maxsize=None)
def well_known(name: str) -> tuple[descriptor_pb2.FileDescriptorProto, ...]:
    """A well-known type's descriptor and those of its imports (compiled once per process)."""
    return tuple(compile_files({}, name).values())


def check_name(name: str) -> None:
    """A file name protoc can be given: relative, forward slashes, no `.` or `..` steps."""
    if not _SAFE_NAME.match(name) or any(part in (".", "..") for part in name.split("/")):
        raise InvalidProtoError(
            f"{name!r} is not a usable .proto file name: use a relative path of letters, digits, '_', '-', '.' "
            "and '/' with no '.' or '..' steps", file=name)


def compile_files(files: Mapping[str, str], target: str) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    """The descriptors of `target` and of every file it imports, by file name.

    `files` maps file names (as imports name them) to `.proto` text; the
    well-known types need not be among them. InvalidProtoError names the
    file, line and reason of the first error protoc finds.
    """
    from grpc_tools import _protoc_compiler

    for name in files:
        check_name(name)
    with tempfile.TemporaryDirectory(prefix="governance-proto-") as root:
        _write(root, files)
        try:
            modules = _protoc_compiler.get_protos(target.encode(), [well_known_root().encode(), root.encode()])
        except _protoc_compiler.ProtocErrors as exc:
            raise _first_error(exc.errors(), files, target) from None
    out: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    for _, code in modules:
        match = _SERIALIZED.search(code)
        if match is None:
            raise RuntimeError("grpcio-tools generated a module without a serialized descriptor")
        fdp = descriptor_pb2.FileDescriptorProto.FromString(ast.literal_eval(match.group(1).decode("ascii")))
        out[fdp.name] = fdp
    return out


def source_info(files: Mapping[str, str], target: str) -> descriptor_pb2.SourceCodeInfo:
    """The source positions of `target` (which must compile): where each message, field and enum is.

    protoc's command line is the only entry point that writes them. It prints
    warnings (an unused import) on the process's standard error, so that is
    pointed at a file while it runs, under a lock; meant for the CLI, where no
    other thread writes there meanwhile.
    """
    from grpc_tools import _protoc_compiler

    with tempfile.TemporaryDirectory(prefix="governance-proto-") as root:
        _write(root, files)
        out = os.path.join(root, "out.pb")
        args = ["protoc", f"-I{well_known_root()}", f"-I{root}", "--include_source_info",
                f"--descriptor_set_out={out}", target]
        with _STDERR_LOCK, open(os.path.join(root, "stderr"), "wb") as sink:
            saved = os.dup(2)
            try:
                os.dup2(sink.fileno(), 2)
                code = _protoc_compiler.run_main([a.encode() for a in args])
            finally:
                os.dup2(saved, 2)
                os.close(saved)
        if code != 0:
            return descriptor_pb2.SourceCodeInfo()
        fds = descriptor_pb2.FileDescriptorSet.FromString(Path(out).read_bytes())
    return fds.file[-1].source_code_info


def _write(root: str, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = Path(root, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _first_error(errors: Sequence[object], files: Mapping[str, str], target: str) -> InvalidProtoError:
    """The error to show: one in a given file with a position (protoc reports a missing import twice)."""
    decoded = [(_text(e.filename), int(e.line), int(e.column), _text(e.message)) for e in errors]  # type: ignore[attr-defined]
    placed = [e for e in decoded if e[0] in files and e[1] >= 0]
    name, line, column, message = (placed or decoded or [(target, -1, 0, "protoc rejected the file")])[0]
    if message == "File not found." and name not in files:
        message = f'import "{name}" was not found: it is neither a given file nor a well-known type'
        name = target
    return InvalidProtoError(message, file=name, line=line + 1 if line >= 0 else None,
                             column=column + 1 if line >= 0 else None)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    text = str(value)
    if text.startswith(("b'", 'b"')):
        try:
            return ast.literal_eval(text).decode("utf-8", "replace")
        except (ValueError, SyntaxError):
            return text
    return text
