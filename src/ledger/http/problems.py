"""RFC 9457 problem details, and the one middleware that turns every error into one.

Each layer raises its own errors; they are mapped here, once. Nothing leaves as a bare 500:
even a defect answers problem+json (and is logged with its traceback). The database's
unavailability is translated where the engine meets it (``DatabaseUnavailable``); a driver
error that says the same but escaped translation still answers 503 here, and is logged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import orjson
import structlog
from aiohttp import web
from pydantic import ValidationError

from handlers.errors import DomainError
from ledger.log import InvalidPosition, LogError
from ledger.store import DatabaseUnavailable, is_unavailable
from ledger.writer import WriterUnavailable
from schemas import MalformedJSON, UnknownCommand

log = structlog.get_logger("ledger.http")

PROBLEM_TYPE = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal error",
    503: "Service unavailable",
}


class Problem(Exception):
    """An HTTP error raised by a route, with its status and a stable code."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra


def problem_body(
    status: int, code: str, detail: str, title: str | None = None, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The problem document; extension members never replace the standard ones."""
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return body


_INTERNAL: Final = problem_body(500, "internal", "an unexpected error occurred; it has been logged")


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(body, default=str),
        status=int(body["status"]),
        content_type=PROBLEM_TYPE,
        headers=headers,
    )


def validation_errors(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": ["body", *error_item["loc"]], "msg": error_item["msg"]}
        for error_item in error.errors(include_url=False, include_input=False, include_context=False)
    ]


def problem_for(error: BaseException) -> tuple[dict[str, Any], dict[str, str] | None]:
    """The problem body (and extra headers) that answers an error."""
    match error:
        case Problem():
            headers = {"Retry-After": "1"} if error.status == 503 else None
            return problem_body(error.status, error.code, error.detail, extra=error.extra), headers
        case DomainError():
            return problem_body(409, error.code, error.detail, title=error.title, extra=error.extra), None
        case ValidationError():
            detail = f"{error.error_count()} field(s) failed validation"
            errors = validation_errors(error)
            return problem_body(422, "validation-failed", detail, extra={"errors": errors}), None
        case MalformedJSON():
            return problem_body(400, "malformed-json", str(error)), None
        case UnknownCommand():
            return problem_body(404, "unknown-command", str(error)), None
        case InvalidPosition():
            return problem_body(400, "invalid-position", str(error)), None
        case WriterUnavailable():
            headers = {"Retry-After": str(error.retry_after)}
            return problem_body(503, "unavailable", error.detail), headers
        case DatabaseUnavailable():
            headers = {"Retry-After": str(error.retry_after)}
            return problem_body(503, "unavailable", f"the database is unavailable: {error}"), headers
        case web.RequestPayloadError():
            detail = "the body cannot be read: it is not what its Content-Encoding or framing says"
            return problem_body(400, "unreadable-body", detail), None
        case _ if is_unavailable(error) and not isinstance(error, OSError):
            detail = f"the database is unavailable: {type(error).__name__}"
            return problem_body(503, "unavailable", detail), {"Retry-After": "1"}
        case LogError() | OSError():
            return problem_body(503, "unavailable", f"the log or database is unavailable: {error}"), {
                "Retry-After": "1"
            }
        case web.HTTPRequestEntityTooLarge():
            return problem_body(413, "body-too-large", "the request body is over the limit"), None
        case web.HTTPException():
            code = error.reason.lower().replace(" ", "-")
            return problem_body(error.status, code, error.reason), None
    return dict(_INTERNAL), None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


_EXPECTED_5XX: Final = (Problem, WriterUnavailable, LogError, OSError, DatabaseUnavailable)


@web.middleware
async def problems_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Exception as error:
        try:
            body, headers = problem_for(error)
            if isinstance(error, web.HTTPMethodNotAllowed):
                headers = {"Allow": ", ".join(sorted(error.allowed_methods))}
            response = problem_response(body, headers)
        except Exception:  # a defect in the mapping itself still answers problem+json
            body = dict(_INTERNAL)
            response = problem_response(body)
        _after(request, error, body, response)
        return response


def _after(request: web.Request, error: Exception, body: dict[str, Any], response: web.Response) -> None:
    """Log what an operator must see, and end a connection whose request stream is broken."""
    if isinstance(error, web.RequestPayloadError):
        # The rest of the body cannot be read: marking it ended keeps the server from draining
        # it (and failing again) after the answer, and the connection closes with the answer.
        request.content.feed_eof()
        response.force_close()
    if isinstance(error, DatabaseUnavailable):
        log.warning("database_unavailable", method=request.method, path=request.path, error=str(error))
    elif body["status"] >= 500 and not isinstance(error, _EXPECTED_5XX):
        if is_unavailable(error):
            log.warning("database_error_untranslated", path=request.path, error=repr(error))
        else:
            log.exception("request_failed", method=request.method, path=request.path)
