"""The contract of the event streams over HTTP, on both logs: ``/asyncapi.json`` and the event
schemas every ``dataschema`` points at, public, revalidated by ETag, and a 404 problem for a type
or version that does not exist."""

from __future__ import annotations

import orjson
from jsonschema import Draft202012Validator

from ledger.http.keys import LOG, SETTINGS
from ledger.log import Position, Record
from schemas.export import json_schemas, render
from schemas.registry import EVENTS

from .conftest import Api


async def test_asyncapi_json_is_public_and_describes_this_ledgers_topics(module_api: Api) -> None:
    settings = module_api.client.app[SETTINGS]
    response = await module_api.client.get("/asyncapi.json")  # no token
    assert response.status == 200
    assert response.content_type == "application/json"
    document = await response.json()
    assert document["asyncapi"] == "3.0.0"
    assert document["channels"]["sales"]["address"] == f"{settings.topic_prefix}.sales"
    assert document["channels"]["commands"]["address"] == f"{settings.topic_prefix}.commands"
    if settings.kafka_bootstrap:
        assert [s["host"] for s in document["servers"].values()] == settings.kafka_bootstrap.split(",")
    else:
        assert "servers" not in document

    again = await module_api.client.get("/asyncapi.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304
    assert await again.read() == b""


async def test_every_schema_version_of_the_registry_is_served_as_ledger_schemas_writes_it(
    module_api: Api,
) -> None:
    files = json_schemas()
    for type_, version in EVENTS:  # StockAdjusted v1 among them: upcast on read, still served
        response = await module_api.client.get(f"/v1/schemas/{type_}/{version}")
        assert response.status == 200, (type_, version)
        assert response.content_type == "application/schema+json"
        assert "max-age" in response.headers["Cache-Control"]
        assert await response.read() == render(files[f"events/{type_}.v{version}.json"])
    stale = await module_api.client.get("/v1/schemas/OrderPlaced/1", headers={"If-None-Match": '"other"'})
    assert stale.status == 200


async def test_the_dataschema_of_a_recorded_event_serves_the_schema_its_data_validates_against(
    module_api: Api,
) -> None:
    status, answer = await module_api.command(
        "register-location", {"location_id": "WH-SCHEMA", "name": "Schema", "kind": "warehouse"}
    )
    assert status == 201
    record = await _record_of(module_api, answer["events"][0]["id"], Position.from_token(answer["position"]))
    path = dict(record.headers)["ce_dataschema"].decode()
    assert path == "/v1/schemas/LocationRegistered/1"

    response = await module_api.client.get(path)
    assert response.status == 200
    Draft202012Validator(orjson.loads(await response.read())).validate(orjson.loads(record.value))


async def _record_of(api: Api, event_id: str, until: Position) -> Record:
    reader = await api.client.app[LOG].open_reader()
    try:
        while not reader.position.covers(until):
            for record in await reader.read(max_records=1000, timeout=1):
                if record.envelope().id == event_id:
                    return record
    finally:
        await reader.close()
    raise AssertionError(f"event {event_id} is not in the log")


async def test_an_unknown_type_or_a_version_that_is_no_positive_integer_is_a_404_problem(
    module_api: Api,
) -> None:
    for path in (
        "/v1/schemas/NoSuchEvent/1",
        "/v1/schemas/OrderPlaced/2",
        "/v1/schemas/OrderPlaced/0",
        "/v1/schemas/OrderPlaced/-1",
        "/v1/schemas/OrderPlaced/01",
        "/v1/schemas/OrderPlaced/1.0",
        "/v1/schemas/OrderPlaced/v1",
        "/v1/schemas/OrderPlaced/99999999999999999999999",
        "/v1/schemas/Order%00Placed/%F0%9F%92%A5",
        "/v1/schemas/OrderPlaced/",
    ):
        response = await module_api.client.get(path)
        assert response.status == 404, path
        assert response.content_type == "application/problem+json", path
        assert (await response.json())["status"] == 404
