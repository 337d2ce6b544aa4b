"""HTTP basic auth from a users file, with roles read < write < admin.

The users file is YAML: `alice: {password: "pbkdf2_sha256$...", role: admin}`.
Make a hash with `governance registry hash-password`. Verified credentials are
remembered (by a digest of the header) so PBKDF2 runs once per user, not per request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from governance.errors import GovernanceError
from governance.registry.errors import ServiceError

ROLES = ("read", "write", "admin")
ITERATIONS = 200_000
ADMIN_PATHS = ("config", "mode")


def hash_password(password: str, *, iterations: int = ITERATIONS) -> str:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    computed = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    return hmac.compare_digest(computed, base64.b64decode(digest))


def _is_hash(stored: str) -> bool:
    """Whether `stored` has the shape `hash_password` writes (checked at load, not per request)."""
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != "pbkdf2_sha256":
        return False
    if not (parts[1].isascii() and parts[1].isdigit()) or int(parts[1]) < 1:
        return False
    try:
        return all(base64.b64decode(part, validate=True) for part in parts[2:])
    except ValueError:
        return False


@dataclass(frozen=True)
class User:
    name: str
    password_hash: str
    role: str


def load_users(path: Path) -> dict[str, User]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise GovernanceError(f"{path}: cannot read the users file ({exc.strerror}).") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise GovernanceError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)}).") from None
    if not isinstance(data, dict) or not data:
        raise GovernanceError(f"{path}: expected `name: {{password: HASH, role: read|write|admin}}` entries.")
    users = {}
    for name, entry in data.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("password"), str):
            raise GovernanceError(f"{path}: user {name!r} needs a `password` (a hash from `governance registry hash-password`).")
        if not _is_hash(entry["password"]):
            raise GovernanceError(
                f"{path}: the password of user {name!r} is not a pbkdf2_sha256 hash; never store plain passwords.",
                hint="make one with `governance registry hash-password`",
            )
        role = entry.get("role", "read")
        if role not in ROLES:
            raise GovernanceError(f"{path}: user {name!r} has role {role!r}; use one of {', '.join(ROLES)}.")
        users[str(name)] = User(str(name), entry["password"], role)
    return users


def required_role(method: str, segments: list[str], is_write: bool) -> str:
    if not is_write:
        return "read"
    if segments and segments[0] in ADMIN_PATHS:
        return "admin"
    return "write"


class BasicAuth:
    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        self._verified: dict[bytes, str] = {}

    def role_of(self, header: bytes | None) -> str:
        if not header:
            raise _unauthorized("Authentication required: send HTTP basic credentials")
        digest = hashlib.sha256(header).digest()
        if (role := self._verified.get(digest)) is not None:
            return role
        scheme, _, encoded = header.partition(b" ")
        try:
            name, _, password = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise _unauthorized("Malformed basic credentials") from None
        user = self.users.get(name)
        if scheme.lower() != b"basic" or user is None or not verify_password(password, user.password_hash):
            raise _unauthorized("Wrong user name or password")
        self._verified[digest] = user.role
        return user.role

    def authorize(self, header: bytes | None, needed: str) -> None:
        role = self.role_of(header)
        if ROLES.index(role) < ROLES.index(needed):
            raise ServiceError(403, 40301, f"User role {role!r} may not do this; it needs role {needed!r}")


def _unauthorized(message: str) -> ServiceError:
    return ServiceError(401, 40101, message)
