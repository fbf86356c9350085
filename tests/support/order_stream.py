"""A stream of orders over HTTP for fault tests: every answer kept, every order asked until 201.

Each caller places orders (one line, qty 1 at 10.00) for a product of its own, one at a time,
each with its order id as ``Idempotency-Key``. After a 503 or a failed connection the same
order is asked again with the same key, as a client holding its key does, until it is
acknowledged; any other answer is kept for the test to name and the caller goes on. A reader
reads caller 0's stock back through the position of its latest acknowledged order meanwhile.
Each request is an ``Answer``: when it was sent and answered, its status, ``Retry-After``
and body, so a test can place every answer around the faults it caused.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
import orjson

RETRY_PAUSE: Final = 0.1  # shorter than Retry-After asks: the gap without writes is measured finely


@dataclass(frozen=True, slots=True)
class Answer:
    """One request: when it was sent and answered, and what came back."""

    key: str
    sent: float
    answered: float
    status: int | str  # the status, or the repr of the error instead of an answer
    retry_after: str | None = None
    body: Any = None


class OrderStream:
    """``callers`` placing orders on a serve's port, one at a time each, and one reader."""

    def __init__(self, port: int, token: str, tag: str, *, callers: int = 6, settle: float = 180.0) -> None:
        """``settle``: seconds an order may take to be acknowledged, however often it is asked."""
        self.base = f"http://127.0.0.1:{port}"
        self.token, self.tag = token, tag
        self.callers, self.settle = callers, settle
        self.orders: list[Answer] = []
        self.reads: list[Answer] = []
        self.acknowledged: dict[str, Answer] = {}  # order id (its key): its 201
        self._written: str | None = None  # the position of caller 0's latest acknowledged order
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    def _session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.settle),
            headers={"Authorization": f"Bearer {self.token}"},
        )

    async def prepare(self) -> None:
        """The master data and stock the orders need (201 each, through the API like the rest)."""
        setup: list[tuple[str, dict[str, Any]]] = [
            ("register-location", {"location_id": f"WH-{self.tag}", "name": "Main", "kind": "warehouse"}),
            ("register-customer", {"customer_id": f"CUS-{self.tag}", "name": "Northwind"}),
            ("register-team", {"team_id": f"T-{self.tag}", "name": "Team"}),
        ]
        for c in range(self.callers):
            sku = f"SKU-{self.tag}-{c}"
            setup += [
                ("register-product", {"sku": sku, "name": "Widget", "uom": "ea", "category": "w"}),
                (
                    "receive-stock",
                    {"receipt_id": f"R-{sku}", "sku": sku, "location_id": f"WH-{self.tag}", "qty": "1000000"},
                ),
            ]
        async with self._session() as session:
            for n, (name, body) in enumerate(setup):
                answer = await self._post(session, name, body, f"setup-{self.tag}-{n}")
                assert answer.status == 201, answer

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._caller(c)) for c in range(self.callers)]
        self._tasks.append(asyncio.create_task(self._reader()))

    async def stop(self) -> None:
        """Each caller finishes the order in hand (acknowledged) and stops."""
        self._stopping = True
        await asyncio.gather(*self._tasks)

    def acknowledged_in(self, start: float, end: float = float("inf")) -> int:
        """Orders whose acknowledged request was sent and answered within [start, end)
        (raising what stopped a caller)."""
        for task in self._tasks:
            if task.done() and task.exception() is not None:
                raise AssertionError("a caller of the stream failed") from task.exception()
        return sum(1 for a in self.acknowledged.values() if start <= a.sent and a.answered < end)

    async def _caller(self, c: int) -> None:
        async with self._session() as session:
            n = 0
            while not self._stopping:
                await self._place(session, c, f"SO-{self.tag}-{c}-{n}")
                n += 1

    async def _place(self, session: aiohttp.ClientSession, c: int, order_id: str) -> None:
        """Asks again with the same key after a 503 or a failed connection, until 201; any
        other answer is kept for the test to name, and the caller goes on to its next order."""
        body = {
            "order_id": order_id,
            "customer_id": f"CUS-{self.tag}",
            "channel": "online",
            "team_id": f"T-{self.tag}",
            "currency": "EUR",
            "fulfil_from": f"WH-{self.tag}",
            "lines": [{"line_no": 1, "sku": f"SKU-{self.tag}-{c}", "qty": "1", "unit_price": "10.00"}],
        }
        deadline = time.monotonic() + self.settle
        while True:
            answer = await self._post(session, "place-order", body, order_id)
            self.orders.append(answer)
            if answer.status == 201:
                self.acknowledged[order_id] = answer
                if c == 0:
                    self._written = answer.body["position"]
                return
            if answer.status != 503 and not isinstance(answer.status, str):
                return
            assert time.monotonic() < deadline, f"{order_id} not acknowledged within {self.settle} s"
            await asyncio.sleep(RETRY_PAUSE)

    async def _reader(self) -> None:
        """Reads caller 0's stock back through the position of its latest acknowledged order."""
        query = {"sku": f"SKU-{self.tag}-0", "location_id": f"WH-{self.tag}", "wait_ms": "15000"}
        async with self._session() as session:
            while not self._stopping:
                if self._written is not None:
                    query["min_position"] = self._written
                sent = time.monotonic()
                status: int | str
                try:
                    async with session.get(f"{self.base}/v1/inventory", params=query) as response:
                        await response.read()
                        status, retry_after = response.status, response.headers.get("Retry-After")
                except (aiohttp.ClientError, TimeoutError) as e:
                    status, retry_after = repr(e), None
                self.reads.append(Answer("read", sent, time.monotonic(), status, retry_after))
                await asyncio.sleep(RETRY_PAUSE)

    async def _post(
        self, session: aiohttp.ClientSession, name: str, body: dict[str, Any], key: str
    ) -> Answer:
        sent = time.monotonic()
        try:
            async with session.post(
                f"{self.base}/v1/commands/{name}", json=body, headers={"Idempotency-Key": key}
            ) as response:
                raw = await response.read()
                status, retry_after = response.status, response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as e:
            return Answer(key, sent, time.monotonic(), repr(e))
        return Answer(key, sent, time.monotonic(), status, retry_after, orjson.loads(raw) if raw else None)
