"""The cache's clones on disk (orgbackup/git/clones.py), without git: what a stopped swap left,
the objects' fingerprint."""

from __future__ import annotations

from orgbackup.git import clones


def test_what_a_stopped_swap_left_is_cleaned(tmp_path):
    clone = tmp_path / "repository"
    (tmp_path / "repository.old").mkdir()
    (tmp_path / "repository.old" / "kept").write_text("the only copy")
    (tmp_path / "repository.new").mkdir()
    clones.finish_interrupted_swap(clone)  # stopped between the renames: the old one comes back
    assert (clone / "kept").read_text() == "the only copy"
    assert not (tmp_path / "repository.new").exists() and not (tmp_path / "repository.old").exists()
    (tmp_path / "repository.old").mkdir()
    clones.finish_interrupted_swap(clone)  # stopped after the swap: the old one goes
    assert (clone / "kept").exists() and not (tmp_path / "repository.old").exists()


def test_objects_fingerprint_sees_a_truncated_pack(tmp_path):
    pack_dir = tmp_path / "objects" / "pack"
    pack_dir.mkdir(parents=True)
    (pack_dir / "p.pack").write_bytes(b"x" * 10)
    (tmp_path / "objects" / "ab").mkdir()
    (tmp_path / "objects" / "ab" / "cdef").write_bytes(b"loose")
    packs, loose = clones.objects_fingerprint(tmp_path)
    assert list(packs) == ["p.pack"] and packs["p.pack"][0] == 10
    with open(pack_dir / "p.pack", "r+b") as f:
        f.truncate(5)
    assert clones.objects_fingerprint(tmp_path)[0] != packs
    assert clones.objects_fingerprint(tmp_path)[1] == loose


def test_ref_differences_and_head_choice():
    expected = {"refs/heads/main": "a" * 40, "refs/heads/dev": "b" * 40, "refs/tags/v1": "c" * 40}
    assert clones.ref_differences(expected, dict(expected)) == []
    assert clones.ref_differences(expected, {**expected, "refs/heads/gone": "d" * 40}) == []
    diffs = clones.ref_differences(expected, {"refs/heads/main": "e" * 40})
    assert diffs[0].startswith("2 ref(s) missing: refs/heads/dev, refs/tags/v1")
    assert "refs/heads/main (eeeeeeeeee instead of aaaaaaaaaa)" in diffs[1]
    assert clones.head_branch_for(expected, "dev") == "refs/heads/dev"
    assert clones.head_branch_for(expected, "gone") == "refs/heads/main"
    assert clones.head_branch_for({}, "main") is None
