"""The reviews part (orgbackup/backup/parts/reviews.py) without GitHub: only pulls whose updated_at
changed are refreshed, nothing changed asks GitHub nothing, no pull files do nothing."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from orgbackup.cache.json_files import write_json_atomically
from orgbackup.backup.parts import reviews
from tests.support.run_context import ORG


def write_pull(pulls_dir: Path, number: int, updated_at: str) -> None:
    write_json_atomically(pulls_dir / f"{number}.json", {"number": number, "updated_at": updated_at})


def test_reviews_refresh_only_pulls_whose_updated_at_changed(tmp_path):
    pulls, folder = tmp_path / "pulls", tmp_path / "reviews"
    write_pull(pulls, 1, "2024-01-01T00:00:00Z")
    write_pull(pulls, 2, "2024-01-02T00:00:00Z")
    write_pull(pulls, 10, "2024-01-10T00:00:00Z")
    (pulls / "3.json").write_text('{"number": 3, "upda')  # not whole
    (pulls / "notes.json").write_text("{}")  # not a pull file
    write_json_atomically(folder / "1.json", {"pull": 1, "pull_updated_at": "2024-01-01T00:00:00Z",
                                              "reviews": [{"id": 5}]})
    write_json_atomically(folder / "2.json", {"pull": 2, "pull_updated_at": "2023-12-31T00:00:00Z",
                                              "reviews": []})
    stale, current, unreadable = reviews.pulls_to_refresh(pulls, folder)
    assert stale == [(2, "2024-01-02T00:00:00Z"), (10, "2024-01-10T00:00:00Z")]
    assert [s["pull"] for s in current] == [1]
    assert unreadable == ["3.json"]


def test_reviews_with_nothing_changed_ask_github_nothing(tmp_path):
    pulls, folder = tmp_path / "pulls", tmp_path / "reviews"
    for n, count in ((1, 2), (2, 0)):
        write_pull(pulls, n, f"2024-01-0{n}T00:00:00Z")
        write_json_atomically(folder / f"{n}.json", {"pull": n, "pull_updated_at": f"2024-01-0{n}T00:00:00Z",
                                                     "reviews": [{"id": k} for k in range(count)]})
    no_api = SimpleNamespace(api=None)  # any request would fail on None
    outcome = reviews.back_up_reviews(no_api, ORG, {"name": "godot"}, folder, pulls)
    assert (outcome.saved, outcome.expected) == ({"reviews": 2, "pulls with reviews": 1}, {"reviews": 2})
    assert not outcome.problems and not outcome.skipped


def test_reviews_without_pull_files_do_nothing(tmp_path):
    outcome = reviews.back_up_reviews(SimpleNamespace(api=None), ORG, {"name": "godot"},
                                      tmp_path / "reviews", tmp_path / "missing")
    assert outcome.saved == {"reviews": 0, "pulls with reviews": 0} and not outcome.problems
