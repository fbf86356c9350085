"""The admin token in the token store, for tests of processes whose writer never becomes active
(so never issues it): an API process authenticates a caller before asking for a writer."""

from __future__ import annotations

import asyncpg

from ledger.bootstrap import token_store
from ledger.config import Settings
from ledger.http.auth import ADMIN, SCOPES


async def admin_holds(token: str, settings: Settings, dsn: str) -> None:
    """``admin`` holds ``token`` with every scope, as an active writer would have left it."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    try:
        async with token_store(settings, pool) as store:
            await store.issue(ADMIN, SCOPES, token)
    finally:
        await pool.close()
