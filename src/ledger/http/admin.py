"""Token administration: issue (or rotate) and revoke principals' tokens. Scope ``admin``.

Each is recorded in the log (``TokenIssued``, ``TokenRevoked``, by the calling principal)
before the token store changes; see ``ledger.http.tokens``.
"""

from __future__ import annotations

import re

from aiohttp import web

from ledger.http.auth import ADMIN, SCOPES, authenticate
from ledger.http.commands import read_json
from ledger.http.problems import Problem
from ledger.http.responses import json_response
from ledger.http.tokens import KEEPER, LEDGER

_PRINCIPAL = re.compile(r"[A-Za-z0-9._-]{1,64}")


async def post_token(request: web.Request) -> web.Response:
    admin = await authenticate(request)
    admin.require(ADMIN)
    body = await read_json(request)
    errors = []
    if not isinstance(body, dict):
        raise Problem(
            422,
            "validation-failed",
            "the body must be a JSON object",
            errors=[{"loc": ["body"], "msg": "must be a JSON object"}],
        )
    principal, scopes = body.get("principal"), body.get("scopes")
    if not isinstance(principal, str) or not _PRINCIPAL.fullmatch(principal):
        errors.append({"loc": ["body", "principal"], "msg": "1 to 64 of [A-Za-z0-9._-]"})
    elif principal == LEDGER:
        errors.append({"loc": ["body", "principal"], "msg": f"{LEDGER!r} names the ledger itself"})
    if (
        not isinstance(scopes, list)
        or not scopes
        or not all(isinstance(s, str) and s in SCOPES for s in scopes)
    ):
        errors.append({"loc": ["body", "scopes"], "msg": f"a non-empty list of {', '.join(SCOPES)}"})
    if set(body) - {"principal", "scopes"}:
        errors.append({"loc": ["body"], "msg": "only principal and scopes are allowed"})
    if errors:
        raise Problem(422, "validation-failed", "the token request is invalid", errors=errors)
    assert isinstance(principal, str)
    assert isinstance(scopes, list)
    token = await request.app[KEEPER].issue(admin.name, principal, scopes)
    return json_response({"token": token, "principal": principal, "scopes": sorted(set(scopes))}, 201)


async def delete_token(request: web.Request) -> web.Response:
    admin = await authenticate(request)
    admin.require(ADMIN)
    principal = request.match_info["principal"]
    # No token can exist for a name that could never be issued (and NUL cannot reach the database).
    if not _PRINCIPAL.fullmatch(principal) or not await request.app[KEEPER].revoke(admin.name, principal):
        raise Problem(404, "unknown-principal", f"no token for principal {principal!r}")
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/admin/tokens", post_token)
    app.router.add_delete("/v1/admin/tokens/{principal}", delete_token)
