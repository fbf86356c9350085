"""A TCP proxy that can lose a server's reply on purpose.

It forwards bytes both ways between clients and a server (TCP or unix socket). Armed with a
predicate, it forwards the first client request that matches, then drops the server's answer
and cuts the connection: the request took effect, the client cannot know. That is the
ambiguous failure after which a client retries, and a log must not record twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

Predicate = Callable[[bytes], bool]


def kafka_api(api_key: int) -> Predicate:
    """Match a Kafka request frame of one API (0 = Produce, 26 = EndTxn)."""
    return lambda frame: len(frame) >= 6 and int.from_bytes(frame[4:6], "big") == api_key


def contains(marker: bytes) -> Predicate:
    return lambda chunk: marker in chunk


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_upstream(dsn: str) -> tuple[str, int] | str:
    """Where the PostgreSQL server of ``dsn`` listens: (host, port), or its unix socket's path."""
    url = urlparse(dsn)
    host = parse_qs(url.query).get("host", [url.hostname or "127.0.0.1"])[0]
    port = url.port or 5432
    return f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, port)


def postgres_via(dsn: str, port: int) -> str:
    """``dsn``, but through a proxy listening on ``port`` of this host."""
    url = urlparse(dsn)
    database = url.path.lstrip("/") or "postgres"
    return f"postgresql://{url.username or 'postgres'}@127.0.0.1:{port}/{database}?sslmode=disable"


class FaultProxy:
    def __init__(
        self, listen_port: int, upstream: tuple[str, int] | str, *, kafka_framing: bool = False
    ) -> None:
        self.listen_port = listen_port
        self._upstream = upstream
        self._kafka_framing = kafka_framing
        self._server: asyncio.Server | None = None
        self._armed: Predicate | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.cuts = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.listen_port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    def cut_reply_to(self, predicate: Predicate) -> None:
        """Lose the reply to the next matching request, then cut that connection."""
        self._armed = predicate

    async def _connect_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if isinstance(self._upstream, str):
            return await asyncio.open_unix_connection(self._upstream)
        return await asyncio.open_connection(*self._upstream)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await self._connect_upstream()
        except OSError:
            client_w.close()
            return
        self._writers |= {client_w, server_w}
        muted = asyncio.Event()
        pumps = [
            asyncio.create_task(self._pump_requests(client_r, server_w, muted)),
            asyncio.create_task(self._pump_replies(server_r, client_w, muted)),
        ]
        # Whichever side ends first ends the connection for both.
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        if muted.is_set():
            await asyncio.sleep(0.3)  # let the server act on the request whose reply is lost
        for writer in (client_w, server_w):
            writer.close()
            self._writers.discard(writer)
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)

    async def _pump_requests(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, muted: asyncio.Event
    ) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            await self._forward_requests(reader, writer, muted)

    async def _forward_requests(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, muted: asyncio.Event
    ) -> None:
        while True:
            if self._kafka_framing:
                size = await reader.readexactly(4)
                chunk = size + await reader.readexactly(int.from_bytes(size, "big"))
            else:
                chunk = await reader.read(65536)
                if not chunk:
                    return
            armed = self._armed
            if armed is not None and armed(chunk):
                self._armed = None
                muted.set()
                writer.write(chunk)
                await writer.drain()
                self.cuts += 1
                return
            writer.write(chunk)
            await writer.drain()

    @staticmethod
    async def _pump_replies(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, muted: asyncio.Event
    ) -> None:
        with contextlib.suppress(OSError):
            while chunk := await reader.read(65536):
                if muted.is_set():
                    continue
                writer.write(chunk)
                await writer.drain()
