"""The attachments part (orgbackup/backup/parts/attachments.py): downloads from the emulator (content,
the token's rule, the memo that makes an unchanged night stats only; which URLs count and the walk
of the tree: tests/unit/backup/parts/test_attachments.py)."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import pytest
import requests

from orgbackup.cache.json_files import write_json_atomically
from orgbackup.backup.parts import attachments
from orgbackup.backup.parts.attachments import (AttachmentGone, back_up_attachments, download, json_files,
                                                stored_path)
from orgbackup.results import TRANSIENT, UPSTREAM
from tests.support.run_context import ORG, make_context


def save_like_github_backup(ctx, root: Path, repo: str) -> None:
    """Issues, releases and commit comments as the backup stores them."""
    d = root / "github-backup" / "repositories" / repo
    for issue in ctx.api.paginate(f"repos/{ORG}/{repo}/issues", {"state": "all"}):
        write_json_atomically(d / "issues" / f"{issue['number']}.json", issue)
    for release in ctx.api.paginate(f"repos/{ORG}/{repo}/releases"):
        write_json_atomically(d / "releases" / f"{release['tag_name']}.json", release)
    write_json_atomically(root / "commit-comments" / f"{repo}.json",
                          list(ctx.api.paginate(f"repos/{ORG}/{repo}/comments")))


def linked_uuids(root: Path, truth_attachments: dict) -> set[str]:
    text = "".join(p.read_text() for p in root.rglob("*.json") if "attachments" not in p.parts)
    return {key for key in truth_attachments if key in text}


@pytest.fixture
def org_tree(github_emulator, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    root = ctx.org_paths(ORG).root
    for repo in ("godot", "private-tools"):
        save_like_github_backup(ctx, root, repo)
    truth = json.loads((github_emulator.root / "truth.json").read_text())["orgs"][ORG]["attachments"]
    return ctx, root, truth


def count_reads(monkeypatch) -> list[str]:
    read = []
    real = attachments.read_urls

    def counting(path, web_host):
        read.append(str(path))
        return real(path, web_host)

    monkeypatch.setattr(attachments, "read_urls", counting)
    return read


def test_downloads_match_truth_and_an_unchanged_night_only_stats(org_tree, github_emulator, monkeypatch):
    ctx, root, truth = org_tree
    linked = linked_uuids(root, truth)
    # crash.png (issue), build-log.txt (release, a files/ URL), diagram.png (commit comment),
    # internal.png (private-tools); the discussion's comes with the discussions part.
    assert len(linked) >= 4
    outcome, memo = back_up_attachments(ctx, ORG, root, {})
    assert outcome.problems == [] and outcome.mismatches() == []
    assert outcome.saved == {"attachments": len(linked), "files": len(linked)}
    assert outcome.expected == {"attachments": len(linked)}

    index = json.loads((root / "attachments" / "index.json").read_text())
    assert {url.split("/user-attachments/")[1].split("/")[1] for url in index} == linked
    for url, entry in index.items():
        key = url.split("/user-attachments/")[1].split("/")[1]
        data = stored_path(root / "attachments", entry["sha256"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] == truth[key]
        assert entry["size"] == len(data) and entry["first_seen"] == ctx.started
        assert entry["content_type"] in ("image/png", "text/plain") and entry["found_in"]
        assert all((root / rel).is_file() for rel in entry["found_in"])
    private = [e for e in index.values() if any("private-tools" in rel for rel in e["found_in"])]
    assert len(private) == 1  # needs the token: the emulator answers 404 without it
    assert set(memo) == {rel for rel, _, _ in json_files(root)}
    assert not list((root / "attachments").glob(attachments.TEMP_PREFIX + "*"))
    token = ctx.config.token.reveal()
    assert not any(token in p.read_text(errors="replace") for p in (root / "attachments").rglob("*") if p.is_file())
    assert token not in json.dumps(memo)

    # The next night, nothing changed: no file read, nothing downloaded, the same counts.
    github_emulator.reset_counters()
    reads = count_reads(monkeypatch)
    ctx2 = make_context(github_emulator, ctx.cache_dir.parent, monkeypatch, cache_dir=ctx.cache_dir)
    again, memo2 = back_up_attachments(ctx2, ORG, root, memo)
    assert reads == [] and github_emulator.counters()["assets"] == 0
    assert memo2 == memo and again.saved == outcome.saved and again.expected == outcome.expected
    assert again.problems == []

    # One file rewritten (github-backup saved it again): only it is read; nothing is downloaded.
    issue = next(root.glob("github-backup/repositories/godot/issues/2.json"))
    issue.write_text(issue.read_text())
    os.utime(issue, ns=(issue.stat().st_atime_ns, issue.stat().st_mtime_ns + 1))
    third, memo3 = back_up_attachments(ctx2, ORG, root, memo2)
    assert [Path(p).name for p in reads] == ["2.json"] and github_emulator.counters()["assets"] == 0
    assert third.saved == outcome.saved and memo3[issue.relative_to(root).as_posix()][1] == issue.stat().st_mtime_ns

    # A new file links a saved attachment and no longer does after an edit: found_in follows.
    index = json.loads((root / "attachments" / "index.json").read_text())
    url = next(u for u, e in index.items() if "github-backup/repositories/godot/issues/2.json" in e["found_in"])
    review = root / "reviews" / "godot" / "3.json"
    write_json_atomically(review, {"reviews": [{"body": f"Again: ![a]({url})"}]})
    back_up_attachments(ctx2, ORG, root, memo3)
    found_in = json.loads((root / "attachments" / "index.json").read_text())[url]["found_in"]
    assert found_in == ["github-backup/repositories/godot/issues/2.json", "reviews/godot/3.json"]
    write_json_atomically(review, {"reviews": [{"body": "edited"}]})
    issue.unlink()
    fourth, _ = back_up_attachments(ctx2, ORG, root, memo3)
    assert json.loads((root / "attachments" / "index.json").read_text())[url]["found_in"] == []
    assert fourth.saved["attachments"] == outcome.saved["attachments"] - 1  # no longer linked anywhere
    assert stored_path(root / "attachments", index[url]["sha256"]).is_file()  # the bytes stay
    assert github_emulator.counters()["assets"] == 0


def test_a_lost_file_is_downloaded_again_though_its_source_is_in_the_memo(org_tree, github_emulator):
    ctx, root, truth = org_tree
    outcome, memo = back_up_attachments(ctx, ORG, root, {})
    index = json.loads((root / "attachments" / "index.json").read_text())
    entry = next(iter(index.values()))
    stored_path(root / "attachments", entry["sha256"]).unlink()
    github_emulator.reset_counters()
    again, memo2 = back_up_attachments(ctx, ORG, root, memo)
    assert again.problems == [] and again.saved == outcome.saved and memo2 == memo
    assert github_emulator.counters()["assets"] == 2  # the 302 and the signed download
    assert stored_path(root / "attachments", entry["sha256"]).is_file()


def test_the_reader_token_reads_a_private_repository_attachment(github_emulator, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch, token=github_emulator.reader_token)
    root = ctx.org_paths(ORG).root
    save_like_github_backup(ctx, root, "private-tools")
    truth = json.loads((github_emulator.root / "truth.json").read_text())["orgs"][ORG]["attachments"]
    outcome, memo = back_up_attachments(ctx, ORG, root, {})
    assert outcome.problems == [] and outcome.saved == {"attachments": 1, "files": 1}
    (entry,) = json.loads((root / "attachments" / "index.json").read_text()).values()
    assert entry["sha256"] in truth.values()


def test_the_same_content_under_two_urls_is_stored_once(github_emulator, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    root = ctx.org_paths(ORG).root
    truth = json.loads((github_emulator.root / "truth.json").read_text())["orgs"][ORG]["attachments"]
    key = sorted(truth)[0]
    web = f"https://{github_emulator.host}"
    write_json_atomically(root / "discussions" / "godot" / "1.json",
                          {"body": f"![a]({web}/user-attachments/assets/{key})"})
    write_json_atomically(root / "reviews" / "godot" / "3.json",
                          {"reviews": [{"body": f"[a]({web}/user-attachments/files/{key}/a.png)"}]})
    outcome, _ = back_up_attachments(ctx, ORG, root, {})
    assert outcome.problems == [] and outcome.saved == {"attachments": 2, "files": 1}
    assert len(list((root / "attachments" / "files").rglob("*"))) == 2  # one folder, one file


def test_an_attachment_github_no_longer_has_is_an_upstream_problem(github_emulator, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    root = ctx.org_paths(ORG).root
    gone = f"https://{github_emulator.host}/user-attachments/assets/{uuid.uuid4()}"
    write_json_atomically(root / "commit-comments" / "godot.json", [{"body": f"![x]({gone})"}])
    write_json_atomically(root / "discussions" / "godot" / "1.json", {"body": "no attachment here"})
    leftover = root / "attachments" / f"{attachments.TEMP_PREFIX}killed-run"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half")
    outcome, memo = back_up_attachments(ctx, ORG, root, {})
    assert not leftover.exists()
    (problem,) = outcome.problems
    assert problem.kind == UPSTREAM and gone in problem.message and "commit-comments/godot.json" in problem.message
    assert outcome.saved == {"attachments": 0, "files": 0} and outcome.mismatches() == []
    assert json.loads((root / "attachments" / "index.json").read_text()) == {}
    assert list(memo) == ["discussions/godot/1.json"]  # the file with the missing link is read again
    again, _ = back_up_attachments(ctx, ORG, root, memo)
    assert [p.key for p in again.problems] == [problem.key]  # the same problem: known from now on


def test_a_failed_download_is_transient_and_retried_next_run(github_emulator, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch, github_host="localhost:9")  # nothing listens
    root = ctx.org_paths(ORG).root
    url = "https://localhost:9/user-attachments/files/1/log.txt"
    write_json_atomically(root / "discussions" / "godot" / "1.json", {"body": f"[log]({url}?sig=secret)"})
    outcome, memo = back_up_attachments(ctx, ORG, root, {})
    (problem,) = outcome.problems
    assert problem.kind == TRANSIENT and "could not be downloaded: localhost:9 refused the connection" in problem.message
    assert url in problem.message and "sig=" not in problem.message
    assert outcome.mismatches() == ["attachments: saved 0 of 1"] and memo == {}


def test_the_token_goes_only_to_the_web_host(github_emulator, tmp_path, monkeypatch):
    """127.0.0.1 is the same server under another name (its certificate names both): a private
    repository's attachment asked for there gets no token, so it is not found."""
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    world = json.loads((github_emulator.root / "world.json").read_text())
    private = next(k for k, a in world["attachments"].items() if a["repo"] == f"{ORG}/private-tools")
    token = ctx.config.token.reveal()
    folder = tmp_path / "attachments"
    folder.mkdir()
    other = f"https://127.0.0.1:{github_emulator.port}/user-attachments/assets/{private}"
    with requests.Session() as session:
        with pytest.raises(AttachmentGone):
            download(session, other, github_emulator.host, token, folder, 30)
        mine = f"https://{github_emulator.host}/user-attachments/assets/{private}"
        assert download(session, mine, github_emulator.host, token, folder, 30).sha256 == \
            world["attachments"][private]["sha256"]


def test_requests_drops_the_token_on_a_redirect_to_another_host(github_emulator, tmp_path, monkeypatch):
    """What the design relies on: the emulator's 302 (to Host's /_downloads/...) keeps the header on
    the same host and loses it when the signed URL is on another host (made so by the Host header)."""
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    world = json.loads((github_emulator.root / "world.json").read_text())
    key = next(k for k, a in world["attachments"].items() if a["repo"] == f"{ORG}/godot")
    url = f"https://{github_emulator.host}/user-attachments/assets/{key}"
    auth = {"Authorization": f"token {ctx.config.token.reveal()}"}
    with requests.get(url, headers=auth, timeout=30) as same:
        assert [r.status_code for r in same.history] == [302] and same.status_code == 200
        assert "Authorization" in same.request.headers and "/_downloads/attachments/" in same.url
    other_host = {**auth, "Host": f"127.0.0.1:{github_emulator.port}"}
    with requests.get(url, headers=other_host, timeout=30) as other:
        assert [r.status_code for r in other.history] == [302] and other.status_code == 200
        assert other.url.startswith("https://127.0.0.1:") and "Authorization" not in other.request.headers
        assert hashlib.sha256(other.content).hexdigest() == world["attachments"][key]["sha256"]


def test_a_day_later_only_the_new_attachment_is_downloaded(org_tree, github_emulator, world_root, monkeypatch):
    from tests.github_emulator import mutate

    ctx, root, truth = org_tree
    outcome, memo = back_up_attachments(ctx, ORG, root, {})
    new_truth = mutate(world_root)["orgs"][ORG]["attachments"]
    (new,) = set(new_truth) - set(truth)  # the day's commit comment screenshot
    save_like_github_backup(ctx, root, "godot")
    github_emulator.reset_counters()
    ctx2 = make_context(github_emulator, ctx.cache_dir.parent, monkeypatch, cache_dir=ctx.cache_dir)
    later, memo2 = back_up_attachments(ctx2, ORG, root, memo)
    assert later.problems == [] and later.mismatches() == []
    assert later.saved["attachments"] == outcome.saved["attachments"] + 1
    assert github_emulator.counters()["assets"] == 2  # the 302 and the signed download of the new one
    index = json.loads((root / "attachments" / "index.json").read_text())
    (entry,) = [e for u, e in index.items() if new in u]
    assert entry["sha256"] == new_truth[new] and entry["found_in"] == ["commit-comments/godot.json"]
    assert entry["first_seen"] == ctx2.started != ctx.started
    assert all(e["first_seen"] == ctx.started for u, e in index.items() if new not in u)
    assert set(memo2) == {rel for rel, _, _ in json_files(root)}


def test_without_a_readable_index_the_memo_is_not_trusted(github_emulator, tmp_path, monkeypatch):
    """The memo says "read, all saved"; only the index knows what those files link."""
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    root = ctx.org_paths(ORG).root
    truth = json.loads((github_emulator.root / "truth.json").read_text())["orgs"][ORG]["attachments"]
    key = sorted(truth)[0]
    source = root / "discussions" / "godot" / "1.json"
    write_json_atomically(source, {"body": f"![a](https://{github_emulator.host}/user-attachments/assets/{key})"})
    outcome, memo = back_up_attachments(ctx, ORG, root, {})
    assert outcome.saved == {"attachments": 1, "files": 1}
    (root / "attachments" / "index.json").write_text("{not json")
    reads = count_reads(monkeypatch)
    again, memo2 = back_up_attachments(ctx, ORG, root, memo)
    assert [Path(p).name for p in reads] == ["1.json"] and memo2 == memo
    assert again.problems == [] and again.saved == {"attachments": 1, "files": 1}
    assert list(json.loads((root / "attachments" / "index.json").read_text())) == \
        [f"https://{github_emulator.host}/user-attachments/assets/{key}"]
