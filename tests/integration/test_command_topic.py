"""Commands through ``<prefix>.commands`` on real Kafka: each record gets exactly one answer.

The ledger runs in process on Kafka; an integrator's plain aiokafka producer sends records
of every kind a gate refuses, and good ones; a plain ``read_committed`` consumer reads
``<prefix>.command-results``. Each record has exactly one answer, with the status and
problem ``type`` HTTP gives the same command (asked over HTTP alongside), under the
record's key and naming its partition and offset; a success's events are in the log with
the record's key as their idempotency key, and a key sent again answers the same body. A
token revoked stops working for the next record.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from ledger import asyncapi
from ledger.app import LOG, METRICS, SETTINGS, create_app
from tests.http.conftest import ADMIN_TOKEN, Api, serve, settings_for
from tests.http.logs import events_after
from tests.support.asyncapi_doc import validator
from tests.support.command_topic import bearer, by_command, command, read_answers, send

pytestmark = [pytest.mark.kafka]

LOCATION = {"location_id": "WH-T", "name": "Topic warehouse", "kind": "warehouse"}


@pytest.fixture(scope="module")
def prefix() -> str:
    """One app for the module's tests, which look at different things of one log."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
async def ledger(request: pytest.FixtureRequest, prefix: str) -> Any:
    client = await serve(create_app(settings_for("kafka", request, prefix)))
    yield Api(client, ADMIN_TOKEN)
    await client.close()


async def test_both_topics_exist_before_the_ledger_is_ready(
    ledger: Api, kafka_bootstrap: str, prefix: str
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        topics = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics()}
        wanted = [f"{prefix}.commands", f"{prefix}.command-results"]
        resources = [ConfigResource(ConfigResourceType.TOPIC, t, {"retention.ms": None}) for t in wanted]
        described = await admin.describe_configs(resources)
    finally:
        await admin.close()
    assert [topics.get(t) for t in wanted] == [2, 2]
    retention = {r[3]: {c[0]: c[1] for c in r[4]} for d in described for r in d.resources}
    assert retention == {wanted[0]: {"retention.ms": "604800000"}, wanted[1]: {"retention.ms": "-1"}}


async def test_every_record_gets_the_one_answer_http_gives(
    ledger: Api, kafka_bootstrap: str, prefix: str
) -> None:
    response = await ledger.client.post(
        "/v1/admin/tokens", json={"principal": "reader", "scopes": ["read"]}, headers=ledger.headers()
    )
    reader = (await response.json())["token"]
    admin = bearer(ADMIN_TOKEN)
    other = dict(LOCATION, name="Another name")
    records: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]] = [
        (b"k-json", b'{"name": "register-location", "body": {', admin),
        (b"k-utf8", b'{"name": "register-location", "body": {"name": "\xff"}}', admin),
        (b"k-shape", b'[{"name": "register-location"}]', admin),
        (b"k-nobody", b'{"name": "register-location"}', admin),
        (b"k-unknown", command("launch-rocket", {}), admin),
        (None, command("register-location", LOCATION), admin),
        (b"k-notoken", command("register-location", LOCATION), []),
        (b"k-badtoken", command("register-location", LOCATION), bearer("not-a-token-of-ours")),
        (b"k-scope", command("register-location", LOCATION), bearer(reader)),
        (b"k-schema", command("register-location", dict(LOCATION, kind="castle")), admin),
        (b"k-ok", command("register-location", LOCATION), admin),
        (b"k-dup", command("register-location", LOCATION), admin),
        (b"k-ok", command("register-location", LOCATION), admin),
        (b"k-ok", command("register-location", other), admin),
    ]
    expected = [
        (400, "malformed-json"),
        (400, "malformed-json"),
        (422, "validation-failed"),
        (422, "validation-failed"),
        (404, "unknown-command"),
        (400, "invalid-idempotency-key"),
        (401, "unauthenticated"),
        (401, "invalid-token"),
        (403, "missing-scope"),
        (422, "validation-failed"),
        (201, None),
        (409, "already-exists"),
        (201, None),
        (409, "idempotency-conflict"),
    ]
    before = await ledger.client.app[LOG].end_position()
    sent = await send(kafka_bootstrap, f"{prefix}.commands", records)
    answers = by_command(await read_answers(kafka_bootstrap, f"{prefix}.command-results", 2, len(records)))

    assert set(answers) == {(s.partition, s.offset) for s in sent}, "a record unanswered"
    got = []
    for record in sent:
        answer = answers[(record.partition, record.offset)]
        assert (answer.key, answer.partition) == (record.key, record.partition)
        got.append((answer.status, None if answer.status == 201 else answer.body["type"].rpartition("/")[2]))
    assert got == expected

    # Each answer is a record of the AsyncAPI document's results channel.
    document = asyncapi.for_settings(ledger.client.app[SETTINGS])
    message = document["components"]["messages"][asyncapi.RESULT_MESSAGE]
    checks = [validator(document, message[part]) for part in ("payload", "headers")]
    key = validator(document, message["bindings"]["kafka"]["key"])
    for answer in answers.values():
        value = {"status": answer.status, "body": answer.body}
        assert not [*checks[0].iter_errors(value), *checks[1].iter_errors(answer.headers)], answer
        assert key.is_valid(None if answer.key is None else answer.key.decode())

    first, again = (
        answers[(sent[10].partition, sent[10].offset)],
        answers[(sent[12].partition, sent[12].offset)],
    )
    assert first.body == again.body, "a key sent again answers its first answer"
    events = await events_after(ledger, before)
    assert [(e.type, e.idempotency_key, e.actor) for e in events if e.type == "LocationRegistered"] == [
        ("LocationRegistered", "k-ok", "admin")
    ]
    assert [e["id"] for e in first.body["events"]] == [e.id for e in events if e.type == "LocationRegistered"]

    # What HTTP answers the same commands with.
    assert (await ledger.command("launch-rocket", {}))[0] == 404
    status_, body = await ledger.command("register-location", dict(LOCATION, kind="castle"))
    assert (status_, body["type"]) == (422, "/problems/validation-failed")
    status_, body = await ledger.as_(reader).command("register-location", LOCATION)
    assert (status_, body["type"]) == (403, "/problems/missing-scope")
    status_, body = await ledger.command("register-location", LOCATION, **{"Idempotency-Key": "h-dup"})
    assert (status_, body) == (409, answers[(sent[11].partition, sent[11].offset)].body)
    status_, body = await ledger.command("register-location", LOCATION, **{"Idempotency-Key": "k-ok"})
    assert (status_, body) == (201, first.body), "HTTP and the topic share idempotency keys"

    # A token revoked through this process stops working for the next record.
    assert (await ledger.client.delete("/v1/admin/tokens/reader", headers=ledger.headers())).status == 204
    late = await send(
        kafka_bootstrap,
        f"{prefix}.commands",
        [(b"k-late", command("register-location", LOCATION), bearer(reader))],
    )
    answers = by_command(
        await read_answers(kafka_bootstrap, f"{prefix}.command-results", 2, len(records) + 1)
    )
    assert answers[(late[0].partition, late[0].offset)].body["type"] == "/problems/invalid-token"

    counted = ledger.client.app[METRICS].command_records
    assert counted.labels("register-location", "accepted")._value.get() == 2
    assert counted.labels("unknown", "invalid")._value.get() == 5
