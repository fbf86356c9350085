"""The console's files are served by the API itself, with a policy that lets a page load
scripts from this origin only, and nothing outside the console's folder is reachable; /v1/me
tells a token what it may do and how the business reads times and money."""

from __future__ import annotations

import re

import pytest

from ledger.http.console import STATIC

from .conftest import Api, AppFactory

pytestmark = pytest.mark.parametrize("backend", ["postgres"])  # the files do not depend on the log


async def test_the_console_page_its_scripts_and_the_docs_are_served_with_a_strict_policy(api: Api) -> None:
    for path, content_type in [
        ("/", "text/html"),
        ("/docs", "text/html"),
        ("/console/js/app.js", "text/javascript"),
        ("/console/console.css", "text/css"),
        ("/console/vendor/chart.js/chart.umd.min.js", "text/javascript"),
        ("/console/vendor/swagger-ui/swagger-ui-bundle.js", "text/javascript"),
        ("/console/icon.svg", "image/svg+xml"),
    ]:
        response = await api.client.get(path)
        assert response.status == 200, path
        assert response.content_type == content_type, path
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["ETag"]
        again = await api.client.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status == 304, path


async def test_every_file_a_page_names_is_served(api: Api) -> None:
    """Each script, style and module a page or script refers to exists (a missing one would
    leave a page blank in a browser)."""
    named: set[str] = set()
    for source in [*STATIC.glob("*.html"), *STATIC.glob("js/**/*.js")]:
        text = source.read_text()
        named |= set(re.findall(r'(?:href|src)="(/console/[^"]+)"', text))
        for module in re.findall(r'from "(\.{1,2}/[^"]+)"', text):
            named.add("/console/" + str((source.parent / module).resolve().relative_to(STATIC)))
    assert "/console/js/pages/stock.js" in named
    for path in sorted(named):
        response = await api.client.get(path)
        assert response.status == 200, path


@pytest.mark.parametrize(
    "path",
    [
        "/console/../config.py",
        "/console/%2e%2e/http/console.py",
        "/console/..%2fhttp%2fconsole.py",
        "/console/js",
        "/console/js/",
        "/console/nothing.js",
        "/console//etc/passwd",
        "/console/js/app.js.map",
        "/console/vendor/chart.js/LICENSE.md%00.js",
        "/console/index.py",
    ],
)
async def test_nothing_outside_the_console_or_not_a_console_file_is_served(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status == 404, path
    assert response.content_type == "application/problem+json"
    assert "import" not in await response.text()


async def test_me_names_the_principal_its_scopes_the_time_zone_and_the_currency(make_api: AppFactory) -> None:
    api = await make_api(timezone="Europe/Zurich", currency="CHF")
    assert (await api.client.get("/v1/me")).status == 401
    wrong = await api.client.get("/v1/me", headers={"Authorization": "Bearer lt_nobody"})
    assert wrong.status == 401
    assert (await wrong.json())["type"] == "/problems/invalid-token"
    response = await api.client.post(
        "/v1/admin/tokens", json={"principal": "viewer", "scopes": ["read"]}, headers=api.headers()
    )
    token = (await response.json())["token"]
    me = await api.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 200
    assert await me.json() == {
        "principal": "viewer",
        "scopes": ["read"],
        "timezone": "Europe/Zurich",
        "currency": "CHF",
    }
