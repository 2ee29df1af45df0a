"""gitim's runner (orgbackup/tools/gitim/runner.py): gitim's command line, PyGithub pointed at a
GitHub Enterprise API only."""

from __future__ import annotations

import pytest

from orgbackup.tools.gitim import runner


def test_gitim_argv_is_gitims_command_line():
    assert runner.gitim_argv("O", "/d", "T", noforks=True) == [
        "gitim", "-o", "O", "-d", "/d", "--token", "T", "--noforks"
    ]
    # a personal account: no -o, gitim clones get_user()'s repositories (only_repositories_of)
    assert runner.gitim_argv("alice", "/d", "T", user=True) == ["gitim", "-d", "/d", "--token", "T"]


@pytest.mark.filterwarnings("ignore:Argument login_or_token is deprecated:DeprecationWarning")
def test_point_pygithub_at_enterprise_only(monkeypatch):
    import github
    import github.MainClass

    monkeypatch.setattr(github, "Github", github.Github)
    monkeypatch.setattr(github.MainClass, "Github", github.MainClass.Github)
    original = github.Github

    runner.point_pygithub_at("https://api.github.com")
    assert github.Github is original

    runner.point_pygithub_at("https://ghe.example:8443/api/v3")
    from github import Github  # what gitim's `from github import Github` gets

    hub = Github("t0ken")
    assert isinstance(hub, original) and Github is github.MainClass.Github
    assert hub.requester.base_url == "https://ghe.example:8443/api/v3"
    assert Github("t", base_url="https://other/api/v3").requester.base_url == "https://other/api/v3"
