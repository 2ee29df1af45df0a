"""Submodule URLs (orgbackup/git/submodule_urls.py) resolved as git itself resolves them."""

from __future__ import annotations

import pytest

from tests.support.dependencies import RELATIVE_CASES, git_run


@pytest.mark.parametrize("base,url,expected", RELATIVE_CASES[:7])
def test_resolve_url_agrees_with_git(base, url, expected, tmp_path, hermetic_git_env):
    """`git submodule init` resolves the same URL from the superproject's origin."""
    repo = tmp_path / "sup"
    git_run("init", "-q", str(repo))
    git_run("remote", "add", "origin", base, cwd=repo)
    (repo / ".gitmodules").write_text(f'[submodule "s"]\n\tpath = s\n\turl = {url}\n')
    git_run("update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},s", cwd=repo)
    git_run("add", ".gitmodules", cwd=repo)
    git_run("submodule", "init", cwd=repo)
    assert git_run("config", "submodule.s.url", cwd=repo).strip() == expected
