# orgbackup: back up whole GitHub organizations into a restic repository.
#
#   docker build -t orgbackup:0.1.0 .
#   docker run --rm orgbackup:0.1.0 --help
#
# Build arguments (docs/deploy.md, "Building the image"):
#   BASE_IMAGE     the Python base image (default: the official python:3.13-slim-trixie)
#   GITIM_SOURCE   a pip requirement for gitim (default: the pinned commit on GitHub);
#                  where GitHub cannot be reached, any other pip source of the same
#                  gitim works: a URL of a source archive, a wheel, an internal mirror
#   IMAGE_SOURCE   the org.opencontainers.image.source label (the project's repository URL)

# The official Python image on Debian 13 "trixie", because trixie is the first
# Debian whose packages are recent enough for this product: restic 0.18 (exit
# codes 10 "no repository" and 12 "wrong password", added in 0.17; bookworm has
# 0.14) and git-lfs 3.6 (bookworm: 3.3).  Python 3.13 is trixie's own Python,
# so the tests' stand-in base (Debian trixie + python3) runs the same version.
ARG BASE_IMAGE=python:3.13-slim-trixie
FROM ${BASE_IMAGE}

# The wrapped tools from Debian, installed the way the official images do it;
# the smoke test at the end fails the build if one of them does not run.
# `git lfs install --system` puts LFS's filters into /etc/gitconfig, since the
# user's HOME is a fresh tmpfs at every run.  Versions are not pinned (DL3008):
# a Debian release only takes security fixes, as in the official images.
# hadolint ignore=DL3001,DL3008
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
        ca-certificates \
        git \
        git-lfs \
        openssh-client \
        restic \
        tini \
    ; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*; \
    git lfs install --system --skip-repo; \
    git --version; \
    git lfs version; \
    restic version; \
    ssh -V; \
    tini --version

ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# Dependencies first, so that a change of the source rebuilds only the last layers.
COPY requirements.txt /usr/src/orgbackup/requirements.txt
RUN set -eux; \
    python3 -m venv "$VIRTUAL_ENV"; \
    pip install -r /usr/src/orgbackup/requirements.txt; \
    github-backup --version

# gitim is not on PyPI: by default it comes from its git repository at the
# commit this product is tested with.  The constraint keeps the PyGithub that
# requirements.txt pins (gitim asks for any PyGithub).
ARG GITIM_SOURCE="gitim @ git+https://github.com/muhasturk/gitim.git@7b6e898b7587f61b0c5f00c3ab9862868f94479d"
RUN set -eux; \
    pip install --constraint /usr/src/orgbackup/requirements.txt "$GITIM_SOURCE"; \
    python -c 'import gitim; print("gitim", gitim.__version__)'

COPY pyproject.toml /usr/src/orgbackup/
COPY orgbackup /usr/src/orgbackup/orgbackup
RUN set -eux; \
    pip install --no-deps /usr/src/orgbackup; \
    rm -rf /usr/src/orgbackup/build /usr/src/orgbackup/*.egg-info
COPY entrypoint.py /app/entrypoint.py
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
# Every variable, its default and meaning (`entrypoint.py backup --help` points here).
COPY config/backup.env.example /app/config/backup.env.example

# A non-root user, its HOME on the tmpfs that a read-only container mounts on
# /tmp.  /cache and /repository belong to it so that new named volumes (which
# docker fills from the image) are writable; /repository is the default local
# restic repository of the compose stack.
ARG UID=10001
RUN set -eux; \
    groupadd --system --gid "$UID" orgbackup; \
    useradd --system --uid "$UID" --gid "$UID" --home-dir /tmp --no-create-home --shell /usr/sbin/nologin orgbackup; \
    mkdir -p /cache /repository; \
    chown "$UID:$UID" /cache /repository; \
    chmod 0700 /cache /repository
ENV HOME=/tmp \
    BACKUP_CACHE_DIR=/cache
VOLUME /cache
USER ${UID}:${UID}
WORKDIR /tmp

ARG BASE_IMAGE
ARG IMAGE_SOURCE=""
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="orgbackup" \
      org.opencontainers.image.description="Back up whole GitHub organizations into an encrypted restic repository, verified against GitHub." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="${IMAGE_SOURCE}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}" \
      io.orgbackup.github-backup.version="0.40.0" \
      io.orgbackup.gitim.version="7b6e898b7587f61b0c5f00c3ab9862868f94479d" \
      io.orgbackup.pygithub.version="2.10.0"

# tini is PID 1: it forwards SIGTERM to the run (which ends its tools, releases
# the lock and exits 130 without marking anything complete) and reaps children.
ENTRYPOINT ["tini", "--", "docker-entrypoint.sh"]
CMD ["backup"]
