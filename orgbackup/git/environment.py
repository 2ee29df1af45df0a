"""The environment git and git-lfs run in: where the token may go (the run's credential helper,
for the organizations' repositories on the GitHub host only), which Git LFS server a
repository's objects come from (its own on GitHub, whatever its .lfsconfig says), no
redirects, and the limits on a stalled transfer. docs/security.md says why each holds."""

from __future__ import annotations

import re
import shlex
from typing import Mapping

from orgbackup.config.secret_files import SecretFiles
from orgbackup.config.settings import DEFAULT_STALL_SECONDS
from orgbackup.git.argv import lfs_endpoint


# Below this many bytes per second for the stall budget, git ends the transfer itself.
# 1: only a transfer that has really stopped (GitHub's keep-alives during a long
# "counting objects" are a few bytes every 5 s).
LOW_SPEED_BYTES_PER_SECOND = 1


def stall_environment(stall_seconds: int = DEFAULT_STALL_SECONDS) -> dict[str, str]:
    """git's own limit on a stalled HTTP transfer (http.lowSpeedLimit/Time, as the
    variables git reads): inherited by every git a tool starts. git-lfs has its own
    (lfs.activitytimeout, 30 s without a byte read or written)."""
    return {
        "GIT_HTTP_LOW_SPEED_LIMIT": str(LOW_SPEED_BYTES_PER_SECOND),
        "GIT_HTTP_LOW_SPEED_TIME": str(stall_seconds),
    }


NO_TEMPLATES = ("init.templateDir", "")  # clones and mirrors made in the cache get no template
# files (git's sample hooks, about 80 KB on disk per clone; no hook runs in the cache anyway)


def with_config(env: Mapping[str, str], *entries: tuple[str, str]) -> dict[str, str]:
    """`env` plus git configuration entries after those it has (GIT_CONFIG_COUNT/KEY/VALUE:
    command-line scope, inherited by every git and git-lfs the program starts, and read
    before a repository's own files such as .lfsconfig)."""
    out = dict(env)
    n = int(out.get("GIT_CONFIG_COUNT") or 0)
    for key, value in entries:
        out[f"GIT_CONFIG_KEY_{n}"], out[f"GIT_CONFIG_VALUE_{n}"] = key, value
        n += 1
    out["GIT_CONFIG_COUNT"] = str(n)
    return out


def credential_config(files: SecretFiles) -> tuple[tuple[str, str], ...]:
    """The run's credential helper for https://<GitHub host> alone (git asks it for no other URL),
    with the path, so that it can refuse repositories outside the organizations. After it, for
    every URL, the same helper with --other-hosts, which never answers and only writes down a
    request for another host (git asks it only when the first gave nothing). The empty
    `credential.helper` first drops every helper of the user's or system's configuration."""
    entries: tuple[tuple[str, str], ...] = (("credential.helper", ""),)
    if files.credential_host:
        url = f"https://{files.credential_host}"
        helper = str(files.credential_helper)
        # A plain absolute path is started directly; anything else through a shell (`!`).
        direct = helper if re.fullmatch(r"/[\w./+-]+", helper) else "!" + shlex.quote(helper)
        entries += ((f"credential.{url}.helper", direct),
                    (f"credential.{url}.useHttpPath", "true"),
                    ("credential.helper", f"!{shlex.quote(helper)} --other-hosts"))
    return entries


def git_environment(files: SecretFiles, stall_seconds: int = DEFAULT_STALL_SECONDS, *,
                    repo: str | None = None) -> dict[str, str]:
    """Environment for every git and git-lfs call that talks to GitHub.

    The token goes only to https://<GitHub host>/<organization>/... through the credential
    helper (no askpass: git asks nothing else for a password); git follows no redirect, so
    a server cannot send it elsewhere; with `repo` (the repository's URL) Git LFS talks only
    to that repository's LFS server on GitHub, whatever its .lfsconfig says. docs/security.md."""
    env = {
        **stall_environment(stall_seconds),
        # Set but empty: git then runs neither core.askPass nor SSH_ASKPASS, git-lfs no askpass.
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "GIT_TERMINAL_PROMPT": "0",
        "ORGBACKUP_TOKEN_FILE": str(files.token_file),
        "ORGBACKUP_CREDENTIAL_HOST": files.credential_host,
        "ORGBACKUP_CREDENTIAL_OWNERS": ",".join(files.credential_owners),
        "ORGBACKUP_CREDENTIAL_LOG": str(files.credential_log or ""),
    }
    entries = credential_config(files) + (
        ("http.followRedirects", "false"),
        # Over SSH (BACKUP_GIT_PROTOCOL=ssh) a dead connection ends after the stall budget;
        # a GIT_SSH_COMMAND of the user's still wins over core.sshCommand.
        ("core.sshCommand", ssh_command(stall_seconds)),
        NO_TEMPLATES,
    )
    if repo:
        entries += (("lfs.url", lfs_endpoint(repo)),)
    return with_config(env, *entries)


def ssh_command(stall_seconds: int = DEFAULT_STALL_SECONDS) -> str:
    interval = min(15, stall_seconds)
    return f"ssh -o ServerAliveInterval={interval} -o ServerAliveCountMax={max(1, stall_seconds // interval)}"


def anonymous_git_environment(stall_seconds: int = DEFAULT_STALL_SECONDS, *,
                              repo: str | None = None) -> dict[str, str]:
    """Environment for git and git-lfs talking to a host that is not the GitHub host:
    no askpass and no credential helper (so the token is never offered), no prompt; with
    `repo`, Git LFS only from that repository's own server."""
    env = {
        **stall_environment(stall_seconds),
        "GIT_ASKPASS": "",  # set but empty: git then neither runs core.askPass nor SSH_ASKPASS
        "SSH_ASKPASS": "",
        "ORGBACKUP_TOKEN_FILE": "",
        "GIT_TERMINAL_PROMPT": "0",
    }
    entries = (("credential.helper", ""), NO_TEMPLATES)
    if repo:
        entries += (("lfs.url", lfs_endpoint(repo)),)
    return with_config(env, *entries)


def restored_git_environment() -> dict[str, str]:
    """Environment for git and git-lfs reading a restored tree: never the network,
    never a prompt, and no "dubious ownership" refusal for files restored with
    another owner than the one reading them."""
    return {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "safe.directory",
        "GIT_CONFIG_VALUE_0": "*",
    }
