"""Signing in and finding one's way: no token, a wrong one, a read-only one; the token kept
for the tab only; every page reachable by keyboard and readable on a phone; the API docs."""

from __future__ import annotations

from typing import Any

import pytest

from .driver import Console, Served

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PAGES = ["stock", "sales", "quality", "service", "purchasing", "campaigns", "customers", "plan", "operations"]


async def test_without_a_token_the_console_asks_for_one_and_refuses_a_wrong_one(
    console: Console, demo_console: Served
) -> None:
    console.expect_status(401)
    await console.page.goto(f"{demo_console.base_url}/#/stock")
    await console.ready()
    assert await console.page.get_attribute("main", "data-page") == "sign-in"
    assert await console.page.is_hidden("#nav")
    await console.page.fill("#token", "lt_not-a-token-anyone-was-given")
    await console.page.press("#token", "Enter")
    error = console.page.locator("#sign-in-error")
    await error.filter(has_text="not known").wait_for()
    assert await console.page.is_hidden("#nav")
    assert await console.page.evaluate("() => sessionStorage.length + localStorage.length") == 0
    await console.screenshot("sign-in-wrong-token")


async def test_the_token_lives_in_this_tab_only_and_sign_out_forgets_it(
    console: Console, demo_console: Served, browser: Any
) -> None:
    await console.sign_in(demo_console)
    stored = await console.page.evaluate(
        "() => [sessionStorage.getItem('ledger.token'), localStorage.length]"
    )
    assert stored == [demo_console.admin_token, 0]
    assert demo_console.admin_token not in str(await console.page.context.cookies())
    # Another browser session knows nothing of it.
    other = await browser.new_context()
    tab = await other.new_page()
    await tab.goto(f"{demo_console.base_url}/")
    await tab.wait_for_selector('main[data-page="sign-in"][data-ready="true"]')
    await other.close()
    await console.page.click("#sign-out")
    await console.page.wait_for_selector('main[data-page="sign-in"]')
    assert await console.page.evaluate("() => sessionStorage.getItem('ledger.token')") is None


async def test_a_read_only_token_reads_every_page_and_is_told_why_it_cannot_record(
    console: Console, demo_console: Served
) -> None:
    await console.sign_in(demo_console, demo_console.read_only_token)
    assert (await console.texts("#principal")) == ["viewer"]
    for page_id in PAGES:
        await console.open(demo_console, page_id)
        alerts = await console.texts("main [role=alert]")
        assert not alerts, (page_id, alerts)
        assert not await console.page.locator("form.command-form").count(), page_id
    await console.open(demo_console, "stock")
    refusals = await console.texts("details.command p.empty")
    assert refusals
    assert all("inventory:write" in text for text in refusals)


async def test_every_page_is_reached_by_keyboard(console: Console, demo_console: Served) -> None:
    await console.sign_in(demo_console)
    await console.page.reload()  # signed in still (the tab's session), focus at the top again
    await console.ready()
    await console.page.keyboard.press("Tab")
    assert await console.page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    reached = []
    for _ in range(30):
        await console.page.keyboard.press("Tab")
        page_id = await console.page.evaluate("() => document.activeElement.dataset.page || null")
        if page_id:
            reached.append(page_id)
        if page_id == "operations":
            break
    assert reached == PAGES
    await console.page.keyboard.press("Enter")
    await console.page.wait_for_selector('main[data-page="operations"][data-ready="true"]')
    assert await console.page.get_attribute('#nav a[data-page="operations"]', "aria-current") == "page"


async def test_every_page_fits_a_phone(browser: Any, demo_console: Served, screenshot_dir: Any) -> None:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="en-GB"
    )
    phone = Console(await context.new_page(), screenshot_dir)
    try:
        await phone.sign_in(demo_console)
        for page_id in PAGES:
            await phone.open(demo_console, page_id)
            overflow = await phone.page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{page_id} is {overflow}px wider than the phone"
            await phone.screenshot(f"phone-{page_id}")
    finally:
        await context.close()
    assert not phone.errors, phone.errors


async def test_the_api_docs_render_the_openapi_document_and_try_a_request_with_the_token(
    console: Console, demo_console: Served
) -> None:
    await console.sign_in(demo_console)
    await console.page.goto(f"{demo_console.base_url}/docs")
    operation = console.page.locator("#operations-default-me, [id$='-me']").first
    await operation.wait_for(timeout=30_000)
    await operation.locator(".opblock-summary").click()
    await console.page.locator("button.try-out__btn").first.click()
    await console.page.locator("button.execute").first.click()
    status = console.page.locator(".live-responses-table tbody .response-col_status").first
    await status.wait_for(timeout=30_000)
    assert (await status.inner_text()).strip() == "200"
    assert "viewer" not in await console.page.locator(".live-responses-table").inner_text()
    assert '"principal": "admin"' in await console.page.locator(".live-responses-table").inner_text()
    await console.screenshot("docs")
