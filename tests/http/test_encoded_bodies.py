"""Bodies whose Content-Encoding lies: a body sent as gzip or deflate that is not what its
header says answers 400 problem+json on every route that reads a body (each command, the
batch and the token administration), appends nothing, closes that connection, and leaves the
server answering normally. Bodies that are what they say are read as usual. An encoding
aiohttp cannot decode at all (br without Brotli installed) is refused by aiohttp itself with
a 400 before any route runs, and logged in one line, never with a traceback."""

from __future__ import annotations

import gzip
import json
import uuid
import zlib

import pytest

from ledger.logging import configure_logging

from .conftest import Api
from .logs import appends_nothing
from .samples import COMMAND_NAMES, valid_body

PROBLEM = "application/problem+json"
BODY_ROUTES = [
    *(f"/v1/commands/{name}" for name in COMMAND_NAMES),
    "/v1/commands",
    "/v1/admin/tokens",
]
VALID_GZIP = gzip.compress(b'{"location_id": "L", "name": "x", "kind": "store"}')
LIES = [
    ("gzip", b'{"location_id": "WH-Z"}'),  # plain JSON
    ("gzip", b"\x1f\x8b\x08\x00garbage after a gzip magic number"),
    ("gzip", VALID_GZIP[:12] + b"\x00\x13" * 20),  # a real header, then a corrupt stream
    ("deflate", b"not a zlib stream at all"),
    ("deflate", zlib.compress(b'{"a": 1}')[:-4] + b"\x00\x00\x00\x00"),  # a wrong checksum
]


async def send(api: Api, path: str, body: bytes, encoding: str) -> tuple[int, str, dict[str, str], object]:
    headers = api.headers(**{"Content-Type": "application/json", "Content-Encoding": encoding})
    async with api.client.post(path, data=body, headers=headers) as response:
        raw = await response.read()
        return response.status, response.content_type, dict(response.headers), json.loads(raw)


@pytest.mark.parametrize(("encoding", "body"), LIES, ids=[f"{e}-{n}" for n, (e, _) in enumerate(LIES)])
async def test_a_body_that_is_not_what_its_content_encoding_says_is_400(
    module_api: Api, encoding: str, body: bytes
) -> None:
    async with appends_nothing(module_api):
        for path in BODY_ROUTES:
            status, content_type, headers, problem = await send(module_api, path, body, encoding)
            assert (status, content_type) == (400, PROBLEM), (path, status, problem)
            assert isinstance(problem, dict)
            assert problem["status"] == 400
            assert problem["type"].endswith("/unreadable-body"), problem
            # The rest of that request's bytes cannot be framed: the connection ends with the answer.
            assert headers.get("Connection", "").lower() == "close", headers
    ready = await module_api.client.get("/readyz")
    assert ready.status == 200


async def test_bodies_that_are_what_they_say_are_read(module_api: Api) -> None:
    for encoding, compress in (("gzip", gzip.compress), ("deflate", zlib.compress)):
        body = {**valid_body("register-location"), "location_id": f"Z-{uuid.uuid4().hex[:10]}"}
        status, _, _, answer = await send(
            module_api, "/v1/commands/register-location", compress(json.dumps(body).encode()), encoding
        )
        assert status == 201, answer


async def test_an_encoding_aiohttp_cannot_decode_is_a_400_logged_in_one_line(
    module_api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging()
    capsys.readouterr()
    headers = module_api.headers(**{"Content-Type": "application/json", "Content-Encoding": "br"})
    path = "/v1/commands/register-location"
    async with module_api.client.post(path, data=b"{}", headers=headers) as answer:
        assert answer.status == 400
    logged = capsys.readouterr().err
    assert "Traceback" not in logged
    lines = [json.loads(line) for line in logged.splitlines() if "content-encoding" in line]
    assert [(line["level"], line["error"][:4]) for line in lines] == [("warning", "400:")], logged
    assert (await module_api.client.get("/readyz")).status == 200
