"""What the restore-to-github tests share: the target organization, running the command (in the
test's process, or as a child to kill), waiting for the emulator to get somewhere while the child
runs, and the state a kill leaves between a create and its record.

The fixture `restore_env` (tests/end_to_end/conftest.py) gives the environment: backup_env with
the empty target organization and no pacing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from orgbackup.cli import main
from orgbackup.actions.restore_to_github.restore_state import state_path
from tests.github_emulator.mutate import write_world
from tests.support.cli import ORG, restore, snapshots
from tests.support.paths import ROOT

TARGET = "V-Sekai-Restored"
WIKIS = ("docs", "v-sekai.github.io")


def run(env: dict, *args: str, capsys=None) -> tuple[int, dict | None, str]:
    """entrypoint.py's main in this process: exit status, the summary's JSON line, stdout."""
    status = main(list(args), environ=env)
    out = capsys.readouterr().out if capsys else ""
    print(out)
    last = out.strip().splitlines()[-1] if out.strip() else ""
    return status, (json.loads(last) if last.startswith("{") else None), out


def to_github(env: dict, capsys, *extra: str):
    return run(env, "restore-to-github", "--org", ORG, "--to-org", TARGET, *extra, capsys=capsys)


def backup_org(env: dict, org: str, capsys) -> None:
    status, summary_line, _ = run(dict(env, GITHUB_ORGS=org), "backup", capsys=capsys)
    assert status == 0, summary_line


def newest_tree(env: dict, org: str, target: Path) -> Path:
    snap = [s for s in snapshots(env) if f"org:{org}" in s["tags"]][-1]
    restore(env, snap["id"], target)
    return target / org


def remove_deploy_keys(root: Path, org: str, name: str, titles: set[str]) -> None:
    """The original's deploy keys taken away (as when the organization is lost): GitHub takes them again."""
    def change(b):
        rec = b.world["orgs"][org]["repos"][name]
        rec["deploy_keys"] = [k for k in rec["deploy_keys"] if k["title"] not in titles]
    write_world(root, change)


def restore_process(env: dict, *extra: str) -> subprocess.Popen:
    """`entrypoint.py restore-to-github --org V-Sekai --to-org V-Sekai-Restored EXTRA...` as a child,
    to be stopped or killed."""
    child_env = dict(os.environ, **env, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, str(ROOT / "entrypoint.py"), "restore-to-github", "--org", ORG,
                             "--to-org", TARGET, *extra], env=child_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_until(condition, proc: subprocess.Popen, limit: float = 120, what: str = "the restore did not get there",
               *, ended: str = "") -> None:
    """Until `condition()` holds, while `proc` runs; `what` when `limit` seconds pass first, `ended`
    (or its output) when it ends first."""
    deadline = time.monotonic() + limit
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(ended or proc.communicate())
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def as_a_kill_leaves(env: dict, where: str, params: tuple = (), *, forget: tuple[str, ...] = ()) -> Counter:
    """The state a kill leaves between a create and its record, for the rows `where` selects: each
    pending again (GitHub has them all); the rows of the kinds `forget` names deleted ("finished": the
    repositories are gone through again). The rows made pending, counted by kind."""
    db = sqlite3.connect(state_path(Path(env["BACKUP_CACHE_DIR"])))
    try:
        rows = Counter(dict(db.execute(f"SELECT kind, count(*) FROM created WHERE {where} GROUP BY kind",
                                       params).fetchall()))
        db.execute(f"UPDATE created SET status='pending', target=NULL WHERE {where}", params)
        for kind in forget:
            db.execute("DELETE FROM created WHERE kind=?", (kind,))
        db.commit()
    finally:
        db.close()
    return rows
