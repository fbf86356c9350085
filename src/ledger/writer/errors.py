"""Errors the writer answers callers with, besides the domain's own."""

from __future__ import annotations

from handlers.errors import DomainError


class IdempotencyConflict(DomainError):
    """The idempotency key was used before with another command body."""

    code = "idempotency-conflict"
    title = "Idempotency key reused with another body"


class WriterUnavailable(Exception):
    """Nothing was appended: the log is unreachable, or this writer is not (or no longer) active.

    Callers get a 503 with ``Retry-After``; the state is as if the command never came.
    """

    def __init__(self, detail: str, *, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after
