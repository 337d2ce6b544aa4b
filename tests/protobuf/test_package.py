"""governance.protobuf costs nothing to import: protobuf and grpcio-tools load on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import governance.protobuf


def test_importing_the_package_loads_neither_protobuf_nor_protoc() -> None:
    probe = ("import sys, governance.protobuf; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('google', 'grpc_tools', 'grpc')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_public_names_resolve() -> None:
    for name in governance.protobuf.__all__:
        assert getattr(governance.protobuf, name) is not None
    with pytest.raises(AttributeError):
        governance.protobuf.nothing  # noqa: B018
