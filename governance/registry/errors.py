"""Confluent Schema Registry's error codes, as `ServiceError`s the HTTP layer renders."""

from __future__ import annotations


class ServiceError(Exception):
    """An error answered as `{"error_code": code, "message": message}` with HTTP `status`."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def subject_not_found(subject: str) -> ServiceError:
    return ServiceError(404, 40401, f"Subject '{subject}' not found.")


def version_not_found(subject: str, version: object) -> ServiceError:
    return ServiceError(404, 40402, f"Version {version} not found for subject '{subject}'.")


def schema_not_found(detail: str = "Schema not found") -> ServiceError:
    return ServiceError(404, 40403, detail)


def subject_soft_deleted(subject: str) -> ServiceError:
    return ServiceError(404, 40404, f"Subject '{subject}' was soft deleted. Set permanent=true to delete permanently")


def subject_not_soft_deleted(subject: str) -> ServiceError:
    return ServiceError(
        404, 40405, f"Subject '{subject}' was not deleted first before being permanently deleted"
    )


def version_soft_deleted(subject: str, version: int) -> ServiceError:
    return ServiceError(
        404, 40406, f"Subject '{subject}' Version {version} was soft deleted. Set permanent=true to delete permanently"
    )


def version_not_soft_deleted(subject: str, version: int) -> ServiceError:
    return ServiceError(
        404, 40407, f"Subject '{subject}' Version {version} was not deleted first before being permanently deleted"
    )


def subject_level_compatibility_not_configured(subject: str) -> ServiceError:
    return ServiceError(404, 40408, f"Subject '{subject}' does not have subject-level compatibility configured")


def subject_level_mode_not_configured(subject: str) -> ServiceError:
    return ServiceError(404, 40409, f"Subject '{subject}' does not have subject-level mode configured")


def invalid_schema(reason: str) -> ServiceError:
    return ServiceError(422, 42201, f"Invalid schema: {reason}")


def invalid_version(version: object) -> ServiceError:
    return ServiceError(
        422, 42202, f"The specified version '{version}' is not a valid version id. "
        "Allowed values are between [1, 2^31-1] and the string \"latest\""
    )  # fmt: skip


def invalid_compatibility_level(level: object) -> ServiceError:
    return ServiceError(
        422, 42203, f"Invalid compatibility level: {level!r}. Valid values are NONE, BACKWARD, "
        "BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE"
    )  # fmt: skip


def invalid_compatibility_policy(policy: object) -> ServiceError:
    return ServiceError(422, 42203, f"Invalid compatibility policy: {policy!r}. Valid values are STRICT, LENIENT")


def invalid_mode(mode: object) -> ServiceError:
    return ServiceError(422, 42204, f"Invalid mode: {mode!r}. Valid values are READWRITE, READONLY, IMPORT")


def operation_not_permitted(reason: str) -> ServiceError:
    return ServiceError(422, 42205, reason)


def reference_exists(reason: str) -> ServiceError:
    return ServiceError(422, 42206, reason)


def schema_too_large(reason: str) -> ServiceError:
    """Confluent's SCHEMA_TOO_LARGE: the request is fine, but its record cannot be stored."""
    return ServiceError(422, 42209, reason)


def incompatible_schema(message: str) -> ServiceError:
    return ServiceError(409, 409, message)


def malformed_json(reason: str) -> ServiceError:
    """A request body that does not parse as JSON (Confluent's rest-utils answers 400)."""
    return ServiceError(400, 400, f"The request body is not valid JSON: {reason}")


def bad_request(reason: str) -> ServiceError:
    """A JSON body of the wrong shape (Confluent's rest-utils answers 422)."""
    return ServiceError(422, 422, reason)


def store_error(reason: str) -> ServiceError:
    return ServiceError(500, 50001, f"Error while storing the schema: {reason}")


def store_timeout(reason: str) -> ServiceError:
    return ServiceError(500, 50002, reason)


def forwarding_error(reason: str) -> ServiceError:
    return ServiceError(500, 50003, f"Error while forwarding the request to the primary: {reason}")


def unknown_leader() -> ServiceError:
    return ServiceError(500, 50004, "Unknown primary: no registry instance is the primary right now; retry shortly")
