"""Stopping aiokafka's producers and consumers so that nothing outlives them, and the errors
that mean the broker could not be reached or did not answer."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

FAILURES = (KafkaError, OSError, TimeoutError)


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
