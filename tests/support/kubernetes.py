"""Reading the Kubernetes manifests (config/kubernetes/): the documents, a CronJob's pod and
container, its mounts, and the environment its container sees (tests/test_kubernetes.py
checks them; tests/test_image_invocations.py runs each container in the built image)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "config" / "kubernetes"
BACKUP_JOB = "orgbackup"
STATUS_JOB = "orgbackup-status"
SHARDED_JOB = "orgbackup-sharded"
PRUNE_JOB = "orgbackup-prune"
BACKUP_SECRET = "orgbackup-secrets"
PRUNE_SECRET = "orgbackup-prune-secrets"
# The annotation Kubernetes sets on an Indexed Job's pod (its completion index).
COMPLETION_INDEX = "metadata.annotations['batch.kubernetes.io/job-completion-index']"


def manifests() -> list[tuple[str, dict]]:
    docs = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path.name, doc))
    return docs


def one(kind: str, name: str | None = None) -> dict:
    found = [d for _, d in manifests() if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def cronjobs() -> list[str]:
    return [d["metadata"]["name"] for _, d in manifests() if d["kind"] == "CronJob"]


def pod_spec(cronjob: str = BACKUP_JOB) -> dict:
    return one("CronJob", cronjob)["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def container(cronjob: str = BACKUP_JOB) -> dict:
    containers = pod_spec(cronjob)["containers"]
    assert len(containers) == 1
    return containers[0]


def mounts(cronjob: str = BACKUP_JOB) -> dict[str, dict]:
    """mountPath -> the pod volume mounted there."""
    volumes = {v["name"]: v for v in pod_spec(cronjob)["volumes"]}
    return {m["mountPath"]: volumes[m["name"]] for m in container(cronjob)["volumeMounts"]}


def expand(value: str, environ: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion of an env value or a subPathExpr."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: environ.get(m.group(1), m.group(0)), value)


def pod_environ(cronjob: str, index: int = 0) -> dict[str, str]:
    """What the container's environment holds: the ConfigMap, then its env in order (a
    completion index from the annotation Kubernetes sets; $(VAR) expanded)."""
    environ = {}
    for source in container(cronjob).get("envFrom", []):
        if "configMapRef" in source:
            environ.update(one("ConfigMap", source["configMapRef"]["name"])["data"])
    for e in container(cronjob).get("env", []):
        if "valueFrom" in e:
            assert e["valueFrom"]["fieldRef"]["fieldPath"] == COMPLETION_INDEX
            environ[e["name"]] = str(index)
        else:
            environ[e["name"]] = expand(e["value"], environ)
    return environ
