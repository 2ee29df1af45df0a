"""The checks of a restored tree (orgbackup/snapshots/restored_checks.py), pure: refs compared with
the manifest, the JSON files of a repository that are checked."""

from __future__ import annotations

from orgbackup.snapshots.restored_checks import compare_refs, json_files_of_repository


def test_compare_refs_and_json_selection(tmp_path):
    assert compare_refs({"refs/heads/a": "1" * 40}, {"refs/heads/a": "1" * 40}) is None
    assert "is 222222222222, manifest.json says 111111111111" in compare_refs(
        {"refs/heads/a": "2" * 40}, {"refs/heads/a": "1" * 40}
    )
    for rel in ("issues/1.json", "releases/v1.json", "releases/v1/asset.json", "repository/x.json", "wiki/y.json"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    assert [p.relative_to(tmp_path).as_posix() for p in json_files_of_repository(tmp_path)] == [
        "issues/1.json", "releases/v1.json",
    ]
