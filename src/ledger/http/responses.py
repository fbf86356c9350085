"""JSON answers: one spelling for every route (orjson, UTC times with ``Z``)."""

from __future__ import annotations

import orjson
from aiohttp import web


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(body, option=orjson.OPT_UTC_Z),
        status=status,
        content_type="application/json",
        headers=headers,
    )
