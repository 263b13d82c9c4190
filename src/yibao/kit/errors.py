"""The base of every domain error (ARCHITECTURE.md convention 7).

A domain error carries a stable `code`, an HTTP status for the REST door and a Chinese message that tells
a person what to do. Each door maps it to its own form (gateway infcode -1, problem JSON, CLI exit 2).
"""

from __future__ import annotations


class DomainError(Exception):
    code: str = "domain_error"
    http_status: int = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message
