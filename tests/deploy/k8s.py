"""Reading deploy/k8s/ for the tests: the resources its kustomization names, the Strimzi CRDs'
schemas, and what the ledger itself says its topics, groups and routes are."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ledger.config import Settings
from ledger.http.role import create_api_app
from ledger.log.kafka import KafkaLog
from ledger.log.topology import Topology
from ledger.metrics import Metrics
from ledger.probes import Probes, probe_app

from .support import DEPLOY

K8S = DEPLOY / "k8s"
CRDS = K8S / "strimzi-crds"
KUBERNETES_VERSION = "1.34.0"
STRIMZI_GROUP = "kafka.strimzi.io"

Resource = dict[str, Any]


def kustomization() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return loaded


@cache
def _load(path: Path) -> tuple[Resource, ...]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the Kafka CRD is 330 kB
    return tuple(d for d in yaml.load_all(path.read_text(), Loader=loader) if d)


def resources() -> list[Resource]:
    """Every resource the kustomization applies (fresh copies: tests may change them)."""
    return [copy.deepcopy(r) for f in kustomization()["resources"] for r in _load(K8S / f)]


def of_kind(kind: str) -> list[Resource]:
    return [r for r in resources() if r["kind"] == kind]


def named(kind: str, name: str) -> Resource:
    [found] = [r for r in of_kind(kind) if r["metadata"]["name"] == name]
    return found


def containers() -> list[tuple[Resource, Resource]]:
    """(Deployment, container) for every container the manifests run."""
    return [(d, c) for d in of_kind("Deployment") for c in d["spec"]["template"]["spec"]["containers"]]


def environment(container: Resource) -> dict[str, Any]:
    """The container's variables: the ConfigMaps it takes whole, then its own ``env`` entries."""
    found: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        found |= named("ConfigMap", source["configMapRef"]["name"])["data"]
    for entry in container.get("env", []):
        found[entry["name"]] = entry.get("value", entry.get("valueFrom"))
    return found


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """``(apiVersion, kind)`` to the openAPIV3Schema Strimzi's CRD gives that version."""
    found = {}
    for path in sorted(CRDS.glob("*.yaml")):
        [crd] = _load(path)
        for version in crd["spec"]["versions"]:
            key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
            found[key] = strict(version["schema"]["openAPIV3Schema"])
    return found


def strict(schema: Any) -> Any:
    """The schema as the API server applies it with strict field validation (``kubectl apply
    --validate=strict``): an object's fields are the ones it names, unless it keeps unknown ones."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    tightened = {k: strict(v) for k, v in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        tightened["additionalProperties"] = False
    return tightened


def crd_problems(resource: Resource) -> list[str]:
    schema = crd_schemas()[(resource["apiVersion"], resource["kind"])]
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(resource)]


def ledger_log(settings: Settings) -> KafkaLog:
    """The Kafka log these settings open (its names only: nothing connects)."""
    assert settings.kafka_bootstrap is not None
    return KafkaLog(settings.kafka_bootstrap, Topology(settings.topic_prefix, settings.partitions))


def routes(role: str) -> set[str]:
    """The paths the role answers on the port its probes ask."""
    if role == "api":
        app = create_api_app(Settings(database_url="postgresql://nowhere/ledger", internal_secret="x" * 16))
    else:
        app = probe_app(Probes(), Metrics())
    return {r.resource.canonical for r in app.router.routes() if r.method == "GET" and r.resource is not None}
