"""Bearer tokens with scopes. Only a token's SHA-256 is ever stored.

Tokens are 256 random bits, so a plain SHA-256 is as good as a slow hash here and keeps
every request's check cheap. Known tokens are cached for a moment; revoking clears this
process's cache at once and others' within the cache's lifetime.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg
import structlog
from aiohttp import web

from ledger.ddl import set_up
from ledger.http.problems import Problem
from ledger.store import unavailable_as
from schemas.access import SCOPES as SCOPES  # re-exported: the scopes a token can carry

SCHEMA = "ledger_auth"
ADMIN = "admin"
_CACHE_SECONDS = 2.0

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.tokens (
    principal text PRIMARY KEY,
    token_sha256 text NOT NULL UNIQUE,
    scopes text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
"""


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Problem(403, "missing-scope", f"this needs the scope {scope!r}", scope=scope)


def digest(token: str) -> str:
    # Header values arrive decoded with surrogateescape: undecodable bytes hash as the bytes sent.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def new_token() -> str:
    return "lt_" + secrets.token_urlsafe(32)


class TokenStore:
    def __init__(
        self, pool: asyncpg.Pool, *, acquire_timeout: float = 5.0, query_timeout: float = 5.0
    ) -> None:
        self._pool = pool
        self._acquire_timeout = acquire_timeout
        self._query_timeout = query_timeout
        self._cache: dict[str, tuple[Principal | None, float]] = {}

    async def setup(self) -> None:
        await set_up(self._pool, "ledger_auth_ddl", _DDL)

    async def authenticate(self, token: str) -> Principal | None:
        key = digest(token)
        cached = self._cache.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        # Every request asks this: bounded, and a database that cannot answer is a 503.
        with unavailable_as("authenticating"):
            async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
                row = await conn.fetchrow(
                    f"SELECT principal, scopes FROM {SCHEMA}.tokens WHERE token_sha256 = $1",
                    key,
                    timeout=self._query_timeout,
                )
        principal = None if row is None else Principal(row["principal"], frozenset(row["scopes"]))
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (principal, time.monotonic() + _CACHE_SECONDS)
        return principal

    async def issue(self, principal: str, scopes: Iterable[str], token: str | None = None) -> str:
        """Create the principal's token, or replace it (rotation): the old one stops working."""
        token = token or new_token()
        async with self._pool.acquire() as conn:
            await conn.execute(
                f"INSERT INTO {SCHEMA}.tokens (principal, token_sha256, scopes) VALUES ($1, $2, $3) "
                "ON CONFLICT (principal) DO UPDATE SET token_sha256 = $2, scopes = $3, created_at = now()",
                principal,
                digest(token),
                sorted(set(scopes)),
            )
        self._cache.clear()
        return token

    async def revoke(self, principal: str) -> bool:
        async with self._pool.acquire() as conn:
            deleted = await conn.fetchval(
                f"DELETE FROM {SCHEMA}.tokens WHERE principal = $1 RETURNING principal", principal
            )
        self._cache.clear()
        return deleted is not None

    async def held(self, principal: str) -> tuple[str, frozenset[str]] | None:
        """The hash of the principal's token and its scopes, or None when it holds none."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT token_sha256, scopes FROM {SCHEMA}.tokens WHERE principal = $1", principal
            )
        return None if row is None else (row["token_sha256"], frozenset(row["scopes"]))

    async def exists(self, principal: str) -> bool:
        async with self._pool.acquire() as conn:
            found = await conn.fetchval(f"SELECT 1 FROM {SCHEMA}.tokens WHERE principal = $1", principal)
        return found is not None


PRINCIPAL = web.RequestKey("principal", Principal)
TOKENS = web.AppKey("tokens", TokenStore)


async def authenticate(request: web.Request) -> Principal:
    """The request's principal, or a 401.

    On the writer's internal endpoint the principal comes with the request, authenticated by
    the API process that forwarded it and vouched for by the internal secret
    (``ledger.writer.endpoint``), so the same handlers serve both."""
    if PRINCIPAL in request:
        return request[PRINCIPAL]
    principal = await bearer(request.app[TOKENS], request.headers.get("Authorization", ""))
    structlog.contextvars.bind_contextvars(principal=principal.name)
    return principal


async def bearer(store: TokenStore, header: str) -> Principal:
    """The principal of an ``Authorization: Bearer <token>`` value, or a 401: a request's
    header, or the ``authorization`` header of a command topic's record."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "unauthenticated", "send Authorization: Bearer <token>")
    principal = await store.authenticate(token.strip())
    if principal is None:
        raise Problem(401, "invalid-token", "the token is unknown or revoked")
    return principal
