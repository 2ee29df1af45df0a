"""The image and the compose stack on a real Docker engine.

The image is built from the project's Dockerfile on the stand-in base image
(`local/python:3.13-slim-trixie`, made by `.ci/docker-setup.sh`: no registry can
be reached here), with the gitim STAND-IN (tests/gitim_standin) instead of the
real gitim, which installs only from GitHub.  The Dockerfile stays free of test
code: GITIM_SOURCE is a pip requirement, and the test serves the stand-in as a
source archive on loopback (`gitim @ http://127.0.0.1:PORT/...`; the build runs
with --network host).

Every container runs with --network host / network_mode: host and talks only to
the GitHub emulator on loopback.  The end-to-end test runs
`docker compose run --rm backup` against the emulator, then reads the restic
repository it wrote with the host's restic and compares what comes back with the
emulator's truth.  Everything the tests create (image tag, containers, volumes,
compose projects) carries a unique name and is removed by that name.

Set ORGBACKUP_TEST_BASE_IMAGE to build on another base (e.g. the official
python:3.13-slim-trixie where a registry is reachable).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import tarfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from orgbackup import __version__

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parent.parent
STANDIN = ROOT / "tests" / "gitim_standin"
ORG = "V-Sekai"
BASE_IMAGE = os.environ.get("ORGBACKUP_TEST_BASE_IMAGE", "local/python:3.13-slim-trixie")
UID = 10001
# Taken before any fixture moves HOME: the docker CLI finds the compose plugin there.
DOCKER_CONFIG = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
RUN_ID = uuid.uuid4().hex[:10]


# ------------------------------------------------------------------ helpers

def docker_env(**extra: str) -> dict[str, str]:
    return dict(os.environ, DOCKER_CONFIG=DOCKER_CONFIG, **extra)


def docker(*args: str, timeout: float = 300, env: dict | None = None, check: bool = False,
           cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ("docker",) + args, capture_output=True, text=True, timeout=timeout,
        env=env or docker_env(), cwd=cwd,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result


def missing(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where .ci/run sets everything up."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI: .ci/run must run .ci/docker-setup.sh first)")
    pytest.skip(f"{reason}; run `bash .ci/docker-setup.sh` first")


_CONFIG: list = []


@pytest.fixture(autouse=True, scope="module")
def _pytest_config(pytestconfig):
    _CONFIG[:] = [pytestconfig]


def show(text: str) -> None:
    """Print into the test output even when pytest captures (build time, size, the run)."""
    capture = _CONFIG[0].pluginmanager.getplugin("capturemanager") if _CONFIG else None
    if capture is None:
        print(text)
        return
    with capture.global_and_fixture_disabled():
        print(text.rstrip("\n"), flush=True)


def run_image(image: str, *args: str, options: tuple[str, ...] = (), timeout: float = 120) -> subprocess.CompletedProcess:
    return docker("run", "--rm", "--network", "host", *options, image, *args, timeout=timeout)


def standin_archive(folder: Path) -> Path:
    """tests/gitim_standin as a source archive pip can install (no build leftovers)."""

    def keep(info: tarfile.TarInfo):
        parts = Path(info.name).parts
        if any(p in ("build", "__pycache__") or p.endswith(".egg-info") for p in parts):
            return None
        return info

    archive = folder / "gitim-standin.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(STANDIN, arcname="gitim_standin", filter=keep)
    return archive


class LoopbackFiles:
    """A static HTTP server on 127.0.0.1 serving one folder (for the docker build)."""

    def __init__(self, folder: Path):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


# ------------------------------------------------------------------ the image

class Built:
    def __init__(self, tag: str, seconds: float, size: int, inspect: dict):
        self.tag, self.seconds, self.size, self.inspect = tag, seconds, size, inspect


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Built:
    if shutil.which("docker") is None:
        missing("no docker client on PATH")
    info = docker("info", "--format", "{{.ServerVersion}}", timeout=30)
    if info.returncode != 0:
        missing(f"no Docker engine answers (`docker info`: {info.stderr.strip().splitlines()[-1:]})")
    if docker("image", "inspect", BASE_IMAGE, timeout=30).returncode != 0:
        missing(f"the base image {BASE_IMAGE} is not there")
    if not (STANDIN / "pyproject.toml").is_file():
        pytest.fail("tests/gitim_standin (the gitim stand-in) is missing")

    tag = f"orgbackup-test:{RUN_ID}"
    served = tmp_path_factory.mktemp("gitim-standin")
    archive = standin_archive(served)
    with LoopbackFiles(served) as files:
        started = time.monotonic()
        build = docker(
            "build", "--network", "host", "--pull=false",
            "--build-arg", f"BASE_IMAGE={BASE_IMAGE}",
            "--build-arg", f"GITIM_SOURCE=gitim @ {files.url(archive.name)}",
            "--tag", tag, str(ROOT), timeout=1800,
        )
        seconds = time.monotonic() - started
    if build.returncode != 0:
        pytest.fail(f"docker build failed ({build.returncode}):\n{build.stdout[-4000:]}\n{build.stderr[-4000:]}")
    inspect = json.loads(docker("image", "inspect", tag, check=True).stdout)[0]
    built = Built(tag, seconds, inspect["Size"], inspect)
    show(f"\nimage {tag}: built in {seconds:.1f} s on {BASE_IMAGE}, {inspect['Size'] / 1e6:.0f} MB")
    try:
        yield built
    finally:
        # Containers of this image (the tests remove theirs; this is the safety net),
        # then the image by its tag: its parent layers stay as the next build's cache.
        left = docker("ps", "-aq", "--filter", f"ancestor={inspect['Id']}").stdout.split()
        if left:
            docker("rm", "-f", *left, timeout=120)
        docker("rmi", "--no-prune", tag, timeout=120)


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
    for command in ("backup", "restore", "verify", "snapshots"):
        assert command in result.stdout
    result = run_image(image.tag, "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"orgbackup {__version__}"
    result = run_image(image.tag, "restore", "--help")
    assert result.returncode == 0 and "--target" in result.stdout
    # Not one of orgbackup's commands: run as a program (`docker compose run --rm backup sh`).
    result = run_image(image.tag, "restic", "version")
    assert result.returncode == 0 and result.stdout.startswith("restic ")


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

def own(root: Path) -> None:
    """Make a restored tree the tester's (git refuses repositories of another user)."""
    uid, gid = os.getuid(), os.getgid()
    for folder, dirs, files in os.walk(root):
        for name in [folder] + [os.path.join(folder, n) for n in dirs + files]:
            os.lchown(name, uid, gid)


class Stack:
    """`docker compose -p PROJECT -f compose.yaml -f tests/compose.test.yaml`, with its files."""

    def __init__(self, image: Built, tmp_path: Path, github_host: str, ca_file: Path,
                 token: str, password: str):
        self.project = f"orgbackup-test-{RUN_ID}-{uuid.uuid4().hex[:6]}"
        secrets = tmp_path / "secrets"
        secrets.mkdir(mode=0o700)
        self.token, self.password = token, password
        self.token_file = secrets / "github_token"
        self.token_file.write_text(token + "\n")
        self.password_file = secrets / "restic_password"
        self.password_file.write_text(password + "\n")
        self.ca_file = tmp_path / "emulator-ca.pem"
        shutil.copyfile(ca_file, self.ca_file)
        for path in (self.token_file, self.password_file, self.ca_file):
            path.chmod(0o644)  # read by uid 10001 in the container; the folder keeps others out
        self.repository = tmp_path / "restic-repo"
        self.repository.mkdir()
        if os.geteuid() == 0:
            os.chown(self.repository, UID, UID)
        else:
            self.repository.chmod(0o777)
        empty = tmp_path / "compose-project.env"
        empty.write_text("")  # instead of a developer's .env in the project folder
        self.base = ("compose", "--project-name", self.project, "--env-file", str(empty),
                     "-f", str(ROOT / "compose.yaml"), "-f", str(ROOT / "tests" / "compose.test.yaml"))
        self.env = docker_env(
            ORGBACKUP_IMAGE=image.tag,
            GITHUB_ORGS=ORG,
            ORGBACKUP_TEST_GITHUB_HOST=github_host,
            ORGBACKUP_TEST_CA_FILE=str(self.ca_file),
            ORGBACKUP_TEST_REPOSITORY=str(self.repository),
            ORGBACKUP_TEST_TOKEN_FILE=str(self.token_file),
            ORGBACKUP_TEST_PASSWORD_FILE=str(self.password_file),
        )

    def __call__(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return docker(*self.base, *args, env=self.env, cwd=ROOT, timeout=timeout)

    def down(self) -> None:
        self("down", "--volumes", "--remove-orphans", "--timeout", "5", timeout=120)
        leftovers = docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={self.project}").stdout.split()
        if leftovers:
            docker("rm", "-f", *leftovers)
        for name in ("cache", "restic-repo"):
            docker("volume", "rm", "-f", f"{self.project}_{name}")

    # restic on the host (Debian's, 0.14 on bookworm) reads the repository the image's 0.18 wrote.
    def restic(self, *args: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, RESTIC_REPOSITORY=str(self.repository), RESTIC_PASSWORD=self.password)
        env.pop("RESTIC_REPOSITORY_FILE", None)
        env.pop("RESTIC_PASSWORD_FILE", None)
        return subprocess.run(("restic", "--no-lock") + args, env=env, capture_output=True, text=True,
                              timeout=600)


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
    from tests.github_emulator.world import truth
    from tests.truth_compare import compare_org, files_holding
    from tests.truth_compare_metadata import metadata_differences

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
        snaps = {s["id"]: s for s in json.loads(listed.stdout)}
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
        assert snapshot_id[:8] in listing.stdout
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
