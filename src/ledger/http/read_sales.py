"""Read routes of the sales read model (being built)."""

from __future__ import annotations

from aiohttp import web


def add_routes(app: web.Application) -> None:
    return None
