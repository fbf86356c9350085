"""A record of the command topic read as a command, and its answer as a record.

A record passes the gates of an HTTP command (``ledger.http.gates``), in this order, and
fails each with the problem HTTP gives: its value is not JSON or not UTF-8 (400
``malformed-json``); not ``{"name", "body"}`` (422 ``validation-failed``); an unknown command
(404 ``unknown-command``); no usable key, which is its idempotency key (400
``invalid-idempotency-key``); no or a bad token in its ``authorization`` header (401); a
scope missing (403); a body against the command's schema (422). The writer then decides it
(201, 409), a key seen before answering its first answer again.

The answer goes to the results topic under the command's key (none for a record without
one), on its command's partition number, as ``{"status", "body"}`` exactly as HTTP would have
answered, with the headers ``command-partition`` and ``command-offset`` naming the command's
record, so even an answer with no key can be matched.
"""

from __future__ import annotations

from typing import Any, Final

import orjson
import structlog
from pydantic import ValidationError

from ledger.http.auth import TokenStore, bearer
from ledger.http.gates import counted_name, decode_json, idempotency_key, prepare
from ledger.http.problems import Problem, problem_for
from ledger.log import Outgoing
from ledger.log.kafka_commands import CommandRecord
from ledger.store import DatabaseUnavailable, is_unavailable
from ledger.writer.outbox import Delivery, Outcome
from ledger.writer.requests import CommandRequest
from ledger.writer.results import CommandResult
from schemas import MalformedJSON, UnknownCommand, command_class

log = structlog.get_logger("ledger.writer")

PARTITION_HEADER: Final = "command-partition"
OFFSET_HEADER: Final = "command-offset"
_REFUSALS = (Problem, ValidationError, MalformedJSON, UnknownCommand)
_SHAPE: Final = frozenset({"name", "body"})


async def read_command(
    record: CommandRecord, tokens: TokenStore
) -> tuple[Delivery, CommandRequest | BaseException]:
    """The record as a command for the writer, or why the gates refuse it.

    Raises only when the token store cannot answer (``DatabaseUnavailable``): that is no
    answer to the record, which is read again later."""
    name: object = None
    try:
        value = decode_json(record.value or b"", "value")
        if not isinstance(value, dict) or set(value) != _SHAPE or not isinstance(value["name"], str):
            raise Problem(
                422,
                "validation-failed",
                'a command record\'s value is {"name", "body"}',
                errors=[{"loc": ["value"], "msg": 'must be {"name": <command>, "body": {...}}'}],
            )
        name = value["name"]
        command_class(value["name"])
        key = idempotency_key(_key(record.key))
        principal = await bearer(tokens, _header(record, "authorization"))
        outcome: CommandRequest | BaseException = prepare(principal, value["name"], value["body"], key, None)
    except DatabaseUnavailable:
        raise
    except Exception as e:
        if is_unavailable(e):
            raise DatabaseUnavailable(f"authenticating a command record: {e!r}") from e
        if not isinstance(e, _REFUSALS):  # a defect: answered as HTTP would, 500, and logged
            log.exception("command_record_failed", partition=record.source.partition, offset=record.offset)
        outcome = e
    delivery = Delivery(record.source, record.offset, record.since, record.key, counted_name(name))
    return delivery, outcome


def _key(raw: bytes | None) -> str:
    """The record's key as an idempotency key: required, since a record is retried by sending it again."""
    detail = "a command record's key is its idempotency key: 1 to 200 visible ASCII characters"
    if raw is None:
        raise Problem(400, "invalid-idempotency-key", detail)
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise Problem(400, "invalid-idempotency-key", detail) from None


def _header(record: CommandRecord, name: str) -> str:
    """A header's value as text (undecodable bytes kept as they came, as HTTP headers are)."""
    for key, value in record.headers:
        if key.lower() == name:
            return value.decode("utf-8", "surrogateescape")
    return ""


def answer(outcome: Outcome) -> tuple[int, dict[str, Any]]:
    """What HTTP would answer: a success's 201 body, or the error's problem."""
    if isinstance(outcome, CommandResult):
        return 201, outcome.body()
    body, _ = problem_for(outcome)
    return int(body["status"]), body


def answer_record(topic: str, delivery: Delivery, status: int, body: dict[str, Any]) -> Outgoing:
    source = delivery.source
    headers = [
        ("content-type", b"application/json"),
        (PARTITION_HEADER, str(source.partition).encode()),
        (OFFSET_HEADER, str(delivery.offset).encode()),
    ]
    value = orjson.dumps({"status": status, "body": body}, default=str)
    return Outgoing(topic, source.partition, delivery.key, headers, value)
