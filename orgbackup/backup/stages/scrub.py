"""No secret in the backup: credential-free remote URLs, and no file holding the token.

Two steps, before the snapshot of `CACHE/<ORG>`:

1. Every git repository in the tree (github-backup's clones and wikis, gitim's
   clones, the bare dependency mirrors, submodule git dirs under
   `.git/modules`) gets every URL in its config without credentials:
   github-backup 0.40.0 writes `https://TOKEN:x-oauth-basic@host/...` into each
   clone's `.git/config`.  Values are rewritten with `git config --file`
   (`--unset-all` then `--add` of the clean values), so the token is never in
   an argument list.  Credential helpers, extra HTTP headers and Git LFS's
   settings of another host than GitHub's (`lfs.<url>.access`, which git-lfs
   writes after talking to a server a .lfsconfig named) are removed.
2. Every file in the tree is read and searched for the token and for the
   base64 forms it takes inside an HTTP Basic header (`TOKEN:x-oauth-basic`,
   `x-access-token:TOKEN`, any user name: the base64 text of the token is
   matched at each of the three byte alignments).  A file that still holds it
   is returned: the snapshot leaves it out and the run fails loudly.  The
   problem names the file, never the token.

Cost: a file already found clean for this token, and unchanged since (same
size, inode, mtime and ctime: ctime cannot be set back by any program), is not
read again; that memo lives in `CACHE/.state/<ORG>/scrub-clean.memo` (16 bytes per file,
not its path) with the hashes of the tokens it was checked for, so a new personal token rescans
everything. A GitHub App's installation tokens are new every run (and renewed
during it), yet they do not rescan: a token issued after a file was last
changed (its ctime) cannot be in it, so a file unchanged since its check needs
reading only for new tokens issued before its ctime, which for an unchanged
file means none. The first run reads
the whole tree once (packfiles,
LFS objects and release assets included) in 1 MiB blocks, searching each with
`bytes.__contains__` for five patterns: it is bound by the disk.  Measured on a
210 MB tree (tests/test_scrub.py) on the 2-core development machine: about
430 MB/s with a cold page cache, 1.2-1.8 GB/s warm, so roughly 2.5 s per GB
read from disk.  Compressed content (git objects, zip assets) cannot hold the
token in clear, but reading it is the price of not having to decide which
files may be skipped; restic reads the same files right after, so they are
often still in the page cache for it.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import logging
import os
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import urlsplit

from orgbackup.tools import process
from orgbackup.git import argv as git
from orgbackup.config.secret_files import credential_host
from orgbackup.github.urls import without_credentials
from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.results import INTEGRITY, Problem
from orgbackup.results import StageResult
from orgbackup.git.on_disk import is_git_dir

log = logging.getLogger(__name__)

PART = "secrets"
BLOCK = 1024 * 1024
# Config keys whose values are URLs git talks to.
URL_KEY_SUFFIXES = (".url", ".pushurl")


# Credentials in URLs

def has_credentials(url: str) -> bool:
    """A user name or password in an HTTP(S) URL, a password in any other."""
    return without_credentials(url) != url


def parse_config_list(text: str) -> list[tuple[str, str]]:
    """`git config --null --list` output -> [(key, value)] in file order."""
    entries = []
    for item in text.split("\0"):
        if not item:
            continue
        key, _, value = item.partition("\n")
        entries.append((key, value))
    return entries


def credential_fixes(entries: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """{key: every value of that key, cleaned} for the URL keys where a value carries credentials."""
    values: dict[str, list[str]] = {}
    for key, value in entries:
        if key.lower().endswith(URL_KEY_SUFFIXES):
            values.setdefault(key, []).append(value)
    return {
        key: [without_credentials(v) for v in vals]
        for key, vals in values.items()
        if any(has_credentials(v) for v in vals)
    }


# Finding git repositories

def find_git_dirs(root: Path) -> Iterator[Path]:
    """Every git dir under `root` (clones, bare mirrors, submodule git dirs); symlinks not followed."""
    for current, dirs, _files in os.walk(root):
        here = Path(current)
        if is_git_dir(here):
            yield here
            modules = here / "modules"
            dirs[:] = ["modules"] if modules.is_dir() else []
            continue
        dirs.sort()


# Keys that may carry a secret or send git elsewhere: never kept in the backup (a helper or an
# extra header in a restored clone would act on the restorer's machine).
DROPPED_KEY = re.compile(r"^(credential\..*|http\..*\.extraheader|http\.extraheader)$", re.IGNORECASE)
# Git LFS's settings about one server (`lfs.<url>.access`, `lfs.url`, `remote.<r>.lfsurl`):
# dropped when they name another host than GitHub's (learned from a hostile .lfsconfig).
LFS_URL_KEY = re.compile(r"^(lfs\.(?P<sub>.+)\.[^.]+|lfs\.(push)?url|remote\..+\.lfs(push)?url)$", re.IGNORECASE)
_CONFIG_HINTS = (b"@", b"credential", b"extraheader", b"[lfs \"", b"lfsurl", b"lfspushurl")


def may_hold_credentials(config_file: Path) -> bool:
    """A URL with credentials has an '@'; the other keys scrubbed have their own words: a
    config file with none of them needs no git call."""
    try:
        text = config_file.read_bytes().lower()
    except OSError:
        return True
    return any(hint in text for hint in _CONFIG_HINTS) or (b"[lfs]" in text and b"url" in text)


def foreign_host(url: str, github_host: str) -> bool:
    """A URL (https://host/..., host/...) on another host than GitHub's."""
    try:
        parts = urlsplit(url if "://" in url else f"https://{url}")
        host = (parts.hostname or "") + (f":{parts.port}" if parts.port and parts.port != 443 else "")
    except ValueError:
        return True
    return host.lower() != credential_host(github_host)


def dropped_keys(entries: Iterable[tuple[str, str]], github_host: str) -> list[str]:
    """Keys to remove whole: credential and header settings, and Git LFS's settings of another host."""
    dropped = []
    for key, value in entries:
        lfs = LFS_URL_KEY.match(key)
        if DROPPED_KEY.match(key) or (lfs and foreign_host(lfs.group("sub") or value, github_host)):
            dropped.append(key)
    return list(dict.fromkeys(dropped))


def scrub_config(config_file: Path, github_host: str) -> list[str]:
    """Rewrite the URL keys of one config file without credentials and drop `dropped_keys`;
    the keys changed."""
    if not may_hold_credentials(config_file):
        return []
    listed = process.run(git.config_file_list(config_file), timeout=60)
    entries = parse_config_list(listed.stdout)
    dropped = dropped_keys(entries, github_host)
    for key in dropped:
        process.run(git.config_file_unset_all(config_file, key), timeout=60)
    fixes = credential_fixes((k, v) for k, v in entries if k not in dropped)
    for key, clean_values in fixes.items():
        process.run(git.config_file_unset_all(config_file, key), timeout=60)
        for value in clean_values:
            process.run(git.config_file_add(config_file, key, value), timeout=60)
    return dropped + list(fixes)


# Finding the token in files

def token_patterns(token: str) -> tuple[bytes, ...]:
    """The byte strings whose presence means a file holds the token.

    The token itself, and its base64 text as it appears in any base64 blob that
    contains it (a Basic header `base64(user:pass)` with the token as user or
    password): for each of the three alignments, the base64 characters that
    depend only on the token's bytes.
    """
    raw = token.encode("utf-8")
    if not raw:
        return ()
    patterns = [raw]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        first_group = (shift + 2) // 3  # the first 3-byte group made of token bytes only
        last_group = (shift + len(raw)) // 3
        core = encoded[4 * first_group : 4 * last_group]
        if len(core) >= 8:
            patterns.append(core)
    # The header github-backup's URL would produce, whole (also matched by the cores above).
    patterns.append(base64.b64encode(raw + b":x-oauth-basic"))
    return tuple(dict.fromkeys(patterns))


def file_holds(path: Path, patterns: tuple[bytes, ...], block: int = BLOCK) -> bool:
    """Whether the file holds any pattern; read in blocks with an overlap of len(longest)-1."""
    overlap = max(len(p) for p in patterns) - 1
    tail = b""
    with open(path, "rb", buffering=0) as f:
        while True:
            chunk = f.read(block)
            if not chunk:
                return False
            data = tail + chunk if tail else chunk
            for pattern in patterns:
                if pattern in data:
                    return True
            tail = data[-overlap:] if overlap else b""


def iter_files(root: Path) -> Iterator[tuple[Path, int]]:
    """(path, size) of every regular file under `root`; symlinks are not followed (restic
    stores them as links)."""
    for current, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(current, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                yield path, info.st_size


def file_identity(path: Path) -> list[int]:
    info = os.lstat(path)
    return [info.st_size, info.st_ino, info.st_mtime_ns, info.st_ctime_ns]


def fingerprint(key: str, identity: list[int]) -> bytes:
    """16 bytes standing for one file as it was (path, size, inode, mtime, ctime): the memo
    keeps these, sorted, not the paths: 16 MB of memory for a million files, not 600."""
    text = "\0".join([key, *map(str, identity)])
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).digest()


class SortedFingerprints:
    """Sorted 16-byte fingerprints, one after the other, searched by bisection (no object per file)."""

    def __init__(self, blob: bytes = b""):
        self.blob = blob

    def __len__(self) -> int:
        return len(self.blob) // 16

    def __getitem__(self, i: int) -> bytes:
        return self.blob[16 * i:16 * i + 16]

    def __contains__(self, item: bytes) -> bool:
        i = bisect.bisect_left(self, item)
        return i < len(self) and self[i] == item


def sorted_fingerprints(blob: bytes) -> bytearray:
    """`blob`'s fingerprints in order, sorted a 256th at a time (by first byte: they are
    uniform) so that no list of a million objects is ever made."""
    buckets = [bytearray() for _ in range(256)]
    for i in range(0, len(blob), 16):
        buckets[blob[i]] += blob[i:i + 16]
    out = bytearray()
    for n, bucket in enumerate(buckets):
        out += b"".join(sorted(bytes(bucket[i:i + 16]) for i in range(0, len(bucket), 16)))
        buckets[n] = None  # freed as it goes: the copies never add up to two
    return out


@dataclass
class CleanMemo:
    """The files found clean of the tokens searched for, by fingerprint.  `ctime_before_ns`:
    a remembered file counts only when it last changed before then (None: any), because a
    token issued after a file's last change cannot be in it."""

    fingerprints: SortedFingerprints = field(default_factory=SortedFingerprints)
    ctime_before_ns: float | None = None

    def knows(self, key: str, identity: list[int]) -> bool:
        if self.ctime_before_ns is not None and identity[-1] >= self.ctime_before_ns:
            return False
        return fingerprint(key, identity) in self.fingerprints


def files_holding(
    root: Path, patterns: tuple[bytes, ...], known_clean: CleanMemo | None = None
) -> tuple[list[Path], list[Path], int, bytearray]:
    """(files holding a pattern, files that could not be read, bytes read, the clean files'
    fingerprints now, one after the other: 16 MB for a million files, not a set of them).
    Files the memo knows clean with the same identity are not read again."""
    known_clean = known_clean or CleanMemo()
    holding: list[Path] = []
    unreadable: list[Path] = []
    clean = bytearray()
    total = 0
    for path, size in iter_files(root):
        key = str(path.relative_to(root))
        try:
            identity = file_identity(path)
            if known_clean.knows(key, identity):
                clean += fingerprint(key, identity)
                continue
            if file_holds(path, patterns):
                holding.append(path)
                continue
        except OSError:
            unreadable.append(path)
            continue
        clean += fingerprint(key, identity)
        total += size
    return holding, unreadable, total, clean


def memo_key(token: str) -> str:
    return hashlib.sha256(b"orgbackup-scrub:" + token.encode()).hexdigest()


MEMO_MAGIC = b"orgbackup scrub memo 2\n"  # then one JSON line (tokens, holding), then the fingerprints


def read_memo(path: Path) -> tuple[dict, bytes]:
    """(header, fingerprints) of a memo file; ({}, b"") when absent, unreadable, or of another
    version (the memo of an earlier version: everything is read once more)."""
    try:
        data = path.read_bytes()
    except OSError:
        return {}, b""
    if not data.startswith(MEMO_MAGIC):
        return {}, b""
    line_end = data.find(b"\n", len(MEMO_MAGIC))
    try:
        header = json.loads(data[len(MEMO_MAGIC):line_end])
    except ValueError:
        return {}, b""
    body = data[line_end + 1:]
    return (header, body) if isinstance(header, dict) and len(body) % 16 == 0 else ({}, b"")


def load_clean_memo(path: Path, tokens: list) -> CleanMemo:
    """The files known clean of every token in `tokens` (credentials.IssuedToken).

    A file checked for some of them is still known clean when every token it was not
    checked for was issued after the file last changed (ctime): it cannot hold those."""
    header, body = read_memo(path)
    if not header:
        return CleanMemo()
    checked = set(header.get("tokens") or ())
    unchecked = [t for t in tokens if memo_key(t.token) not in checked]
    fingerprints = SortedFingerprints(body)  # saved sorted
    # ctime in ns (file_identity's last field) before the first unchecked token was issued
    return CleanMemo(fingerprints, min(t.issued_at for t in unchecked) * 1e9 if unchecked else None)


def save_clean_memo(path: Path, tokens: list, clean: bytes,
                    holding: dict[str, list[int]] | None = None) -> None:
    """The memo file: its header line, then the clean files' fingerprints (`clean`, 16 bytes each)."""
    header = json.dumps({"tokens": sorted(memo_key(t.token) for t in tokens), "holding": holding or {}})
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as f:
        f.write(MEMO_MAGIC + header.encode() + b"\n")
        f.write(sorted_fingerprints(clean))
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def load_holding_memo(path: Path) -> dict[str, list[int]]:
    """The files an earlier run found holding a token, as they were then. One unchanged since
    still holds it, even when that token (an earlier night's App token) is no longer searched for."""
    holding = read_memo(path)[0].get("holding")
    return holding if isinstance(holding, dict) else {}


def repo_of(root: Path, path: Path) -> str | None:
    """The repository a path belongs to, when the layout says so."""
    parts = path.relative_to(root).parts
    if len(parts) > 2 and parts[:2] == ("github-backup", "repositories"):
        return parts[2]
    if len(parts) > 2 and parts[0] == "gitim":
        return parts[2] if len(parts) > 3 else None
    return None


def run_scrub(ctx: RunContext, night: OrgNight) -> StageResult:
    """The stage: the organization's tree scrubbed; the files that held the token are captured."""
    return scrub_tree(ctx, night.org)


def scrub_tree(ctx: RunContext, org: str) -> StageResult:
    """Clean every remote URL, then list the files that still hold the token.

    The files captured (returned) must be left out of the snapshot; each has a Problem.
    """
    root = ctx.org_paths(org).root
    problems: list[Problem] = []
    if not root.is_dir():
        return StageResult([], [])
    started = time.monotonic()
    cleaned = 0
    for git_dir in find_git_dirs(root):
        try:
            keys = scrub_config(git_dir / "config", ctx.config.github_host)
        except process.CommandFailed as exc:
            where = git_dir.relative_to(root)
            problems.append(Problem(org, repo_of(root, git_dir), PART, f"{where}: cannot clean its config: {exc}", INTEGRITY))
            continue
        if keys:
            cleaned += 1
            log.info("%s: removed credentials from %s (%s)", org, git_dir.relative_to(root), ", ".join(keys))

    # Every token of this run: a GitHub App's are several (one per organization, renewed).
    tokens = ctx.tokens()
    patterns = tuple(dict.fromkeys(p for t in tokens for p in token_patterns(t.token)))
    if not patterns:
        return StageResult([], problems)
    memo_path = ctx.state_paths(org).scrub_memo
    held_before = load_holding_memo(memo_path)
    holding, unreadable, total, clean = files_holding(root, patterns, load_clean_memo(memo_path, tokens))
    held = {fingerprint(key, identity): key for key, identity in held_before.items()}
    if held:  # a file read clean of today's tokens, but unchanged since it held one, still holds it
        kept = bytearray()
        for i in range(0, len(clean), 16):
            chunk = bytes(clean[i:i + 16])
            if chunk in held:
                holding.append(root / held[chunk])
            else:
                kept += chunk
        clean = kept
    save_clean_memo(memo_path, tokens, clean,
                    {str(p.relative_to(root)): file_identity(p) for p in holding if p.exists()})
    for path in holding:
        problems.append(Problem(org, repo_of(root, path), PART,
                                f"{path.relative_to(root)} holds the GitHub token: left out of the snapshot", INTEGRITY))
    for path in unreadable:
        problems.append(Problem(org, repo_of(root, path), PART,
                                f"{path.relative_to(root)} could not be read to check it for the token: left out of the snapshot",
                                INTEGRITY))
    seconds = time.monotonic() - started
    log.info("%s: scrubbed %d git configs; scanned %.0f MB in %.1f s; %d files hold the token",
             org, cleaned, total / 1e6, seconds, len(holding))
    return StageResult(holding + unreadable, problems)
