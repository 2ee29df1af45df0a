"""The image and the compose stack on a real Docker engine (the image, the stand-in base
and gitim stand-in, and the rules every container follows: tests/helpers_image.py).

The end-to-end test runs `docker compose run --rm backup` against the emulator, then
reads the restic repository it wrote with the host's restic and compares what comes
back with the emulator's truth.  tests/test_image_invocations.py runs every documented
invocation and every Kubernetes manifest's container through the image's entrypoint.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from orgbackup import __version__
from orgbackup.cli import SUBCOMMANDS
from tests.support.image import ORG, ROOT, RUN_ID, UID, Stack, docker, docker_env, own, run_image, show

pytestmark = pytest.mark.docker


# ------------------------------------------------------------------ the image

def test_build_size_and_labels(image):
    assert image.size < 500 * 1000 * 1000, f"the image grew to {image.size / 1e6:.0f} MB"
    labels = image.inspect["Config"]["Labels"]
    assert labels["org.opencontainers.image.version"] == __version__
    assert labels["org.opencontainers.image.licenses"] == "MIT"
    assert labels["org.opencontainers.image.title"] == "orgbackup"
    assert "org.opencontainers.image.source" in labels
    pins = (ROOT / "requirements.txt").read_text()
    assert f"github-backup=={labels['io.orgbackup.github-backup.version']}" in pins
    assert f"PyGithub=={labels['io.orgbackup.pygithub.version']}" in pins
    assert labels["io.orgbackup.gitim.version"].startswith("7b6e898")


def test_the_tools_are_there_in_the_pinned_versions(image):
    result = run_image(image.tag, "sh", "-c",
                       "git --version; git lfs version; restic version; tini --version; ssh -V 2>&1;"
                       " github-backup --version; python -c 'import gitim, github; print(gitim.__file__)'")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    restic = out.split("restic ", 1)[1].split()[0]
    assert tuple(int(p) for p in restic.split(".")[:2]) >= (0, 17), "restic without exit codes 10 and 12"
    assert "git-lfs/3." in out
    assert "0.40.0" in out
    assert "/opt/venv/" in out


def test_runs_as_the_non_root_user(image):
    config = image.inspect["Config"]
    assert config["User"] == f"{UID}:{UID}"
    assert config["Entrypoint"] == ["tini", "--", "docker-entrypoint.sh"]
    assert config["Cmd"] == ["backup"]
    assert "/cache" in config["Volumes"]
    result = run_image(image.tag, "sh", "-c", "id -u; id -g; echo $HOME")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(UID), str(UID), "/tmp"]


def test_help_version_and_other_commands(image):
    result = run_image(image.tag, "--help")
    assert result.returncode == 0, result.stderr
    for command in SUBCOMMANDS:
        assert command in result.stdout
    result = run_image(image.tag, "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"orgbackup {__version__}"
    # Every command reaches orgbackup through the entrypoint (docker-entrypoint.sh once ran
    # `status` and `restore-to-github` as programs: exit 127).
    result = run_image(image.tag, "sh", "-c", "; ".join(f"docker-entrypoint.sh {c} --help >/tmp/{c}.txt; echo $?"
                                                      for c in SUBCOMMANDS) + "; head -qn1 /tmp/*.txt")
    assert result.stdout.split()[:len(SUBCOMMANDS)] == ["0"] * len(SUBCOMMANDS), result.stdout + result.stderr
    for command in SUBCOMMANDS:
        assert f"usage: entrypoint.py {command} " in result.stdout
    for command in ("status", "restore-to-github"):  # and through tini, as `docker run IMAGE ...` starts it
        result = run_image(image.tag, command, "--help")
        assert result.returncode == 0 and result.stdout.startswith(f"usage: entrypoint.py {command} "), result
    # `backup --help` names the file with every variable: it is in the image.
    result = run_image(image.tag, "sh", "-c", "entrypoint_help=$(docker-entrypoint.sh backup --help) && "
                       "echo \"$entrypoint_help\" | grep -o '/app/config/backup.env.example' && "
                       "grep -c '^#\\? *GITHUB_ORGS=' /app/config/backup.env.example")
    assert result.returncode == 0 and result.stdout.split() == ["/app/config/backup.env.example", "1"], result
    # Not one of orgbackup's commands: run as a program (`docker compose run --rm backup sh`).
    result = run_image(image.tag, "restic", "version")
    assert result.returncode == 0 and result.stdout.startswith("restic ")


def test_bad_arguments_and_verbose_after_the_command_in_the_image(image):
    result = run_image(image.tag, "verify", "--read-data-subset", "bogus")
    assert result.returncode == 2, result
    assert result.stderr.strip().splitlines()[-1].startswith("entrypoint.py verify: error: argument --read-data-subset")
    result = run_image(image.tag, "backup", "-v")  # the configuration is read: -v is accepted
    assert result.returncode == 2 and "GITHUB_ORGS or GITHUB_USERS is required" in result.stderr, result


def test_without_any_network_the_cause_is_named_within_seconds(image):
    """`docker run --network none`: the name does not resolve; said at once, a line per retry
    (before: `GitHub did not answer ...: ConnectionError` after 66 s of silence under compose)."""
    token = "ghp_" + uuid.uuid4().hex
    started = time.monotonic()
    proc = subprocess.Popen(
        ["docker", "run", "--rm", "--network", "none", "-e", "GITHUB_ORGS=V-Sekai", "-e", f"GITHUB_TOKEN={token}",
         "-e", "RESTIC_REPOSITORY=/tmp/repository", "-e", "RESTIC_PASSWORD=unused-" + uuid.uuid4().hex, image.tag],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=docker_env(), stdin=subprocess.DEVNULL)
    first = proc.stderr.readline()
    first_seconds = time.monotonic() - started
    rest = proc.stderr.read()
    out = proc.stdout.read()
    proc.wait(timeout=120)
    seconds = time.monotonic() - started
    show(f"\n--network none: first line after {first_seconds:.1f} s, exit {proc.returncode} after {seconds:.1f} s:\n"
         + first + rest)
    cause = "the name api.github.com did not resolve"
    assert proc.returncode == 1, first + rest
    assert cause in first and "attempt 2 of 5" in first, first
    assert first_seconds < 10 and seconds < 60
    assert sum(cause in line for line in (first + rest).splitlines()) == 5  # four retries, one error
    assert json.loads(out.strip().splitlines()[-1])["exit_status"] == 1


def test_a_missing_variable_exits_2_with_one_line(image):
    result = run_image(image.tag)  # CMD: backup, with no configuration at all
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "GITHUB_ORGS" in lines[0]
    assert "Traceback" not in result.stderr


def test_works_on_a_read_only_root_with_a_tmpfs(image):
    volume = f"orgbackup-test-{RUN_ID}-readonly"
    options = ("--read-only", "--tmpfs", "/tmp:exec", "-v", f"{volume}:/cache",
               "-e", "RESTIC_REPOSITORY=/cache/repository", "-e", "RESTIC_PASSWORD=a-test-password")
    try:
        result = run_image(image.tag, "sh", "-c",
                           "! touch /probe 2>/dev/null && touch /tmp/probe /cache/probe && restic init -q",
                           options=options)
        assert result.returncode == 0, result.stderr
        # orgbackup itself: its secret files on the tmpfs, restic on the volume.
        result = run_image(image.tag, "snapshots", "--json", options=options)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == []
    finally:
        docker("volume", "rm", "-f", volume)


# ------------------------------------------------------------------ the compose stack

def test_docker_inspect_shows_no_secret(image, tmp_path):
    token = "ghp_" + uuid.uuid4().hex
    password = "pw-" + uuid.uuid4().hex
    ca = tmp_path / "ca.pem"
    ca.write_text("not a certificate\n")
    stack = Stack(image, tmp_path, "localhost:9", ca, token, password)
    try:
        created = stack("create", "backup", timeout=120)
        assert created.returncode == 0, created.stderr
        ids = docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={stack.project}",
                     check=True).stdout.split()
        assert ids
        text = docker("inspect", *ids, check=True).stdout
        env = json.loads(text)[0]["Config"]["Env"]
        assert "GITHUB_TOKEN_FILE=/run/secrets/github_token" in env
        assert "RESTIC_PASSWORD_FILE=/run/secrets/restic_password" in env
        assert not any(e.startswith(("GITHUB_TOKEN=", "RESTIC_PASSWORD=")) for e in env)
        history = docker("history", "--no-trunc", image.tag, check=True).stdout
        for where in (text, history, json.dumps(image.inspect)):
            assert token not in where and password not in where
    finally:
        stack.down()


def test_compose_backup_against_the_emulator(image, github_emulator, tmp_path):
    """`docker compose run --rm backup` on the emulator, checked by restoring on the host."""
    from tests.github_emulator.truth import truth
    from tests.support.truth_compare import compare_org, files_holding
    from tests.support.truth_compare_metadata import metadata_differences

    token = github_emulator.admin_token_file.read_text().strip()
    password = "restic-" + uuid.uuid4().hex
    stack = Stack(image, tmp_path, github_emulator.host, Path(github_emulator.ca_file), token, password)
    try:
        started = time.monotonic()
        run = stack("run", "--rm", "backup", timeout=1500)
        seconds = time.monotonic() - started
        show(f"\n$ docker compose run --rm backup   (against the emulator; exit {run.returncode}, {seconds:.1f} s)\n"
             + "\n".join(run.stderr.splitlines()[-25:]) + "\n" + run.stdout)
        assert run.returncode == 0, run.stderr[-5000:]
        summary = json.loads(run.stdout.strip().splitlines()[-1])
        org = summary["orgs"][0]
        assert org["org"] == ORG and org["status"] == "complete", summary
        snapshot_id = org["snapshot_id"]

        # The host's restic reads the repository the image wrote.
        listed = stack.restic("snapshots", "--json")
        assert listed.returncode == 0, listed.stderr
        snaps = {s["short_id"]: s for s in json.loads(listed.stdout)}  # the summary says the short id
        assert snapshot_id in snaps
        assert {"complete", f"org:{ORG}"} <= set(snaps[snapshot_id]["tags"])
        assert snaps[snapshot_id]["hostname"] == "github-org-backup"
        target = tmp_path / "restored"
        restored = stack.restic("restore", snapshot_id, "--target", str(target))
        assert restored.returncode == 0, restored.stderr
        own(target)  # restic as root restores uid 10001's files; git wants them ours

        # What came back is what the emulator holds.
        expected = truth(github_emulator.root)
        org_dir = target / ORG
        godot = expected["orgs"][ORG]["repos"]["godot"]
        clone = org_dir / "github-backup" / "repositories" / "godot" / "repository"
        refs = subprocess.run(["git", "-C", str(clone), "for-each-ref", "--format=%(objectname) %(refname)",
                               "refs/heads", "refs/tags"], capture_output=True, text=True, check=True).stdout
        assert {ref: sha for sha, ref in (line.split() for line in refs.splitlines())} == godot["refs"]
        issues = list((org_dir / "github-backup" / "repositories" / "godot" / "issues").glob("*.json"))
        assert len(issues) == len(godot["issues"])
        warnings = [line for line in run.stderr.splitlines() if " WARNING " in line or " ERROR " in line]
        assert compare_org(ORG, expected, org_dir) == [], "\n".join(["the run's warnings:"] + warnings[:20])
        # and every metadata part (discussions, reviews, settings, teams, projects, attachments, ...)
        assert metadata_differences(org_dir, expected["orgs"][ORG], github_emulator.base_url) == []
        assert json.loads((org_dir / "manifest.json").read_text())["complete"] is True
        assert files_holding(target, token.encode()) == []

        # The stack's other commands.
        listing = stack("run", "--rm", "backup", "snapshots", timeout=300)
        assert listing.returncode == 0, listing.stderr
        assert snapshot_id in listing.stdout
        show("$ docker compose run --rm backup snapshots\n" + listing.stdout)
        shell = stack("run", "--rm", "backup", "sh", "-c", "id -u && ls /cache", timeout=120)
        assert shell.returncode == 0, shell.stderr
        assert shell.stdout.split()[0] == str(UID) and ORG in shell.stdout.split()
        drill = stack("run", "--rm", "backup", "verify", timeout=900)
        assert drill.returncode == 0, drill.stdout[-3000:] + drill.stderr[-3000:]
    finally:
        stack.down()


def test_sigterm_stops_the_run_cleanly(image, github_emulator, tmp_path):
    """`docker stop` during a run: tini hands SIGTERM on, the run ends its tools and
    exits 130, and no snapshot is marked complete."""
    token = github_emulator.admin_token_file.read_text().strip()
    stack = Stack(image, tmp_path, github_emulator.host, Path(github_emulator.ca_file), token,
                  "restic-" + uuid.uuid4().hex)
    github_emulator.set_faults(latency_ms=300)  # a run that lasts long enough to be stopped
    name = f"{stack.project}-stopped"
    try:
        started = stack("run", "-d", "--name", name, "backup", timeout=120)
        assert started.returncode == 0, started.stderr
        deadline = time.monotonic() + 120
        while "github-backup" not in docker("logs", name).stderr and time.monotonic() < deadline:
            time.sleep(0.5)
        stopped = time.monotonic()
        docker("stop", "--time", "60", name, check=True, timeout=120)
        stop_seconds = time.monotonic() - stopped
        state = json.loads(docker("inspect", name, check=True).stdout)[0]["State"]
        logs = docker("logs", name).stderr
        assert state["ExitCode"] == 130, logs[-3000:]
        assert "SIGTERM" in logs
        assert stop_seconds < 50, "the run did not stop on SIGTERM; docker killed it"
        listed = stack.restic("snapshots", "--json")
        if listed.returncode == 0:  # the repository may not even exist yet
            assert not [s for s in json.loads(listed.stdout or "[]") if "complete" in s.get("tags", [])]
    finally:
        github_emulator.set_faults()
        docker("rm", "-f", name)
        stack.down()
