"""A realistic company history as command requests, from the demo generator, for engine tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from ledger.demo.generator import generate
from ledger.writer import CommandRequest
from tests.support.commands import request

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def company_history(days: int, seed: int) -> Iterator[CommandRequest]:
    for command in generate(NOW, seed, days):
        yield request(command.name, command.body, actor="demo")
