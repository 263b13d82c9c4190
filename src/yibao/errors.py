"""Domain errors of the services (ARCHITECTURE.md convention 7). Each has a code, an HTTP status and a
Chinese message saying what to do; the doors map them (problem JSON, CLI exit 2, gateway infcode -1)."""

from __future__ import annotations

from typing import Any, ClassVar

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


class Named:
    """A named error of a domain (`NotInsured`, `VisitAlreadySettled` …): its stable `code`, the field it is
    about and a Chinese `template` filled from keyword facts, which stay on the error for its callers and tests.
    Mixed in before the kind of refusal it is: `class VisitAlreadySettled(Named, Conflict)`."""

    template: ClassVar[str]
    default_field: ClassVar[str | None] = None
    defaults: ClassVar[dict[str, Any]] = {}  # facts a template may go without

    def __init__(self, *, field: str | None = None, **facts: Any) -> None:
        self.facts = facts
        super().__init__(self.template.format(**(self.defaults | facts)), field=field or self.default_field)  # type: ignore[call-arg]


__all__ = ["Conflict", "DomainError", "Forbidden", "InvalidInput", "Named", "NotFound", "Refused", "Unauthorized"]
