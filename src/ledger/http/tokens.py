"""Issuing and revoking tokens, each recorded in the log before the token store changes.

The order is the invariant: the writer appends ``TokenIssued`` or ``TokenRevoked`` first, and
only a durable event lets the store change, so a usable token never exists without its trace
(a failure in between leaves at worst a trace of a change that did not happen, never the
reverse). One lock per process keeps "does it exist, record, change" whole, so two
revocations of one principal do not both record one.

At start-up the ``admin`` principal is issued the configured or a generated token; that is
recorded (by the actor ``ledger``) only when it changes what the store holds, so a restart
with the same token records nothing. A writer not active yet (a standby, or one the log
refused) records it once it is (``admin_ensured``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Final

import structlog
from aiohttp import web

from ledger.http.auth import ADMIN, SCOPES, TokenStore, digest
from ledger.writer import CommandRequest, Writer
from ledger.writer.state import Status
from schemas.access import IssueToken, RevokeToken
from schemas.base import Command

log = structlog.get_logger("ledger.http")

LEDGER: Final = "ledger"
"""The actor of what the ledger does on its own: issuing the start-up admin token."""


class TokenKeeper:
    def __init__(self, store: TokenStore, writer: Writer) -> None:
        self._store = store
        self._writer = writer
        self._lock = asyncio.Lock()

    async def issue(self, actor: str, principal: str, scopes: Iterable[str], token: str | None = None) -> str:
        """Give ``principal`` a token (``token``, or a new one) with ``scopes``; answer the token."""
        scopes = sorted(set(scopes))
        async with self._lock:
            await self._record(actor, IssueToken.model_validate({"principal": principal, "scopes": scopes}))
            return await self._store.issue(principal, scopes, token)

    async def revoke(self, actor: str, principal: str) -> bool:
        """Take ``principal``'s token away; False when it holds none (and nothing is recorded)."""
        async with self._lock:
            if not await self._store.exists(principal):
                return False
            await self._record(actor, RevokeToken(principal=principal))
            return await self._store.revoke(principal)

    async def ensure_admin(self, configured: str | None) -> str | None:
        """Make ``admin`` hold the configured token with every scope, or a generated one if it
        holds none; answer a generated token (to be shown once), else None."""
        held = await self._store.held(ADMIN)
        if configured is not None:
            if held != (digest(configured), frozenset(SCOPES)):
                await self.issue(LEDGER, ADMIN, SCOPES, configured)
            return None
        if held is not None:
            return None
        return await self.issue(LEDGER, ADMIN, SCOPES)

    @contextlib.asynccontextmanager
    async def admin_ensured(
        self, configured: str | None, shown: Callable[[str], None]
    ) -> AsyncIterator[None]:
        """``ensure_admin`` now when the writer is active, else in the background once it is
        (cancelled on leaving); a generated token goes to ``shown``."""
        if self._writer.status is Status.ACTIVE:
            if (token := await self.ensure_admin(configured)) is not None:
                shown(token)
            yield
            return
        later = asyncio.create_task(self._ensure_admin_once_active(configured, shown))
        try:
            yield
        finally:
            later.cancel()
            await asyncio.wait([later])

    async def _ensure_admin_once_active(self, configured: str | None, shown: Callable[[str], None]) -> None:
        """Every failure is logged and tried again a moment later: this ends only when done."""
        while True:
            await self._writer.until(Status.ACTIVE)
            try:
                token = await self.ensure_admin(configured)
            except Exception as e:  # the writer lost the log again, the database is away: retried
                log.warning("admin_token_deferred", error=repr(e), exc_info=e)
                await asyncio.sleep(1.0)
                continue
            if token is not None:
                shown(token)
            return

    async def _record(self, actor: str, command: Command) -> None:
        await self._writer.submit(CommandRequest(command.command_name, command, actor))


KEEPER = web.AppKey("token_keeper", TokenKeeper)
