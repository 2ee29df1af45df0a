"""The world's builder: the names and clock of the default world, git helpers (a hermetic
environment, FastImport streams), and Builder, which holds world.json while repositories,
issues, releases, ... are made or changed.

Layout of a world root:
    world.json                      what the REST API serves (raw records, rendered by rest_shapes.py)
    truth.json                      what a complete backup must contain (truth.py)
    git/<ORG>/<NAME>.git            bare repositories (served by git http-backend)
    git/<ORG>/<NAME>.wiki.git       wikis
    lfs/<ORG>/<NAME>/<oid>          Git LFS objects
    assets/<asset id>               release asset bytes
    attachments/<uuid>              user attachment bytes (issue, comment, ... bodies link them)

Everything is made with real git (fast-import), fixed dates and a hermetic
environment, so the same seed gives the same SHAs. The default world is scenario.py's,
a day of activity mutate.py's.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from .store import write_atomic

ORG = "V-Sekai"
UPSTREAM = "upstream-deps"
OTHER = "other-deps"
T0 = 1700000000  # 2023-11-14T22:13:20Z: the simulated clock starts here
DAY = 86400
AUTHOR = "Emulator Bot <bot@emulator.invalid>"
USERS = ["alice", "bob", "carol"]
OUTSIDE = "dave"          # an outside collaborator of V-Sekai (not a member)
WEB = "{{WEB}}"           # bodies hold this; the API serves it as https://HOST
LFS_ATTRIBUTES = b"*.bin filter=lfs diff=lfs merge=lfs -text\n"


# GitHub gives every new repository these labels (name, color, description), `default` true
DEFAULT_LABELS = (("bug", "d73a4a", "Something isn't working"),
                  ("documentation", "0075ca", "Improvements or additions to documentation"),
                  ("duplicate", "cfd3d7", "This issue or pull request already exists"),
                  ("enhancement", "a2eeef", "New feature or request"),
                  ("good first issue", "7057ff", "Good for newcomers"),
                  ("help wanted", "008672", "Extra attention is needed"),
                  ("invalid", "e4e669", "This doesn't seem right"),
                  ("question", "d876e3", "Further information is requested"),
                  ("wontfix", "ffffff", "This will not be worked on"))


def default_labels(new_id) -> list[dict]:
    return [{"id": new_id(), "name": name, "color": color, "description": description, "default": True}
            for name, color, description in DEFAULT_LABELS]


def iso(epoch: int | None) -> str | None:
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


# ------------------------------------------------------------------------ git


def git_env(home: str | None = None) -> dict:
    """A hermetic environment for git: no system or user configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    if home:
        env["HOME"] = home
    return env


_HOME: list = []


def _home() -> str:
    """An empty HOME for the builder's git, made once per process and removed at exit."""
    if not _HOME:
        _HOME.append(tempfile.mkdtemp(prefix="gh-emulator-home-"))
        atexit.register(shutil.rmtree, _HOME[0], True)
    return _HOME[0]


def git(git_dir: Path, *args, input: bytes | None = None, env=None) -> str:
    out = subprocess.run(["git", "--git-dir", str(git_dir), *args], input=input,
                         capture_output=True, env=env or git_env(_home()), check=True)
    return out.stdout.decode()


def init_bare(git_dir: Path, branch: str = "main") -> None:
    git_dir.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "--bare", "--template=", "--initial-branch", branch, str(git_dir)],
                   check=True, env=git_env(_home()))


class Gitlink(str):
    """A submodule entry: the SHA of a commit in another repository."""


class FastImport:
    """Builds a `git fast-import` stream; run() applies it in one process."""

    def __init__(self):
        self.buf = bytearray()
        self.mark = 0

    def _data(self, payload: bytes) -> None:
        self.buf += b"data %d\n" % len(payload) + payload + b"\n"

    def commit(self, ref: str, files: dict, message: str, when: int,
               parents=(), author: str = AUTHOR) -> str:
        self.mark += 1
        self.buf += (f"commit {ref}\nmark :{self.mark}\n"
                     f"author {author} {when} +0000\ncommitter {author} {when} +0000\n").encode()
        self._data(message.encode())
        if parents:
            self.buf += f"from {parents[0]}\n".encode()
            for p in parents[1:]:
                self.buf += f"merge {p}\n".encode()
        for path, content in files.items():
            if content is None:
                self.buf += f"D {path}\n".encode()
            elif isinstance(content, Gitlink):
                self.buf += f"M 160000 {content} {path}\n".encode()
            else:
                self.buf += f"M 100644 inline {path}\n".encode()
                self._data(content if isinstance(content, bytes) else content.encode())
        self.buf += b"\n"
        return f":{self.mark}"

    def tag(self, name: str, target: str, message: str, when: int) -> None:
        self.buf += f"tag {name}\nfrom {target}\ntagger {AUTHOR} {when} +0000\n".encode()
        self._data(message.encode())

    def reset(self, ref: str, target: str) -> None:
        self.buf += f"reset {ref}\nfrom {target}\n\n".encode()

    def run(self, git_dir: Path, force: bool = False) -> dict:
        """Apply the stream; returns {":mark": sha}."""
        marks = git_dir / "fast-import.marks"
        cmd = ["-c", "fastimport.unpackLimit=0", "fast-import", "--quiet", f"--export-marks={marks}"] + (["--force"] if force else [])
        git(git_dir, *cmd, input=bytes(self.buf))
        result = dict(line.split() for line in marks.read_text().splitlines())
        marks.unlink()
        return result


def lfs_pointer(data: bytes) -> tuple[str, bytes]:
    oid = hashlib.sha256(data).hexdigest()
    return oid, f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(data)}\n".encode()


# ------------------------------------------------------------------------ builder


class Builder:
    """Holds world.json while repositories are made or changed."""

    def __init__(self, root: Path, world: dict | None = None, seed: int = 0):
        self.root = Path(root)
        self.world = world or {"seed": seed, "clock": T0, "day": 0, "next_id": 1000, "orgs": {}}
        self.rng = random.Random(f"{self.world['seed']}-{self.world['day']}")

    # ids, time and bytes -------------------------------------------------
    def new_id(self) -> int:
        self.world["next_id"] += 1
        return self.world["next_id"]

    def clock(self) -> int:
        return self.world["clock"]

    def tick(self, seconds: int = 60) -> int:
        self.world["clock"] += seconds
        return self.world["clock"]

    def random_bytes(self, n: int) -> bytes:
        return self.rng.randbytes(n)

    # organizations and repositories ---------------------------------------
    def org(self, login: str, description: str = "") -> dict:
        if login not in self.world["orgs"]:
            self.world["orgs"][login] = {
                "id": self.new_id(), "login": login, "description": description,
                "created_at": iso(T0 - 400 * DAY), "repos": {}}
        return org_defaults(self.world["orgs"][login])

    def user(self, login: str) -> dict:
        """A personal account: a record of the same map, `type` User (gists.py)."""
        from .gists import add_user  # here: gists.py builds on this module

        return add_user(self, login)

    def repo(self, org: str, name: str, *, private=False, fork=False, archived=False,
             has_wiki=True, description="", language="C++", parent=None) -> dict:
        now = iso(self.world["clock"])
        rec = {
            "id": self.new_id(), "name": name, "description": description or f"The {name} repository",
            "private": private, "fork": fork, "archived": archived, "has_wiki": has_wiki,
            "has_issues": True, "has_projects": True, "default_branch": "main",
            "language": language, "created_at": now, "updated_at": now, "pushed_at": now,
            "size": 0, "parent": parent, "topics": [], "submodules": [], "empty": True,
            "issues": [], "comments": [], "events": [], "review_comments": [],
            "milestones": [], "labels": [], "hooks": [], "releases": [],
        }
        repo_defaults(rec)
        self.org(org)["repos"][name] = rec
        init_bare(self.git_dir(org, name))
        return rec

    def git_dir(self, org: str, name: str, wiki: bool = False) -> Path:
        return self.root / "git" / org / (name + (".wiki.git" if wiki else ".git"))

    def pushed(self, org: str, name: str) -> None:
        """A push bumps pushed_at (not updated_at, as on GitHub)."""
        rec = self.world["orgs"][org]["repos"][name]
        rec["pushed_at"] = iso(self.world["clock"])
        rec["empty"] = False
        size = sum(f.stat().st_size for f in self.git_dir(org, name).rglob("*") if f.is_file())
        rec["size"] = size // 1024

    def store_lfs(self, org: str, name: str, data: bytes) -> bytes:
        oid, pointer = lfs_pointer(data)
        path = self.root / "lfs" / org / name / oid
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return pointer

    # issues, pulls and the rest ------------------------------------------
    def issue(self, rec: dict, title: str, *, user: str, state="open", labels=(),
              milestone=None, pull=None) -> dict:
        now = self.tick()
        issue = {"id": self.new_id(), "number": next_number(rec), "title": title,
                 "body": f"Body of {title}.", "user": user, "state": state,
                 "labels": list(labels), "milestone": milestone, "created_at": iso(now),
                 "updated_at": iso(now), "closed_at": iso(now) if state == "closed" else None,
                 "pull": pull}
        rec["issues"].append(issue)
        return issue

    def comment(self, rec: dict, issue: dict, body: str, user: str) -> None:
        now = iso(self.tick())
        rec["comments"].append({"id": self.new_id(), "issue": issue["number"], "user": user,
                                "body": body, "created_at": now, "updated_at": now})
        issue["updated_at"] = now

    def event(self, rec: dict, issue: dict, event: str, actor: str, label=None) -> None:
        rec["events"].append({"id": self.new_id(), "issue": issue["number"], "event": event,
                              "actor": actor, "label": label,
                              "created_at": iso(self.tick())})

    def review_comment(self, rec: dict, issue: dict, body: str, user: str, path: str) -> None:
        now = iso(self.tick())
        rec["review_comments"].append({
            "id": self.new_id(), "pull": issue["number"], "user": user, "body": body,
            "path": path, "line": 1, "commit_id": issue["pull"]["head_sha"],
            "created_at": now, "updated_at": now})
        issue["updated_at"] = now

    def release(self, org: str, rec: dict, tag: str, target: str, assets: dict) -> None:
        now = iso(self.tick())
        rel = {"id": self.new_id(), "tag_name": tag, "target_commitish": target,
               "name": f"Release {tag}", "body": f"Notes for {tag}.", "draft": False,
               "prerelease": False, "created_at": now, "published_at": now,
               "author": USERS[0], "assets": []}
        for name, data in assets.items():
            aid = self.new_id()
            path = self.root / "assets" / str(aid)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            rel["assets"].append({"id": aid, "name": name, "label": "", "size": len(data),
                                  "content_type": "application/octet-stream",
                                  "sha256": hashlib.sha256(data).hexdigest(),
                                  "created_at": now, "updated_at": now, "download_count": 0})
        rec["releases"].append(rel)

    def review(self, rec: dict, issue: dict, user: str, state: str, body: str) -> dict:
        """A pull request review; bumps the pull's updated_at (GitHub does)."""
        now = iso(self.tick())
        review = {"id": self.new_id(), "pull": issue["number"], "user": user, "state": state,
                  "body": body, "submitted_at": now, "commit_id": issue["pull"]["head_sha"]}
        rec["reviews"].append(review)
        issue["updated_at"] = now
        return review

    def commit_comment(self, rec: dict, commit_id: str, user: str, body: str,
                       path: str | None = None, line: int | None = None) -> dict:
        now = iso(self.tick())
        comment = {"id": self.new_id(), "commit_id": commit_id, "user": user, "body": body,
                   "path": path, "line": line, "created_at": now, "updated_at": now}
        rec["commit_comments"].append(comment)
        return comment

    def discussion(self, rec: dict, title: str, body: str, author: str, category: str,
                   labels=()) -> dict:
        """A discussion; its number comes from the issue sequence (as on GitHub)."""
        now = iso(self.tick())
        found = {"id": self.new_id(), "number": next_number(rec), "title": title, "body": body,
                 "author": author, "category": category, "createdAt": now, "updatedAt": now,
                 "closed": False, "closedAt": None, "locked": False, "upvoteCount": 0,
                 "labels": list(labels), "answer": None, "answerChosenAt": None,
                 "answerChosenBy": None, "comments": []}
        rec["discussions"].append(found)
        return found

    def discussion_comment(self, discussion: dict, body: str, author: str,
                           reply_to: dict | None = None) -> dict:
        now = iso(self.tick())
        comment = {"id": self.new_id(), "body": body, "author": author, "createdAt": now,
                   "updatedAt": now, "upvoteCount": 0}
        if reply_to is None:
            comment["replies"] = []
            discussion["comments"].append(comment)
        else:
            reply_to["replies"].append(comment)
        discussion["updatedAt"] = now
        return comment

    def attachment(self, repo_full: str, name: str, content_type: str, data: bytes,
                   as_file: bool = False) -> str:
        """Store a user attachment; returns the markdown that links it (with the {{WEB}} placeholder)."""
        key = str(uuid.UUID(bytes=self.rng.randbytes(16), version=4))
        path = self.root / "attachments" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.world.setdefault("attachments", {})[key] = {
            "name": name, "content_type": content_type, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "repo": repo_full}
        if as_file:
            return f"[{name}]({WEB}/user-attachments/files/{key}/{name})"
        return f"![{name}]({WEB}/user-attachments/assets/{key})"

    def save(self) -> None:
        """world.json replaced atomically (a running server never reads half a file), then truth.json."""
        from .truth import truth  # here, not at the top: truth.py reads with this module's helpers

        write_atomic(self.root / "world.json", json.dumps(self.world, indent=1, sort_keys=True))
        truth(self.root)


def next_number(rec: dict) -> int:
    """Issues, pulls and discussions share one number sequence per repository; a number is never
    used twice, not even after its issue is deleted (`last_number` keeps the high-water mark)."""
    used = [i["number"] for i in rec["issues"]] + [d["number"] for d in rec.get("discussions", [])]
    number = max(used + [rec.get("last_number", 0)], default=0) + 1
    rec["last_number"] = number
    return number


def default_settings() -> dict:
    return {"homepage": None, "has_discussions": False, "allow_merge_commit": True,
            "allow_squash_merge": True, "allow_rebase_merge": True, "allow_auto_merge": False,
            "delete_branch_on_merge": False, "web_commit_signoff_required": False,
            "security_and_analysis": {"secret_scanning": {"status": "disabled"},
                                      "secret_scanning_push_protection": {"status": "disabled"},
                                      "dependabot_security_updates": {"status": "disabled"}}}


def repo_defaults(rec: dict) -> dict:
    """The metadata keys every repository record has (empty unless the builder fills them)."""
    rec.setdefault("settings", default_settings())
    for key in ("collaborators", "repo_rulesets", "deploy_keys", "environments", "variables",
                "secrets", "autolinks", "reviews", "commit_comments", "discussion_categories",
                "discussions"):
        rec.setdefault(key, [])
    rec.setdefault("protected_branches", {})
    rec.setdefault("pages", None)
    return rec


def org_defaults(org: dict) -> dict:
    org.setdefault("settings", {"billing_email": None, "default_repository_permission": "read",
                                "members_can_create_repositories": True,
                                "two_factor_requirement_enabled": False, "blog": None,
                                "location": None, "email": None})
    for key in ("members", "outside_collaborators", "teams", "org_hooks", "rulesets", "variables",
                "secrets", "projects"):
        org.setdefault(key, [])
    return org
