"""The functions Confluent's CEL executors add to standard CEL, for the Rust evaluator.

confluent-kafka's CelExecutor (and the Java one, after protovalidate) give rules `isEmail`,
`isHostname`, `isIpv4`, `isIpv6`, `isUri`, `isUriRef` and `isUuid` on strings, and a `now`
variable (the evaluation's UTC time). The Rust library knows none of them; cel.py registers these
for the expressions that call them (as `isEmail(s)` or `s.isEmail()`). A call on a value that is
not a string is an error, as there.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlparse


def _hostname(host: str) -> bool:
    """Letters, digits and inner hyphens in dot-separated labels of 1-63, 253 at most, not all digits."""
    if not host or len(host) > 253:
        return False
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    digits_only = True
    for label in labels:
        if not 1 <= len(label) <= 63 or label[0] == "-" or label[-1] == "-":
            return False
        if any(not (c.isascii() and (c.isalnum() or c == "-")) for c in label):
            return False
        digits_only = label.isdigit()
    return not digits_only


def _email(address: str) -> bool:
    if parseaddr(address)[1] != address or len(address) > 254:
        return False
    local, at, host = address.partition("@")
    return bool(at) and "@" not in host and len(local) <= 64 and _hostname(host)


def _ip(version: int) -> Callable[[Any], bool]:
    kind = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address

    def check(value: Any) -> bool:
        try:
            kind(value)
        except ValueError:
            return False
        return True

    return check


def _uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _uri(value: str) -> bool:
    parts = urlparse(value)
    return bool(parts.scheme and parts.netloc and parts.path)


def _uri_ref(value: str) -> bool:
    parts = urlparse(value)
    return bool(parts.scheme and parts.path) or not parts.fragment


def _on(name: str, test: Callable[[Any], bool], kinds: tuple[type, ...] = (str,)) -> Callable[[Any], bool]:
    def function(value: Any) -> bool:
        if type(value) not in kinds:
            raise TypeError(f"no such overload: {name}({type(value).__name__})")
        return test(value)

    return function


FUNCTIONS: dict[str, Callable[[Any], bool]] = {
    "isEmail": _on("isEmail", _email),
    "isHostname": _on("isHostname", _hostname),
    "isIpv4": _on("isIpv4", _ip(4), (str, bytes)),
    "isIpv6": _on("isIpv6", _ip(6), (str, bytes)),
    "isUri": _on("isUri", _uri),
    "isUriRef": _on("isUriRef", _uri_ref),
    "isUuid": _on("isUuid", _uuid),
}
