"""The ledger on a Kafka broker that authenticates its clients, and refused by it.

One local broker for the module (deploy/kafka with ``sasl`` and ``tls``): SCRAM-SHA-512
over ``SASL_PLAINTEXT`` and ``SASL_SSL``, client certificates over ``SSL``; its
``PLAINTEXT`` listener is there too, and no test here uses it. With the right credentials
the whole ledger works through them: a command is decided and appended, a projector reads
its event, and a record on the command topic is answered. With a wrong password nothing
hangs: ``ledger writer`` exits 1 within seconds after one line naming the refusal, an API
process answers commands with 503 and ``Retry-After`` and is not ready, and one process
refuses to start, naming it too. A broker whose certificate no configured CA signed is named
as a failed TLS handshake.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

import localkafka
from ledger.app import create_app
from ledger.config import Settings
from ledger.http.role import create_api_app
from ledger.log import LogUnavailable, Record
from ledger.log.factory import build_log
from ledger.writer import role
from ledger.writer.role import UNUSABLE, run_writer
from tests.http.conftest import ADMIN_TOKEN, Api, serve, settings_for
from tests.support.admin_token import admin_holds
from tests.support.command_topic import bearer, command, read_answers, send
from tests.support.events import StreamFactory
from tests.support.logs import captured, named
from tests.support.pki import KEY_PASSWORD, Pki, make_pki
from tests.support.unavailable import unavailable

pytestmark = [pytest.mark.kafka]

SCRAM = "SCRAM-SHA-512"
SECRET = "internal-secret-for-tests-0123"
WRONG = "not-the-password-of-ledger"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def secure(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[localkafka.LocalKafka]:
    """One broker with every authenticated listener, for the whole module."""
    cluster = localkafka.LocalKafka(
        nodes=1,
        base_dir=tmp_path_factory.mktemp("secure-kafka"),
        sasl=True,
        tls=localkafka.Tls(pki.ca, pki.broker_cert, pki.broker_key),
    )
    try:
        cluster.start()
    except Exception as e:
        cluster.stop()
        unavailable("Kafka broker with SASL and TLS", e)
    yield cluster
    cluster.stop(graceful=False)  # thrown away: no need to wait for a controlled shutdown


def password(secure: localkafka.LocalKafka) -> str:
    assert secure.sasl is not None
    return secure.sasl.user("ledger").password


def scram(
    secure: localkafka.LocalKafka, protocol: str = "SASL_PLAINTEXT", **overrides: Any
) -> dict[str, Any]:
    """The settings of the ``ledger`` user on the broker's ``protocol`` listener."""
    return {
        "kafka_bootstrap": secure.bootstrap_for(protocol),
        "kafka_security_protocol": protocol,
        "kafka_sasl_mechanism": SCRAM,
        "kafka_sasl_username": "ledger",
        "kafka_sasl_password": SecretStr(password(secure)),
        **overrides,
    }


def location() -> dict[str, str]:
    location_id = f"WH-{uuid.uuid4().hex[:8]}"
    return {"location_id": location_id, "name": location_id, "kind": "warehouse"}


async def accepted_and_projected(api: Api) -> None:
    """A command is appended, and the audit projector has read its event back from the log."""
    status, answer = await api.command("register-location", location())
    assert status == 201, answer
    [event] = answer["events"]
    params = {"min_position": answer["position"]}
    async with api.client.get(
        f"/v1/streams/{event['stream']}/events", params=params, headers=api.headers()
    ) as response:
        assert response.status == 200, await response.text()
        assert [e["id"] for e in (await response.json())["items"]] == [event["id"]]


async def test_through_scram_a_command_is_appended_projected_and_answered_on_the_command_topic(
    request: pytest.FixtureRequest, secure: localkafka.LocalKafka, prefix: str
) -> None:
    client = await serve(create_app(settings_for("postgres", request, prefix, **scram(secure))))
    try:
        await accepted_and_projected(Api(client, ADMIN_TOKEN))
        # An integrator with the same credentials, through plain aiokafka.
        integrator = {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": SCRAM,
            "sasl_plain_username": "ledger",
            "sasl_plain_password": password(secure),
        }
        bootstrap = secure.bootstrap_for("SASL_PLAINTEXT")
        record = (b"k-scram", command("register-location", location()), bearer(ADMIN_TOKEN))
        [sent] = await send(bootstrap, f"{prefix}.commands", [record], **integrator)
        [answer] = await read_answers(bootstrap, f"{prefix}.command-results", 2, 1, 30, **integrator)
    finally:
        await client.close()
    assert (answer.command, answer.status, answer.key) == ((sent.partition, sent.offset), 201, b"k-scram")


async def test_scram_over_tls_and_client_certificates_carry_the_log_too(
    request: pytest.FixtureRequest, secure: localkafka.LocalKafka, pki: Pki, prefix: str, pg_dsn: str
) -> None:
    """The log as the settings build it: topics created, the identity claimed, an event
    appended by the transactional writer and read back."""
    sasl_ssl = scram(secure, "SASL_SSL", kafka_ssl_cafile=pki.ca)
    mutual = {
        "kafka_bootstrap": secure.bootstrap_for("SSL"),
        "kafka_security_protocol": "SSL",
        "kafka_ssl_cafile": pki.ca,
        "kafka_ssl_certfile": pki.client_cert,
        "kafka_ssl_keyfile": pki.client_key,
        "kafka_ssl_key_password": SecretStr(KEY_PASSWORD),
    }
    for n, security in enumerate((sasl_ssl, mutual)):
        log = build_log(settings_for("postgres", request, f"{prefix}{n}", **security), pg_dsn)
        event = StreamFactory().next("stock:SKU-1@WH-1")
        async with asyncio.timeout(60):
            await log.start()
            writer = await log.open_writer()
            reader = await log.open_reader()
            try:
                [written] = await writer.append([event])
                found: list[Record] = []
                while not found:
                    found = await reader.read(max_records=10, timeout=1.0)
            finally:
                await reader.close()
                await writer.close()
                await log.close()
        assert [(r.offset, r.envelope().id) for r in found] == [(written.offset, event.id)]


async def test_with_a_wrong_password_the_writer_exits_at_once_naming_the_refusal_and_commands_are_503(
    request: pytest.FixtureRequest,
    secure: localkafka.LocalKafka,
    prefix: str,
    tmp_path: Path,
    pg_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_for(
        "postgres",
        request,
        prefix,
        internal_secret=SecretStr(SECRET),
        data_dir=tmp_path,
        **scram(secure, kafka_sasl_password=SecretStr(WRONG)),
    )
    began = time.monotonic()
    with captured(monkeypatch, role) as events:
        async with asyncio.timeout(30):  # aiokafka alone would say only "Unable to bootstrap"
            assert await run_writer(settings, asyncio.Event().wait()) == UNUSABLE
    took = time.monotonic() - began
    [line] = named(events, "writer_cannot_start")
    assert "refused the ledger's credentials" in line["reason"], line
    assert "SaslAuthenticationFailed" in line["reason"], line
    assert "as 'ledger'" in line["reason"], line
    assert WRONG not in repr(events)
    assert took < 15, f"the writer took {took:.1f} s to give up"

    await admin_holds(ADMIN_TOKEN, settings, pg_dsn)
    client = await serve(create_api_app(settings))
    try:
        api = Api(client, ADMIN_TOKEN)
        async with client.get("/readyz") as response:
            ready = await response.json()
            assert (response.status, ready["writer"]) == (503, "unreachable"), ready
            assert ready["writer_problem"] == "no writer is active on this log", ready
        async with client.post("/v1/commands/register-location", json=location(), headers=api.headers()) as r:
            assert (r.status, r.headers.get("Retry-After")) == (503, "1"), await r.text()
    finally:
        await client.close()

    with pytest.raises(LogUnavailable, match="refused the ledger's credentials"):
        await one_process(settings)  # not started, with the reason


async def one_process(settings: Settings) -> None:
    """Start the one-process app and stop it again; what stopped its start is raised."""
    server = TestServer(create_app(settings))
    try:
        async with asyncio.timeout(30):
            await server.start_server()
    finally:
        await server.close()  # leaves whatever its start had entered


async def test_a_broker_certificate_signed_by_no_trusted_ca_is_named_as_a_failed_handshake(
    request: pytest.FixtureRequest, secure: localkafka.LocalKafka, pki: Pki, prefix: str
) -> None:
    settings = settings_for(
        "postgres",
        request,
        prefix,
        kafka_bootstrap=secure.bootstrap_for("SSL"),
        kafka_security_protocol="SSL",
        kafka_ssl_cafile=pki.stranger_ca,
        kafka_ssl_certfile=pki.stranger_cert,
        kafka_ssl_keyfile=pki.stranger_key,
    )
    with pytest.raises(LogUnavailable, match=r"TLS handshake .* failed: .*certificate verify failed"):
        await one_process(settings)
