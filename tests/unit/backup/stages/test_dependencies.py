"""The dependencies stage (orgbackup/backup/stages/dependencies.py) without git: whose URLs get
the run's credentials, and a stage switched off."""

from __future__ import annotations

from orgbackup.backup.stages import dependencies as deps
from orgbackup.backup.stages.dependencies import mirror_dependencies
from tests.support.dependencies import config_of, stage_context


def test_env_offers_credentials_only_to_the_organizations_repositories_on_the_github_host(tmp_path):
    """A dependency's owner may be anyone: only the organization's own repositories (on the GitHub
    host, over https) get the run's credential helper; every mirror's Git LFS is its own server."""
    stage = deps._Stage(stage_context(tmp_path, "acme"), "acme")
    ours = stage.env_for("https://git.example.invalid/ACME/x.git")
    assert ours["ORGBACKUP_TOKEN_FILE"] and ours["ORGBACKUP_CREDENTIAL_OWNERS"] == "acme"
    assert config_of(ours)["lfs.url"] == "https://git.example.invalid/ACME/x.git/info/lfs"
    for url in ("https://other.example/o/x.git", "http://git.example.invalid/acme/x.git",
                "https://git.example.invalid:444/acme/x.git", "https://git.example.invalid/someone-else/x.git"):
        env = stage.env_for(url)
        assert env["GIT_ASKPASS"] == "" and env["ORGBACKUP_TOKEN_FILE"] == "", url
        assert not any("helper" in k and v for k, v in config_of(env).items()), url
        assert config_of(env)["lfs.url"] == url + "/info/lfs"


def test_disabled(tmp_path):
    ctx = stage_context(tmp_path, "acme", dependencies=False)
    assert mirror_dependencies(ctx, "acme", [{"name": "x"}]) == ({"enabled": False}, [])
