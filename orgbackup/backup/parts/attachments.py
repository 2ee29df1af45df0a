"""User attachments: the images and files that issue, pull, comment, release, discussion and
review bodies link (`https://<web host>/user-attachments/...`), kept in the organization's tree.

    attachments/index.json                  {url: {sha256, size, content_type, first_seen, found_in}}
    attachments/files/<sha256[:2]>/<sha256> the bytes, stored once by content

The URLs are found in every JSON file of the organization's tree (what github-backup and the
other metadata parts wrote), except git folders and attachments/ itself. A memo of the files
already read ({relative path: [size, mtime_ns]}) makes an unchanged night a walk of stats:
a file is read again only when its size or mtime changed, or when an attachment it links is
not saved yet. The token goes only to the GitHub web host (never to another host; requests
drops it on a redirect to another host, as GitHub's signed storage URLs are).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

from orgbackup.backup.context import RunContext
from orgbackup.github.api import network_cause
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.results import UPSTREAM
from orgbackup.backup.parts.common import PartOutcome
from orgbackup import backoff

log = logging.getLogger(__name__)

PART = "attachments"
FOLDER = "attachments"
INDEX = "index.json"
TEMP_PREFIX = ".download-"
CHUNK = 64 * 1024
CONNECT_TIMEOUT = 30
ATTEMPTS = 3  # a download that fails for the network or a 5xx is tried this often per run

# Folders under the organization's tree that hold no GitHub JSON worth reading: clones,
# the wrapper's mirrors, the attachments themselves. Matched by place, not by name alone
# (a repository may be called "wiki").
TOP_LEVEL_SKIPPED = {FOLDER, "gitim", "dependencies"}
REPOSITORY_LEVEL_SKIPPED = {"repository", "wiki"}  # under github-backup/repositories/<REPO>/
# The wrapper's own record (its problem messages name attachment URLs), not GitHub's data.
TOP_LEVEL_FILES_SKIPPED = {"manifest.json"}

# A URL ends at white space, quotes, brackets, a backslash (a JSON escape in raw text) ...
_URL_CHAR = r"[^\s\"'<>()\[\]{}\\|`]"
# ... and does not end with sentence punctuation.
_TRAILING = ".,;:!?*_~"
_GITHUB_COM_IMAGE_HOSTS = ("user-images.githubusercontent.com", "private-user-images.githubusercontent.com")


# Words every recognised URL holds: a file without any is not searched (most are not).
_MARKERS = ("/user-attachments/", "/assets/", "user-images.githubusercontent.com/")


def _patterns(web_host: str) -> re.Pattern:
    host = f"(?i:{re.escape(web_host)})"  # a host is case-insensitive; paths are not
    forms = [
        rf"https://{host}/user-attachments/assets/[A-Za-z0-9-]+",
        rf"https://{host}/user-attachments/files/[A-Za-z0-9-]+/{_URL_CHAR}+",
        rf"https://{host}/[A-Za-z0-9-]+/[A-Za-z0-9._-]+/assets/[0-9]+/[A-Za-z0-9-]+",
    ]
    if web_host.lower() == "github.com":
        forms += [rf"https://(?i:{re.escape(h)})/{_URL_CHAR}+" for h in _GITHUB_COM_IMAGE_HOSTS]
    # An optional query (private-user-images carry a short-lived ?jwt=).
    return re.compile("(?:" + "|".join(forms) + rf")(?:\?{_URL_CHAR}*)?")


_compiled: dict[str, re.Pattern] = {}


def attachment_urls(text: str, web_host: str) -> set[str]:
    """The attachment URLs in `text` (any string: markdown, HTML, or a JSON file's raw text,
    whose `\\/` and `\\u0026` escapes are read as `/` and `&`)."""
    text = text.replace("\\/", "/").replace("\\u0026", "&")
    if not any(marker in text for marker in _MARKERS):
        return set()
    pattern = _compiled.get(web_host) or _compiled.setdefault(web_host, _patterns(web_host))
    urls = set()
    for found in pattern.finditer(text):
        url = found.group(0).rstrip(_TRAILING)
        if url.endswith("?"):
            url = url[:-1]
        urls.add(url)
    return urls


def without_query(url: str) -> str:
    """The URL the index keys and messages use: a signed query (?jwt=...) expires and is a
    credential while it lasts, so it is never written or logged."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def stored_path(attachments_dir: Path, sha256: str) -> Path:
    return attachments_dir / "files" / sha256[:2] / sha256


# --------------------------------------------------------------------------- scanning


def json_files(org_root: Path):
    """(relative posix path, size, mtime_ns) of every JSON file worth reading; stats only."""
    stack = [(org_root, ())]
    while stack:
        folder, parts = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            here = parts + (entry.name,)
            if entry.is_dir(follow_symlinks=False):
                if _skipped_folder(here):
                    continue
                stack.append((Path(entry.path), here))
            elif entry.name.endswith(".json") and entry.is_file(follow_symlinks=False):
                if len(here) == 1 and entry.name in TOP_LEVEL_FILES_SKIPPED:
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                yield "/".join(here), st.st_size, st.st_mtime_ns


def _skipped_folder(parts: tuple[str, ...]) -> bool:
    name = parts[-1]
    if name == ".git" or name.endswith(".git"):
        return True
    if len(parts) == 1:
        return name in TOP_LEVEL_SKIPPED
    return (len(parts) == 4 and parts[:2] == ("github-backup", "repositories")
            and name in REPOSITORY_LEVEL_SKIPPED)


def read_urls(path: Path, web_host: str) -> set[str]:
    return attachment_urls(path.read_text(encoding="utf-8", errors="replace"), web_host)


# --------------------------------------------------------------------------- downloading


class AttachmentGone(Exception):
    """GitHub answers 404: it no longer has the attachment (or never let this token see it)."""


class DownloadFailed(Exception):
    """The network or GitHub failed this time; the message holds no URL and no token."""


class _Retry(Exception):
    """A 5xx worth another attempt."""


@dataclass(frozen=True)
class Saved:
    sha256: str
    size: int
    content_type: str | None


def request_headers(url: str, web_host: str, token: str) -> dict[str, str]:
    """The token only for the GitHub web host itself."""
    headers = {"User-Agent": "orgbackup", "Accept": "*/*"}
    if urlsplit(url).netloc.lower() == web_host.lower() and token:
        headers["Authorization"] = f"token {token}"
    return headers


def download(session: requests.Session, url: str, web_host: str, token: str, attachments_dir: Path,
             read_timeout: float, verify: str | bool = True) -> Saved:
    """Stream `url` into a temporary file in attachments/ (sha256 while writing), then move it to
    files/<sha[:2]>/<sha>; when that file exists already it is the same content: the copy goes."""
    headers = request_headers(url, web_host, token)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with session.get(url, headers=headers, stream=True, allow_redirects=True,
                             timeout=(CONNECT_TIMEOUT, read_timeout), verify=verify) as response:
                if response.status_code == 404:
                    raise AttachmentGone("GitHub answers HTTP 404")
                if response.status_code != 200:
                    if response.status_code >= 500 and attempt < ATTEMPTS:
                        raise _Retry()
                    raise DownloadFailed(f"HTTP {response.status_code}")
                return _store(response, attachments_dir)
        except (_Retry, requests.RequestException, OSError) as exc:
            if attempt == ATTEMPTS:
                # requests' messages name the URL with its query: the cause by host and port only.
                raise DownloadFailed(network_cause(url, exc) if isinstance(exc, requests.RequestException)
                                     else exc.__class__.__name__) from None
            time.sleep(backoff.delay(attempt))
    raise DownloadFailed("no attempt made")  # not reached


def _store(response: requests.Response, attachments_dir: Path) -> Saved:
    digest = hashlib.sha256()
    size = 0
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=attachments_dir)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in response.iter_content(CHUNK):
                f.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            f.flush()
            os.fsync(f.fileno())
        sha = digest.hexdigest()
        target = stored_path(attachments_dir, sha)
        if target.is_file() and target.stat().st_size == size:
            os.unlink(temp)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip() or None
    return Saved(sha, size, content_type)


def remove_leftover_downloads(attachments_dir: Path) -> None:
    """What a killed run left half-downloaded."""
    for leftover in attachments_dir.glob(TEMP_PREFIX + "*"):
        leftover.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the part


def load_index(path: Path) -> dict | None:
    """The index, or None when there is none or it cannot be read (then everything is read again)."""
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s cannot be read (%s); all JSON files are scanned again", path, exc.__class__.__name__)
        return None
    return index if isinstance(index, dict) else None


def is_intact(attachments_dir: Path, entry: dict) -> bool:
    try:
        return stored_path(attachments_dir, entry["sha256"]).stat().st_size == entry["size"]
    except (OSError, KeyError, TypeError):
        return False


def back_up_attachments(ctx: RunContext, org: str, org_root: Path,
                        memo: dict) -> tuple[PartOutcome, dict[str, list[int]]]:
    """Download the attachments the organization's JSON files link and are not saved yet.

    `memo`: {relative path: [size, mtime_ns]} from the previous run's result (the stage keeps it
    in the state store). Returns (outcome, new memo); the new memo holds the files read (now or
    before) whose every attachment is saved, so the next run reads none of them unless changed.
    outcome.count("attachments", saved, expected=found) (an attachment GitHub answers 404 for is
    an upstream problem, not expected), outcome.count("files", distinct contents saved)."""
    outcome = PartOutcome(PART, org)
    org_root = Path(org_root)
    attachments_dir = org_root / FOLDER
    attachments_dir.mkdir(parents=True, exist_ok=True)
    remove_leftover_downloads(attachments_dir)
    index_path = attachments_dir / INDEX
    loaded = load_index(index_path)
    index: dict[str, dict] = json.loads(json.dumps(loaded)) if loaded else {}  # a copy, to see changes
    if loaded is None:
        memo = {}  # without the index, the memo's files' URLs are unknown: read them again
    web_host = ctx.config.github_host

    # 1. Which files link which attachments (reading only the files not in the memo).
    links: dict[str, set[str]] = {}  # index key -> relative paths linking it
    full_url: dict[str, str] = {}  # index key -> the URL as found (with its query, if any)
    read: dict[str, list[int]] = {}  # files read this run
    unchanged: dict[str, list[int]] = {}  # files the memo vouches for
    walked: set[str] = set()  # every JSON file there is
    for rel, size, mtime_ns in json_files(org_root):
        walked.add(rel)
        stamp = [size, mtime_ns]
        known = memo.get(rel)
        if known is not None and list(known) == stamp:  # lists from JSON, or tuples
            unchanged[rel] = stamp
            continue
        try:
            urls = read_urls(org_root / rel, web_host)
        except OSError as exc:
            outcome.problem(f"{rel} could not be read for attachment links ({exc.__class__.__name__})")
            continue
        read[rel] = stamp
        for url in urls:
            key = without_query(url)
            links.setdefault(key, set()).add(rel)
            full_url.setdefault(key, url)
    for key, entry in index.items():
        for rel in entry.get("found_in", ()):
            if rel in unchanged:
                links.setdefault(key, set()).add(rel)

    # 2. Download what the index lacks (or whose file is gone or of the wrong size).
    wanted = sorted(key for key in links if key not in index or not is_intact(attachments_dir, index[key]))
    gone: set[str] = set()
    failed: set[str] = set()
    if wanted:
        results = _download_all(ctx, [full_url.get(key, key) for key in wanted], web_host, attachments_dir)
        for key, result in zip(wanted, results):
            where = sorted(links[key])[0]
            if isinstance(result, Saved):
                old = index.get(key, {})
                index[key] = {"sha256": result.sha256, "size": result.size, "content_type": result.content_type,
                              "first_seen": old.get("first_seen") or ctx.started,
                              "found_in": sorted(set(old.get("found_in", ())) | links[key])}
            elif isinstance(result, AttachmentGone):
                gone.add(key)
                index.pop(key, None)
                outcome.problem(f"attachment {key} (linked in {where}): GitHub no longer has it (HTTP 404)",
                                kind=UPSTREAM)
            else:
                failed.add(key)
                index.pop(key, None)
                outcome.problem(f"attachment {key} (linked in {where}) could not be downloaded: {result}")
    # found_in: the files that link it now (a file read again that no longer links it, or a
    # file that is gone, leaves; the bytes stay, as the snapshots' history).
    for key, entry in index.items():
        kept = {rel for rel in entry.get("found_in", ()) if rel in walked and rel not in read}
        found_in = sorted(kept | links.get(key, set()))
        if found_in != entry.get("found_in"):
            entry["found_in"] = found_in
    if index != loaded:
        write_json_atomically(index_path, index)

    # 3. Check: every attachment found is in the index with its file intact.
    expected = set(links) - gone
    saved = {key for key in expected if key in index and is_intact(attachments_dir, index[key])}
    outcome.count("attachments", len(saved), expected=len(expected))
    outcome.count("files", len({index[key]["sha256"] for key in saved}))

    # 4. The memo: files whose every link is saved (a file with a missing one is read again).
    missing = expected - saved | gone
    not_done = {rel for key in missing for rel in links.get(key, ())}
    new_memo = {rel: stamp for rel, stamp in {**unchanged, **read}.items() if rel not in not_done}
    log.info("%s: attachments: %d linked, %d saved (%d downloaded now), %d files read, %d unchanged",
             org, len(expected), len(saved), len(wanted) - len(gone) - len(failed), len(read), len(unchanged))
    return outcome, new_memo


def _download_all(ctx: RunContext, urls: list[str], web_host: str, attachments_dir: Path) -> list:
    """Saved, AttachmentGone or DownloadFailed for each URL, in order (a small thread pool,
    a session per thread)."""
    local = threading.local()
    sessions: list[requests.Session] = []

    def one(url: str):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            sessions.append(session)
        try:
            # The token of this moment: a GitHub App's is renewed during the run.
            return download(session, url, web_host, ctx.api.current_token(), attachments_dir,
                            ctx.config.stall_seconds, ctx.api.verify)
        except (AttachmentGone, DownloadFailed) as exc:
            return exc

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(ctx.config.concurrency, len(urls)))) as pool:
            return list(pool.map(one, urls))
    finally:
        for session in sessions:
            session.close()
