"""The console: pages for the people who run the business, served by every API process.

The pages are static files (``ledger/console``: HTML, CSS, ES modules and the vendored chart
library and Swagger UI). They read the same JSON routes as any client, with the token the
person signs in with, so the console shows nothing the API does not give, needs no second
server and no CDN, and works wherever ``ledger api`` or ``ledger serve`` runs.

``GET /v1/me`` tells the console who the token belongs to, what it may do (so a read-only
token sees no forms it cannot send) and how the business reads times and money.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from aiohttp import web

from ledger.config import Settings
from ledger.http.auth import authenticate
from ledger.http.keys import SETTINGS
from ledger.http.problems import Problem
from ledger.http.responses import json_response

STATIC: Final = (Path(__file__).parent.parent / "console").resolve()

# Scripts, styles and data only from this origin; no frames, no plugins. Swagger UI styles some
# elements inline, hence 'unsafe-inline' for styles (never for scripts).
_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_HEADERS: Final = {
    "Content-Security-Policy": _POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidated on every load (the ETag makes that cheap), so a new release is seen at once.
    "Cache-Control": "no-cache",
}
_TYPES: Final = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain",
    ".md": "text/plain",
    ".map": "application/json",
}


def _file(relative: str) -> web.FileResponse:
    missing = Problem(404, "not-found", f"the console has no file {relative[:200]!r}")
    try:  # a NUL byte, a name too long or a loop of links: no file of the console either
        path = (STATIC / relative).resolve()
        found = path.is_relative_to(STATIC) and path.is_file()
    except (ValueError, OSError, RuntimeError) as e:
        raise missing from e
    content_type = _TYPES.get(path.suffix)
    if not found or content_type is None:
        raise missing
    response = web.FileResponse(path, headers=_HEADERS)
    response.content_type = content_type
    if content_type.startswith("text/"):
        response.charset = "utf-8"
    return response


def url(settings: Settings) -> str:
    """Where a browser on this box finds the console (an address that listens everywhere is
    reached through loopback)."""
    host = settings.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/"


async def index(request: web.Request) -> web.FileResponse:
    return _file("index.html")


async def docs(request: web.Request) -> web.FileResponse:
    return _file("docs.html")


async def console_file(request: web.Request) -> web.FileResponse:
    return _file(request.match_info["path"])


async def me(request: web.Request) -> web.Response:
    """Who the token is, the scopes it holds, and the business's time zone and currency."""
    principal = await authenticate(request)
    settings = request.app[SETTINGS]
    return json_response(
        {
            "principal": principal.name,
            "scopes": sorted(principal.scopes),
            "timezone": settings.timezone,
            "currency": settings.currency,
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/docs", docs)
    app.router.add_get("/console/{path:.+}", console_file)
    app.router.add_get("/v1/me", me)


def openapi_paths() -> dict[str, Any]:
    """This module's routes for ``/openapi.json``."""
    html = {"200": {"description": "a page", "content": {"text/html": {"schema": {"type": "string"}}}}}
    not_found = {
        "404": {
            "description": "no such file",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    }
    return {
        "/": {"get": {"summary": "The console", "operationId": "console", "security": [], "responses": html}},
        "/docs": {
            "get": {
                "summary": "This document, to read and try (Swagger UI)",
                "operationId": "docs",
                "security": [],
                "responses": html,
            }
        },
        "/console/{path}": {
            "get": {
                "summary": "The console's scripts, styles and vendored libraries",
                "operationId": "console_file",
                "security": [],
                "parameters": [
                    {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {"description": "the file", "content": {"*/*": {"schema": {"type": "string"}}}},
                    **not_found,
                },
            }
        },
        "/v1/me": {
            "get": {
                "summary": "The token's principal and scopes, and the business's time zone and currency",
                "operationId": "me",
                "responses": {
                    "200": {
                        "description": "who is asking",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["principal", "scopes", "timezone", "currency"],
                                    "properties": {
                                        "principal": {"type": "string"},
                                        "scopes": {"type": "array", "items": {"type": "string"}},
                                        "timezone": {"type": "string"},
                                        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                                    },
                                }
                            }
                        },
                    },
                    "401": {
                        "description": "no or bad token",
                        "content": {
                            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                        },
                    },
                },
            }
        },
    }
