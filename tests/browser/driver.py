"""A console tab, as a test drives it: sign in, open a page, and read back what it shows.

What a page shows is read from the page itself: a chart's data from Chart.js
(``Chart.getChart``), a table's cells from their ``data-value`` (the API's exact value, whatever
the text shows). What the API answered is read from the responses the page itself received,
so a test compares the two without racing the page's own reads.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ledger.config import Settings
from tests.http.conftest import ADMIN_TOKEN, Api

CHROMIUM = "/usr/bin/chromium"
# Headless without the calls home the sandbox's closed network would refuse (and log as errors).
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
READY_TIMEOUT_MS = 30_000


@dataclass
class Served:
    """A ledger app serving the console: its API (as admin), its address and a read-only token."""

    api: Api
    base_url: str
    read_only_token: str
    settings: Settings
    admin_token: str = ADMIN_TOKEN

    async def record(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Send a command as admin, through the API, for a history a test builds; it must be accepted."""
        status, answer = await self.api.command(name, body)
        assert status == 201, (name, answer)
        return dict(answer)


@dataclass
class Answer:
    """One JSON answer the page received."""

    path: str
    query: dict[str, str]
    status: int
    body: Any


@dataclass
class Console:
    page: Any
    screenshot_dir: Path
    errors: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)
    answers: list[Answer] = field(default_factory=list)
    recording: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("response", self._on_response)

    def expect_status(self, *statuses: int) -> None:
        """Answers with these statuses are what the test provokes: Chromium logs each as a
        console error ("Failed to load resource"), which is then no fault of the page."""
        self.expected_statuses.update(statuses)

    def _on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        text = message.text
        if any(f"status of {status} " in text for status in self.expected_statuses):
            return
        self.errors.append(text)

    def _on_response(self, response: Any) -> None:
        # Counted as it arrives, recorded once its body is read: ``ready`` waits for the records.
        if not urlsplit(response.url).path.startswith("/v1/"):
            return
        task = asyncio.get_running_loop().create_task(self._record(response))
        self.recording.add(task)
        task.add_done_callback(self.recording.discard)

    async def _record(self, response: Any) -> None:
        url = urlsplit(response.url)
        try:
            body = await response.json()
        except Exception:  # a body the page never read (it navigated away)
            return
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.answers.append(Answer(url.path, query, response.status, body))

    async def sign_in(self, served: Served, token: str | None = None, page_id: str = "") -> None:
        """Sign in at ``page_id`` (the first page otherwise); the page's answers are kept."""
        await self.page.goto(f"{served.base_url}/#/{page_id}" if page_id else f"{served.base_url}/")
        await self.page.wait_for_selector("#token")
        await self.page.fill("#token", served.admin_token if token is None else token)
        await self.page.press("#token", "Enter")
        await self.page.wait_for_selector("#nav:not([hidden])", timeout=READY_TIMEOUT_MS)
        await self.ready()

    async def open(self, served: Served, page_id: str) -> None:
        """Go to a page and wait until it has drawn everything it read."""
        self.answers.clear()
        await self.page.goto(f"{served.base_url}/#/{page_id}")
        await self.page.wait_for_selector(f'main[data-page="{page_id}"]', timeout=READY_TIMEOUT_MS)
        await self.ready()

    async def ready(self) -> None:
        await self.page.wait_for_selector('main[data-ready="true"]', timeout=READY_TIMEOUT_MS)
        # The page has drawn from its answers; a test compares with them only once they are recorded.
        if self.recording:
            await asyncio.wait(set(self.recording), timeout=READY_TIMEOUT_MS / 1000)

    async def renders(self) -> int:
        """How many times the page has been drawn (a write redraws it)."""
        return int(await self.page.evaluate("() => +(document.querySelector('main').dataset.renders || 0)"))

    async def redrawn(self, before: int) -> None:
        """Wait until the page is drawn again after ``before`` draws (after a write, say)."""
        await self.page.wait_for_function(
            "n => +(document.querySelector('main').dataset.renders || 0) > n",
            arg=before,
            timeout=READY_TIMEOUT_MS,
        )
        await self.ready()

    def answer(self, path: str, **query: str) -> Any:
        """The body of the last 200 the page received for ``path`` whose query holds ``query``."""
        for found in reversed(self.answers):
            wanted = all(found.query.get(k) == v for k, v in query.items())
            if found.path == path and found.status == 200 and wanted:
                return found.body
        seen = sorted({(a.path, tuple(sorted(a.query.items()))) for a in self.answers})
        raise AssertionError(f"the page received no 200 for {path} {query}; it read {seen}")

    async def chart(self, chart_id: str) -> dict[str, Any]:
        """The chart's labels and datasets, as Chart.js holds them."""
        data: dict[str, Any] = await self.page.evaluate(
            """id => {
                const canvas = document.querySelector(`canvas[data-chart="${id}"]`);
                if (!canvas) return null;
                const chart = Chart.getChart(canvas);
                return {
                    labels: chart.data.labels ?? [],
                    datasets: chart.data.datasets.map(d => ({
                        label: d.label, type: d.type ?? chart.config.type, data: d.data,
                        pointBackgroundColor: d.pointBackgroundColor ?? null,
                    })),
                    width: canvas.clientWidth, height: canvas.clientHeight,
                };
            }""",
            chart_id,
        )
        assert data is not None, f"no chart {chart_id!r} on the page"
        return data

    async def table(self, table_id: str) -> list[dict[str, str]]:
        """The rows of a figures table: each cell's ``data-value`` by its column key (an empty
        list when the table shows its 'nothing to show' note)."""
        rows: list[dict[str, str]] = await self.page.evaluate(
            """id => {
                const node = document.querySelector(`[data-table="${id}"]`);
                if (!node) return null;
                return [...node.querySelectorAll('tbody tr')].map(tr => Object.fromEntries(
                    [...tr.querySelectorAll('td')].map(td => [td.dataset.col, td.dataset.value])));
            }""",
            table_id,
        )
        assert rows is not None, f"no table {table_id!r} on the page"
        return rows

    async def marked(self, table_id: str, cls: str) -> list[str]:
        """The keys (``data-key``) of a figures table's rows classed ``cls``, in the page's order."""
        keys: list[str] = await self.page.eval_on_selector_all(
            f'[data-table="{table_id}"] tbody tr.{cls}', "rows => rows.map(r => r.dataset.key)"
        )
        return keys

    async def texts(self, selector: str) -> list[str]:
        return [t.strip() for t in await self.page.locator(selector).all_text_contents()]

    async def screenshot(self, name: str) -> Path:
        path = self.screenshot_dir / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path


def plotted(value: str | None) -> float | None:
    """What a chart plots for an API decimal: the same number, a gap for null."""
    return None if value is None else float(value)
