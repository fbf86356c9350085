"""Following ``GET /v1/events`` as an integrator would, and what ``ledger export`` says it should give.

The Server-Sent Events are parsed here from the raw lines of an aiohttp client response (the
format of the HTML standard: ``field: value`` lines, a blank line ending a message, ``:``
starting a comment), never with the server's own code.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from ledger.audit.exchange import export
from ledger.log import EventLog, Position


async def export_lines(log: EventLog) -> list[bytes]:
    """The log as ``ledger export`` writes it: one line per event, without the newlines."""
    with tempfile.TemporaryDirectory(prefix="feed-export-") as directory:
        out = Path(directory) / "history.jsonl"
        await export(log, out)
        return out.read_bytes().splitlines()


async def settled(log: EventLog, written: Position) -> Position:
    """The log's end once it covers every event acknowledged (on Kafka the end stays before a
    transaction until its commit marker is written, a moment after the answer)."""
    async with asyncio.timeout(10):
        while not (end := await log.end_position()).covers(written):
            await asyncio.sleep(0.02)
    return end


def line_of(item: dict[str, Any]) -> bytes:
    """A feed item spelled as an export line (sorted keys), to compare byte for byte."""
    return orjson.dumps(item, option=orjson.OPT_SORT_KEYS)


def by_stream(lines: Iterable[bytes]) -> dict[str, list[bytes]]:
    streams: dict[str, list[bytes]] = defaultdict(list)
    for line in lines:
        streams[orjson.loads(line)["subject"]].append(line)
    return dict(streams)


def assert_same_events(received: list[bytes], exported: list[bytes]) -> None:
    """Exactly the export's events, each once, in each stream's order."""
    assert len(received) == len(set(received)), "an event was received twice"
    assert not set(exported) - set(received), f"{len(set(exported) - set(received))} events missing"
    assert not set(received) - set(exported), f"{len(set(received) - set(exported))} events not exported"
    assert by_stream(received) == by_stream(exported)


def locations(count: int, tag: str = "") -> list[dict[str, Any]]:
    """Batch items of ``register-location``: one event each, on streams of their own."""
    tag = tag or uuid.uuid4().hex[:8]
    return [
        {"name": "register-location", "body": {"location_id": f"L-{tag}-{i}", "name": "x", "kind": "store"}}
        for i in range(count)
    ]


@dataclass
class Message:
    id: str | None
    data: str | None
    comment: str | None = None


@dataclass
class SseReader:
    """Messages and comments off one event stream, as a browser's EventSource would take them."""

    response: aiohttp.ClientResponse
    last_event_id: str | None = None
    comments: list[str] = field(default_factory=list)
    _id: str | None = None
    _data: list[str] = field(default_factory=list)
    _has_id: bool = False

    async def next(self, *, comments: bool = False) -> Message | None:
        """The next message (None when the stream ends); id-only ones move ``last_event_id`` too.
        With ``comments``, a comment line comes back as a message of its own."""
        while (line := await self.response.content.readline()) != b"":
            text = line.decode().rstrip("\r\n")
            if comments and text.startswith(":"):
                return Message(None, None, text[1:].strip())
            message = self._line(text)
            if message is not None:
                return message
        return None

    async def take(self, lines: int, events: int) -> list[Message]:
        """The messages completed within the next ``lines`` lines, or until ``events`` events
        came: a message still half read when the lines are up is lost with the connection, as
        a browser loses it."""
        messages: list[Message] = []
        for _ in range(lines):
            line = await self.response.content.readline()
            if line == b"":
                break
            message = self._line(line.decode().rstrip("\r\n"))
            if message is not None:
                messages.append(message)
                if sum(m.data is not None for m in messages) >= events:
                    break
        return messages

    def _line(self, line: str) -> Message | None:
        if not line:
            if not (self._data or self._has_id):
                return None
            message = Message(self._id if self._has_id else None, "\n".join(self._data) or None)
            if self._has_id:
                self.last_event_id = self._id
            self._data, self._has_id = [], False
            return message
        if line.startswith(":"):
            self.comments.append(line[1:].strip())
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id":
            self._id, self._has_id = value, True
        elif name == "data":
            self._data.append(value)
        else:
            raise AssertionError(f"unexpected field {name!r} in {line!r}")
        return None


async def follow_with_cuts(
    open_stream: Callable[[str | None], Awaitable[aiohttp.ClientResponse]],
    rnd: random.Random,
    received: list[bytes],
    wanted: int,
    last: str | None = None,
) -> str | None:
    """Follow a stream until ``wanted`` events arrived in all, cutting the connection after a
    random number of lines (mid-message as often as not) and resuming with the last id taken.
    Answers that last id, to go on from later."""
    async with asyncio.timeout(60):
        while len(received) < wanted:
            response = await open_stream(last)
            reader = SseReader(response, last_event_id=last)
            for message in await reader.take(rnd.randint(1, 60), wanted - len(received)):
                if message.data is not None:
                    received.append(message.data.encode())
            last = reader.last_event_id
            response.close()  # cut: whatever was half read is lost, as in a dropped connection
    return last
