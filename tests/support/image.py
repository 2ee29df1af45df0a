"""The built image and the compose stack for the image tests (tests/test_image.py,
tests/test_image_invocations.py): one image per test session (the fixture `image` in
tests/conftest.py), built from the project's Dockerfile on the stand-in base image
(`local/python:3.13-slim-trixie`, made by `.ci/docker-setup.sh`: no registry can be
reached here), with the gitim STAND-IN (tests/gitim_standin) instead of the real gitim,
which installs only from GitHub.  The Dockerfile stays free of test code: GITIM_SOURCE is
a pip requirement, and the stand-in is served as a source archive on loopback
(`gitim @ http://127.0.0.1:PORT/...`; the build runs with --network host).

Every container runs with --network host / network_mode: host and talks only to the
GitHub emulator on loopback.  Everything the tests create (image tag, containers,
volumes, compose projects) carries a unique name and is removed by that name; the
image is removed with the layers only it uses (nothing untagged is left behind).

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

ROOT = Path(__file__).resolve().parents[2]
STANDIN = ROOT / "tests" / "support" / "gitim_standin"
ORG = "V-Sekai"
BASE_IMAGE = os.environ.get("ORGBACKUP_TEST_BASE_IMAGE", "local/python:3.13-slim-trixie")
UID = 10001
# Taken before any fixture moves HOME: the docker CLI finds the compose plugin there.
DOCKER_CONFIG = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
RUN_ID = uuid.uuid4().hex[:10]

def docker_env(**extra: str) -> dict[str, str]:
    return dict(os.environ, DOCKER_CONFIG=DOCKER_CONFIG, **extra)


def docker(*args: str, timeout: float = 300, env: dict | None = None, check: bool = False,
           cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ("docker",) + args, capture_output=True, text=True, timeout=timeout,
        env=env or docker_env(), cwd=cwd, stdin=subprocess.DEVNULL,  # `compose run ... sh` reads it: EOF
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


def remember_config(pytestconfig) -> None:
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


class Built:
    def __init__(self, tag: str, seconds: float, size: int, inspect: dict):
        self.tag, self.seconds, self.size, self.inspect = tag, seconds, size, inspect


def built_image(tmp_path_factory):
    """The generator behind the session fixture `image` (tests/conftest.py): build, yield, remove."""
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
        remove_image(tag, inspect["Id"])


def remove_image(tag: str, image_id: str) -> None:
    """Containers of this image (the tests remove theirs; this is the safety net), then the
    image with its untagged parent layers that no other image uses: nothing is left behind
    (the stand-in base image is tagged, and stays).  The next run builds again (in CI, on a
    fresh machine, it always does)."""
    left = docker("ps", "-aq", "--filter", f"ancestor={image_id}").stdout.split()
    if left:
        docker("rm", "-f", *left, timeout=120)
    removed = docker("rmi", tag, timeout=300)
    if removed.returncode != 0:
        show(f"docker rmi {tag}: {removed.stderr.strip()}")


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
                     "-f", str(ROOT / "compose.yaml"), "-f", str(ROOT / "tests" / "support" / "compose.test.yaml"))
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
