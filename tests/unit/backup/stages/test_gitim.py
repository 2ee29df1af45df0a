"""The gitim stage's pure parts (orgbackup/backup/stages/gitim.py): the runner's command line, the
name of a kept previous head, the include file that gives gitim's clones the cache's objects."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from orgbackup.backup.stages import gitim as gitim_stage
from orgbackup.git import working_clones


ORG = "Local-Org"


def test_runner_argv_carries_no_token():
    argv = gitim_stage.runner_argv(ORG, Path("/cache/Local-Org/gitim"), ssh=True)
    assert argv == (sys.executable, "-m", "orgbackup.tools.gitim.runner", ORG, "/cache/Local-Org/gitim", "--ssh")
    assert gitim_stage.runner_argv(ORG, Path("/d"))[-1] == "/d"


def test_previous_ref_names_branch_and_utc_time():
    assert working_clones.previous_ref("release/1.0", when=0) == "refs/orgbackup/previous/release/1.0/19700101T000000Z"


def test_include_file_maps_each_url_to_its_local_clone_and_the_others_to_themselves():
    text = gitim_stage.local_objects_config(
        {"https://h/O/game.git": Path('/cache/O/github-backup/repositories/game/repo "x"\\y')},
        ["https://h/O/game.git", "https://h/O/game.github.io.git"])
    assert text == ('[url "/cache/O/github-backup/repositories/game/repo \\"x\\"\\\\y"]\n'
                    '\tinsteadOf = "https://h/O/game.git"\n'
                    '[url "https://h/O/game.github.io.git"]\n'
                    '\tinsteadOf = "https://h/O/game.github.io.git"\n')
    assert gitim_stage.local_objects_config({}, []) == ""
    with pytest.raises(ValueError):
        gitim_stage.local_objects_config({"https://h/O/x.git": Path("/a\nb")})


def test_include_comes_after_the_environments_own_config_entries():
    env = {"GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "a.b", "GIT_CONFIG_VALUE_0": "",
           "GIT_CONFIG_KEY_1": "c.d", "GIT_CONFIG_VALUE_1": "e"}
    out = gitim_stage.with_config_include(env, Path("/s/include.gitconfig"))
    assert out["GIT_CONFIG_COUNT"] == "3"
    assert (out["GIT_CONFIG_KEY_2"], out["GIT_CONFIG_VALUE_2"]) == ("include.path", "/s/include.gitconfig")
    assert {k: out[k] for k in env if k != "GIT_CONFIG_COUNT"} == {k: v for k, v in env.items() if k != "GIT_CONFIG_COUNT"}
    assert gitim_stage.with_config_include({}, Path("/i"))["GIT_CONFIG_COUNT"] == "1"
