"""One LISTEN connection per process, kept open: how an API process hears of projectors.

The connection is checked every few seconds (a half-open TCP connection says nothing by
itself) and opened again, with backoff, whenever it is gone. Each time it (re)opens, the
owner is told (``opened``) so that it reads afresh whatever it may have missed. Losing it
is never silent: it is logged, and ``problem`` says why until it is back.

Others in the process may listen on the same connection (``subscribe``: the event feed of
``ledger api`` hears the log's appends here), so a process holds one LISTEN connection
however many want one; each is told when the connection opens again, as it may have missed
a notification meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
import structlog

log = structlog.get_logger("ledger.readmodels")

CHECK_EVERY = 5.0
BACKOFF_FIRST = 0.2
BACKOFF_CAP = 5.0

Heard = Callable[[str, str], None]


class Listener:
    def __init__(
        self,
        dsn: str,
        channels: Sequence[str],
        heard: Heard,
        opened: Callable[[], Awaitable[None]],
        *,
        application_name: str,
        check_every: float = CHECK_EVERY,
    ) -> None:
        self._dsn, self._channels, self._heard, self._opened = dsn, list(channels), heard, opened
        self._application_name = application_name
        self._check_every = check_every
        self._conn: asyncpg.Connection[asyncpg.Record] | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._subscribed: dict[str, Callable[[], None]] = {}
        self.problem: str | None = "not started"
        self.reopened = 0  # how often the connection was opened again after a loss

    @property
    def listening(self) -> bool:
        return self.problem is None

    async def start(self) -> None:
        """Open the connection (raising when the database cannot be reached), then keep it."""
        await self._open()
        self._task = asyncio.create_task(self._keep(), name="read-models-listener")

    async def subscribe(self, channel: str, heard: Callable[[], None]) -> None:
        """Call ``heard`` on every notification of ``channel``, and whenever the connection
        opens again."""
        self._subscribed[channel] = heard
        if self._conn is not None:
            await self._conn.add_listener(channel, self._notified)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._drop()
        self.problem = "closed"

    async def _open(self) -> None:
        conn = await asyncpg.connect(self._dsn, server_settings={"application_name": self._application_name})
        try:
            self._lost.clear()
            conn.add_termination_listener(lambda _: self._lost.set())
            for channel in [*self._channels, *self._subscribed]:
                await conn.add_listener(channel, self._notified)
            # Listening first, reading second: nothing committed in between is missed.
            await self._opened()
            for heard in self._subscribed.values():
                heard()
        except BaseException:
            with contextlib.suppress(Exception):
                await conn.close()
            raise
        self._conn = conn
        self.problem = None

    def _notified(self, _conn: object, _pid: int, channel: str, payload: object) -> None:
        subscriber = self._subscribed.get(channel)
        if subscriber is not None:
            subscriber()
        else:
            self._heard(channel, str(payload))

    async def _keep(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._lost.wait(), self._check_every)
                error: BaseException = ConnectionError("the database closed the connection")
            except TimeoutError:
                try:
                    assert self._conn is not None
                    await asyncio.wait_for(self._conn.execute("SELECT 1"), self._check_every)
                    continue
                except Exception as e:
                    error = e
            await self._reopen(error)

    async def _reopen(self, error: BaseException) -> None:
        self.problem = f"not listening: {error!r}"
        log.warning("read_models_listen_lost", error=repr(error))
        await self._drop()
        delay = BACKOFF_FIRST
        while True:
            try:
                await self._open()
            except Exception as e:
                self.problem = f"not listening: {e!r}"
                log.warning("read_models_listen_failed", error=repr(e), retry_in=delay)
                with contextlib.suppress(Exception):
                    await self._opened()  # read what can be read meanwhile
                await asyncio.sleep(delay)
                delay = min(BACKOFF_CAP, delay * 2)
                continue
            self.reopened += 1
            log.info("read_models_listening_again", reopened=self.reopened)
            return

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2.0)
            if not conn.is_closed():
                conn.terminate()
