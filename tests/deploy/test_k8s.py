"""deploy/k8s: renders cleanly with kustomize, probes everywhere, secrets only by reference.

``kubectl kustomize deploy/k8s`` renders it when kubectl is installed (it is on this
machine); the same checks then run on a plain assembly of the kustomization's files
(resources plus generated ConfigMaps), so they hold without kubectl too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cluster.topology import Topology, write_rasa_files
from bot.events.worker import QUEUE
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATION = yaml.safe_load((K8S / "kustomization.yaml").read_text())
SECRET_NAME = re.compile(r"TOKEN|PASSWORD|SECRET|DATABASE_URL|AMQP_URL|REDIS_URL|KEY$")
WORKLOADS = {"calx-rasa", "calx-actions", "calx-web", "calx-events"}


def _assembled() -> list[dict[str, Any]]:
    """The kustomization without kustomize: its resources, namespaced, and its ConfigMaps."""
    docs: list[dict[str, Any]] = []
    for name in KUSTOMIZATION["resources"]:
        docs += [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    for generator in KUSTOMIZATION["configMapGenerator"]:
        data = dict(item.split("=", 1) for item in generator.get("literals", []))
        data |= {Path(f).name: (K8S / f).read_text() for f in generator.get("files", [])}
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": generator["name"]},
                "data": data,
            }
        )
    for doc in docs:
        if doc["kind"] != "Namespace":
            doc["metadata"]["namespace"] = KUSTOMIZATION["namespace"]
    return docs


def _kubectl_render() -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (the assembled checks still run)")
    done = subprocess.run(
        [kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", f"kustomize warned: {done.stderr}"
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.fixture(scope="module", params=["assembled", "kubectl"])
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return _assembled() if request.param == "assembled" else _kubectl_render()


def _by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = doc["spec"]["template"]["spec"]["containers"]
    return containers


def test_every_part_is_rendered_in_the_namespace(rendered: list[dict[str, Any]]) -> None:
    assert set(_by_kind(rendered, "Deployment")) == WORKLOADS
    assert set(_by_kind(rendered, "Service")) == {"calx-rasa", "calx-actions", "calx-web"}
    assert "calx-migrate" in _by_kind(rendered, "Job")
    assert {d["metadata"].get("namespace") for d in rendered if d["kind"] != "Namespace"} == {
        "calx"
    }


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_each_workload_has_readiness_and_liveness_probes(
    rendered: list[dict[str, Any]], workload: str
) -> None:
    for container in _containers(_by_kind(rendered, "Deployment")[workload]):
        assert container.get("readinessProbe"), container["name"]
        assert container.get("livenessProbe"), container["name"]
        assert container["resources"]["limits"]["memory"]


def test_secrets_are_only_referenced_never_written(rendered: list[dict[str, Any]]) -> None:
    assert not _by_kind(rendered, "Secret"), "no Secret may be committed"
    workloads = [*_by_kind(rendered, "Deployment").values(), *_by_kind(rendered, "Job").values()]
    for doc in workloads:
        for container in _containers(doc):
            for env in container.get("env", []):
                if SECRET_NAME.search(env["name"]):
                    assert "value" not in env, env["name"]
                    assert env["valueFrom"]["secretKeyRef"]["name"] == "calx-secrets"
    for config in _by_kind(rendered, "ConfigMap").values():
        for key in config["data"]:
            assert not SECRET_NAME.search(key) or key.endswith("_HOST"), key


def test_services_reach_named_container_ports(rendered: list[dict[str, Any]]) -> None:
    deployments = _by_kind(rendered, "Deployment")
    for name, service in _by_kind(rendered, "Service").items():
        ports = {p["name"] for c in _containers(deployments[name]) for p in c.get("ports", [])}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports


def test_rasas_files_match_the_local_cluster_mode(tmp_path: Path) -> None:
    """Same channels and the same lock store, broker queue and tracker store as make run-cluster."""
    topology = Topology.of(Settings(), tmp_path)
    write_rasa_files(topology)
    local_endpoints = yaml.safe_load(topology.endpoints.read_text())
    k8s_endpoints = yaml.safe_load((K8S / "rasa" / "endpoints.yml").read_text())
    assert yaml.safe_load(topology.credentials.read_text()) == yaml.safe_load(
        (K8S / "rasa" / "credentials.yml").read_text()
    )
    assert k8s_endpoints["tracker_store"] == local_endpoints["tracker_store"]
    for part in ("lock_store", "event_broker"):
        assert k8s_endpoints[part]["type"] == local_endpoints[part]["type"]
    assert k8s_endpoints["event_broker"]["queues"] == [QUEUE]
    assert k8s_endpoints["lock_store"]["key_prefix"] == local_endpoints["lock_store"]["key_prefix"]
