"""The gates a command passes before the writer decides it, whichever way it arrived.

A ``POST /v1/commands/{name}`` (``ledger.http.commands``) and a record of the Kafka command
topic (``ledger.writer.command_records``) go through the same checks and fail them with the
same problems: the bytes read as JSON exactly, decimals included (400); a usable idempotency
key (400); the principal's scope for the command's area (403); the command's schema (422).
Only the framing differs (a request's headers and path, a record's key, headers and value),
and it stays with each caller. How an answer is counted is shared too, so both count alike.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from ledger.http.auth import Principal
from ledger.http.problems import Problem
from ledger.writer import CommandRequest
from schemas import COMMANDS, command_class, loads, parse_command

_KEY = re.compile(r"[\x21-\x7e]{1,200}")


def decode_json(raw: bytes, what: str = "body") -> Any:
    """One JSON document read exactly (MalformedJSON, a 400, when it is not one), else a 400."""
    if not raw:
        raise Problem(400, "malformed-json", f"the {what} is empty")
    try:
        # json.loads would let UTF-8-encoded surrogates through ("surrogatepass"); they are not UTF-8.
        raw.decode(json.detect_encoding(raw))
    except UnicodeDecodeError as e:
        raise Problem(400, "malformed-json", f"the {what} is not valid Unicode: {e.reason}") from e
    try:
        return loads(raw)
    except ArithmeticError as e:  # decimal.InvalidOperation: an exponent beyond any Decimal
        raise Problem(400, "malformed-json", f"a number in the {what} is out of range") from e


def idempotency_key(value: str | None) -> str | None:
    if value is not None and not _KEY.fullmatch(value):
        raise Problem(
            400, "invalid-idempotency-key", "an Idempotency-Key is 1 to 200 visible ASCII characters"
        )
    return value


def _as_sent(body: dict[str, Any]) -> Any:
    """The body in plain JSON values (decimals as their text), for the idempotency digest."""
    return orjson.loads(orjson.dumps(body, default=str))


def prepare(
    principal: Principal,
    name: str,
    body: Any,
    key: str | None,
    correlation_id: str | None,
) -> CommandRequest:
    """One command checked for scope and schema, ready for the writer (or a Problem)."""
    command_type = command_class(name)
    principal.require(f"{command_type.area}:write")
    if not isinstance(body, dict):
        raise Problem(
            422,
            "validation-failed",
            "the command body must be a JSON object",
            errors=[{"loc": ["body"], "msg": "must be a JSON object"}],
        )
    command = parse_command(name, body)
    as_sent = None if key is None else _as_sent(body)  # only a keyed command is digested
    return CommandRequest(name, command, principal.name, as_sent, key, correlation_id)


def outcome(status: int) -> str:
    """How a command's answer is counted."""
    if status < 300:
        return "accepted"
    if status == 409:
        return "rejected"
    if status == 503:
        return "unavailable"
    return "invalid" if status < 500 else "failed"


def counted_name(name: object) -> str:
    """The name a command is counted and logged under: names nobody can register are one."""
    return name if isinstance(name, str) and name in COMMANDS else "unknown"
