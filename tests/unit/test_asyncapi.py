"""The AsyncAPI document: valid for the official AsyncAPI parser, and every event the write side
records, with its Kafka headers and key, is one of its messages.

The parser is ``@asyncapi/parser`` from npm, installed into ``deploy/asyncapi`` from its lock
file by ``deploy/bootstrap.sh dev``. The sample events are decided by the real ``handlers``
over a demo history (as the writer decides them) and sealed as the writer seals them, plus
the golden StockAdjusted v1 events and the token events of ``handlers.access``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ledger import cloudevents
from ledger.asyncapi import document
from ledger.cli import _parser
from ledger.demo import generate
from ledger.envelope import Envelope
from schemas import EVENTS, area_of_stream
from tests.support.asyncapi_doc import validator
from tests.support.decided import NOW, decided_envelopes
from tests.support.unavailable import unavailable

PARSER = Path(__file__).resolve().parents[2] / "deploy" / "asyncapi"
PER_TYPE = 25  # samples validated per event type and version


def parse_with_official_parser(tmp_path: Path, *documents: dict[str, Any]) -> list[dict[str, Any]]:
    """What ``@asyncapi/parser`` says of each document (``deploy/asyncapi/validate.cjs``)."""
    node = shutil.which("node")
    if node is None:
        unavailable("Node.js", FileNotFoundError("node: the AsyncAPI parser runs on Node.js"))
    if not (PARSER / "node_modules" / "@asyncapi" / "parser").is_dir():
        unavailable("the AsyncAPI parser", FileNotFoundError("run bash deploy/asyncapi/install.sh"))
    paths = [tmp_path / f"asyncapi-{n}.json" for n in range(len(documents))]
    for path, body in zip(paths, documents, strict=True):
        path.write_text(json.dumps(body))
    done = subprocess.run(
        [str(node), "validate.cjs", *map(str, paths)], cwd=PARSER, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_official_parser_finds_nothing_wrong_with_the_document(tmp_path: Path) -> None:
    on_kafka = document(prefix="acme", partitions=6, replicas=3, bootstrap="k1:9092, k2:9092")
    broken = document()
    broken["operations"]["receive-sales"]["action"] = "listen"

    embedded, kafka, refused = parse_with_official_parser(tmp_path, document(), on_kafka, broken)

    for answer in (embedded, kafka):
        assert answer["parsed"], answer
        found = Counter(d["severity"] for d in answer["diagnostics"])
        assert found["error"] == found["warning"] == 0, answer["diagnostics"]
    assert not refused["parsed"]
    assert [d["path"] for d in refused["diagnostics"] if d["severity"] == "error"] == [
        "operations/receive-sales/action"
    ]
    assert on_kafka["servers"] == {
        "kafka-1": {"host": "k1:9092", "protocol": "kafka", "description": "a bootstrap server of the log"},
        "kafka-2": {"host": "k2:9092", "protocol": "kafka", "description": "a bootstrap server of the log"},
    }
    assert "servers" not in document()
    assert on_kafka["channels"]["sales"]["address"] == "acme.sales"
    assert on_kafka["channels"]["sales"]["bindings"]["kafka"]["partitions"] == 6


def samples() -> dict[tuple[str, int], list[Envelope]]:
    found: dict[tuple[str, int], list[Envelope]] = {}
    for envelope in decided_envelopes():
        kept = found.setdefault((envelope.type, envelope.schema_version), [])
        if len(kept) < PER_TYPE:
            kept.append(envelope)
    return found


def test_every_event_type_and_version_of_the_registry_is_a_message_of_its_areas_channel() -> None:
    body = document()
    found = samples()
    assert set(found) == set(EVENTS)  # the samples below cover the whole registry
    for (type_, version), envelopes in found.items():
        name = f"{type_}.v{version}"
        area = area_of_stream(envelopes[0].stream)
        assert name in body["channels"][area]["messages"], (name, area)
        assert {"$ref": f"#/channels/{area}/messages/{name}"} in body["operations"][f"receive-{area}"][
            "messages"
        ]
    listed = [
        m for area, channel in body["channels"].items() if "command" not in area for m in channel["messages"]
    ]
    assert sorted(listed) == sorted(f"{t}.v{v}" for t, v in EVENTS)


def test_real_events_their_headers_and_keys_validate_against_their_messages() -> None:
    body = document()
    checked = 0
    for (type_, version), envelopes in samples().items():
        message = body["components"]["messages"][f"{type_}.v{version}"]
        payload = validator(body, message["payload"])
        headers = validator(body, message["headers"])
        key = validator(body, message["bindings"]["kafka"]["key"])
        for envelope in envelopes:
            record = cloudevents.to_binary(envelope)
            decoded = {name: value.decode() for name, value in record.headers}
            assert set(decoded) <= set(message["headers"]["properties"])
            for found in (payload.iter_errors(envelope.data), headers.iter_errors(decoded)):
                assert not list(found), (type_, version, envelope.data, decoded)
            assert key.is_valid(record.key.decode())
            checked += 1
    assert checked > len(EVENTS)
    other = body["components"]["messages"]["OrderPlaced.v1"]
    assert not validator(body, other["headers"]).is_valid(
        {n: v.decode() for n, v in cloudevents.to_binary(decided_envelopes()[0]).headers}
    )  # a message's headers name its type: no event is valid as another


def test_every_demo_command_is_a_valid_record_of_the_commands_channel() -> None:
    body = document()
    messages = body["components"]["messages"]
    channel = body["channels"]["commands"]["messages"]
    for name, command in generate(NOW, 7, 10):
        assert f"command.{name}" in channel
        record = {"name": name, "body": json.loads(json.dumps(command))}
        assert not list(validator(body, messages[f"command.{name}"]["payload"]).iter_errors(record))
    assert not validator(body, messages["command.place-order"]["payload"]).is_valid(
        {"name": "place-order", "body": {"order_id": "SO-1"}}
    )


def test_ledger_schemas_writes_the_asyncapi_document_of_the_configured_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_TOPIC_PREFIX", "acme")
    monkeypatch.setenv("LEDGER_KAFKA_BOOTSTRAP", "k1:9092")

    args = _parser().parse_args(["schemas", "--out", str(tmp_path)])
    assert args.run(args) == 0  # as ``main`` runs it, minus the collector tuning it does per process

    written = json.loads((tmp_path / "asyncapi.json").read_text(encoding="utf-8"))
    assert written == document(prefix="acme", bootstrap="k1:9092")
    assert (tmp_path / "events" / "OrderPlaced.v1.json").is_file()
    assert capsys.readouterr().out.endswith(f"JSON Schema files and asyncapi.json to {tmp_path}\n")
