"""Issuing and revoking tokens, each recorded in the log before the token store changes.

The order is the invariant: the writer appends ``TokenIssued`` or ``TokenRevoked`` first, and
only a durable event lets the store change, so a usable token never exists without its trace
(a failure in between leaves at worst a trace of a change that did not happen, never the
reverse). One lock per process keeps "does it exist, record, change" whole, so two
revocations of one principal do not both record one.

At start-up the ``admin`` principal is issued the configured or a generated token; that is
recorded (by the actor ``ledger``) only when it changes what the store holds, so a restart
with the same token records nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Final

from aiohttp import web

from ledger.http.auth import ADMIN, SCOPES, TokenStore, digest
from ledger.writer import CommandRequest, Writer
from schemas.access import IssueToken, RevokeToken
from schemas.base import Command

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

    async def _record(self, actor: str, command: Command) -> None:
        await self._writer.submit(CommandRequest(command.command_name, command, actor))


KEEPER = web.AppKey("token_keeper", TokenKeeper)
