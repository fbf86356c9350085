"""The engine's log is JSON lines only, whatever logs through the standard library beside it."""

from __future__ import annotations

import json
import logging

import pytest

from ledger.logging import configure_logging


def test_aiokafka_records_are_json_lines_naming_the_role_and_the_library(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(role="writer")
    capsys.readouterr()
    kafka = logging.getLogger("aiokafka.conn")
    kafka.error("Unable connect to node with id %s: %s", 1, "[Errno 111] Connect call failed")
    kafka.info("Discovered coordinator 2")  # below warning: left out, as before
    [line] = [json.loads(text) for text in capsys.readouterr().err.splitlines()]
    assert line["event"] == "Unable connect to node with id 1: [Errno 111] Connect call failed"
    assert (line["level"], line["role"], line["logger"]) == ("error", "writer", "aiokafka.conn")
