"""Domain errors of the services (ARCHITECTURE.md convention 7). Each has a code, an HTTP status and a
Chinese message saying what to do; the doors map them (problem JSON, CLI exit 2, gateway infcode -1)."""

from __future__ import annotations

from yibao.kit.errors import DomainError


class InvalidInput(DomainError):
    code = "invalid_input"
    http_status = 400


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class Refused(DomainError):
    """A business rule refuses the operation (not eligible, not designated, suspended …)."""

    code = "refused"
    http_status = 400


class Unauthorized(DomainError):
    code = "unauthorized"
    http_status = 401


class Forbidden(DomainError):
    code = "forbidden"
    http_status = 403


__all__ = ["Conflict", "DomainError", "Forbidden", "InvalidInput", "NotFound", "Refused", "Unauthorized"]
