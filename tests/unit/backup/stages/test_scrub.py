"""The scrub stage's pure parts (orgbackup/backup/stages/scrub.py): the credential fixes of a
git config, its list parsed, the token's patterns, a file holding the token across blocks, and
the memo of files known clean across App tokens (files in tmp_path, no git)."""

from __future__ import annotations

import base64
import os
import secrets
import time

import pytest

from orgbackup.backup.stages import scrub
from orgbackup.backup.stages.scrub import file_identity, fingerprint, load_clean_memo, save_clean_memo
from orgbackup.github.credentials import IssuedToken


TOKEN = "ghp_" + secrets.token_hex(18)  # made at run time, never committed
ORG = "V-Sekai"


def test_credential_fixes_keeps_order_and_only_touches_url_keys():
    entries = [
        ("core.bare", "false"),
        ("remote.origin.url", f"https://{TOKEN}:x-oauth-basic@h/o/r.git"),
        ("remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"),
        ("remote.Mirror.pushurl", "https://h/o/a.git"),
        ("remote.Mirror.pushurl", f"https://u:{TOKEN}@h/o/b.git"),
        ("remote.clean.url", "https://h/o/c.git"),
        ("user.note", f"https://{TOKEN}@h/"),  # not a URL key: the file scan catches it
    ]
    assert scrub.credential_fixes(entries) == {
        "remote.origin.url": ["https://h/o/r.git"],
        "remote.Mirror.pushurl": ["https://h/o/a.git", "https://h/o/b.git"],
    }


def test_parse_config_list_handles_newlines_in_values():
    text = "core.bare\nfalse\0remote.origin.url\nhttps://h/x.git\0alias.x\n!echo a\necho b\0"
    assert scrub.parse_config_list(text) == [
        ("core.bare", "false"),
        ("remote.origin.url", "https://h/x.git"),
        ("alias.x", "!echo a\necho b"),
    ]


@pytest.mark.parametrize("user_before", ["", "x", "xy", "x-access-token:", "user:"])
def test_token_patterns_match_any_basic_header(user_before):
    patterns = scrub.token_patterns(TOKEN)
    for after in ("", ":x-oauth-basic", ":", "z"):
        header = base64.b64encode(f"{user_before}{TOKEN}{after}".encode())
        assert any(p in header for p in patterns), (user_before, after)
    # ... and not a near miss (the cores leave out up to two bytes at each end of the token)
    near = TOKEN[:20] + ("X" if TOKEN[20] != "X" else "Y") + TOKEN[21:]
    other = base64.b64encode(f"{user_before}{near}".encode())
    assert not any(p in other for p in patterns[1:] if p != TOKEN.encode())


def test_file_holds_across_block_boundaries(tmp_path):
    patterns = scrub.token_patterns(TOKEN)
    raw = TOKEN.encode()
    block = 4096
    for offset in (0, block - 1, block - len(raw) // 2, block, 3 * block - len(raw), 5 * block):
        path = tmp_path / f"f{offset}"
        data = bytearray(os.urandom(6 * block))
        data[offset : offset + len(raw)] = raw
        path.write_bytes(bytes(data[: max(len(data), offset + len(raw))]))
        assert scrub.file_holds(path, patterns, block=block), offset
    clean = tmp_path / "clean"
    clean.write_bytes(b"\0" * (3 * block) + raw[:-1] + b"\0" * block)
    assert not scrub.file_holds(clean, patterns, block=block)


def test_the_scrub_memo_holds_across_app_tokens_but_not_a_new_personal_token(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    old, changed = tree / "old.json", tree / "changed.json"
    old.write_text("{}")
    changed.write_text("{}")
    memo = tmp_path / "scrub-clean.memo"
    first = [IssuedToken("ghs_" + os.urandom(12).hex(), time.time())]
    clean = fingerprint("old.json", file_identity(old)) + fingerprint("changed.json", file_identity(changed))
    save_clean_memo(memo, first, clean)

    time.sleep(0.05)
    second = [IssuedToken("ghs_" + os.urandom(12).hex(), time.time())]  # the next night's token
    time.sleep(0.05)
    old_identity = file_identity(changed)
    changed.write_text('{"a": 1}')  # written after the new token was issued: it could hold it
    known = load_clean_memo(memo, second)
    assert known.knows("old.json", file_identity(old))
    assert not known.knows("changed.json", file_identity(changed))  # its identity changed: read again

    # A file checked for the first token, changed (ctime) after the second one was issued, is
    # not known clean of the second even with that identity recorded.
    save_clean_memo(memo, first, fingerprint("changed.json", file_identity(changed)))
    assert not load_clean_memo(memo, second).knows("changed.json", file_identity(changed))
    assert load_clean_memo(memo, first).knows("changed.json", file_identity(changed))
    assert not load_clean_memo(memo, first).knows("changed.json", old_identity)
    # A personal token (its age unknown) that the memo was not checked for: everything again.
    assert not load_clean_memo(memo, [IssuedToken("ghp_" + os.urandom(12).hex(), 0.0)]).knows(
        "old.json", file_identity(old))


class _NightsTokens:
    """The tokens of one night's run, as AppInstallationTokens.issued() lists them."""

    is_app = True

    def __init__(self, *tokens: IssuedToken):
        self._tokens = list(tokens)

    def issued(self) -> list[IssuedToken]:
        return self._tokens


def test_a_file_that_held_last_nights_app_token_stays_flagged_until_it_changes(tmp_path):
    from orgbackup.config.settings import Config
    from orgbackup.config.readers import Secret
    from orgbackup.backup.context import RunContext
    from orgbackup.backup.stages.scrub import scrub_tree

    cache = tmp_path / "cache"
    folder = cache / ORG / "github-backup" / "repositories" / "docs"
    folder.mkdir(parents=True)
    (folder / "clean.json").write_text("{}")
    leak = folder / "leak.json"
    config = Config(orgs=(ORG,), token=Secret(""), restic_repository=Secret("local:/nowhere"),
                    restic_password=Secret("pw"), cache_dir=cache)

    def night(token: str):
        ctx = RunContext(config=config, files=None, api=None, started="2026-01-01T00:00:00Z",
                         credentials=_NightsTokens(IssuedToken(token, time.time())))
        return scrub_tree(ctx, ORG)[0]

    first = "ghs_" + os.urandom(16).hex()
    leak.write_text(f'{{"token": "{first}"}}')
    time.sleep(0.02)
    assert night(first) == [leak]
    # The next night searches only for its own token, yet the unchanged file stays left out.
    assert night("ghs_" + os.urandom(16).hex()) == [leak]
    leak.write_text("{}")  # cleaned by hand: backed up again
    assert night("ghs_" + os.urandom(16).hex()) == []
