"""Load on a running ``ledger serve``: orders placed and read back while its processes are killed.

Each caller places orders (one line, qty 1 at 10.00) for a product and a team of its own,
one at a time, each with an ``Idempotency-Key``. An order not answered 201 (a 503 while a
writer takes over, a connection reset by a killed API worker) is asked again with its key
until it is, as a client holding its key does. After each 201 the caller reads its own write
back through ``min_position``: its product's reserved quantity (``GET /v1/inventory``) and
its team's booked actual (``GET /v1/sales/attainment``) must count exactly the orders it has
had acknowledged, whichever API worker answers and whichever projector process follows the
read model. Readers meanwhile ask the same two reads without ``min_position``, back to back.

Every request opens a connection of its own (``force_close``), so that a failure can be
placed: with ``SO_REUSEPORT`` each API worker has an accept queue of its own; when one dies,
the connections it had accepted or still queued are reset, and a connection opened after it
is gone reaches a live worker. Each request is kept as an ``Attempt``: when it was sent and
answered, and what came back (a status, or the error's repr).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import aiohttp
import orjson

ORDER, INVENTORY, ATTAINMENT = "order", "inventory", "attainment"
LATEST: Final = "-latest"  # a read without min_position
PRICE: Final = Decimal("10.00")
RETRY_PAUSE: Final = 0.05
SETTLE_S: Final = 60.0  # an order not acknowledged, or a read not answered, after this long fails


@dataclass(frozen=True, slots=True)
class Attempt:
    kind: str
    sent: float
    answered: float
    outcome: int | str  # the status, or the repr of the error instead of an answer

    @property
    def expected(self) -> int:
        return 201 if self.kind == ORDER else 200

    @property
    def ok(self) -> bool:
        return self.outcome == self.expected

    @property
    def latency(self) -> float:
        return self.answered - self.sent


@dataclass(slots=True)
class Kill:
    """A child of ``ledger serve`` killed: when (monotonic, and on the wall clock its log lines
    use), and when it was gone (reaped: its sockets closed)."""

    role: str
    pid: int
    at: float
    wall: float
    gone: float
    settled: float = 0.0  # when the test saw the service whole again


class Load:
    """``callers`` placing and reading back orders, ``readers`` reading, on the port of a serve."""

    def __init__(self, port: int, token: str, tag: str, *, callers: int = 4, readers: int = 2) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.token, self.tag = token, tag
        self.callers, self.readers = callers, readers
        # A business time of its own, a day back: the period attainment is asked for is its month.
        now = datetime.now(UTC)
        self.moment = (now - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
        self.period = f"{self.moment:%Y-%m}"
        self.attempts: list[Attempt] = []
        self.acknowledged: dict[str, float] = {}  # order id: when its 201 came
        self.wrong: list[str] = []  # what a read gave back that it should not have
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    def sku(self, caller: int) -> str:
        return f"SKU-{self.tag}-{caller}"

    def team(self, caller: int) -> str:
        return f"T-{self.tag}-{caller}"

    @property
    def location(self) -> str:
        return f"WH-{self.tag}"

    async def prepare(self) -> None:
        """The master data and stock the orders need (201 each, through the API like the rest)."""
        customer = f"CUS-{self.tag}"
        setup: list[tuple[str, dict[str, Any]]] = [
            ("register-location", {"location_id": self.location, "name": "Main", "kind": "warehouse"}),
            ("register-customer", {"customer_id": customer, "name": "Northwind"}),
        ]
        for c in range(self.callers):
            setup += [
                ("register-team", {"team_id": self.team(c), "name": f"Team {c}"}),
                ("register-product", {"sku": self.sku(c), "name": "Widget", "uom": "ea", "category": "w"}),
                (
                    "receive-stock",
                    {
                        "receipt_id": f"R-{self.tag}-{c}",
                        "sku": self.sku(c),
                        "location_id": self.location,
                        "qty": "1000000",
                    },
                ),
            ]
        async with self._session() as session:
            for n, (name, body) in enumerate(setup):
                status, answer = await self._post(session, name, body, f"setup-{self.tag}-{n}")
                assert status == 201, (name, status, answer)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._caller(c)) for c in range(self.callers)]
        self._tasks += [asyncio.create_task(self._reader(r)) for r in range(self.readers)]

    async def stop(self) -> None:
        """Each caller finishes the order in hand (acknowledged, and read back) and stops."""
        self._stopping = True
        await asyncio.gather(*self._tasks)

    def acknowledged_after(self, moment: float) -> int:
        """How many orders were acknowledged after ``moment`` (raising what stopped a caller)."""
        for task in self._tasks:
            if task.done() and task.exception() is not None:
                raise AssertionError("a caller of the load failed") from task.exception()
        return sum(1 for answered in self.acknowledged.values() if answered > moment)

    def first_acknowledged_after(self, moment: float) -> float:
        """Seconds from ``moment`` to the first 201 for an order sent after it."""
        return min(a.answered - moment for a in self.attempts if a.kind == ORDER and a.ok and a.sent > moment)

    def of(self, kind: str) -> list[Attempt]:
        return [a for a in self.attempts if a.kind == kind]

    def _session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True),
            timeout=aiohttp.ClientTimeout(total=30),
            headers={"Authorization": f"Bearer {self.token}"},
        )

    async def _caller(self, c: int) -> None:
        async with self._session() as session:
            n = 0
            while not self._stopping:
                order_id = f"SO-{self.tag}-{c}-{n}"
                token = await self._place(session, c, order_id)
                n += 1
                await self._read_back(session, c, n, token)

    async def _place(self, session: aiohttp.ClientSession, c: int, order_id: str) -> str:
        """Asks until 201 (the same body, the same key); answers the position it was written at."""
        body = {
            "order_id": order_id,
            "customer_id": f"CUS-{self.tag}",
            "channel": "online",
            "team_id": self.team(c),
            "currency": "EUR",
            "fulfil_from": self.location,
            "lines": [{"line_no": 1, "sku": self.sku(c), "qty": "1", "unit_price": str(PRICE)}],
            "occurred_at": self.moment.isoformat(),
        }
        deadline = time.monotonic() + SETTLE_S
        while True:
            sent = time.monotonic()
            try:
                status, answer = await self._post(session, "place-order", body, order_id)
            except (aiohttp.ClientError, TimeoutError) as e:
                status, answer = 0, repr(e)
            self.attempts.append(Attempt(ORDER, sent, time.monotonic(), status or str(answer)))
            if status == 201:
                self.acknowledged[order_id] = time.monotonic()
                assert isinstance(answer, dict)
                return str(answer["position"])
            assert status in (0, 503), f"{order_id}: {status} {answer}"
            assert time.monotonic() < deadline, f"{order_id} not acknowledged within {SETTLE_S} s"
            await asyncio.sleep(RETRY_PAUSE)

    async def _read_back(self, session: aiohttp.ClientSession, c: int, n: int, token: str) -> None:
        wait = {"min_position": token, "wait_ms": "15000"}
        levels = await self._read(session, INVENTORY, self._inventory_query(c) | wait)
        if levels is not None:
            reserved = [Decimal(i["reserved"]) for i in levels["items"]]
            if reserved != [n]:
                self.wrong.append(f"{self.sku(c)} reserved {reserved} after {n} orders acknowledged")
        standing = await self._read(session, ATTAINMENT, self._attainment_query() | wait)
        if standing is not None:
            actual = [Decimal(i["actual"]) for i in standing["items"] if i["key"] == self.team(c)]
            if actual != [n * PRICE]:
                self.wrong.append(f"{self.team(c)} booked {actual} after {n} orders acknowledged")

    async def _reader(self, r: int) -> None:
        async with self._session() as session:
            while not self._stopping:
                await self._read(session, INVENTORY + LATEST, self._inventory_query(r % self.callers))
                await self._read(session, ATTAINMENT + LATEST, self._attainment_query())

    def _inventory_query(self, c: int) -> dict[str, str]:
        return {"sku": self.sku(c), "location_id": self.location}

    def _attainment_query(self) -> dict[str, str]:
        return {"period": self.period, "dimension": "team", "basis": "booked"}

    async def _read(self, session: aiohttp.ClientSession, kind: str, query: dict[str, str]) -> Any:
        """One read, asked again on a new connection while the one it was on failed: the body of
        a 200, or None (a status other than 200 is kept as such, not asked again)."""
        path = "/v1/inventory" if kind.startswith(INVENTORY) else "/v1/sales/attainment"
        deadline = time.monotonic() + SETTLE_S
        while True:
            sent = time.monotonic()
            try:
                async with session.get(self.base + path, params=query) as response:
                    raw = await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as e:
                self.attempts.append(Attempt(kind, sent, time.monotonic(), repr(e)))
            else:
                self.attempts.append(Attempt(kind, sent, time.monotonic(), status))
                return orjson.loads(raw) if status == 200 else None
            assert time.monotonic() < deadline, f"{path} not answered within {SETTLE_S} s"

    async def _post(
        self, session: aiohttp.ClientSession, name: str, body: dict[str, Any], key: str
    ) -> tuple[int, Any]:
        async with session.post(
            f"{self.base}/v1/commands/{name}", json=body, headers={"Idempotency-Key": key}
        ) as response:
            raw = await response.read()
            return response.status, orjson.loads(raw) if raw else None


def unexplained(load: Load, kills: list[Kill]) -> list[Attempt]:
    """Every request whose outcome no kill explains. Tolerated, and nothing else:

    - an order answered 503 after the active writer was killed, sent before the take-over was
      seen to be complete: the API worker's writer is gone and the standby not yet active;
    - a request whose connection failed, answered after an API worker was killed and sent
      before that worker was gone: its connection was accepted or queued by the dead worker.
    """
    left = []
    for attempt in load.attempts:
        if attempt.ok:
            continue
        writer_gap = attempt.kind == ORDER and attempt.outcome == 503
        dropped = isinstance(attempt.outcome, str)
        if not any(
            (k.role == "writer" and writer_gap and k.at <= attempt.answered and attempt.sent <= k.settled)
            or (k.role == "api" and dropped and k.at <= attempt.answered and attempt.sent <= k.gone)
            for k in kills
        ):
            left.append(attempt)
    return left
