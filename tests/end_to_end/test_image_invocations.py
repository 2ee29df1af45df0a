"""What users run is what the tests run: every documented invocation, and every Kubernetes
manifest's container, run in the built image through its real entrypoint (tini ->
docker-entrypoint.sh -> entrypoint.py), against the GitHub emulator.

The invocations are read from the documents themselves (tests/support/invocations.py:
README.md, compose.yaml's comments, docs/deploy.md): every `docker compose run ... backup
ARGS`, every `docker run ... orgbackup:0.1.0 ARGS` and every `entrypoint.py ARGS` line or
code span.  Each must have an expected outcome below (EXPECTED); a new example nobody runs
fails the test.  The examples' placeholders (acme, acme-restored, alpha, beta, DIR, ID,
HOURS) are read as the emulator's organization, a target organization, two of its
repositories, a folder mounted for the restore, the snapshot's id and 36; a synopsis's
[optional] parts are all given.
The examples run in order (the backup first) in one compose stack (compose.yaml plus
tests/support/compose.test.yaml: host network, the emulator's CA, the test's repository).

The Kubernetes containers run with `docker run` made from the manifest: its args (no
command: the image's entrypoint), user, read-only root, dropped capabilities, the
ConfigMap and its env, the Secret's items as files, the claims as folders (a
subPathExpr's folder inside), emptyDir as a tmpfs.  Only what points at GitHub (the
emulator's host and CA) and, for the sharded job, the repository (a REST server, as the
manifest asks) are changed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.github_emulator.mutate import add_org
from tests.support.image import ORG, ROOT, RUN_ID, UID, Stack, docker, show
from tests.support.kubernetes import (BACKUP_JOB, BACKUP_SECRET, PRUNE_JOB, PRUNE_SECRET, SHARDED_JOB, STATUS_JOB,
                                      container, cronjobs, expand, one, pod_environ, pod_spec)
from tests.support.invocations import Invocation, documented_invocations


TARGET_ORG = "V-Sekai-Restored"
# The examples' placeholders and what they stand for here ("ID": the snapshot's id).
PLACEHOLDERS = {"acme": ORG, "acme-restored": TARGET_ORG, "alpha": "godot", "beta": "docs", "HOURS": "36",
                "DIR": "/restore"}
SNAPSHOT_PLACEHOLDERS = ("ID", "3ab0e0c4")
IMAGE_NAME = "orgbackup:0.1.0"  # what `docker compose build` makes and the manifests name
# The emulator's CA, trusted by every program in the container (tests/compose.test.yaml does the same).
CA_IN_CONTAINER = "/run/emulator-ca.pem"
CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO")


@dataclass
class Expected:
    statuses: tuple[int, ...] = (0,)
    out: str | None = None           # in standard output
    check: object = None             # a function of (the run, the invocation's folder) for more
    why: str = ""


@dataclass
class Context:
    stack: Stack
    tmp: Path
    emulator: object
    snapshot: str = ""               # the backup's short id, once there is one
    seen: list[str] = field(default_factory=list)


def command_of(args: tuple[str, ...]) -> str:
    return next((a for a in args if not a.startswith("-")), "")


def restored_org(folder: Path) -> None:
    assert (folder / ORG / "manifest.json").is_file(), sorted(p.name for p in folder.iterdir())


def expected_of(inv: Invocation, snapshot: str) -> Expected:
    """The outcome each documented invocation must have (KeyError: one nobody expects)."""
    args, command = inv.args, command_of(inv.args)
    if "--help" in args:
        return Expected(out=f"usage: entrypoint.py {command}".rstrip())
    if command in ("", "backup"):
        return Expected(out='"status": "complete"')
    if command == "snapshots":
        return Expected(out=snapshot)
    if command == "status":
        return Expected(out='"ok": true' if "--json" in args else f"OK    {ORG}: complete")
    if command == "verify":
        return Expected(out="verify: passed")
    if command == "prune":  # the stack's one repository, with the backup's credentials (the policy keeps it all)
        return Expected(out='"event": "prune_summary"')
    if command == "restore":
        return Expected(check=lambda run, folder: restored_org(folder))
    if command == "restore-to-github" and "--dry-run" in args:
        return Expected(out="nothing is created")
    if command == "restore-to-github":
        # The first run restores everything but the wikis: GitHub makes a wiki's repository
        # only when a person saves its first page (exit 3, each named).
        def wikis_only(run, folder):
            if run.returncode == 3:
                problems = json.loads(run.stdout.strip().splitlines()[-1])["problems"]
                assert problems and all("save a page" in p for p in problems), problems
        return Expected(statuses=(0, 3), check=wikis_only)
    if args == ("sh",):
        return Expected()
    if args[:2] == ("restic", "snapshots"):
        return Expected(out=snapshot)
    raise KeyError(f"a documented invocation no test expects anything of: {inv}")


ORDER = ("backup", "snapshots", "restic", "status", "verify", "restore", "restore-to-github", "prune", "sh")


def rank(inv: Invocation) -> tuple:
    command = command_of(inv.args) or "backup"
    dry = "--dry-run" not in inv.args  # the plan before the restore
    return (ORDER.index(command) if command in ORDER else len(ORDER), dry, inv.kind != "compose")


def substituted(words: tuple[str, ...], ctx: Context) -> list[str]:
    out = []
    for word in words:
        if word in SNAPSHOT_PLACEHOLDERS:
            word = ctx.snapshot
        out.append(PLACEHOLDERS.get(word, word))
    return out


def writable_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    if os.geteuid() == 0:
        os.chown(path, UID, UID)
    else:
        path.chmod(0o777)
    return path


def target_mount(args: list[str], folder: Path) -> list[str]:
    """An entrypoint.py example's --target folder, mounted from a fresh folder of the test."""
    if "--target" not in args:
        return []
    return ["-v", f"{writable_folder(folder)}:{args[args.index('--target') + 1]}"]


def run_compose(inv: Invocation, ctx: Context, folder: Path) -> tuple[subprocess.CompletedProcess, Path]:
    """`docker compose run` as documented ($PWD: a folder of the test, with the folders the
    documents tell users to make there), or an entrypoint.py example as compose's arguments."""
    args = substituted(inv.args, ctx)
    if inv.kind == "compose":
        folder.mkdir(parents=True)
        options = [o.replace("$PWD", str(folder)) for o in inv.options]
        for option in options:
            host = option.split(":")[0]
            if host.startswith(str(folder)):
                writable_folder(Path(host))  # `install -d -o 10001 -g 10001 restored`
        mounted = next((Path(o.split(":")[0]) for o in options if o.startswith(str(folder))), folder)
    else:
        options = ["--rm"] + target_mount(args, folder)
        mounted = folder
    env = dict(ctx.stack.env, **dict(inv.env))
    run = docker(*ctx.stack.base, "run", *options, "backup", *args, env=env, cwd=ROOT, timeout=900)
    return run, mounted


def run_docker_run(inv: Invocation, ctx: Context, folder: Path, created: list[str]) -> subprocess.CompletedProcess:
    """The README's `docker run` example: its named volumes made unique, $PWD a folder of the
    test holding secrets/ (mode 755, as the README says), plus the emulator's host and CA."""
    secrets = folder / "secrets"
    secrets.mkdir(parents=True)
    shutil.copyfile(ctx.stack.token_file, secrets / "github_token")
    shutil.copyfile(ctx.stack.password_file, secrets / "restic_password")
    secrets.chmod(0o755)
    for path in secrets.iterdir():
        path.chmod(0o644)
    options = []
    for option in inv.options:
        option = option.replace("$PWD", str(folder))
        name = option.split(":")[0]
        if re.match(r"^orgbackup-[a-z]+$", name):  # a named volume
            unique = f"orgbackup-test-{RUN_ID}-{name}"
            created.append(unique)
            option = unique + option[len(name):]
        options.append(option)
    extra = ["--network", "host", "-e", f"GITHUB_HOST={ctx.emulator.host}",
             "-v", f"{ctx.stack.ca_file}:{CA_IN_CONTAINER}:ro"]
    extra += [a for name in CA_VARIABLES for a in ("-e", f"{name}={CA_IN_CONTAINER}")]
    return docker("run", *options, *extra, ctx.stack.env["ORGBACKUP_IMAGE"], *substituted(inv.args, ctx),
                  timeout=900)


def test_every_documented_invocation_runs_in_the_image(image, github_emulator, world_root, tmp_path):
    add_org(world_root, TARGET_ORG)
    token = github_emulator.admin_token_file.read_text().strip()
    (tmp_path / "stack").mkdir()
    stack = Stack(image, tmp_path / "stack", github_emulator.host, Path(github_emulator.ca_file), token,
                  "restic-" + uuid.uuid4().hex)
    ctx = Context(stack, tmp_path, github_emulator)
    invocations = sorted(documented_invocations(), key=rank)
    for inv in invocations:
        expected_of(inv, "x")  # every example is known before anything runs
    volumes: list[str] = []
    report = []
    try:
        for number, inv in enumerate(invocations):
            folder = tmp_path / f"run-{number}"
            started = time.monotonic()
            if inv.kind == "docker-run":
                run, mounted = run_docker_run(inv, ctx, folder, volumes), folder
            else:
                run, mounted = run_compose(inv, ctx, folder)
            seconds = time.monotonic() - started
            report.append(f"{seconds:6.1f} s  exit {run.returncode}  {inv}")
            expected = expected_of(inv, ctx.snapshot)
            context = f"{inv}\n--- stdout\n{run.stdout[-3000:]}\n--- stderr\n{run.stderr[-3000:]}"
            assert run.returncode in expected.statuses, context
            if expected.out is not None:
                assert expected.out in run.stdout, context
            if expected.check is not None:
                expected.check(run, mounted)
            if command_of(inv.args) in ("", "backup") and inv.kind == "compose":
                # The newest (retention keeps one a day): what the later examples' ID stands for.
                ctx.snapshot = json.loads(run.stdout.strip().splitlines()[-1])["orgs"][0]["snapshot_id"]
                assert re.fullmatch(r"[0-9a-f]{8}", ctx.snapshot), ctx.snapshot
    finally:
        show("\ndocumented invocations, in the image:\n" + "\n".join(report))
        stack.down()
        for name in volumes:
            docker("volume", "rm", "-f", name)


def pod_run(cronjob: str, image_tag: str, *, claims: dict[str, Path], secret_values: dict[str, str], work: Path,
            overrides: dict[str, str], index: int = 0) -> list[str]:
    """`docker run` arguments for the CronJob's container, made from the manifest."""
    pod, c = pod_spec(cronjob), container(cronjob)
    assert c["image"] == IMAGE_NAME, c["image"]
    assert "command" not in c, "the manifests run the image's entrypoint: args only"
    env = dict(pod_environ(cronjob, index), **overrides)
    context = {**pod.get("securityContext", {}), **c.get("securityContext", {})}
    options = ["--rm", "--network", "host",
               "--user", f"{context['runAsUser']}:{context.get('runAsGroup', context['runAsUser'])}"]
    if context.get("readOnlyRootFilesystem"):
        options.append("--read-only")
    if context.get("allowPrivilegeEscalation") is False:
        options += ["--security-opt", "no-new-privileges"]
    for capability in context.get("capabilities", {}).get("drop", []):
        options += ["--cap-drop", capability]
    volumes = {v["name"]: v for v in pod["volumes"]}
    for mount in c["volumeMounts"]:
        volume, path = volumes[mount["name"]], mount["mountPath"]
        if "persistentVolumeClaim" in volume:
            host = claims[volume["persistentVolumeClaim"]["claimName"]]
            sub = expand(mount.get("subPathExpr") or mount.get("subPath") or "", env)
            if sub:
                host = host / sub
                if not host.exists():
                    writable_folder(host)
            read_only = mount.get("readOnly") or volume["persistentVolumeClaim"].get("readOnly")
            options += ["-v", f"{host}:{path}" + (":ro" if read_only else "")]
        elif "secret" in volume:
            folder = work / f"secret-{mount['name']}"
            folder.mkdir(parents=True)
            for item in volume["secret"]["items"]:
                file = folder / item["path"]
                file.write_text(secret_values[item["key"]] + "\n")
                file.chmod(0o444)  # the manifest's 0440 with fsGroup 10001: readable by the pod's user
            options += ["-v", f"{folder}:{path}:ro"]
        elif "emptyDir" in volume:
            size = volume["emptyDir"].get("sizeLimit", "").replace("Gi", "g").replace("Mi", "m")
            options += ["--tmpfs", f"{path}:exec" + (f",size={size}" if size else "")]
        else:
            raise AssertionError(f"{cronjob}: a volume this test cannot make: {volume}")
    for name, value in env.items():
        options += ["-e", f"{name}={value}"]
    return options + [image_tag] + list(c.get("args", []))


def emulator_overrides(emulator) -> tuple[dict[str, str], list[str]]:
    """What points the pod at the emulator instead of github.com: its host, its CA (env, mount)."""
    env = {"GITHUB_HOST": emulator.host, **{name: CA_IN_CONTAINER for name in CA_VARIABLES}}
    return env, ["-v", f"{emulator.ca_file}:{CA_IN_CONTAINER}:ro"]


def with_mounts(argv: list[str], extra: list[str]) -> list[str]:
    return argv[:1] + extra + argv[1:]  # after --rm, before the image


def last_json(run: subprocess.CompletedProcess) -> dict:
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_every_manifest_names_a_container_this_module_runs():
    assert set(cronjobs()) == {BACKUP_JOB, STATUS_JOB, SHARDED_JOB, PRUNE_JOB}


def test_the_backup_status_and_prune_cronjobs_run_in_the_image(image, github_emulator, tmp_path):
    """status before any backup: exit 1 naming the missing repository; the backup CronJob's
    container: a complete backup; status again: exit 0 (its args: status --max-age 36); the
    prune CronJob's container, its repository from its own Secret's file (here the claim's
    local repository): the policy applied, the backup's snapshot kept, pruned."""
    claims = {name: writable_folder(tmp_path / name) for name in ("orgbackup-cache", "orgbackup-repository")}
    values = {"github_token": github_emulator.admin_token_file.read_text().strip(),
              "restic_password": "k8s-" + uuid.uuid4().hex, "restic_repository": "/repository"}
    assert set(values) == set(one("Secret", BACKUP_SECRET)["stringData"]) | set(one("Secret", PRUNE_SECRET)["stringData"])
    env, ca = emulator_overrides(github_emulator)

    def run(cronjob: str, step: str) -> subprocess.CompletedProcess:
        argv = pod_run(cronjob, image.tag, claims=claims, secret_values=values, work=tmp_path / step, overrides=env)
        started = time.monotonic()
        result = docker("run", *with_mounts(argv, ca), timeout=900)
        show(f"\n{cronjob} ({step}): exit {result.returncode} in {time.monotonic() - started:.1f} s: "
             f"{shlex.join(container(cronjob)['args'])}\n" + "\n".join(result.stdout.splitlines()[-3:]))
        return result

    before = run(STATUS_JOB, "status-before")
    assert before.returncode == 1, before.stdout + before.stderr
    assert before.stderr.strip().splitlines()[-1].endswith(
        "restic snapshots: the repository does not exist (/repository)"), before.stderr
    backup = run(BACKUP_JOB, "backup")
    assert backup.returncode == 0, backup.stderr[-4000:]
    assert last_json(backup)["orgs"][0]["status"] == "complete"
    after = run(STATUS_JOB, "status-after")
    assert after.returncode == 0, after.stdout + after.stderr
    assert after.stdout.startswith(f"OK    {ORG}: complete")
    pruned = run(PRUNE_JOB, "prune")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    [row] = last_json(pruned)["orgs"]
    assert row["org"] == ORG and row["forgotten"] == 0 and row["kept"] == 1, row


def test_the_sharded_cronjob_runs_a_shard_in_the_image(image, github_emulator, tmp_path):
    """Pod 0 of the Indexed Job: BACKUP_SHARD from the completion index, its own folder of the
    caches' claim, the repository a REST server every pod reaches (as the manifest asks)."""
    from tests.support.backends import RCLONE, RestServer

    if RCLONE is None:
        pytest.skip("rclone is not installed (apt-get install rclone; .ci/run does)")
    server = RestServer(tmp_path)
    server.start()
    try:
        claims = {"orgbackup-shard-caches": writable_folder(tmp_path / "shard-caches")}
        values = {"github_token": github_emulator.admin_token_file.read_text().strip(),
                  "restic_password": "k8s-" + uuid.uuid4().hex}
        env, ca = emulator_overrides(github_emulator)
        env["RESTIC_REPOSITORY"] = server.repository
        argv = pod_run(SHARDED_JOB, image.tag, claims=claims, secret_values=values, work=tmp_path, overrides=env,
                       index=0)
        count = one("CronJob", SHARDED_JOB)["spec"]["jobTemplate"]["spec"]["completions"]
        run = docker("run", *with_mounts(argv, ca), timeout=900)
        assert run.returncode == 0, run.stderr[-4000:]
        summary = last_json(run)["orgs"][0]
        assert summary["status"] == "complete", summary
        assert f"shard 0/{count} backs up" in run.stderr
        assert (tmp_path / "shard-caches" / "shard-0" / ORG).is_dir()  # subPathExpr: this shard's own folder
        assert server.password not in run.stdout + run.stderr
    finally:
        server.stop()
