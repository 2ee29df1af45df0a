"""Sharded runs (BACKUP_SHARD=i/N, orgbackup/snapshots/shards.py): three shards of the default
world backed up AT THE SAME TIME (three `entrypoint.py backup` processes, each with its
own cache) into ONE restic REST repository (`rclone serve restic` on loopback); the
restored set is the tree a single-process backup restores; status, snapshots and
verify see the set as one backup, and a missing shard is named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from orgbackup.tools import restic
from orgbackup.cli import main
from orgbackup.config.settings import load_config
from orgbackup.errors import ConfigError
from orgbackup.snapshots.shard_sets import merge_attachment_indexes, merge_manifests
from orgbackup.snapshots.shards import Shard, backup_units, parse_shard, select_repositories
from orgbackup.times import parse_rfc3339
from orgbackup.actions.status import org_statuses
from tests.github_emulator.truth import truth
from tests.helpers_backends import RCLONE, RestServer, restic_call
from tests.helpers_cli import ORG
from tests.truth_compare import compare_org, git_refs

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)


# Pure parts: the variable, the assignment, the sets


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


def test_with_another_n_a_live_repository_of_another_shard_leaves_the_cache_a_deleted_one_stays(tmp_path):
    from orgbackup.backup.planning.plan import OrgPlan, apply_plan
    from orgbackup.cache.state_store import RepoState, StateStore

    repos_dir = tmp_path / "o" / "github-backup" / "repositories"
    gitim_dir = tmp_path / "o" / "gitim" / "o"
    store = StateStore(tmp_path / "state.sqlite3")
    for repo_id, name in ((4, "mine"), (5, "moved"), (7, "gone")):
        (repos_dir / name / "repository").mkdir(parents=True)
        (gitim_dir / name).mkdir(parents=True)
        store.put(RepoState("o", repo_id, name, name, first_seen="2026-11-01T00:00:00Z",
                            last_seen="2026-11-30T00:00:00Z"))
    # The cache of a run of the whole organization, now shard 0 of 4: id 5 is shard 1's
    # (5 % 4) and leaves; id 7 is deleted on GitHub and stays where it is.
    listing = [{"id": 4, "name": "mine"}, {"id": 5, "name": "moved"}]
    mine, others = select_repositories(listing, Shard(0, 4))
    plan = OrgPlan("o", mine, False, "", other_shards=others)
    apply_plan(store, plan, repos_dir, gitim_dir, now="2026-12-01T00:00:00Z", keep_deleted_days=0)
    assert list(plan.repo_plans) == ["mine"] and [d.folder for d in plan.deleted] == ["gone"]
    assert sorted(p.name for p in repos_dir.iterdir()) == ["gone", "mine"]
    assert sorted(p.name for p in gitim_dir.iterdir()) == ["gone", "mine"]
    assert store.repository("o", 5) is None and store.repository("o", 7) is not None


def snap(short: str, hours_ago: float, *tags: str, org: str = "A") -> restic.Snapshot:
    when = (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S.123456789Z")
    return restic.Snapshot(short * 4, short, when, "github-org-backup", (f"org:{org}", *tags), (org,))


def test_a_night_of_shards_is_one_backup_and_a_missing_shard_is_named():
    night1 = [snap("a0", 30, "complete", "shard:0/3"), snap("a1", 29, "complete", "shard:1/3"),
              snap("a2", 28.5, "complete", "shard:2/3")]
    night2 = [snap("b0", 6, "complete", "shard:0/3"), snap("b2", 5, "complete", "shard:2/3")]
    units = backup_units(night1 + night2, lambda s: parse_rfc3339(s.time), 12)
    assert [[s.short_id for s in u.snapshots] for u in units] == [["a0", "a1", "a2"], ["b0", "b2"]]
    assert units[0].complete and not units[1].complete and units[1].missing_names() == ["1/3"]
    rows = org_statuses(night1 + night2, ("A",), now=NOW, max_age_hours=36)
    assert not rows[0]["ok"] and "shard 1/3 missing" in rows[0]["reason"]
    assert rows[0]["newest_complete"] == "a0+a1+a2" and rows[0]["age_hours"] == 30.0
    assert rows[0]["missing_shards"] == ["1/3"]
    # Shard 1 came late but within the window: the night is complete.
    late = night2 + [snap("b1", 1, "complete", "shard:1/3")]
    rows = org_statuses(night1 + late, ("A",), now=NOW, max_age_hours=36)
    assert rows[0]["ok"] and rows[0]["newest_complete"] == "b0+b1+b2" and rows[0]["age_hours"] == 6.0
    # An incomplete shard makes the set incomplete; the older complete set still counts.
    bad = [snap("c0", 2, "complete", "shard:0/3"), snap("c1", 2, "incomplete", "shard:1/3"),
           snap("c2", 2, "complete", "shard:2/3")]
    rows = org_statuses(night1 + bad, ("A",), now=NOW, max_age_hours=36)
    assert rows[0]["ok"] and rows[0]["newest"] == "c0+c1+c2" and rows[0]["newest_status"] == "incomplete"
    # Unsharded snapshots are what they were.
    rows = org_statuses([snap("d", 3, "complete")], ("A",), now=NOW, max_age_hours=36)
    assert rows[0]["ok"] and rows[0]["newest_complete"] == "d" and "shards" not in rows[0]


def test_manifests_of_a_set_merge_into_one():
    m0 = {"format": 1, "org": "A", "started": "2026-12-02T03:00:00Z", "finished": "2026-12-02T03:10:00Z",
          "complete": True, "repositories": {"b": {"refs": {}}}, "problems": [],
          "metadata": {"organization": {"saved": {"members": 3}, "refreshed": 1},
                       "settings": {"saved": {"repository": 1}, "refreshed": 1, "skipped": {"x": ["b"]}}},
          "dependencies": {"enabled": True, "repositories": 1, "items": [{"url": "u", "referenced_by": ["b"]}]}}
    m1 = {"format": 1, "org": "A", "started": "2026-12-02T03:00:01Z", "finished": "2026-12-02T03:12:00Z",
          "complete": True, "repositories": {"a": {"refs": {}}}, "problems": [],
          "metadata": {"settings": {"saved": {"repository": 1}, "refreshed": 1, "skipped": {"x": ["a"]}}},
          "dependencies": {"enabled": True, "repositories": 1, "items": [{"url": "u", "referenced_by": ["a"]}]}}
    merged = merge_manifests([("0/2", {"snapshot": "s0"}, m0), ("1/2", {"snapshot": "s1"}, m1)])
    assert list(merged["repositories"]) == ["a", "b"] and merged["complete"]
    assert (merged["started"], merged["finished"]) == ("2026-12-02T03:00:00Z", "2026-12-02T03:12:00Z")
    assert merged["metadata"]["settings"] == {"saved": {"repository": 2}, "refreshed": 2, "skipped": {"x": ["a", "b"]}}
    assert merged["dependencies"]["items"] == [{"url": "u", "referenced_by": ["a", "b"]}]
    assert [s["shard"] for s in merged["shards"]] == ["0/2", "1/2"] and merged["shards"][1]["repositories"] == ["a"]
    assert not merge_manifests([("0/2", None, m0), ("1/2", None, dict(m1, complete=False))])["complete"]
    index = merge_attachment_indexes([{"u": {"sha256": "x", "found_in": ["b/1.json"], "first_seen": "2"}},
                                      {"u": {"sha256": "x", "found_in": ["a/1.json"], "first_seen": "1"}}])
    assert index == {"u": {"sha256": "x", "found_in": ["a/1.json", "b/1.json"], "first_seen": "1"}}


def test_retention_keeps_each_shard_by_itself():
    from orgbackup.config.settings import Retention

    argv = restic.forget(Retention(), host="h", org="A", shard=Shard(1, 3))
    assert argv[argv.index("--tag") + 1] == "org:A,complete,shard:1/3"
    assert restic.forget(Retention(), host="h", org="A")[argv.index("--tag") + 1] == "org:A,complete"


def test_a_shard_compares_with_its_own_last_snapshot():
    """restic would take the newest snapshot of the same host and path as the parent: in
    Kubernetes every shard's cache is /cache, so that would be another shard's."""
    argv = restic.backup(["A"], host="h", tags=["org:A"], parent="abc123")
    assert argv[:6] == ("restic", "backup", "--json", "--host", "h", "--parent") and argv[6] == "abc123"
    assert "--parent" not in restic.backup(["A"], host="h", tags=["org:A"])


@pytest.fixture
def local_repository(restic_binary, tmp_path, monkeypatch):
    """A real restic repository and a RunContext for it (no GitHub), with each restic."""
    from orgbackup.config.settings import Config, Retention
    from orgbackup.config.readers import Secret
    from orgbackup.backup.context import RunContext
    from orgbackup.config.secret_files import remove_secret_files, write_secret_files

    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def context(**overrides):
        values = dict(orgs=("A",), token=Secret("unused-token"), restic_repository=Secret(str(tmp_path / "repo")),
                      restic_password=Secret("shards-test-password"), cache_dir=tmp_path / "cache",
                      host_name="github-org-backup",
                      retention=Retention(daily=2, weekly=0, monthly=0, yearly=0, incomplete_days=0))
        values.update(overrides)
        config = Config(**values)
        folder = tmp_path / f"secrets-{len(made)}"
        folder.mkdir()
        files = write_secret_files(config, str(folder))
        made.append(files)
        return RunContext(config=config, files=files, api=None, started="")

    made: list = []
    ctx = context()
    env = dict(os.environ, **restic.restic_environment(ctx.files))
    subprocess.run(restic.init(), env=env, check=True, capture_output=True)
    (tmp_path / "cache" / "A").mkdir(parents=True)
    (tmp_path / "cache" / "A" / "manifest.json").write_text("{}")
    try:
        yield context, env
    finally:
        for files in made:
            remove_secret_files(files)


def test_retention_of_shards_keeps_each_shard_by_the_policy_and_never_another_s(local_repository, tmp_path):
    """BACKUP_KEEP_DAILY=2 over three nights of two shards and one unsharded run: each
    shard keeps its own two newest nights; an old incomplete shard snapshot goes once a
    newer complete one of the same shard exists; the unsharded snapshot is not touched."""
    from orgbackup.backup.stages import snapshot
    from tests.helpers_snapshot import backup_at

    context, env = local_repository
    now = datetime.now(timezone.utc).replace(microsecond=0)
    day = timedelta(days=1)
    made = {}
    for night in (3, 2, 1):
        for index in (0, 1):
            state = "incomplete" if (night, index) == (3, 1) else "complete"
            made[night, index] = backup_at(tmp_path / "cache", "A", now - night * day + timedelta(minutes=index),
                                           ["org:A", state, f"shard:{index}/2"], env)
    whole = backup_at(tmp_path / "cache", "A", now - 5 * day, ["org:A", "complete"], env)
    ctx = context(shard=Shard(1, 2))
    assert snapshot.apply_retention(ctx, "A", now=now) == 2  # shard 0's night 3, shard 1's incomplete night 3
    out = subprocess.run(restic.snapshots(), env=env, check=True, capture_output=True, text=True).stdout
    left = {s.short_id for s in restic.parse_snapshots(out)}
    assert left == {made[2, 0], made[1, 0], made[2, 1], made[1, 1], whole}


def test_a_locked_repository_is_waited_for(local_repository, tmp_path, monkeypatch):
    """restic's `forget` fails at once on another process's lock; run_restic waits until the
    lock is gone (here: a `restic backup --stdin` that holds its lock until its input ends):
    restic 0.14 by running it again, 0.16+ by --retry-lock; both give up after
    LOCK_WAIT_SECONDS with the same line."""
    import threading
    import time

    context, env = local_repository
    ctx = context()
    holder = subprocess.Popen(["restic", "backup", "--stdin", "--host", "other", "--tag", "x"], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not list((tmp_path / "repo" / "locks").iterdir()):
            assert time.monotonic() < deadline, "restic backup took no lock"
            time.sleep(0.1)
        first = subprocess.run(restic.forget_snapshots(["0" * 8]), env=env, capture_output=True, text=True)
        assert restic.is_locked(first), first.stderr  # what restic does alone
        threading.Timer(3.0, lambda: holder.stdin.close()).start()
        started = time.monotonic()
        snaps = restic.list_snapshots(ctx.files)
        assert snaps == []  # `snapshots --no-lock` never waits
        result = restic.run_restic(ctx.files, ("restic", "forget", "--json", "--tag", "nothing", "--keep-last", "1"))
        assert result.ok and time.monotonic() - started >= 2.5
    finally:
        if not holder.stdin.closed:
            holder.stdin.close()
        holder.wait(timeout=60)
    monkeypatch.setattr(restic, "LOCK_WAIT_SECONDS", 0.5)
    holder = subprocess.Popen(["restic", "backup", "--stdin", "--host", "other"], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not list((tmp_path / "repo" / "locks").iterdir()):
            time.sleep(0.1)
        with pytest.raises(restic.ResticError) as caught:  # waited long enough: the lock is the failure
            restic.run_restic(ctx.files, ("restic", "forget", "--json", "--tag", "nothing", "--keep-last", "1"))
        assert restic.is_lock_failure(caught.value)
        assert str(caught.value).startswith("restic forget: the repository is locked by another process (")
        assert "already locked by" in str(caught.value)
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


# The real thing: three shards at once into one REST repository


def tree_files(org_dir: Path) -> set[str]:
    """Every file of a restored organization outside git's own folders (packs and
    indexes differ between two clones of the same refs), manifest aside."""
    out = set()
    for path in org_dir.rglob("*"):
        rel = path.relative_to(org_dir)
        parts = rel.parts
        if ".git" in parts or any(p.endswith(".git") for p in parts[:-1]) or parts == ("manifest.json",):
            continue
        if path.is_file():
            out.add(rel.as_posix())
    return out


def json_of(path: Path):
    return json.loads(path.read_text())


@pytest.mark.skipif(RCLONE is None, reason="rclone is not installed (apt-get install rclone)")
def test_three_shards_at_once_restore_as_one_backup(github_emulator, backup_env, tmp_path, capsys):
    server = RestServer(tmp_path)
    server.start()
    try:
        run_the_shards(github_emulator, backup_env, tmp_path, capsys, server)
    finally:
        server.stop()


def run_the_shards(github_emulator, backup_env, tmp_path, capsys, server):
    repository_file = tmp_path / "restic-repository"
    repository_file.write_text(server.repository + "\n")
    env = dict(backup_env, RESTIC_REPOSITORY_FILE=str(repository_file))
    del env["RESTIC_REPOSITORY"]
    restic_env = dict(os.environ, RESTIC_REPOSITORY=server.repository, RESTIC_PASSWORD=env["RESTIC_PASSWORD"])

    # Three processes at once, each its own cache; the repository does not exist yet.
    procs = []
    for index in range(3):
        shard_env = dict(os.environ, **env)
        shard_env.update(BACKUP_SHARD=f"{index}/3", BACKUP_CACHE_DIR=str(tmp_path / f"cache-{index}"))
        procs.append(subprocess.Popen([sys.executable, str(ROOT / "entrypoint.py"), "backup"], env=shard_env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=900)
        results.append((proc.returncode, out, err))
    for index, (code, out, err) in enumerate(results):
        assert code == 0, f"shard {index}/3: exit {code}\n{out}\n{err[-5000:]}"
        (tmp_path / f"shard-{index}.log").write_text(err)

    listed = json.loads(restic_call(restic_env, "snapshots", "--json", "--no-lock").stdout)
    assert sorted(tag for s in listed for tag in s["tags"] if tag.startswith("shard:")) == \
        ["shard:0/3", "shard:1/3", "shard:2/3"]
    assert all("complete" in s["tags"] and f"org:{ORG}" in s["tags"] for s in listed)

    # Each shard's manifest names its shard and holds the repositories id % 3 assigns it.
    expected = truth(github_emulator.root)
    ids = {name: repo["id"] for name, repo in github_emulator_listing(github_emulator).items()}
    assert set(ids) == set(expected["orgs"][ORG]["repos"])
    for index in range(3):
        cache_org = tmp_path / f"cache-{index}" / ORG
        manifest = json_of(cache_org / "manifest.json")
        mine = sorted(n for n, i in ids.items() if i % 3 == index)
        assert manifest["shard"] == {"index": index, "count": 3, "repositories": mine, "organization": index == 0}
        assert sorted(manifest["repositories"]) == mine
        # Organization-level data is shard 0's alone.
        assert (cache_org / "organization").is_dir() == (index == 0)
        assert (cache_org / "projects").is_dir() == (index == 0)
    assert all(any(i % 3 == k for i in ids.values()) for k in range(3)), "a shard without repositories"

    # A single-process backup of the same world (its own cache and repository).
    single_env = dict(backup_env, BACKUP_CACHE_DIR=str(tmp_path / "cache-single"),
                      RESTIC_REPOSITORY=str(tmp_path / "single-repo"))
    assert main(["backup"], environ=single_env) == 0, capsys.readouterr().err[-3000:]
    capsys.readouterr()
    assert main(["restore", "--target", str(tmp_path / "single")], environ=single_env) == 0
    single = tmp_path / "single" / ORG

    # The set restores as one tree: equal to truth and to the single-process restore.
    assert main(["restore", "--target", str(tmp_path / "set"), "--org", ORG.lower()], environ=env) == 0
    out = capsys.readouterr().out
    assert "from the set of 3 shards" in out, out
    restored = tmp_path / "set" / ORG
    assert compare_org(ORG, expected, restored) == []
    assert compare_org(ORG, expected, single) == []
    assert sorted(p.name for p in (tmp_path / "set").iterdir()) == [ORG]  # no staging left behind
    assert tree_files(restored) == tree_files(single)
    for rel in sorted(tree_files(single)):
        if rel.endswith(".json") and not rel.startswith("attachments/"):
            assert json_of(restored / rel) == json_of(single / rel), rel
        elif rel.startswith("attachments/files/"):
            assert (restored / rel).read_bytes() == (single / rel).read_bytes(), rel
    assert set(json_of(restored / "attachments" / "index.json")) == set(json_of(single / "attachments" / "index.json"))
    for name in expected["orgs"][ORG]["repos"]:
        repo = Path("github-backup", "repositories", name, "repository")
        assert git_refs(restored / repo) == git_refs(single / repo), name
    for mirror in (single / "dependencies").glob("*/*/*.git"):
        assert git_refs(restored / mirror.relative_to(single)) == git_refs(mirror), mirror
    manifest, single_manifest = json_of(restored / "manifest.json"), json_of(single / "manifest.json")
    assert manifest["complete"] and [s["shard"] for s in manifest["shards"]] == ["0/3", "1/3", "2/3"]
    assert manifest["repositories"].keys() == single_manifest["repositories"].keys()
    for name, record in single_manifest["repositories"].items():
        assert manifest["repositories"][name]["refs"] == record["refs"], name
    assert manifest["metadata"].keys() == single_manifest["metadata"].keys()
    for part, report in single_manifest["metadata"].items():
        if part != "attachments":  # attachments: the same file found from two shards counts in both
            assert manifest["metadata"][part]["saved"] == report["saved"], part
    assert manifest["dependencies"]["repositories"] == single_manifest["dependencies"]["repositories"]

    # One repository of the set, from the shard that holds it.
    one = sorted(ids)[0]
    assert main(["restore", "--target", str(tmp_path / "one"), "--org", ORG, "--repo", one], environ=env) == 0
    assert (tmp_path / "one" / ORG / "github-backup" / "repositories" / one / "repository").is_dir()
    assert sorted(json_of(tmp_path / "one" / ORG / "manifest.json")["repositories"]) == sorted(ids)

    # restore-to-github reads the whole set: every shard's repositories are planned.
    from tests.github_emulator.mutate import add_org
    add_org(github_emulator.root, "V-Sekai-Restored")
    capsys.readouterr()
    assert main(["restore-to-github", "--org", ORG, "--to-org", "V-Sekai-Restored", "--dry-run"], environ=env) == 0
    plan = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert plan["repositories"] == len(ids) and plan["planned"]["repository"] == len(ids), plan

    # snapshots shows the shard; status sees one fresh backup; verify checks the set.
    capsys.readouterr()
    assert main(["snapshots"], environ=env) == 0
    table = capsys.readouterr().out
    assert "SHARD" in table.splitlines()[0] and all(f" {i}/3 " in table for i in range(3)), table
    assert main(["snapshots", "--json"], environ=env) == 0
    assert sorted(r["shard"] for r in json.loads(capsys.readouterr().out)) == ["0/3", "1/3", "2/3"]
    assert main(["status"], environ=env) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"OK    {ORG.lower()}: complete ") and "(set of 3 shards)" in out, out
    assert main(["verify", "--json"], environ=env) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["verify"] == "passed" and report["organizations"][0]["status"] == "complete set of 3 shards"

    # A second night, the shards one after the other from the SAME cache path (as every pod's
    # /cache): each compares with its own last snapshot, not the newest of that path;
    # retention keeps one a day of each shard, none of another's.
    shared = tmp_path / "cache-now"
    for index in range(3):
        (tmp_path / f"cache-{index}").rename(shared)
        try:
            assert main(["backup"], environ=dict(env, BACKUP_SHARD=f"{index}/3",
                                                 BACKUP_CACHE_DIR=str(shared))) == 0
        finally:
            shared.rename(tmp_path / f"cache-{index}")
    capsys.readouterr()
    second = json.loads(restic_call(restic_env, "snapshots", "--json", "--no-lock").stdout)
    assert len(second) == 3  # BACKUP_KEEP_DAILY: the first night's went, each by its own shard's policy
    first_ids = {next(t for t in s["tags"] if t.startswith("shard:")): s["id"] for s in listed}
    for s in second:
        shard_tag = next(t for t in s["tags"] if t.startswith("shard:"))
        assert s.get("parent") == first_ids[shard_tag], shard_tag
    assert main(["status"], environ=env) == 0
    capsys.readouterr()

    # One shard's snapshot forgotten: the set is incomplete, status names the shard.
    shard1 = next(s["id"] for s in second if "shard:1/3" in s["tags"])
    restic_call(restic_env, "forget", shard1)
    assert main(["status"], environ=env) == 1
    out = capsys.readouterr().out
    assert out.startswith("STALE") and "shard 1/3 missing from the night of" in out, out
    assert main(["status", "--json"], environ=env) == 1
    row = json.loads(capsys.readouterr().out)["orgs"][0]
    assert row["missing_shards"] == ["1/3"] and not row["ok"]
    assert main(["verify"], environ=env) == 1
    assert "shard 1/3 missing" in capsys.readouterr().out

    # A shard that does not exist: exit 2, one line naming the variable, nothing touched.
    assert main(["backup"], environ=dict(env, BACKUP_SHARD="3/3")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "BACKUP_SHARD" in err[0], err


def github_emulator_listing(emulator) -> dict[str, dict]:
    """The organization's repositories as GitHub lists them (id and name)."""
    from orgbackup.github.api import GitHubAPI

    token = Path(emulator.admin_token_file).read_text().strip()
    api = GitHubAPI(f"https://{emulator.host}/api/v3", token)
    return {repo["name"]: repo for repo in api.org_repositories(ORG)}
