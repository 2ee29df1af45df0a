"""The path rule (orgbackup/cache/safe_names.py) and where it is read back: pure functions, files in tmp."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from orgbackup.tools.github_backup import names
from orgbackup.cache import release_files
from orgbackup.backup.planning.plan import storable_listing
from orgbackup.actions.restore_to_github.source import read_releases
from orgbackup.snapshots.restored_checks import release_assets_problem
from orgbackup.cache.safe_names import (HASH_DIGITS, MAX_BYTES, ORIGINAL_NAME_KEY, UnsafeName, inside, is_item_number,
                                  is_repository_name, is_storable, join_inside, release_folder, stored_name)

HOSTILE = ["", ".", "..", "../x", "../../escaped.bin", "/tmp/abs.bin", "a/b.bin", "a\\b.bin", "nul\x00.bin",
           "new\nline.txt", "\x7f", "\ud800.bin", "é" * 150, "x" * (MAX_BYTES + 1), "/", "./"]


def test_storable_names_are_kept_as_they_are():
    for name in ["godot-linux.bin", "v1.0", "...", ".hidden", "~", "-rf", "名前.txt", "x" * MAX_BYTES]:
        assert is_storable(name) and stored_name(name) == name
    assert not is_storable("é" * 101)  # 202 bytes
    for value in (None, 5, b"bytes", ["a"]):
        assert not is_storable(value)


@pytest.mark.parametrize("name", HOSTILE + [None, 5, b"x"])
def test_a_safe_name_is_one_storable_component_and_stable(name):
    safe = stored_name(name)
    assert safe != name and is_storable(safe) and stored_name(safe) == safe
    assert not safe.startswith(".") and len(safe.encode()) <= MAX_BYTES
    assert stored_name(name) == safe  # deterministic


def test_safe_names_keep_the_extension_and_differ_for_different_originals():
    assert stored_name("../../escaped.bin").endswith(".bin")
    assert stored_name("../../escaped.bin").startswith("___.._escaped~")
    assert stored_name("/tmp/abs.bin").startswith("_tmp_abs~")
    assert stored_name("..") == "__~" + stored_name("..")[-HASH_DIGITS:]
    assert stored_name("a/b.bin") != stored_name("a\\b.bin") != stored_name("a\x00b.bin")
    long = stored_name("y" * 500 + ".tar.gz")
    assert long.endswith(".gz") and len(long.encode()) == MAX_BYTES
    cut = stored_name("z/" + "é" * 300)  # two bytes a character: never half of one
    assert cut.startswith("z_é") and len(cut.encode()) <= MAX_BYTES


def test_release_folder_is_github_backups_where_that_is_storable():
    assert release_folder("v1.0") == "v1.0"
    assert release_folder("release/1.0") == "release__1.0"  # 0.40.0's own layout, unchanged
    for tag in ("..", ".", "a\x00b", "x" * 300, None, 7):
        folder = release_folder(tag)
        assert is_storable(folder) and is_storable(folder + ".json")
    assert release_folder("..") != release_folder(".")


def test_numbers_and_repository_names():
    assert is_item_number(1) and is_item_number(10**9)
    for value in (0, -1, True, "5", "../x", 1.0, None):
        assert not is_item_number(value)
    for name in ("godot", "v-sekai.github.io", ".github", "a_b", "x" * 100):
        assert is_repository_name(name)
    for name in ("", ".", "..", "../x", "a/b", "a b", "nul\x00", "x" * 101, "é", None, "foo~123"):
        assert not is_repository_name(name)


def test_join_inside_checks_every_name_and_the_final_path(tmp_path):
    assert join_inside(tmp_path, "a", "b.bin") == tmp_path / "a" / "b.bin"
    for name in ("..", "../x", "/etc/passwd", "a/b", "nul\x00"):
        with pytest.raises(UnsafeName):
            join_inside(tmp_path, name)
    (tmp_path / "out").symlink_to(tmp_path.parent)  # a link in the tree: the final path leaves the root
    with pytest.raises(UnsafeName):
        join_inside(tmp_path, "out", "x")
    assert inside(tmp_path, tmp_path) and inside(tmp_path, tmp_path / "a" / ".." / "b")
    assert not inside(tmp_path, tmp_path / ".." / "b") and not inside(tmp_path, str(tmp_path) + "-sibling")
    assert not inside(tmp_path, "/tmp/x\x00")


def test_store_names_keeps_githubs_name_beside_the_stored_one():
    release = {"tag_name": "v1", "assets": [
        {"name": "ok.bin"}, {"name": "../up.bin"},
        {"name": "fine.bin", ORIGINAL_NAME_KEY: "what an answer must not choose"}]}
    assert release_files.store_names(release) == [("../up.bin", stored_name("../up.bin"))]
    assert release["assets"] == [
        {"name": "ok.bin"}, {"name": stored_name("../up.bin"), ORIGINAL_NAME_KEY: "../up.bin"}, {"name": "fine.bin"}]
    assert [release_files.original_name(a) for a in release["assets"]] == ["ok.bin", "../up.bin", "fine.bin"]


def write_release(releases: Path, tag: str, assets: dict[str, bytes | None]) -> None:
    """A release as the runner saves it; None: the asset is listed but its file is missing."""
    release = {"tag_name": tag, "assets": [{"name": n, "size": len(d or b"x"), "url": f"https://h/a/{i}"}
                                          for i, (n, d) in enumerate(assets.items())]}
    release_files.store_names(release)
    releases.mkdir(parents=True, exist_ok=True)
    (releases / f"{release_folder(tag)}.json").write_text(json.dumps(release))
    for asset, data in zip(release["assets"], assets.values()):
        if data is not None:
            (releases / release_folder(tag)).mkdir(exist_ok=True)
            (releases / release_folder(tag) / asset["name"]).write_bytes(data)


def test_readers_find_each_file_by_the_rule(tmp_path):
    releases = tmp_path / "repo" / "releases"
    write_release(releases, "release/1.0", {"a.bin": b"aaa"})
    write_release(releases, "..", {"../../up.bin": b"up", "/abs.bin": b"abs"})
    (releases / "broken.json").write_text("{")
    found = {release.data["tag_name"]: [(release_files.original_name(a), p) for a, p in release.assets]
             for release in read_releases(tmp_path / "repo")}
    assert found == {
        "release/1.0": [("a.bin", releases / "release__1.0" / "a.bin")],
        "..": [("../../up.bin", releases / release_folder("..") / stored_name("../../up.bin")),
               ("/abs.bin", releases / release_folder("..") / stored_name("/abs.bin"))],
    }
    assert all(path.is_file() for paths in found.values() for _, path in paths)
    assert sorted(p.name for p, _ in release_files.expected_assets(releases)) == sorted(
        ["a.bin", stored_name("../../up.bin"), stored_name("/abs.bin")])
    assert release_assets_problem(releases) is None


def test_the_tree_check_names_a_missing_or_wrong_asset(tmp_path):
    releases = tmp_path / "releases"
    write_release(releases, "v1", {"ok.bin": b"ok", "gone.bin": None, "../short.bin": b"12345"})
    write_release(releases, "v2-not-captured", {"never.bin": None})  # no folder: assets were not asked for
    (releases / "v1" / stored_name("../short.bin")).write_bytes(b"123")
    assert release_assets_problem(releases) == (
        f"1 release asset(s) missing: v1/gone.bin; 1 release asset(s) do not match their size: "
        f"v1/{stored_name('../short.bin')}")


def test_a_repository_name_github_never_allows_is_refused_with_one_line():
    listing = [{"name": "godot"}, {"name": "../../x"}, {"name": "a\x00b"}, {"name": ".github"}]
    kept, refused = storable_listing("V-Sekai", listing)
    assert [r["name"] for r in kept] == ["godot", ".github"]
    assert [(p.org, p.repo, p.part) for p in refused] == [("V-Sekai", None, "names")] * 2
    assert "'../../x'" in refused[0].message and "'a\\x00b'" in refused[1].message


def test_a_numbered_listing_drops_an_entry_that_is_no_number(caplog):
    pages = {"https://h/repos/o/r/issues": [{"number": 1}, {"number": "../../x"}, {"number": True}, {"number": 2}],
             "https://h/repos/o/r/issues/comments": [{"number": "any"}],
             "https://h/repos/o/r/pulls/3": [{"number": "../y"}]}

    def retrieve_data_gen(args, template, query_args=None, single_request=False):
        yield from pages[template]

    wrapped = names.numbered_entries_only(retrieve_data_gen)
    assert list(wrapped(None, "https://h/repos/o/r/issues")) == [{"number": 1}, {"number": 2}]
    assert list(wrapped(None, "https://h/repos/o/r/issues/comments")) == [{"number": "any"}]  # not named by number
    assert list(wrapped(None, "https://h/repos/o/r/pulls/3", single_request=True)) == [{"number": "../y"}]
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith(names.UNSAFE_NAME)]
    assert len(said) == 2 and "'../../x'" in said[0] and "True" in said[1]


def test_files_are_never_written_through_a_name(tmp_path):
    """What the runner's writers are handed is always a path under the releases folder."""
    for name in HOSTILE:
        path = join_inside(tmp_path, release_folder(name), stored_name(name))
        assert os.path.dirname(path) == str(tmp_path / release_folder(name))
