"""The Kubernetes manifests (config/kubernetes/): valid against the Kubernetes schemas
(kubernetes-validate, offline: the package ships them), and the same variable names, secret files
and mount paths as the compose stack; the sharded job one shard per pod (the status container run
against a real repository: tests/end_to_end/test_kubernetes_status.py)."""

from __future__ import annotations

import copy
import re

import pytest

yaml = pytest.importorskip("yaml")
kv = pytest.importorskip("kubernetes_validate.utils", reason="kubernetes-validate is a test dependency")

from tests.support.kubernetes import (BACKUP_JOB, BACKUP_SECRET, MANIFESTS, PRUNE_JOB, PRUNE_SECRET, ROOT, SHARDED_JOB,
                                      STATUS_JOB, container, expand, manifests, mounts, one, pod_environ, pod_spec)


# The newest schemas the package ships, and the oldest Kubernetes we support
# (CronJob's timeZone is GA since 1.27).
VERSIONS = (kv.latest_version(), "1.30.0")


def compose_service() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["backup"]


def compose_env() -> dict[str, str]:
    """config/compose.env, the stack's defaults (KEY=VALUE lines)."""
    env = {}
    for line in (ROOT / "config" / "compose.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def documented_variables() -> set[str]:
    """Every variable config/backup.env.example names (set or commented out)."""
    text = (ROOT / "config" / "backup.env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.M))


def test_the_package_ships_the_schemas_offline():
    assert MANIFESTS.is_dir()
    assert tuple(int(p) for p in kv.latest_version().split(".")[:2]) >= (1, 30)
    for version in VERSIONS:
        assert version in kv.all_versions()


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid(version):
    docs = manifests()
    assert {d["kind"] for _, d in docs} >= {"CronJob", "Secret", "ConfigMap", "PersistentVolumeClaim"}
    for filename, doc in docs:
        try:
            kv.validate(doc, version, strict=True)
        except kv.ValidationError as exc:  # pragma: no cover - the message is the point
            pytest.fail(f"{filename}: {doc['kind']} {doc['metadata']['name']} is not valid for {version}: {exc}")


def test_the_validation_really_catches_mistakes():
    cronjob = copy.deepcopy(one("CronJob", BACKUP_JOB))
    cronjob["spec"]["startingDeadlineSeconds"] = "an hour"
    with pytest.raises(kv.ValidationError):  # a wrong type
        kv.validate(cronjob, VERSIONS[0], strict=True)
    cronjob = copy.deepcopy(one("CronJob", BACKUP_JOB))
    cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFilesystem"] = True
    with pytest.raises(kv.ValidationError):  # strict: a field in the wrong place
        kv.validate(cronjob, VERSIONS[0], strict=True)


def test_the_cronjob_runs_one_backup_at_a_time_with_limits():
    spec = one("CronJob", BACKUP_JOB)["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] > 0
    assert spec["jobTemplate"]["spec"]["backoffLimit"] >= 0
    # Exit 3 (incomplete, a snapshot was taken) and 2 (configuration) are not retried the same night.
    [rule] = spec["jobTemplate"]["spec"]["podFailurePolicy"]["rules"]
    assert rule["action"] == "FailJob" and rule["onExitCodes"]["containerName"] == "backup"
    assert rule["onExitCodes"]["operator"] == "In" and sorted(rule["onExitCodes"]["values"]) == [2, 3]
    pod = pod_spec()
    assert pod["restartPolicy"] == "Never"
    assert pod["terminationGracePeriodSeconds"] >= 30
    c = container()
    assert c["args"] == ["backup"]
    assert {"cpu", "memory"} <= set(c["resources"]["requests"])
    assert "memory" in c["resources"]["limits"]


@pytest.mark.parametrize("cronjob", [BACKUP_JOB, STATUS_JOB, SHARDED_JOB, PRUNE_JOB])
def test_the_pod_runs_as_the_images_non_root_user_on_a_read_only_root(cronjob):
    pod_sc, c_sc = pod_spec(cronjob)["securityContext"], container(cronjob)["securityContext"]
    assert pod_sc["runAsNonRoot"] is True and c_sc["runAsNonRoot"] is True
    assert pod_sc["runAsUser"] == c_sc["runAsUser"] == 10001
    assert c_sc["readOnlyRootFilesystem"] is True
    assert c_sc["allowPrivilegeEscalation"] is False
    assert c_sc["capabilities"]["drop"] == ["ALL"]
    # compose's user is the same uid:gid.
    assert compose_service()["user"] == f"{pod_sc['runAsUser']}:{pod_sc['runAsGroup']}"
    assert compose_service()["read_only"] is True


@pytest.mark.parametrize("cronjob", [BACKUP_JOB, STATUS_JOB, SHARDED_JOB, PRUNE_JOB])
def test_every_reference_points_at_a_manifest_here(cronjob):
    pod = pod_spec(cronjob)
    volumes = {v["name"]: v for v in pod["volumes"]}
    for v in volumes.values():
        if "persistentVolumeClaim" in v:
            one("PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"])
        if "secret" in v:
            secret = one("Secret", v["secret"]["secretName"])
            for item in v["secret"]["items"]:
                assert item["key"] in secret["stringData"]
    refs = container(cronjob)["envFrom"]
    one("ConfigMap", next(r["configMapRef"]["name"] for r in refs if "configMapRef" in r))
    # The backend credentials' Secret is optional: users make it only for a remote repository.
    assert all(r["secretRef"].get("optional") for r in refs if "secretRef" in r)


@pytest.mark.parametrize("secret", [BACKUP_SECRET, PRUNE_SECRET])
def test_the_secret_is_a_template_without_real_values(secret):
    for value in one("Secret", secret)["stringData"].values():
        assert value.startswith("REPLACE-WITH-")


def test_same_secret_files_as_compose():
    env = compose_env()
    config = one("ConfigMap")["data"]
    file_vars = {k: v for k, v in env.items() if k.endswith("_FILE")}
    assert file_vars == {"GITHUB_TOKEN_FILE": "/run/secrets/github_token",
                         "RESTIC_PASSWORD_FILE": "/run/secrets/restic_password"}
    assert {k: v for k, v in config.items() if k.endswith("_FILE")} == file_vars

    # compose: each secret at /run/secrets/<name> (the default target).
    compose_secrets = {s if isinstance(s, str) else s["source"] for s in compose_service()["secrets"]}
    compose_paths = {f"/run/secrets/{name}" for name in compose_secrets}
    assert compose_paths == set(file_vars.values())

    # Kubernetes: the Secret volume mounted read-only at /run/secrets, one file per item.
    secret_volume = mounts()["/run/secrets"]
    assert next(m for m in container()["volumeMounts"] if m["mountPath"] == "/run/secrets")["readOnly"] is True
    k8s_paths = {f"/run/secrets/{item['path']}" for item in secret_volume["secret"]["items"]}
    assert k8s_paths == set(file_vars.values())


def test_same_volumes_and_paths_as_compose():
    service = compose_service()
    env, config = compose_env(), one("ConfigMap")["data"]
    compose_volumes = {v.split(":")[1] for v in service["volumes"]}
    k8s_claims = {path for path, v in mounts().items() if "persistentVolumeClaim" in v}
    assert compose_volumes == k8s_claims == {"/cache", "/repository"}
    # The temporary folder: compose's tmpfs, Kubernetes' emptyDir.
    assert [t.split(":")[0] for t in service["tmpfs"]] == ["/tmp"]
    assert "emptyDir" in mounts()["/tmp"]
    # The same defaults for where things go.
    for name in ("RESTIC_REPOSITORY", "BACKUP_CACHE_DIR"):
        assert config[name] == env[name], name
    assert env["BACKUP_CACHE_DIR"] in compose_volumes
    assert env["RESTIC_REPOSITORY"] in compose_volumes


def test_every_variable_is_one_the_product_reads():
    known = documented_variables()
    assert {"GITHUB_ORGS", "GITHUB_TOKEN_FILE", "RESTIC_PASSWORD_FILE"} <= known
    for name in one("ConfigMap")["data"]:
        assert name in known, f"ConfigMap: {name} is not a documented variable"
    for name in compose_env():
        assert name in known, f"config/compose.env: {name} is not a documented variable"


def test_the_status_cronjob_alarms_on_a_missed_night_with_the_repository_alone():
    backup, status = one("CronJob", BACKUP_JOB)["spec"], one("CronJob", STATUS_JOB)["spec"]
    assert status["schedule"] != backup["schedule"] and status["concurrencyPolicy"] == "Forbid"
    assert status["jobTemplate"]["spec"]["backoffLimit"] == 0  # stale stays stale on a retry
    c = container(STATUS_JOB)
    assert c["args"][0] == "status" and c["image"] == container()["image"]
    assert c["envFrom"] == container()["envFrom"]
    # The repository only read, the same claim as the backup's; its password the only secret file.
    status_mounts, backup_mounts = mounts(STATUS_JOB), mounts()
    assert status_mounts["/repository"] == backup_mounts["/repository"] | {
        "persistentVolumeClaim": {**backup_mounts["/repository"]["persistentVolumeClaim"], "readOnly": True}}
    assert next(m for m in c["volumeMounts"] if m["mountPath"] == "/repository")["readOnly"] is True
    assert [i["key"] for i in status_mounts["/run/secrets"]["secret"]["items"]] == ["restic_password"]
    assert "/cache" not in status_mounts and "emptyDir" in status_mounts["/tmp"]
    cleared = {e["name"] for e in c["env"] if e["value"] == ""}
    assert {"GITHUB_TOKEN_FILE", "GITHUB_APP_PRIVATE_KEY_FILE", "BACKUP_HEALTHCHECK_URL_FILE"} <= cleared


def sharded_pod_environ(index: int) -> dict[str, str]:
    return pod_environ(SHARDED_JOB, index)


def test_the_sharded_job_is_indexed_one_shard_per_pod_each_with_its_own_cache(tmp_path):
    from orgbackup.config.settings import load_config
    from orgbackup.snapshots.shards import Shard

    cronjob = one("CronJob", SHARDED_JOB)["spec"]
    job = cronjob["jobTemplate"]["spec"]
    assert job["completionMode"] == "Indexed" and cronjob["concurrencyPolicy"] == "Forbid"
    count = job["completions"]
    assert job["parallelism"] == count >= 2
    assert container(SHARDED_JOB)["args"] == ["backup"]
    assert container(SHARDED_JOB)["image"] == container()["image"]
    # Exit 2 fails every shard at once; exit 3 only its own index; a failure retries its index.
    rules = {r["action"]: r["onExitCodes"]["values"] for r in job["podFailurePolicy"]["rules"]}
    assert rules == {"FailJob": [2], "FailIndex": [3]} and job["backoffLimitPerIndex"] >= 1
    # Each completion index reads as BACKUP_SHARD=i/N with N = completions, checked by the product.
    (tmp_path / "token").write_text("ghp_x\n")
    (tmp_path / "password").write_text("p\n")
    caches = set()
    for index in range(count):
        environ = sharded_pod_environ(index)
        assert environ["BACKUP_SHARD"] == f"{index}/{count}"
        environ.update(GITHUB_TOKEN_FILE=str(tmp_path / "token"), RESTIC_PASSWORD_FILE=str(tmp_path / "password"),
                       BACKUP_ENV_FILE=str(tmp_path / "none.env"))
        (tmp_path / "none.env").write_text("")
        assert load_config(environ).shard == Shard(index, count)
        [mount] = [m for m in container(SHARDED_JOB)["volumeMounts"] if m["mountPath"] == "/cache"]
        caches.add(expand(mount["subPathExpr"], environ))
    assert len(caches) == count  # one cache folder per shard, none shared
    claim = one("PersistentVolumeClaim", mounts(SHARDED_JOB)["/cache"]["persistentVolumeClaim"]["claimName"])
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]  # the pods may run on different nodes
    # Every pod writes into the same remote repository: no local repository claim is mounted.
    assert "/repository" not in mounts(SHARDED_JOB)
    # The same secret files and temporary folder as the CronJob.
    assert mounts(SHARDED_JOB)["/run/secrets"] == mounts()["/run/secrets"]
    assert mounts(SHARDED_JOB)["/tmp"] == mounts()["/tmp"]
    assert container(SHARDED_JOB)["envFrom"] == container()["envFrom"]


def test_the_prune_cronjob_forgets_and_prunes_with_credentials_of_its_own(tmp_path):
    """BACKUP_RETENTION=separate leaves retention to this job: `prune`, weekly, apart from the
    backup's hours, never retried; the repository and its password from a Secret of its own,
    a backend Secret of its own (not the backup's append-only one), no GitHub credentials."""
    from orgbackup.config.settings import load_config

    backup, status, prune = (one("CronJob", name)["spec"] for name in (BACKUP_JOB, STATUS_JOB, PRUNE_JOB))
    assert prune["schedule"] not in (backup["schedule"], status["schedule"]) and prune["concurrencyPolicy"] == "Forbid"
    assert prune["jobTemplate"]["spec"]["backoffLimit"] == 0  # a refusal is a person's to look at
    c = container(PRUNE_JOB)
    assert c["args"] == ["prune"] and c["image"] == container()["image"]
    backends = [r["secretRef"]["name"] for r in c["envFrom"] if "secretRef" in r]
    assert backends == ["orgbackup-prune-backend"]
    assert "orgbackup-backend" in [r["secretRef"]["name"] for r in container()["envFrom"] if "secretRef" in r]
    secrets = mounts(PRUNE_JOB)["/run/secrets"]["secret"]
    assert secrets["secretName"] == PRUNE_SECRET
    assert sorted(i["key"] for i in secrets["items"]) == ["restic_password", "restic_repository"]
    assert "/cache" not in mounts(PRUNE_JOB) and "emptyDir" in mounts(PRUNE_JOB)["/tmp"]
    environ = pod_environ(PRUNE_JOB)
    assert environ["RESTIC_REPOSITORY"] == "" and environ["RESTIC_REPOSITORY_FILE"] == "/run/secrets/restic_repository"
    assert environ["RESTIC_PASSWORD_FILE"] == "/run/secrets/restic_password"
    cleared = {e["name"] for e in c["env"] if e["value"] == ""}
    assert {"GITHUB_TOKEN_FILE", "GITHUB_APP_PRIVATE_KEY_FILE", "BACKUP_HEALTHCHECK_URL_FILE",
            "BACKUP_NOTIFY_URLS_FILE"} <= cleared
    # The product reads that environment: the repository from the mounted file, the floor.
    (tmp_path / "restic_repository").write_text("rest:http://pruner:pw@127.0.0.1:8000/\n")
    (tmp_path / "restic_password").write_text("p\n")
    (tmp_path / "none.env").write_text("")
    environ.update(RESTIC_REPOSITORY_FILE=str(tmp_path / "restic_repository"),
                   RESTIC_PASSWORD_FILE=str(tmp_path / "restic_password"), BACKUP_ENV_FILE=str(tmp_path / "none.env"))
    config = load_config(environ, need_github=False)
    assert config.restic_repository.reveal() == "rest:http://pruner:pw@127.0.0.1:8000/"
    assert config.prune_keep_within == "30d" and config.retention_mode == "here"
