"""deploy/compose.yaml, checked without Docker.

The Compose Specification's JSON Schema (as check-jsonschema vendors it) judges its shape; the
rest is what a schema cannot see: every ``LEDGER_*`` variable is a setting and the settings
each service gets are ones the ledger accepts, every service named (by ``depends_on``, by the
proxy, in a database URL or a bootstrap address) exists, every secret file a service reads is
one deploy/compose/secrets.sh writes, the commands are the ledger's, and every read model has
a projector process.
"""

from __future__ import annotations

import base64
import importlib.resources
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import crossplane
import jsonschema
import pytest
import yaml

import projections
from ledger.config import Settings

from .support import DEPLOY, ROOT, is_command, is_setting, script

COMPOSE = DEPLOY / "compose.yaml"
NGINX = DEPLOY / "compose" / "nginx.conf"
SECRETS_SCRIPT = DEPLOY / "compose" / "secrets.sh"
IMAGE_PORT = "8080"  # LEDGER_PORT in deploy/Containerfile
entrypoint = script("entrypoint")


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())  # YAML merge keys (<<) resolved as Compose does
    assert isinstance(loaded, dict)
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def ledger_services() -> dict[str, dict[str, Any]]:
    """The services that run the ledger's image, by name."""
    return {n: s for n, s in services().items() if s.get("image", "").startswith("${LEDGER_IMAGE")}


def command(service: dict[str, Any]) -> list[str]:
    return [str(word) for word in service.get("command", ["serve"])]


def specification() -> dict[str, Any]:
    vendored = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    loaded: dict[str, Any] = json.loads(vendored.read_text())
    return loaded


def problems(document: dict[str, Any]) -> list[str]:
    schema = specification()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_the_compose_file_is_valid_for_the_compose_specification() -> None:
    assert specification()["title"] == "Compose Specification"
    assert problems(compose()) == []


def test_the_specification_does_catch_a_mistake() -> None:
    document = compose()
    document["services"]["writer"]["healthchek"] = {"test": ["CMD", "true"]}
    document["services"]["api"]["depends_on"]["writer"]["condition"] = "service_ready"
    found = problems(document)
    assert any("healthchek" in p for p in found)
    assert any(p.startswith("services/api/depends_on:") for p in found)


def test_every_ledger_variable_is_a_setting_and_every_file_one_is_a_secret_of_the_service() -> None:
    top_secrets = compose()["secrets"]
    for name, service in ledger_services().items():
        environment = service["environment"]
        unknown = [k for k in environment if k.startswith("LEDGER_") and not is_setting(k)]
        assert unknown == [], f"{name}: not settings of the ledger: {unknown}"
        for key, value in environment.items():
            if key.endswith("_FILE"):
                secret = value.removeprefix("/run/secrets/")
                assert value == f"/run/secrets/{secret}", f"{name}: {key} is not a mounted secret"
                assert secret in service["secrets"], f"{name}: {key} names {secret}, not given to it"
                assert secret in top_secrets


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("compose") / "secrets"
    subprocess.run(["bash", str(SECRETS_SCRIPT), str(directory)], check=True, capture_output=True, timeout=30)
    return directory


def test_the_secrets_script_writes_every_secret_file_once_readable_by_the_containers(
    secrets_dir: Path,
) -> None:
    written = {p.name: p.read_text() for p in secrets_dir.iterdir()}
    named = {Path(s["file"]).name for s in compose()["secrets"].values()}
    assert set(written) == named
    for name, spec in compose()["secrets"].items():
        assert (COMPOSE.parent / spec["file"]).parent == DEPLOY / "compose" / "secrets", name
    assert all(oct(p.stat().st_mode & 0o777) == "0o644" for p in secrets_dir.iterdir())
    assert oct(secrets_dir.stat().st_mode & 0o777) == "0o700"
    again = subprocess.run(
        ["bash", str(SECRETS_SCRIPT), str(secrets_dir)], capture_output=True, text=True, check=True
    )
    assert again.stdout == ""  # kept, not replaced
    assert {p.name: p.read_text() for p in secrets_dir.iterdir()} == written
    assert (DEPLOY / "compose" / "secrets" / ".gitignore").read_text().splitlines()[1:] == [
        "*",
        "!.gitignore",
    ]


def test_each_ledger_service_s_settings_are_accepted_by_the_ledger(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, service in ledger_services().items():
        environment = {
            k: str(v).replace("/run/secrets/", f"{secrets_dir}/")
            for k, v in service["environment"].items()
            if k.startswith("LEDGER_")
        }
        resolved = entrypoint.resolved(environment, frozenset(Settings.model_fields))
        resolved["LEDGER_TIMEZONE"] = "UTC"  # ${LEDGER_TIMEZONE:-UTC}, as Compose interpolates it
        with monkeypatch.context() as patched:
            for key in [k for k in os.environ if k.startswith("LEDGER_")]:
                patched.delenv(key)
            for key, value in resolved.items():
                patched.setenv(key, value)
            settings = Settings()
        assert settings.kafka_bootstrap is not None, name
        assert settings.database_url is not None, name
        role = command(service)[0]
        assert (settings.internal_secret is not None) == (role in ("writer", "api")), name
        assert (settings.admin_token is not None) == (role == "writer"), name
        url = urlsplit(settings.database_url.get_secret_value())
        postgres = services()[url.hostname or ""]["environment"]
        assert (url.username, url.path) == (postgres["POSTGRES_USER"], f"/{postgres['POSTGRES_DB']}")
        assert url.password == (secrets_dir / "postgres_password").read_text().strip()
        host, _, port = settings.kafka_bootstrap.partition(":")
        advertised = services()[host]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
        assert f"//{host}:{port}" in advertised


def test_every_service_named_exists_and_waits_on_health_it_can_report() -> None:
    everything = services()
    for name, service in everything.items():
        for target, condition in service.get("depends_on", {}).items():
            assert target in everything, f"{name} depends on {target}, which is no service"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in everything[target], f"{name} waits for {target}'s health: it has none"
        assert "image" in service
        assert "healthcheck" in service, f"{name} has no health check"
    build = ledger_services()["writer"]["build"]
    assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Containerfile"
    [check] = {tuple(s["healthcheck"]["test"]) for s in ledger_services().values()}
    assert check[-1] == "/opt/ledger/container/healthcheck.py"  # where the image puts it
    assert (ROOT / "deploy" / "container" / "healthcheck.py").exists()


def test_the_commands_are_the_ledger_s_and_every_read_model_has_a_projector_process() -> None:
    owners: dict[str, list[str]] = {}
    for name, service in ledger_services().items():
        words = command(service)
        assert is_command(words[0]), f"{name}: ledger {words[0]} is no command"
        if words[0] == "project":
            for chosen in words[2::2]:
                owners.setdefault(chosen, []).append(name)
    assert sorted(owners) == sorted(p.name for p in projections.ALL)
    assert all(len(names) == 1 for names in owners.values()), owners


def test_a_writer_and_its_standby_each_advertise_their_own_reachable_address() -> None:
    writers = {n: s for n, s in ledger_services().items() if command(s)[0] == "writer"}
    assert len(writers) == 2
    for name, service in writers.items():
        environment = service["environment"]
        port = environment["LEDGER_INTERNAL_LISTEN"].rpartition(":")[2]
        assert environment["LEDGER_INTERNAL_ADVERTISE"] == f"{name}:{port}"
        assert "LEDGER_INTERNAL_SECRET_FILE" in environment


def test_two_api_replicas_answer_behind_the_proxy_s_one_published_port() -> None:
    everything = services()
    apis = {n: s for n, s in ledger_services().items() if command(s)[0] == "api"}
    assert sum(s.get("deploy", {}).get("replicas", 1) for s in apis.values()) >= 2
    published = [n for n, s in everything.items() if s.get("ports")]
    assert published == ["proxy"]
    proxy = everything["proxy"]
    [config] = proxy["configs"]
    assert (COMPOSE.parent / compose()["configs"][config["source"]]["file"]).resolve() == NGINX
    assert proxy["ports"] == ["${LEDGER_PUBLISHED_PORT:-8080}:8080"]
    parsed = crossplane.parse(str(NGINX), single=True, check_ctx=False, comments=False)
    assert (parsed["status"], parsed["errors"]) == ("ok", [])
    directives = parsed["config"][0]["parsed"]
    [upstream] = [d for d in directives if d["directive"] == "upstream"]
    servers = [d["args"][0] for d in upstream["block"] if d["directive"] == "server"]
    assert servers
    for server in servers:
        host, _, port = server.partition(":")
        assert host in apis, f"the proxy sends to {host}, which runs no API"
        assert port == apis[host]["environment"].get("LEDGER_PORT", IMAGE_PORT)
    [site] = [d for d in directives if d["directive"] == "server"]
    listens = [d["args"][0] for d in site["block"] if d["directive"] == "listen"]
    assert listens == ["8080"]
    limit = next(d["args"][0] for d in site["block"] if d["directive"] == "client_max_body_size")
    largest = next(m.le for m in Settings.model_fields["max_body_bytes"].metadata if hasattr(m, "le"))
    assert int(limit.removesuffix("m")) << 20 > largest


def test_kafka_is_one_kraft_broker_that_creates_no_topic_by_itself() -> None:
    kafka = services()["kafka"]
    assert re.fullmatch(r"apache/kafka:\d+\.\d+\.\d+", kafka["image"])
    environment = kafka["environment"]
    assert environment["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft: no ZooKeeper
    assert environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert len(base64.urlsafe_b64decode(environment["CLUSTER_ID"] + "==")) == 16  # a Kafka Uuid
    assert environment["KAFKA_LOG_DIRS"] in {v.split(":")[1] for v in kafka["volumes"]}
