"""deploy/k8s/, validated offline.

The core kinds go through kubernetes-validate (strict, Kubernetes 1.34); Strimzi's kinds through
the openAPIV3Schema of Strimzi's own CRDs (deploy/k8s/strimzi-crds/), strict as the API server's
field validation is. Then what neither schema sees: every Service selects pods, every probe asks
a route its role serves, every topic the ledger opens has a KafkaTopic with the partitions the
ledger expects and retention forever (the commands' 7 days aside), every ACL names real topics,
the writer's transactional id and group, every secret and setting used exists, and the
kustomization applies every file.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from ledger.config import Settings
from ledger.log.kafka import COMMANDS_RETENTION_MS
from tests.support.pki import make_pki

from .k8s import (
    CRDS,
    K8S,
    KUBERNETES_VERSION,
    STRIMZI_GROUP,
    containers,
    crd_problems,
    crd_schemas,
    environment,
    kustomization,
    ledger_log,
    named,
    of_kind,
    resources,
    routes,
)
from .support import is_command, is_setting

IMAGE_UID = 10001  # USER in deploy/Containerfile
IMAGE_PORTS = {"LEDGER_PORT": 8080, "LEDGER_PROBE_LISTEN": 9090}  # its ENV defaults


def test_every_core_resource_is_valid_for_kubernetes() -> None:
    core = [r for r in resources() if not r["apiVersion"].startswith(STRIMZI_GROUP)]
    assert {r["kind"] for r in core} >= {
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "ConfigMap",
        "Namespace",
    }
    for resource in core:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_kubernetes_validate_does_refuse_a_mistake() -> None:
    deployment = named("Deployment", "ledger-api")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError, match="readinesProbe"):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_every_strimzi_resource_is_valid_for_its_crd() -> None:
    strimzi = [r for r in resources() if r["apiVersion"].startswith(STRIMZI_GROUP)]
    assert {r["kind"] for r in strimzi} == {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"}
    for resource in strimzi:
        assert crd_problems(resource) == [], resource["metadata"]["name"]


def test_the_crds_do_refuse_a_mistake() -> None:
    user = named("KafkaUser", "ledger-writer")
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Reed"]
    user["spec"]["authentication"]["tpye"] = "scram-sha-512"
    problems = crd_problems(user)
    assert any("'Reed' is not one of" in p for p in problems)
    assert any("'tpye' was unexpected" in p for p in problems)
    topic = named("KafkaTopic", "ledger-meta")
    topic["spec"]["partitions"] = 0
    assert crd_problems(topic) != []


def test_the_vendored_crds_are_strimzi_s_and_say_where_they_come_from() -> None:
    kinds = {kind for (_, kind) in crd_schemas()}
    assert kinds == {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"}
    assert {v for (v, _) in crd_schemas()} == {f"{STRIMZI_GROUP}/v1"}
    readme = (CRDS / "README.md").read_text()
    assert "io.strimzi:api" in readme
    assert "Apache License" in (CRDS / "LICENSE").read_text()


def test_every_service_selects_the_pods_of_a_deployment() -> None:
    templates = [d["spec"]["template"]["metadata"]["labels"] for d in of_kind("Deployment")]
    for service in of_kind("Service"):
        selector = service["spec"]["selector"].items()
        assert any(selector <= labels.items() for labels in templates), service["metadata"]["name"]
    for budget in of_kind("PodDisruptionBudget"):
        selector = budget["spec"]["selector"]["matchLabels"].items()
        assert sum(selector <= labels.items() for labels in templates) == 1, budget["metadata"]["name"]
    for deployment in of_kind("Deployment"):
        assert deployment["spec"]["selector"]["matchLabels"].items() <= (
            deployment["spec"]["template"]["metadata"]["labels"].items()
        )


def test_every_probe_asks_a_route_its_role_serves_on_the_port_it_serves_it() -> None:
    for _, container in containers():
        role = container["args"][0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        served = routes(role)
        serving_port = IMAGE_PORTS["LEDGER_PORT" if role == "api" else "LEDGER_PROBE_LISTEN"]
        probes = [container[k] for k in ("startupProbe", "livenessProbe", "readinessProbe")]
        assert [p["httpGet"]["path"] for p in probes] == ["/healthz", "/healthz", "/readyz"], role
        for probe in probes:
            assert probe["httpGet"]["path"] in served, f"{role}: {probe['httpGet']['path']} is not served"
            assert ports[probe["httpGet"]["port"]] == serving_port, role
        assert "/metrics" in served


def test_every_container_runs_a_ledger_role_as_the_image_s_non_root_user_with_resources() -> None:
    roles = set()
    for deployment, container in containers():
        assert container["image"] == "ledger"
        assert is_command(container["args"][0])
        roles.add(container["args"][0])
        pod = deployment["spec"]["template"]["spec"]["securityContext"]
        assert (pod["runAsNonRoot"], pod["runAsUser"]) == (True, IMAGE_UID)
        security = container["securityContext"]
        assert (security["allowPrivilegeEscalation"], security["readOnlyRootFilesystem"]) == (False, True)
        assert container["resources"]["requests"]
        assert container["resources"]["limits"]["memory"]
    assert roles == {"writer", "project", "api"}
    assert named("Deployment", "ledger-writer")["spec"]["replicas"] == 2  # one active, one standby
    assert [i["name"] for i in kustomization()["images"]] == ["ledger"]


def settings_of(container: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings the container's role would start with (secrets and files stood in for)."""
    ca = tmp_path / "pki" / "ca.pem"
    if not ca.exists():  # a real CA certificate: the settings load it as the TLS context would
        make_pki(tmp_path / "pki")
    values = {}
    for key, value in environment(container).items():
        if not key.startswith("LEDGER_"):
            continue
        if isinstance(value, dict):  # from a Secret
            value = "postgresql://db/ledger" if key == "LEDGER_DATABASE_URL" else "s" * 24
        values[key] = (
            str(value).replace("$(POD_IP)", "10.0.0.7").replace("/run/secrets/kafka-ca/ca.crt", str(ca))
        )
    with monkeypatch.context() as patched:
        for key in [k for k in os.environ if k.startswith("LEDGER_")]:
            patched.delenv(key)
        for key, value in values.items():
            patched.setenv(key, value)
        return Settings()


def test_every_ledger_variable_is_a_setting_the_role_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _, container in containers():
        unknown = [k for k in environment(container) if k.startswith("LEDGER_") and not is_setting(k)]
        assert unknown == [], f"{container['name']}: not settings of the ledger: {unknown}"
        settings = settings_of(container, tmp_path, monkeypatch)
        assert settings.kafka_bootstrap == "ledger-kafka-bootstrap:9093"
    writer = named("Deployment", "ledger-writer")["spec"]["template"]["spec"]["containers"][0]
    settings = settings_of(writer, tmp_path, monkeypatch)
    assert (settings.internal_listen, settings.internal_advertise) == ("0.0.0.0:9000", "10.0.0.7:9000")


def kafka_topics() -> dict[str, dict[str, Any]]:
    return {t["spec"]["topicName"]: t["spec"] for t in of_kind("KafkaTopic")}


def test_every_topic_the_ledger_opens_has_a_kafka_topic_kept_as_the_ledger_expects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [(_, container), *_] = containers()
    settings = settings_of(container, tmp_path, monkeypatch)
    log = ledger_log(settings)
    opened = {*log.topics, log.meta_topic, log.commands_topic, log.results_topic}
    topics = kafka_topics()
    assert set(topics) == opened
    floor = int(named("ConfigMap", "ledger-config")["data"]["LEDGER_MIN_INSYNC_FLOOR"])
    for name, spec in topics.items():
        assert spec["partitions"] == (1 if name == log.meta_topic else settings.partitions), name
        assert spec["replicas"] == 3
        retention = COMMANDS_RETENTION_MS if name == log.commands_topic else -1
        assert spec["config"] == {
            "retention.ms": retention,
            "retention.bytes": -1,
            "cleanup.policy": "delete",
            "min.insync.replicas": 2,
        }, name
        assert spec["config"]["min.insync.replicas"] >= floor
    cluster = named("Kafka", "ledger")["metadata"]["name"]
    assert {t["metadata"]["labels"]["strimzi.io/cluster"] for t in of_kind("KafkaTopic")} == {cluster}


def acls(user: str) -> dict[tuple[str, str, str], set[str]]:
    """(type, name, patternType) to the operations the user is allowed there."""
    found: dict[tuple[str, str, str], set[str]] = {}
    for acl in named("KafkaUser", user)["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        key = (resource["type"], resource["name"], resource.get("patternType", "literal"))
        found.setdefault(key, set()).update(acl["operations"])
    return found


def test_every_acl_names_a_real_topic_and_the_writer_s_transactional_id_and_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [(_, container), *_] = containers()
    log = ledger_log(settings_of(container, tmp_path, monkeypatch))
    topics = set(kafka_topics())
    for user in of_kind("KafkaUser"):
        for kind, name, pattern in acls(user["metadata"]["name"]):
            if kind == "topic":
                assert (name, pattern) in {(t, "literal") for t in topics}, (
                    f"{user['metadata']['name']}: {name}"
                )
    writer = acls("ledger-writer")
    assert writer[("transactionalId", log.transactional_id, "literal")] >= {"Write", "Describe"}
    assert writer[("group", log.commands_group, "literal")] >= {"Read"}
    for topic in (*log.topics, log.meta_topic):
        assert writer[("topic", topic, "literal")] >= {"Read", "Write", "DescribeConfigs"}, topic
    assert writer[("topic", log.commands_topic, "literal")] >= {"Read"}
    assert writer[("topic", log.results_topic, "literal")] >= {"Write", "DescribeConfigs"}  # the floor check
    assert not any(kind == "cluster" or "Create" in ops for (kind, _, _), ops in writer.items())
    reader = acls("ledger-reader")
    for topic in topics:  # every process opens the log by describing every topic
        assert "Describe" in reader[("topic", topic, "literal")], topic
    assert all("Read" in reader[("topic", t, "literal")] for t in log.topics)
    assert "Read" not in reader[("topic", log.commands_topic, "literal")]  # records carry tokens
    assert not any(kind in ("transactionalId", "group") for (kind, _, _) in reader)
    integrator = acls("integrator-example")
    assert integrator[("topic", log.commands_topic, "literal")] >= {"Write"}
    assert integrator[("topic", log.results_topic, "literal")] >= {"Read"}
    assert all("Read" in integrator[("topic", t, "literal")] for t in log.topics)
    [(group, prefix, pattern)] = [k for k in integrator if k[0] == "group"]
    assert (group, pattern) == ("group", "prefix")
    assert not prefix.startswith(f"{log.commands_group}")  # never the writer's group


def test_each_role_logs_in_as_its_kafka_user_with_the_secret_strimzi_writes_for_it() -> None:
    kafka = named("Kafka", "ledger")
    [listener] = kafka["spec"]["kafka"]["listeners"]
    assert (listener["tls"], listener["authentication"]["type"]) == (True, "scram-sha-512")
    config = named("ConfigMap", "ledger-config")["data"]
    assert (
        config["LEDGER_KAFKA_BOOTSTRAP"] == f"{kafka['metadata']['name']}-kafka-bootstrap:{listener['port']}"
    )
    assert (config["LEDGER_KAFKA_SECURITY_PROTOCOL"], config["LEDGER_KAFKA_SASL_MECHANISM"]) == (
        "SASL_SSL",
        "SCRAM-SHA-512",
    )
    users = {u["metadata"]["name"] for u in of_kind("KafkaUser")}
    generated = {g["name"]: {f.split("=")[0] for f in g["files"]} for g in kustomization()["secretGenerator"]}
    for deployment, container in containers():
        env = environment(container)
        user = env["LEDGER_KAFKA_SASL_USERNAME"]
        assert user in users
        assert env["LEDGER_KAFKA_SASL_PASSWORD"]["secretKeyRef"] == {"name": user, "key": "password"}
        for value in env.values():
            if isinstance(value, dict) and "secretKeyRef" in value:
                ref = value["secretKeyRef"]
                assert ref["name"] in users or ref["key"] in generated.get(ref["name"], set()), ref
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        ca_dir = str(Path(config["LEDGER_KAFKA_SSL_CAFILE"]).parent)
        ca = volumes[mounts[ca_dir]]["secret"]
        assert ca["secretName"] == f"{kafka['metadata']['name']}-cluster-ca-cert"
        assert ca["items"] == [{"key": "ca.crt", "path": Path(config["LEDGER_KAFKA_SSL_CAFILE"]).name}]
    roles = {c["args"][0]: environment(c)["LEDGER_KAFKA_SASL_USERNAME"] for _, c in containers()}
    assert roles == {"writer": "ledger-writer", "project": "ledger-reader", "api": "ledger-reader"}


def test_kafka_is_three_kraft_brokers_that_acknowledge_on_two() -> None:
    kafka = named("Kafka", "ledger")["spec"]["kafka"]
    config = kafka["config"]
    assert (config["default.replication.factor"], config["min.insync.replicas"]) == (3, 2)
    assert config["auto.create.topics.enable"] is False
    assert kafka["authorization"]["type"] == "simple"
    pools = of_kind("KafkaNodePool")
    assert sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"]) == 3
    assert sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"]) == 3
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == "ledger" for p in pools)


def test_the_kustomization_applies_every_file_and_the_secrets_script_writes_its_secrets(
    tmp_path: Path,
) -> None:
    listed = set(kustomization()["resources"])
    on_disk = {
        str(p.relative_to(K8S))
        for p in K8S.rglob("*.yaml")
        if CRDS not in p.parents and p.name != "kustomization.yaml"
    }
    assert listed == on_disk
    generated = [f.split("=")[1] for g in kustomization()["secretGenerator"] for f in g["files"]]
    assert {str(Path(f).parent) for f in generated} == {"secrets"}
    env = {**os.environ, "LEDGER_DATABASE_URL": "postgresql://ledger:pw@db.example:5432/ledger"}
    target = tmp_path / "secrets"
    subprocess.run(["bash", str(K8S / "secrets.sh"), str(target)], env=env, check=True, capture_output=True)
    assert {p.name for p in target.iterdir()} == {Path(f).name for f in generated}
    assert (target / "database-url").read_text() == env["LEDGER_DATABASE_URL"]
    assert len((target / "admin-token").read_text()) >= 16
    refused = subprocess.run(
        ["bash", str(K8S / "secrets.sh"), str(tmp_path / "other")],
        env={k: v for k, v in env.items() if k != "LEDGER_DATABASE_URL"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2
    assert "LEDGER_DATABASE_URL" in refused.stderr
    assert (
        yaml.safe_load((K8S / "namespace.yaml").read_text())["metadata"]["name"]
        == kustomization()["namespace"]
    )
