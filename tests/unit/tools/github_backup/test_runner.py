"""The github-backup runner's pure parts (orgbackup/tools/github_backup/runner.py): its command
line carries no token and refuses one, commands lose their shell and credentials, atomic writes,
expected assets and leftovers, a network error retried then given up."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from orgbackup.cache import release_files
from orgbackup.tools.github_backup import runner as runner
from orgbackup.config.settings import ALL_PARTS
from orgbackup.backup.stages import github_backup as gb
from tests.support.run_context import ORG


OUT = Path("/cache/.state/V-Sekai/github-backup-runs/godot")


def test_argv_starts_the_runner_in_this_interpreter_without_any_token():
    argv = gb.github_backup_argv(ORG, "godot", output_dir=OUT, parts=ALL_PARTS, hooks=False,
                                 github_host="localhost:8443", prefer_ssh=False)
    assert argv[:3] == (sys.executable, "-m", "orgbackup.tools.github_backup.runner")
    assert argv[3:8] == ("V-Sekai", "--organization", "-o", str(OUT), "--incremental")
    assert not runner.has_token_argument(list(argv))
    assert not any("token" in a or a.startswith("file://") for a in argv)
    assert argv[-3:] == ("-H", "localhost:8443", "--as-app")


def test_runner_refuses_a_token_argument():
    assert runner.has_token_argument(["V-Sekai", "-t", "x"])
    assert runner.has_token_argument(["-tx"])
    assert runner.has_token_argument(["--token=x"])
    assert not runner.has_token_argument(["V-Sekai", "--organization", "--issues"])
    assert runner.main(["V-Sekai", "--token", "x"]) == runner.EXIT_USAGE


def test_commands_lose_their_shell_and_credentials():
    assert runner.clean_command("git ls-remote https://tok:x-oauth-basic@h:1/o/r.git", shell=True) == [
        "git", "ls-remote", "https://h:1/o/r.git"]
    assert runner.clean_command(["git", "clone", "https://x-access-token:tok@h/o/r.git", "/d"]) == [
        "git", "clone", "https://h/o/r.git", "/d"]
    assert runner.clean_command(["git", "remote", "show"]) == ["git", "remote", "show"]


def test_atomic_writer_replaces_only_when_closed_cleanly(tmp_path):
    target = tmp_path / "1.json"
    target.write_text("old")
    open_ = runner.atomic_codecs().open
    try:
        with open_(str(target), "w", encoding="utf-8") as f:
            f.write('{"half": ')
            assert target.read_text() == "old"
            assert runner.partial_name(target).exists()
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]
    with open_(str(target), "w+", encoding="utf-8") as f:
        f.write("new ü")
    assert target.read_text(encoding="utf-8") == "new ü" and list(tmp_path.iterdir()) == [target]


def test_expected_assets_and_leftovers(tmp_path):
    releases = tmp_path / "releases"
    (releases / "a__b").mkdir(parents=True)
    (releases / "a__b.json").write_text(json.dumps(
        {"tag_name": "a/b", "assets": [{"name": "x.bin", "size": 3, "url": "https://h/a/1"}]}))
    (releases / "broken.json").write_text("{")
    leftover = releases / "a__b" / ".x.bin.77.orgbackup-partial"
    leftover.write_bytes(b"x")
    assert [(p.relative_to(releases).as_posix(), a["size"]) for p, a in release_files.expected_assets(releases)] == [
        ("a__b/x.bin", 3)]
    assert runner.remove_partial_files(tmp_path) == [leftover] and not leftover.exists()


def test_a_network_error_is_retried_with_waits_then_given_up():
    waits = []
    retry = runner.bounded_url_error_retry(4, sleep=waits.append)
    assert retry("https://h/a", 3) and retry("https://h/a", 3) and retry("https://h/b", 3)
    assert retry("https://h/a", 3)
    with pytest.raises(Exception, match="network error 4 times, giving up"):
        retry("https://h/a", 3)
    assert waits == [1, 2, 1, 4]
