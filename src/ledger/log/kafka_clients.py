"""Every aiokafka client the ledger opens is built here, from the log's ``KafkaConnection``, so
each one carries the same security settings (a test fails on a client built anywhere else);
and here they are stopped so that nothing outlives them, and the errors that mean the
broker could not be reached or did not answer are named.

aiokafka's clients say only "Unable to bootstrap" when a broker refused their credentials
or their TLS handshake: ``explain`` finds out why, so that the ledger can say so.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.conn import create_conn
from aiokafka.errors import (
    IllegalSaslStateError,
    KafkaConnectionError,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)

from ledger.log.kafka_connection import KafkaConnection

FAILURES = (KafkaError, OSError, TimeoutError)
_REFUSALS = (SaslAuthenticationFailed, UnsupportedSaslMechanismError, IllegalSaslStateError)
_PROBE_TIMEOUT = 2.0
"""Seconds ``explain`` waits for a broker: a refusal comes in milliseconds, and a broker slower
than this is as good as unreachable; it must not double the wait of a caller that failed."""


def producer(connection: KafkaConnection, **options: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(**connection.client_args(), **options)


def consumer(connection: KafkaConnection, **options: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(**connection.client_args(), **options)


def admin(connection: KafkaConnection, **options: Any) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**connection.client_args(), **options)


async def explain(connection: KafkaConnection, error: BaseException, timeout: float = _PROBE_TIMEOUT) -> str:
    """What went wrong, in words an operator can act on: for a client that could not
    bootstrap, the bootstrap brokers' own reason (credentials refused, TLS failed, nothing
    listening), found by connecting to each once (all at once) as the client would."""
    if isinstance(error, KafkaConnectionError):
        addresses = [a.strip() for a in connection.bootstrap.split(",")]
        wait = min(timeout, _PROBE_TIMEOUT)
        tried = await asyncio.gather(*(_connect_once(connection, a, wait) for a in addresses))
        found = [r for r in tried if r is not None]
        if found:
            return min(found)[1]  # a refusal says more than an address that does not answer
    if isinstance(error, KafkaConnectionError | OSError | TimeoutError):
        return f"Kafka unreachable at {connection}: {error!r}"
    return f"Kafka at {connection}: {error!r}"


async def _connect_once(connection: KafkaConnection, address: str, timeout: float) -> tuple[int, str] | None:
    """Why a connection to ``address`` fails (0: refused, 1: unreachable), or None when it
    succeeds (it is closed again at once)."""
    host, _, port = address.rpartition(":")
    args = connection.client_args()
    del args["bootstrap_servers"]
    try:
        async with asyncio.timeout(timeout):
            opened = await create_conn(host, int(port), request_timeout_ms=int(timeout * 1000), **args)
    except _REFUSALS as e:
        return 0, f"Kafka at {connection} refused the ledger's credentials: {e}"
    except ssl.SSLError as e:
        return 0, f"the TLS handshake with Kafka at {connection} failed: {e}"
    except (*FAILURES, ValueError) as e:
        return 1, f"Kafka unreachable at {connection}: {e!r}"
    opened.close()
    return None


async def stop(component: AIOKafkaProducer | AIOKafkaConsumer, client: object) -> None:
    """Stop a producer or consumer; if that fails or hangs (broker gone), close its client
    anyway, so no connection or metadata task outlives it."""
    try:
        async with asyncio.timeout(5):
            await component.stop()
            return
    except Exception:
        pass
    await quietly(client.close())  # type: ignore[attr-defined]  # aiokafka's client is untyped


async def quietly(step: object) -> None:
    """Await a clean-up step whose own failure must not hide the error being handled."""
    try:
        async with asyncio.timeout(5):
            await step  # type: ignore[misc]  # an awaitable from an untyped library
    except Exception:
        pass
