"""Every page of the console, and its sign-in, passes axe-core's checks (WCAG 2.1 A and AA,
and its best practices: contrast, labels, landmarks, names of controls), as Deque's engine
finds them in the page as drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.unavailable import unavailable

from .driver import Console, Served

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

AXE = Path(__file__).resolve().parents[2] / "deploy" / "console" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ["stock", "sales", "quality", "service", "purchasing", "campaigns", "customers", "plan", "operations"]
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        unavailable("axe-core", FileNotFoundError(f"{AXE} (deploy/console/install.sh installs it)"))
    return AXE.read_text()


async def _violations(console: Console, axe_source: str) -> list[dict[str, Any]]:
    await console.page.evaluate(axe_source)
    found: list[dict[str, Any]] = await console.page.evaluate(
        """async rules => (await axe.run(document, rules)).violations.map(v => ({
            rule: v.id, impact: v.impact, where: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
        }))""",
        RULES,
    )
    return found


async def test_the_sign_in_and_every_page_pass_axe(
    console: Console, demo_console: Served, axe_source: str
) -> None:
    await console.page.goto(f"{demo_console.base_url}/")
    await console.ready()
    assert await _violations(console, axe_source) == []
    await console.sign_in(demo_console)
    for page_id in PAGES:
        await console.open(demo_console, page_id)
        # The forms too: a closed <details> hides its fields from the checks.
        await console.page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        assert await _violations(console, axe_source) == [], page_id
    # The engine does look: a button without a name on the last page is found.
    await console.page.evaluate(
        "() => document.querySelector('main').append(document.createElement('button'))"
    )
    assert "button-name" in [v["rule"] for v in await _violations(console, axe_source)]
