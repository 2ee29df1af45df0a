"""A repository writer must never get the token (docs/security.md): each mechanism on its own.

Real git, git-lfs, github-backup and the emulator, plus an attacker's HTTPS server on loopback
(tests/support/attacker_server.py) whose certificate the clients trust, so that only the
product's own rules can keep the token from it. Each mechanism (the credential helper's scope,
the pinned Git LFS server, no redirects, nothing kept in a clone's config, the watchdog) is
tested here with the others out of the way; the findings of issue 25 over whole runs are
tests/end_to_end/test_security_credentials.py and test_security_whole_run.py.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from orgbackup.tools import process
from orgbackup.git import argv as git
from orgbackup.git.environment import anonymous_git_environment, git_environment, with_config
from orgbackup.git.credential_refusals import take_refusals
from orgbackup.github.api import GitHubError
from orgbackup.backup.stages import scrub
from tests.support.attacker_server import plant_lfsconfig, start_attacker
from tests.support.cli import ORG
from tests.support.run_context import make_context
from tests.support.snapshot import install_lfs_filters


LFS_REPO = "assets-lfs"


def any_host_askpass(tmp_path: Path, token: str) -> dict[str, str]:
    """The weakest credential source there is (what main had before issue 25): an askpass that
    answers the token to any host. Used to show that each other mechanism holds on its own."""
    program = tmp_path / "any-host-askpass"
    program.write_text(f"#!/bin/sh\ncase \"$1\" in Username*) echo x-access-token ;; *) echo {token} ;; esac\n")
    program.chmod(0o700)
    return {"GIT_ASKPASS": str(program)}


def test_the_credential_helper_answers_only_the_github_host_and_the_organizations(github_emulator, tmp_path,
                                                                                   monkeypatch):
    """Real `git credential fill` in the run's git environment: the token for the organizations'
    repositories on the GitHub host over https, nothing for any other URL (each refusal written
    down without a secret); after GitHub refused it three times for a URL, not for that URL."""
    ctx = make_context(github_emulator, tmp_path, monkeypatch, orgs=(ORG, "upstream-deps"))
    env = git_environment(ctx.files, 60)
    token = ctx.config.token.reveal()

    def fill(url: str) -> str:  # not process.run: it masks the token in what it returns
        return subprocess.run(("git", "credential", "fill"), input=f"url={url}\n\n", capture_output=True,
                              text=True, env=process.child_environment(env)).stdout

    host = github_emulator.host
    for url in (f"https://{host}/{ORG}/godot.git", f"https://{host.upper()}/v-sekai/x.wiki.git",
                f"https://{host}/upstream-deps/libfoo.git/info/lfs"):
        assert f"password={token}" in fill(url), url
    refused = {f"https://127.0.0.1:{github_emulator.port}/{ORG}/godot.git": "host",  # same server, other name
               f"http://{host}/{ORG}/godot.git": "host",
               f"https://attacker.example/{ORG}/godot.git/info/lfs": "host",
               f"https://{ORG}@attacker.example/{ORG}/x.git": "host",
               f"https://{host}/someone-else/x.git": "owner",
               f"https://{host}/{ORG}/../someone-else/x.git": "owner",
               f"https://{host}/": "owner"}
    for url in refused:
        assert token not in fill(url), url
    log = ctx.files.credential_log
    assert token not in log.read_text()
    reasons = [(r.reason, r.url) for r in take_refusals(log)]
    assert [reason for reason, _ in reasons] == list(refused.values()), reasons
    assert take_refusals(log) == []  # taken once

    url = f"https://{host}/{ORG}/godot.git"
    for _ in range(3):
        process.run(("git", "credential", "reject"), input=f"url={url}\nusername=x-access-token\npassword={token}\n\n",
                     env=env)
    assert token not in fill(url)
    assert [r.reason for r in take_refusals(log)] == ["rejected"]
    assert f"password={token}" in fill(f"https://{host}/{ORG}/game.git")  # another URL: still answered
    ctx.files.token_file.write_text("a-renewed-token-123456\n")  # a GitHub App's next token
    assert "password=a-renewed-token-123456" in fill(url)


def test_each_mechanism_holds_on_its_own_against_a_lfsconfig(github_emulator, world_root, attacker, tmp_path,
                                                            monkeypatch):
    """`git lfs fetch --all` in a clone whose .lfsconfig names the attacker: the Git LFS server
    pinned to GitHub keeps the attacker from hearing anything even when a credential is offered
    to any host; the credential helper alone (nothing pinned) lets the attacker ask, and answers
    nothing (the refusal is written down, naming the host)."""
    install_lfs_filters()
    plant_lfsconfig(world_root, ORG, LFS_REPO, attacker.url)
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    url = git.repo_url(ctx.config.git_url, ORG, LFS_REPO)
    anonymous = dict(anonymous_git_environment(60), GIT_LFS_SKIP_SMUDGE="1")
    token = ctx.config.token.reveal()

    clone = tmp_path / "clone"  # without any LFS object yet
    process.run(git.clone(url, clone), env=anonymous, timeout=120)
    pinned_only = dict(anonymous_git_environment(60, repo=url), **any_host_askpass(tmp_path, token))
    process.run(git.lfs_fetch_all(clone), env=pinned_only, timeout=120)
    assert attacker.requests() == []
    assert len(list((clone / ".git" / "lfs" / "objects").glob("??/??/*"))) == 5  # all from GitHub

    clone = tmp_path / "clone-2"
    process.run(git.clone(url, clone), env=anonymous, timeout=120)
    helper_only = git_environment(ctx.files, 60)  # no repo: nothing pinned
    fetched = process.run(git.lfs_fetch_all(clone), env=helper_only, timeout=120, check=False)
    assert not fetched.ok and attacker.requests(), "the attacker must have been asked, or nothing was tested"
    assert attacker.authorizations() == []
    assert {(r.reason, r.url.split("/")[2]) for r in take_refusals(ctx.files.credential_log)} == {
        ("host", attacker.host)}

    # What git-lfs wrote after talking to the attacker (`lfs.<url>.access`) leaves the clone's
    # config before a snapshot; GitHub's own entries stay.
    config = clone / ".git" / "config"
    process.run(("git", "config", "--file", str(config), f"lfs.{attacker.url}/lfs.access", "basic"))
    process.run(("git", "config", "--file", str(config), f"lfs.{url}/info/lfs.access", "basic"))
    process.run(("git", "config", "--file", str(config), "credential.helper", "store"))
    removed = scrub.scrub_config(config, ctx.config.github_host)
    assert sorted(removed) == sorted([f"lfs.{attacker.url}/lfs.access", "credential.helper"])
    text = config.read_text()
    assert attacker.host not in text and "credential" not in text and f"lfs \"{url}/info/lfs\"" in text


def test_a_redirect_from_the_github_host_to_another_host_gets_no_token(github_emulator, attacker, tmp_path,
                                                                      monkeypatch):
    """GitHub's host answers a repository's git requests with 302 to the attacker: git in the
    run's environment does not follow it; and even a git that follows redirects and has the
    run's credential helper gives the attacker nothing."""
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    github_emulator.set_faults(git_redirect={f"{ORG}/private-tools": attacker.url})
    url = git.repo_url(ctx.config.git_url, ORG, "private-tools")
    env = git_environment(ctx.files, 60, repo=url)
    refused = process.run(git.ls_remote(url), env=env, timeout=60, check=False)
    assert not refused.ok and attacker.requests() == []

    following = with_config(env, ("http.followRedirects", "true"))
    process.run(git.ls_remote(url), env=following, timeout=60, check=False)
    assert attacker.requests(), "the redirect must have been followed, or nothing was tested"
    assert attacker.authorizations() == []
    assert [r.reason for r in take_refusals(ctx.files.credential_log)] == ["host"]

    # With a credential for any host but the run's redirect rule: still nothing.
    before = len(attacker.requests())
    weak = dict(anonymous_git_environment(60), **any_host_askpass(tmp_path, ctx.config.token.reveal()))
    weak = with_config(weak, ("http.followRedirects", "false"))
    process.run(git.ls_remote(url), env=weak, timeout=60, check=False)
    assert len(attacker.requests()) == before


def test_an_lfs_server_that_refuses_every_token_ends_soon_as_a_problem_of_that_repository(
        github_emulator, tmp_path, monkeypatch):
    """GitHub's LFS answers 401 to every request of one repository: the verify stage's
    `git lfs fetch` (which asked again ~20 times a second, for ever) ends after the token was
    refused three times, and the repository's problem says so; the other repositories are fine."""
    from orgbackup.git.credential_refusals import refusal_problems
    from orgbackup.backup.stages import verify_repair

    ctx = make_context(github_emulator, tmp_path, monkeypatch, stall_seconds=20)
    repos = [r for r in ctx.api.org_repositories(ORG) if r["name"] in (LFS_REPO, "godot")]
    github_emulator.set_faults(lfs_unauthorized_repos=[f"{ORG}/{LFS_REPO}"])
    github_emulator.reset_counters()
    started = time.monotonic()
    records, problems = verify_repair.verify_and_repair(ctx, ORG, repos)
    seconds = time.monotonic() - started
    assert seconds < 20, seconds
    assert github_emulator.counters()["lfs"] < 40
    assert records["godot"]["problems"] == []
    lfs = [p for p in problems if p.repo == LFS_REPO and p.part == "lfs"]
    assert lfs and "LFS object(s) missing" in lfs[0].message
    refusals = refusal_problems(ORG, take_refusals(ctx.files.credential_log), ctx.org_paths(ORG), ctx.state_paths(ORG))
    assert [(p.repo, p.part) for p in refusals] == [(LFS_REPO, "credentials")], refusals
    assert "GitHub had refused the token for it three times" in refusals[0].message


def test_git_lfs_against_a_server_that_never_finishes_is_ended_by_the_stall_budget(github_emulator, tmp_path,
                                                                                   monkeypatch):
    """A Git LFS server that sends one byte every few seconds, for ever (git-lfs's own 30 s
    activity timeout never fires): ended after BACKUP_STALL_SECONDS without progress."""
    trickle = start_attacker(github_emulator.ca, mode="trickle", trickle_seconds=4)
    try:
        repo = tmp_path / "repo"
        git_env = anonymous_git_environment(3)
        process.run(("git", "init", "-q", str(repo)), env=git_env, timeout=30)
        oid = "a" * 64
        (repo / "big.bin").write_text(f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 10\n")
        (repo / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n")
        process.run(("git", "-C", str(repo), "add", "."), env=git_env, timeout=30)
        process.run(("git", "-C", str(repo), "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "x"),
                     env=git_env, timeout=30)
        env = anonymous_git_environment(3, repo=f"{trickle.url}/o/r.git")
        started = time.monotonic()
        with pytest.raises(process.CommandFailed, match="made no progress for 3 s"):
            process.run(git.lfs_fetch_all(repo), env=env, idle_timeout=3, check=False)
        assert time.monotonic() - started < 15
        assert trickle.requests(), "the server must have been asked, or nothing was tested"
    finally:
        trickle.stop()


def test_a_url_in_an_api_answer_gets_the_token_only_on_githubs_api(github_emulator, attacker, tmp_path, monkeypatch):
    """A release asset's `url`, a Link header's next page: URLs GitHub's answers carry. Whatever
    host they name, only GitHub's API gets the token: the wrapper's asset download, the
    github-backup runner's, and the wrapper's API client (a refused URL gets the request
    without the token, and the attacker's answer is not taken for data)."""
    from orgbackup.tools.github_backup import runner
    from orgbackup.backup.stages.release_assets import download_asset
    from orgbackup.github.urls import token_may_go_to

    api = "https://localhost:8443/api/v3"
    assert token_may_go_to(f"{api}/repos/o/r/releases/assets/1", api)
    assert token_may_go_to("https://uploads.github.com/repos/o/r/releases/1/assets", "https://api.github.com")
    for url in ("https://localhost:9443/api/v3/x", "http://localhost:8443/api/v3/x", "https://localhost.evil/x",
                "https://uploads.github.com/x", "//localhost:8443/api/v3/x", "localhost:8443/api/v3/x"):
        assert not token_may_go_to(url, api), url

    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    with pytest.raises(Exception):
        download_asset(ctx, f"{attacker.url}/repos/{ORG}/godot/releases/assets/1", tmp_path / "asset.bin")
    monkeypatch.setenv("ORGBACKUP_TOKEN_FILE", str(ctx.files.token_file))
    monkeypatch.setenv(runner.API_URL_ENV, ctx.config.api_url)
    runner.download_file(f"{attacker.url}/assets/2", str(tmp_path / "asset-2.bin"), b"")
    with pytest.raises(GitHubError):  # the 401 is an error, not an answer
        ctx.api.get(f"{attacker.url}/api/v3/orgs/{ORG}/repos?page=2")
    assert len(attacker.requests()) >= 3, "each must have reached the server, or nothing was tested"
    assert attacker.authorizations() == []
