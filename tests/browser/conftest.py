"""The console in a real browser: Debian's Chromium, driven by Playwright, against the whole
app on a real PostgreSQL log.

``demo_console`` is one app per test module holding ``ledger demo``'s history (the 30 days
before now), as a newcomer sees it after ``deploy/serve.sh``. ``handmade_console`` is an
empty ledger per test module, in another time zone and currency, for a history a test writes
itself and so knows every figure of. ``console`` is a fresh browser tab that fails its test
on any console error or uncaught exception, and saves screenshots under ``build/screenshots``
(``LEDGER_SCREENSHOT_DIR``).

No app outlives its module: an app left open keeps a LISTEN connection that nobody reads
while a later test blocks the event loop (running a benchmark in a subprocess, say), and
PostgreSQL then waits on that connection forever (a ``DROP DATABASE ... WITH (FORCE)`` did).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger.app import create_app
from ledger.demo.runner import load_demo
from tests.http.conftest import ADMIN_TOKEN, Api, serve, settings_for
from tests.support.unavailable import unavailable

from .driver import CHROMIUM, LAUNCH_ARGS, Console, Served

READ_ONLY = "read"


@pytest.fixture(scope="module")
async def demo_console(request: pytest.FixtureRequest) -> AsyncIterator[Served]:
    prefix = f"t{uuid.uuid4().hex[:12]}"
    settings = settings_for("postgres", request, prefix)
    # Now, to the hour: the pages open on the current month and the last weeks, as on a real box.
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    await load_demo(settings, days=30, seed=7, now=now)
    client = await serve(create_app(settings))
    api = Api(client, ADMIN_TOKEN)
    response = await client.post(
        "/v1/admin/tokens", json={"principal": "viewer", "scopes": [READ_ONLY]}, headers=api.headers()
    )
    body = await response.json()
    assert response.status == 201, body
    yield Served(api, str(client.make_url("")).rstrip("/"), body["token"], settings)
    await client.close()


@pytest.fixture(scope="module")
async def handmade_console(request: pytest.FixtureRequest) -> AsyncIterator[Served]:
    """An empty ledger whose business keeps Zurich time and reports in Swiss francs."""
    prefix = f"t{uuid.uuid4().hex[:12]}"
    settings = settings_for("postgres", request, prefix, timezone="Europe/Zurich", currency="CHF")
    client = await serve(create_app(settings))
    api = Api(client, ADMIN_TOKEN)
    # Tokens live in one table per database, whatever the prefix: issuing "viewer" here would
    # rotate (and so revoke) the demo console's read-only token for the rest of the session.
    viewer = {"principal": "handmade-viewer", "scopes": [READ_ONLY]}
    response = await client.post("/v1/admin/tokens", json=viewer, headers=api.headers())
    body = await response.json()
    assert response.status == 201, body
    yield Served(api, str(client.make_url("")).rstrip("/"), body["token"], settings)
    await client.close()


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} (deploy/console/install.sh installs Debian's chromium)")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright

        _require_chromium()
        manager = async_playwright()
        playwright = await manager.__aenter__()
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
    except Exception as e:
        unavailable("Chromium driven by Playwright", e)
    yield launched
    await launched.close()
    await manager.__aexit__(None, None, None)


@pytest.fixture(scope="session")
def screenshot_dir(repo_root: Path) -> Path:
    path = Path(os.environ.get("LEDGER_SCREENSHOT_DIR", repo_root / "build" / "screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
async def console(browser: Any, screenshot_dir: Path) -> AsyncIterator[Console]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    tab = Console(await context.new_page(), screenshot_dir)
    yield tab
    await context.close()
    assert not tab.errors, f"console errors: {tab.errors}"
