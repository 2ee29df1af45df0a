"""Shards (BACKUP_SHARD=i/N, orgbackup/snapshots/shards.py), pure: the variable and its errors,
the configuration's shard and window, repositories assigned by id, stably."""

from __future__ import annotations

import pytest

from orgbackup.config.settings import load_config
from orgbackup.errors import ConfigError
from orgbackup.snapshots.shards import Shard, parse_shard, select_repositories


@pytest.mark.parametrize("raw, shard", [("0/1", Shard(0, 1)), ("2/3", Shard(2, 3)), (" 1 / 4 ", Shard(1, 4)),
                                        ("", None), (None, None)])
def test_backup_shard_is_i_of_n(raw, shard):
    assert parse_shard(raw) == shard


@pytest.mark.parametrize("raw, words", [("3/3", "below the number of shards"), ("0/0", "at least 1"),
                                        ("1", "expected i/N"), ("-1/3", "expected i/N"), ("a/b", "expected i/N")])
def test_a_bad_backup_shard_is_one_line_naming_the_variable(raw, words):
    with pytest.raises(ConfigError) as caught:
        parse_shard(raw)
    assert str(caught.value).startswith("BACKUP_SHARD: ") and words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_config_reads_the_shard_and_the_window(tmp_path):
    env = {"GITHUB_ORGS": "acme", "GITHUB_TOKEN": "ghp_x", "RESTIC_REPOSITORY": "/r", "RESTIC_PASSWORD": "p",
           "BACKUP_ENV_FILE": str(tmp_path / "none.env")}
    (tmp_path / "none.env").write_text("")
    plain = load_config(env)
    assert plain.shard is None and plain.shard_window_hours == 12
    sharded = load_config(dict(env, BACKUP_SHARD="1/3", BACKUP_SHARD_WINDOW="6"))
    assert sharded.shard == Shard(1, 3) and sharded.shard_window_hours == 6
    with pytest.raises(ConfigError, match="^BACKUP_SHARD_WINDOW: "):
        load_config(dict(env, BACKUP_SHARD_WINDOW="0"))


def test_repositories_are_assigned_by_id_stably():
    repos = [{"id": i, "name": f"r{i}"} for i in (10, 11, 12, 13, 14, 15, 16)]
    shards = [select_repositories(repos, Shard(i, 3))[0] for i in range(3)]
    assert sorted(r["id"] for s in shards for r in s) == [10, 11, 12, 13, 14, 15, 16]  # each once
    assert [r["id"] for r in shards[1]] == [10, 13, 16]
    # A repository going or coming moves no other one.
    fewer = [r for r in repos if r["id"] != 13] + [{"id": 17, "name": "new"}]
    assert [r["id"] for r in select_repositories(fewer, Shard(1, 3))[0]] == [10, 16]
    assert select_repositories(repos, None) == (repos, {})
    assert set(select_repositories(repos, Shard(0, 3))[1]) == {10, 11, 13, 14, 16}
