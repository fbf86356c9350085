"""Ready-made command requests for writer tests."""

from __future__ import annotations

from typing import Any

from ledger.writer import CommandRequest
from schemas import parse_command


def request(
    name: str, body: dict[str, Any], *, actor: str = "tester", key: str | None = None
) -> CommandRequest:
    return CommandRequest(name, parse_command(name, body), actor, body, key)


def location(i: int | str, *, key: str | None = None, name: str = "Depot") -> CommandRequest:
    body = {"location_id": f"LOC-{i}", "name": name, "kind": "warehouse"}
    return request("register-location", body, key=key)
