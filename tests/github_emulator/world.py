"""The world the emulator serves: organizations, repositories, issues, ... on disk.

Layout of a world root:
    world.json                      what the REST API serves (raw records, rendered by api.py)
    truth.json                      what a complete backup must contain (see truth())
    git/<ORG>/<NAME>.git            bare repositories (served by git http-backend)
    git/<ORG>/<NAME>.wiki.git       wikis
    lfs/<ORG>/<NAME>/<oid>          Git LFS objects
    assets/<asset id>               release asset bytes
    attachments/<uuid>              user attachment bytes (issue, comment, ... bodies link them)

Everything is made with real git (fast-import), fixed dates and a hermetic
environment, so the same seed gives the same SHAs.
"""
from __future__ import annotations

import atexit
import base64
import contextlib
import fcntl
import fnmatch
import hashlib
import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

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


def iso(epoch: int | None) -> str | None:
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


# --------------------------------------------------------------------------- git


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
        _write_atomic(self.root / "world.json", json.dumps(self.world, indent=1, sort_keys=True))
        truth(self.root)


def _write_atomic(path: Path, data: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(data)
    os.replace(tmp, path)


def load_world(root: Path) -> dict:
    return json.loads((Path(root) / "world.json").read_text())


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


# ---------------------------------------------------------------- the content


def simple_repo(b: Builder, org: str, name: str, commits: int = 3, files: dict | None = None,
                **meta) -> dict:
    """A repository with `commits` commits on main; returns {"main": sha}."""
    rec = b.repo(org, name, **meta)
    fi = FastImport()
    tip = None
    for i in range(commits):
        content = {f"src/{name}_{i}.txt": f"{name} file {i}\n" * (i + 1)}
        if i == 0:
            content["README.md"] = f"# {name}\n"
            content.update(files or {})
        tip = fi.commit("refs/heads/main", content, f"{name}: change {i}", b.tick(3600),
                        parents=[tip] if tip else ())
    marks = fi.run(b.git_dir(org, name))
    b.pushed(org, name)
    return {"rec": rec, "main": marks[tip]}


def build_deps(b: Builder) -> dict:
    b.org(OTHER, "Dependencies of dependencies")
    b.org(UPSTREAM, "Upstream dependencies")
    baz = simple_repo(b, OTHER, "libbaz", commits=2, language="C")
    libfoo = b.repo(UPSTREAM, "libfoo", language="C")
    url = "../../other-deps/libbaz.git"
    libfoo["submodules"] = [{"path": "vendor/libbaz", "url": url, "commit": baz["main"]}]
    fi = FastImport()
    c1 = fi.commit("refs/heads/main", {"README.md": "# libfoo\n", "foo.c": "int foo;\n",
                                       ".gitmodules": _gitmodules("vendor/libbaz", url),
                                       "vendor/libbaz": Gitlink(baz["main"])},
                   "libfoo: initial", b.tick(3600))
    fi.tag("v0.1", c1, "libfoo 0.1", b.tick())
    c2 = fi.commit("refs/heads/main", {"foo.c": "int foo = 1;\n"}, "libfoo: set foo", b.tick(3600), [c1])
    c3 = fi.commit("refs/heads/main", {"foo.c": "int foo = 2;\n"}, "libfoo: bump foo", b.tick(3600), [c2])
    marks = fi.run(b.git_dir(UPSTREAM, "libfoo"))
    b.pushed(UPSTREAM, "libfoo")
    return {"libfoo": marks[c3]}


def _gitmodules(path: str, url: str) -> str:
    return f'[submodule "{path}"]\n\tpath = {path}\n\turl = {url}\n'


def build_godot(b: Builder, libfoo_sha: str) -> None:
    name = "godot"
    rec = b.repo(ORG, name, description="The V-Sekai game engine")
    sub_url = "../../upstream-deps/libfoo.git"
    rec["submodules"] = [{"path": "thirdparty/libfoo", "url": sub_url, "commit": libfoo_sha}]
    fi = FastImport()
    main = []
    for i in range(6):
        files = {f"core/module_{i}.cpp": f"// module {i}\nint m{i}() {{ return {i}; }}\n"}
        if i == 0:
            files.update({"README.md": "# godot\n", ".gitmodules": _gitmodules("thirdparty/libfoo", sub_url),
                          "thirdparty/libfoo": Gitlink(libfoo_sha)})
        main.append(fi.commit("refs/heads/main", files, f"godot: commit {i}", b.tick(3600),
                              main[-1:]))
    fi.tag("v1.0", main[2], "Version 1.0", b.tick())          # annotated
    fi.tag("v1.1", main[4], "Version 1.1", b.tick())          # annotated
    fi.reset("refs/tags/v0.9-light", main[1])                  # lightweight
    fi.reset("refs/tags/nightly", main[5])                     # lightweight
    d = fi.commit("refs/heads/develop", {"DEVELOP.md": "wip\n"}, "develop: start", b.tick(3600), [main[5]])
    fi.commit("refs/heads/develop", {"DEVELOP.md": "wip 2\n"}, "develop: more", b.tick(3600), [d])
    fi.commit("refs/heads/3.x", {"BRANCH.md": "3.x maintenance\n"}, "3.x: branch", b.tick(3600), [main[1]])
    pr_numbers = [3, 7, 11, 15, 19]
    heads = {}
    for n in pr_numbers:
        ref = f"refs/heads/feature/pr-{n}"
        c = [fi.commit(ref, {f"feature/pr_{n}.txt": f"pr {n} part 1\n"}, f"PR {n}: part 1", b.tick(600), [main[5]])]
        c.append(fi.commit(ref, {f"feature/pr_{n}.txt": f"pr {n} part 2\n"}, f"PR {n}: part 2", b.tick(600), [c[0]]))
        heads[n] = c
    merge = fi.commit("refs/heads/main", {}, "Merge pull request #3 from V-Sekai/feature/pr-3",
                      b.tick(600), [main[5], heads[3][1]])
    marks = fi.run(b.git_dir(ORG, name))
    b.pushed(ORG, name)
    sha = marks.__getitem__
    log = dict(line.split(" ", 1) for line in git(
        b.git_dir(ORG, name), "log", "--all", "--format=%H %s").splitlines())

    rec["labels"] = [{"id": b.new_id(), "name": n, "color": c, "description": d} for n, c, d in (
        ("bug", "d73a4a", "Something isn't working"), ("enhancement", "a2eeef", "New feature"),
        ("documentation", "0075ca", "Docs"))]
    rec["milestones"] = [
        {"id": b.new_id(), "number": 1, "title": "4.0", "description": "The 4.0 release",
         "state": "open", "created_at": iso(b.tick()), "updated_at": iso(b.clock()),
         "due_on": iso(T0 + 90 * DAY), "closed_at": None},
        {"id": b.new_id(), "number": 2, "title": "3.5", "description": "Done", "state": "closed",
         "created_at": iso(b.tick()), "updated_at": iso(b.clock()), "due_on": None,
         "closed_at": iso(b.clock())}]
    rec["hooks"] = [{"id": b.new_id(), "name": "web", "events": ["push", "pull_request"], "active": True,
                     "config": {"url": "https://ci.example.invalid/hook", "content_type": "json",
                                "insecure_ssl": "0"},
                     "created_at": iso(b.tick()), "updated_at": iso(b.clock())}]
    for n in range(1, 131):
        user = USERS[n % 3]
        if n in pr_numbers:
            state = "closed" if n in (3, 11) else "open"
            c1, c2 = sha(heads[n][0]), sha(heads[n][1])
            pull = {"head": f"feature/pr-{n}", "base": "main", "head_sha": c2, "base_sha": sha(main[5]),
                    "merged": n == 3, "merge_commit_sha": sha(merge) if n == 3 else None,
                    "commits": [{"sha": c, "message": log[c], "parents": [p]} for c, p in
                                ((c1, sha(main[5])), (c2, c1))]}
            issue = b.issue(rec, f"Pull request {n}", user=user, state=state, pull=pull)
            pull["merged_at"] = issue["closed_at"] if n == 3 else None
            for k in range(n % 3 + 1):
                b.review_comment(rec, issue, f"Review {k} on #{n}", USERS[k % 3], f"feature/pr_{n}.txt")
            b.comment(rec, issue, f"Conversation on #{n}", USERS[(n + 1) % 3])
            continue
        state = "closed" if n % 6 == 0 else "open"
        labels = ["bug"] if n % 2 else (["enhancement"] if n % 4 == 0 else [])
        issue = b.issue(rec, f"Issue number {n}", user=user, state=state, labels=labels,
                        milestone=1 if n % 5 == 0 else None)
        for k in range(n % 3):
            b.comment(rec, issue, f"Comment {k} on #{n}", USERS[(n + k) % 3])
        if labels:
            b.event(rec, issue, "labeled", user, labels[0])
        if state == "closed":
            b.event(rec, issue, "closed", USERS[0])
    rng_assets = {"v1.0": {"godot-linux.bin": 20000, "godot-windows.bin": 12000},
                  "v1.1": {"godot-linux.bin": 24000}}
    for tag, files in rng_assets.items():
        b.release(ORG, rec, tag, "main", {f: b.random_bytes(s) for f, s in files.items()})


# ------------------------------------------------------- organization metadata


def _ruleset(b: Builder, name: str, conditions: dict, rules: list, bypass: list) -> dict:
    when = iso(b.tick())
    return {"id": b.new_id(), "name": name, "target": "branch", "enforcement": "active",
            "conditions": conditions, "rules": rules, "bypass_actors": bypass,
            "created_at": when, "updated_at": when}


def _variable(b: Builder, name: str, value: str | None, visibility: str | None = None) -> dict:
    when = iso(b.tick())
    out = {"name": name, "created_at": when, "updated_at": when}
    if value is not None:
        out["value"] = value
    if visibility:
        out["visibility"] = visibility
    return out


def _png(b: Builder, size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b.random_bytes(size)


def build_org_metadata(b: Builder) -> None:
    org = b.org(ORG)
    org["settings"] = {"billing_email": "billing@v-sekai.invalid", "default_repository_permission": "read",
                       "members_can_create_repositories": False, "two_factor_requirement_enabled": True,
                       "blog": "https://v-sekai.invalid", "location": "The Internet",
                       "email": "team@v-sekai.invalid"}
    org["members"] = [{"login": "alice", "role": "admin"}, {"login": "bob", "role": "member"},
                      {"login": "carol", "role": "member"}]
    org["outside_collaborators"] = [OUTSIDE]
    org["teams"] = [
        {"id": b.new_id(), "slug": "engineering", "name": "Engineering", "description": "Everyone who builds",
         "privacy": "closed", "parent": None,
         "members": [{"login": "alice", "role": "maintainer"}, {"login": "bob", "role": "member"}],
         "repos": {"godot": "push", "game": "push", "private-tools": "pull"}},
        {"id": b.new_id(), "slug": "rendering", "name": "Rendering", "description": "The renderer",
         "privacy": "closed", "parent": "engineering",
         "members": [{"login": "carol", "role": "member"}], "repos": {"godot": "maintain"}},
        {"id": b.new_id(), "slug": "docs-team", "name": "Docs team", "description": "Documentation",
         "privacy": "closed", "parent": None,
         "members": [{"login": "carol", "role": "maintainer"}],
         "repos": {"docs": "admin", "v-sekai.github.io": "triage"}}]
    org["org_hooks"] = [
        {"id": b.new_id(), "name": "web", "active": True, "events": ["push", "repository"],
         "config": {"url": "https://audit.example.invalid/org-hook", "content_type": "json", "insecure_ssl": "0"},
         "created_at": iso(b.tick()), "updated_at": iso(b.clock())},
        {"id": b.new_id(), "name": "web", "active": False, "events": ["member", "team"],
         "config": {"url": "https://chat.example.invalid/org-hook", "content_type": "form", "insecure_ssl": "0"},
         "created_at": iso(b.tick()), "updated_at": iso(b.clock())}]
    org["rulesets"] = [_ruleset(
        b, "Protect default branches",
        {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []},
         "repository_name": {"include": ["godot", "godot-fork"], "exclude": [], "protected": False}},
        [{"type": "deletion"}, {"type": "non_fast_forward"}],
        [{"actor_id": 1, "actor_type": "OrganizationAdmin", "bypass_mode": "always"}])]
    org["variables"] = [_variable(b, "DEPLOY_ENV", "production", "all"),
                        _variable(b, "GODOT_VERSION", "4.2", "private")]
    org["secrets"] = [_variable(b, "SIGNING_KEY", None, "all"), _variable(b, "DOCKER_PASSWORD", None, "private")]
    org["projects"] = [_roadmap_project(b), _website_project(b)]


def _field(b: Builder, prefix: str, name: str, data_type: str, **extra) -> dict:
    return {"id": f"{prefix}_{b.new_id()}", "name": name, "dataType": data_type, **extra}


def _item(b: Builder, kind: str, content: dict, values: dict, archived: bool = False) -> dict:
    when = iso(b.tick())
    return {"id": f"PVTI_{b.new_id()}", "type": kind, "isArchived": archived, "createdAt": when,
            "updatedAt": when, "content": content, "values": values}


def _draft(b: Builder, title: str, body: str, creator: str) -> dict:
    return {"id": f"DI_{b.new_id()}", "title": title, "body": body, "creator": creator}


def _roadmap_project(b: Builder) -> dict:
    status = _field(b, "PVTSSF", "Status", "SINGLE_SELECT", options=[
        {"id": f"{b.new_id():08x}", "name": n, "color": c, "description": d}
        for n, c, d in (("Todo", "GRAY", "Not started"), ("In Progress", "YELLOW", "Being worked on"),
                        ("Done", "GREEN", "Finished"))])
    start = T0 + 10 * DAY
    sprint = _field(b, "PVTIF", "Sprint", "ITERATION", configuration={
        "duration": 14, "startDay": 1,
        "iterations": [{"id": f"{b.new_id():08x}", "title": f"Sprint {k + 1}",
                        "startDate": iso(start + k * 14 * DAY)[:10], "duration": 14} for k in range(2)]})
    title, notes = _field(b, "PVTF", "Title", "TITLE"), _field(b, "PVTF", "Notes", "TEXT")
    estimate, due = _field(b, "PVTF", "Estimate", "NUMBER"), _field(b, "PVTF", "Due", "DATE")
    opt = {o["name"]: o["id"] for o in status["options"]}
    its = [i["id"] for i in sprint["configuration"]["iterations"]]
    when = iso(b.tick())
    project = {"id": f"PVT_{b.new_id()}", "number": 1, "title": "Roadmap",
               "shortDescription": "What comes next", "readme": "# Roadmap\nThe plan for 2024.",
               "public": True, "closed": False, "createdAt": when, "updatedAt": when, "creator": "alice",
               "fields": [title, status, notes, estimate, due, sprint], "items": []}
    project["items"] = [
        _item(b, "ISSUE", {"repo": "godot", "number": 1},
              {status["id"]: opt["In Progress"], estimate["id"]: 3, sprint["id"]: its[0], notes["id"]: "Crash"}),
        _item(b, "PULL_REQUEST", {"repo": "godot", "number": 7},
              {status["id"]: opt["Todo"], due["id"]: "2024-01-15", sprint["id"]: its[1]}),
        _item(b, "DRAFT_ISSUE", _draft(b, "Plan the 5.0 release", "Collect ideas here.", "alice"),
              {status["id"]: opt["Todo"], notes["id"]: "Draft only", estimate["id"]: 8.5}),
        _item(b, "ISSUE", {"repo": "game", "number": 1}, {status["id"]: opt["Done"], due["id"]: "2023-12-01"}),
    ]
    project["updatedAt"] = iso(b.clock())
    return project


def _website_project(b: Builder) -> dict:
    title = _field(b, "PVTF", "Title", "TITLE")
    priority = _field(b, "PVTSSF", "Priority", "SINGLE_SELECT", options=[
        {"id": f"{b.new_id():08x}", "name": n, "color": c, "description": ""}
        for n, c in (("High", "RED"), ("Low", "BLUE"))])
    when = iso(b.tick())
    project = {"id": f"PVT_{b.new_id()}", "number": 2, "title": "Website", "shortDescription": "",
               "readme": "", "public": False, "closed": True, "createdAt": when, "updatedAt": when,
               "creator": "carol", "fields": [title, priority], "items": []}
    project["items"] = [
        _item(b, "ISSUE", {"repo": "docs", "number": 1}, {priority["id"]: priority["options"][1]["id"]}),
        _item(b, "DRAFT_ISSUE", _draft(b, "New landing page", "", "carol"),
              {priority["id"]: priority["options"][0]["id"]}, archived=True),
    ]
    project["updatedAt"] = iso(b.clock())
    return project


# ---------------------------------------------------------- repository metadata


def _ssh_key(b: Builder) -> str:
    """Key-shaped text made from the seeded generator (not a real key pair)."""
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + b.random_bytes(32)
    return "ssh-ed25519 " + base64.b64encode(blob).decode()


def _protection() -> dict:
    return {"required_status_checks": {"strict": True, "contexts": ["ci/build"],
                                       "checks": [{"context": "ci/build", "app_id": None}]},
            "enforce_admins": {"enabled": True},
            "required_pull_request_reviews": {"dismiss_stale_reviews": True, "require_code_owner_reviews": False,
                                              "require_last_push_approval": False,
                                              "required_approving_review_count": 1},
            "required_signatures": {"enabled": False}, "required_linear_history": {"enabled": True},
            "allow_force_pushes": {"enabled": False}, "allow_deletions": {"enabled": False},
            "block_creations": {"enabled": False}, "required_conversation_resolution": {"enabled": True},
            "lock_branch": {"enabled": False}, "allow_fork_syncing": {"enabled": False}}


def build_godot_metadata(b: Builder) -> None:
    rec = b.world["orgs"][ORG]["repos"]["godot"]
    full = f"{ORG}/godot"
    by_number = {i["number"]: i for i in rec["issues"]}
    rec["topics"] = ["game-engine", "vr"]
    rec["settings"] = dict(default_settings(), homepage="https://v-sekai.invalid/godot", has_discussions=True,
                           allow_merge_commit=False, allow_auto_merge=True, delete_branch_on_merge=True,
                           web_commit_signoff_required=True,
                           security_and_analysis={"secret_scanning": {"status": "enabled"},
                                                  "secret_scanning_push_protection": {"status": "enabled"},
                                                  "dependabot_security_updates": {"status": "disabled"}})
    rec["collaborators"] = [{"login": "alice", "permission": "admin"}, {"login": "bob", "permission": "push"},
                            {"login": OUTSIDE, "permission": "triage"}]
    rec["protected_branches"] = {"main": _protection()}
    rec["repo_rulesets"] = [_ruleset(
        b, "Release tags", {"ref_name": {"include": ["refs/tags/v*"], "exclude": []}},
        [{"type": "deletion"}, {"type": "update", "parameters": {"update_allows_fetch_and_merge": False}}],
        [{"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "pull_request"}])]
    rec["repo_rulesets"][0]["target"] = "tag"
    rec["deploy_keys"] = [{"id": b.new_id(), "title": title, "key": _ssh_key(b), "read_only": ro,
                           "created_at": iso(b.tick())} for title, ro in (("ci-readonly", True), ("release-bot", False))]
    rec["environments"] = [
        {"id": b.new_id(), "name": "production", "created_at": iso(b.tick()), "updated_at": iso(b.clock()),
         "protection_rules": [{"id": b.new_id(), "type": "wait_timer", "wait_timer": 5},
                              {"id": b.new_id(), "type": "required_reviewers", "prevent_self_review": False,
                               "reviewers": [{"type": "User", "login": "alice"},
                                             {"type": "Team", "slug": "engineering"}]}],
         "deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": False},
         "variables": [_variable(b, "DEPLOY_URL", "https://deploy.v-sekai.invalid")]},
        {"id": b.new_id(), "name": "staging", "created_at": iso(b.tick()), "updated_at": iso(b.clock()),
         "protection_rules": [], "deployment_branch_policy": None, "variables": []}]
    rec["variables"] = [_variable(b, "BUILD_FLAGS", "-O2"), _variable(b, "SCONS_CACHE", "/cache")]
    rec["secrets"] = [_variable(b, "RELEASE_TOKEN", None), _variable(b, "SENTRY_DSN", None)]
    rec["autolinks"] = [{"id": b.new_id(), "key_prefix": "GH-", "url_template": "https://github.com/godotengine/godot/issues/<num>",
                         "is_alphanumeric": False},
                        {"id": b.new_id(), "key_prefix": "JIRA-", "url_template": "https://jira.example.invalid/browse/JIRA-<num>",
                         "is_alphanumeric": True}]

    # reviews of each state; bodies of an issue and a release link attachments
    for n, user, state, body in ((3, "alice", "APPROVED", "Looks good."),
                                 (7, "bob", "CHANGES_REQUESTED", "Please add a test."),
                                 (7, "carol", "COMMENTED", "A question inline."),
                                 (11, "alice", "COMMENTED", ""), (15, "carol", "APPROVED", "")):
        b.review(rec, by_number[n], user, state, body)
    shot = b.attachment(full, "crash.png", "image/png", _png(b, 3000))
    by_number[2]["body"] = f"Body of {by_number[2]['title']}.\n\n{shot}\n"
    log = b.attachment(full, "build-log.txt", "text/plain", b"build log\n" * 200, as_file=True)
    release = next(r for r in rec["releases"] if r["tag_name"] == "v1.1")
    release["body"] = f"Notes for v1.1.\n\nFull build log: {log}\n"

    # commit comments, one with an attachment
    heads = [git(b.git_dir(ORG, "godot"), "rev-parse", f"main~{k}").strip() for k in range(3)]
    b.commit_comment(rec, heads[2], "alice", "Nice refactor.")
    b.commit_comment(rec, heads[1], "bob", "This line needs a comment.", "core/module_4.cpp", 1)
    diagram = b.attachment(full, "diagram.png", "image/png", _png(b, 2000))
    b.commit_comment(rec, heads[0], "carol", f"See the diagram:\n\n{diagram}\n")

    # discussions in two categories: one answered, comments with replies, one comment with an attachment
    rec["discussion_categories"] = [
        {"id": f"DIC_{b.new_id()}", "name": "Q&A", "slug": "q-a", "emoji": ":pray:",
         "description": "Ask the community for help", "isAnswerable": True},
        {"id": f"DIC_{b.new_id()}", "name": "General", "slug": "general", "emoji": ":speech_balloon:",
         "description": "Chat about anything", "isAnswerable": False}]
    q1 = b.discussion(rec, "How do I build on Linux?", "scons fails for me.", "bob", "q-a", ["bug"])
    first = b.discussion_comment(q1, "Which compiler?", "alice")
    b.discussion_comment(q1, "gcc 13", "bob", reply_to=first)
    b.discussion_comment(q1, "Then try clang.", "alice", reply_to=first)
    answer = b.discussion_comment(q1, "Install the dev packages first.", "carol")
    q1["answer"], q1["answerChosenAt"], q1["answerChosenBy"] = answer["id"], iso(b.tick()), "bob"
    q2 = b.discussion(rec, "Is VR on Quest supported?", "Asking for a friend.", "carol", "q-a")
    b.discussion_comment(q2, "Not yet.", "alice")
    g1 = b.discussion(rec, "Welcome!", "Introduce yourself here.", "alice", "general")
    pic = b.attachment(full, "avatar.png", "image/png", _png(b, 1500))
    c1 = b.discussion_comment(g1, f"Hi, I am bob.\n\n{pic}\n", "bob")
    b.discussion_comment(g1, "Welcome bob!", "alice", reply_to=c1)
    g2 = b.discussion(rec, "Old announcement", "This is locked.", "alice", "general")
    g2.update(closed=True, closedAt=iso(b.tick()), locked=True)


def build_other_metadata(b: Builder) -> None:
    repos = b.world["orgs"][ORG]["repos"]
    io = repos["v-sekai.github.io"]
    io["settings"]["homepage"] = "https://v-sekai.github.io"
    io["pages"] = {"status": "built", "cname": None, "source": {"branch": "main", "path": "/"},
                   "build_type": "legacy", "https_enforced": True}
    tools = repos["private-tools"]
    secret = b.attachment(f"{ORG}/private-tools", "internal.png", "image/png", _png(b, 2500))
    issue = b.issue(tools, "Internal tooling plan", user="alice")
    issue["body"] = f"Only for members.\n\n{secret}\n"


def build_lfs(b: Builder) -> None:
    name = "assets-lfs"
    b.repo(ORG, name, language=None, description="Binary assets in Git LFS")
    fi = FastImport()
    blobs = [b.random_bytes(size) for size in (30000, 12000, 50000, 8000)]
    p = [b.store_lfs(ORG, name, data) for data in blobs]
    c1 = fi.commit("refs/heads/main", {".gitattributes": LFS_ATTRIBUTES, "README.md": "# assets\n",
                                       "textures/wall.bin": p[0], "textures/floor.bin": p[1]},
                   "Add textures", b.tick(3600))
    fi.commit("refs/heads/main", {"models/chair.bin": p[2]}, "Add chair", b.tick(3600), [c1])
    fi.commit("refs/heads/art-update", {"textures/wall.bin": p[3]}, "New wall texture", b.tick(3600), [c1])
    fi.run(b.git_dir(ORG, name))
    b.pushed(ORG, name)


def build_wiki(b: Builder, org: str, name: str, pages: dict) -> None:
    wiki = b.git_dir(org, name, wiki=True)
    init_bare(wiki, "master")
    fi = FastImport()
    tip = None
    for page, text in pages.items():
        tip = fi.commit("refs/heads/master", {f"{page}.md": text}, f"Updated {page} (markdown)",
                        b.tick(600), [tip] if tip else ())
    fi.run(wiki)


def build_game(b: Builder, shared_sha: str) -> None:
    url = "../shared-lib.git"
    res = simple_repo(b, ORG, "game", commits=2, language="GDScript",
                      files={".gitmodules": _gitmodules("lib", url), "lib": Gitlink(shared_sha)})
    rec = res["rec"]
    rec["submodules"] = [{"path": "lib", "url": url, "commit": shared_sha}]
    issue = b.issue(rec, "Game crashes on start", user="bob")
    b.comment(rec, issue, "Can reproduce.", "carol")
    b.event(rec, issue, "labeled", "bob", "bug")
    rec["labels"] = [{"id": b.new_id(), "name": "bug", "color": "d73a4a", "description": ""}]


def build_extra(b: Builder, count: int, megabytes: float) -> None:
    per_repo = int(megabytes * 1024 * 1024 / count) if count else 0
    for i in range(count):
        name = f"extra-{i:03d}"
        b.repo(ORG, name, language="Python", has_wiki=False)
        fi = FastImport()
        tip = fi.commit("refs/heads/main", {"README.md": f"# {name}\n"}, "init", b.tick(60))
        left, part = per_repo, 0
        while left > 0:
            n = min(left, 1024 * 1024)
            tip = fi.commit("refs/heads/main", {f"data/blob_{part}.bin": b.random_bytes(n)},
                            f"data {part}", b.tick(60), [tip])
            left -= n
            part += 1
        fi.run(b.git_dir(ORG, name))
        b.pushed(ORG, name)


# The benchmark's scale shape (issue 13): three big repositories with long histories hold about
# half of the data, the rest is spread unevenly (Zipf-like); issues are about three per
# repository, most of them in two repositories, as in a real organization.
BIG_SHARES = (0.18, 0.16, 0.15)
BIG_COMMITS = (3000, 2000, 1500)
BIG_ISSUE_SHARES = (0.5, 0.27)
ISSUES_PER_REPO = 3
PULL_EVERY = 10  # one issue in ten of the big repositories is a pull request


def scale_sizes(count: int, total: int) -> list[int]:
    """Bytes of each of `count` repositories: the big shares first, then 1/rank of the rest."""
    big = [int(total * s) for s in BIG_SHARES[:count]]
    rest = count - len(big)
    weights = [1 / (rank + 1) for rank in range(rest)]
    left = total - sum(big)
    return big + [int(left * w / sum(weights)) for w in weights]


def scale_issue_counts(count: int) -> list[int]:
    """Issues of each repository (in the order of scale_sizes): two big ones, a Zipf tail."""
    total = ISSUES_PER_REPO * count
    big = [int(total * s) for s in BIG_ISSUE_SHARES[:count]]
    rest = count - len(big)
    weights = [1 / (rank + 1) for rank in range(rest)]
    left = total - sum(big)
    return big + [int(left * w / sum(weights)) for w in weights]


def _scale_history(b: Builder, name: str, size: int, commits: int) -> dict:
    """`commits` commits on main, each changing a source file and adding size/commits random
    bytes; a feature branch per future pull request is added by _scale_issues."""
    fi = FastImport()
    tip = fi.commit("refs/heads/main", {"README.md": f"# {name}\n"}, "init", b.tick(60))
    chunk = max(1, size // max(commits, 1)) if size else 0
    for i in range(commits):
        files = {"src/main.c": f"/* {name} revision {i} */\nint revision = {i};\n"}
        if chunk:
            files[f"data/part_{i % 64}.bin"] = b.random_bytes(chunk)
        tip = fi.commit("refs/heads/main", files, f"{name}: change {i}", b.tick(60), [tip])
    return {"fi": fi, "tip": tip}


def _scale_issues(b: Builder, rec: dict, fi: FastImport, tip: str, count: int) -> list:
    """`count` issues, every PULL_EVERY-th one a pull request with its own branch; returns the
    pull requests' (issue, head mark) to be resolved once the history is written."""
    pulls = []
    for n in range(count):
        user = USERS[n % 3]
        if count >= PULL_EVERY and n % PULL_EVERY == PULL_EVERY - 1:
            head = fi.commit(f"refs/heads/feature/pr-{n}", {f"feature/pr_{n}.txt": f"pr {n}\n"},
                             f"PR {n}", b.tick(600), [tip])
            issue = b.issue(rec, f"Pull request {n}", user=user, state="open",
                            pull={"head": f"feature/pr-{n}", "base": "main", "merged": False,
                                  "merge_commit_sha": None, "merged_at": None})
            pulls.append((issue, head))
        else:
            issue = b.issue(rec, f"Issue {n}", user=user, state="closed" if n % 4 == 0 else "open")
        if n % 2:
            b.comment(rec, issue, f"Comment on #{issue['number']}", USERS[(n + 1) % 3])
        if issue["state"] == "closed":
            b.event(rec, issue, "closed", user)
    return pulls


def build_scale(b: Builder, count: int, megabytes: float) -> None:
    """The scale shape's extra repositories (BIG_SHARES, scale_sizes, scale_issue_counts)."""
    sizes = scale_sizes(count, int(megabytes * 1024 * 1024))
    issues = scale_issue_counts(count)
    for i, (size, n_issues) in enumerate(zip(sizes, issues)):
        name = f"extra-{i:03d}"
        rec = b.repo(ORG, name, language="Python", has_wiki=False)
        commits = BIG_COMMITS[i] if i < len(BIG_COMMITS) else 1 + min(50, size // (256 * 1024))
        history = _scale_history(b, name, size, commits)
        pulls = _scale_issues(b, rec, history["fi"], history["tip"], n_issues)
        marks = history["fi"].run(b.git_dir(ORG, name))
        main = marks[history["tip"]]
        for issue, head in pulls:
            c = marks[head]
            issue["pull"].update(head_sha=c, base_sha=main,
                                 commits=[{"sha": c, "message": f"PR {issue['number']}", "parents": [main]}])
        b.pushed(ORG, name)


def build_world(root: Path, *, seed: int = 0, extra_repos: int = 0, megabytes: float = 0,
                shape: str = "even") -> Path:
    """Make the default world (plus extra repositories) in an empty directory `root`.
    shape "even": the extra repositories share `megabytes` equally and have no issues;
    "scale": build_scale's uneven sizes, long histories and issues (the benchmark's big sizes)."""
    root = Path(root)
    if (root / "world.json").exists():
        raise FileExistsError(f"{root} already holds a world")
    root.mkdir(parents=True, exist_ok=True)
    b = Builder(root, seed=seed)
    b.org(ORG, "Open source social VR")
    deps = build_deps(b)
    build_godot(b, deps["libfoo"])
    shared = simple_repo(b, ORG, "shared-lib", commits=2, language="GDScript")
    build_game(b, shared["main"])
    simple_repo(b, ORG, "private-tools", commits=2, private=True, language="Python")
    simple_repo(b, ORG, "godot-fork", commits=2, fork=True, parent="godotengine/godot")
    simple_repo(b, ORG, "old-archive", commits=2, archived=True)
    b.repo(ORG, "empty", language=None)
    io = simple_repo(b, ORG, "v-sekai.github.io", commits=2, language="HTML")
    build_wiki(b, ORG, "v-sekai.github.io", {"Home": "# Website wiki\n", "Deploy": "How to deploy\n"})
    docs = simple_repo(b, ORG, "docs", commits=2, language=None)
    build_wiki(b, ORG, "docs", {"Home": "# Docs\n", "Setup": "Setup steps\n", "FAQ": "Questions\n"})
    for rec in (io["rec"], docs["rec"]):
        issue = b.issue(rec, "Typo", user="carol", state="closed")
        b.event(rec, issue, "closed", "alice")
    build_lfs(b)
    build_org_metadata(b)
    build_godot_metadata(b)
    build_other_metadata(b)
    if shape == "scale":
        build_scale(b, max(extra_repos, 1), megabytes)
    elif extra_repos or megabytes:
        build_extra(b, max(extra_repos, 1), megabytes)
    b.save()
    return root


# ------------------------------------------------------------------- activity


def _tip(b: Builder, org: str, name: str, ref: str = "refs/heads/main", wiki: bool = False) -> str:
    return git(b.git_dir(org, name, wiki), "rev-parse", ref).strip()


def mutate(root: Path) -> dict:
    """Simulate a day of activity on the world in `root`; returns the new truth."""
    root = Path(root)
    b = Builder(root, load_world(root))
    b.world["day"] += 1
    b.rng = random.Random(f"{b.world['seed']}-{b.world['day']}")
    day = b.world["day"]
    b.world["clock"] = max(b.world["clock"], T0 + 30 * DAY) + DAY
    orgs = b.world["orgs"]

    # pushes: godot (commit, new branch, new tag), shared-lib, the LFS repository
    fi = FastImport()
    c = fi.commit("refs/heads/main", {f"changes/day-{day}.md": f"Day {day}\n"}, f"Day {day} work",
                  b.tick(), [_tip(b, ORG, "godot")])
    fi.commit(f"refs/heads/day-{day}", {f"topic/day-{day}.txt": "topic\n"}, f"Topic of day {day}",
              b.tick(), [c])
    fi.reset(f"refs/tags/day-{day}", c)
    fi.run(b.git_dir(ORG, "godot"))
    b.pushed(ORG, "godot")

    fi = FastImport()
    fi.commit("refs/heads/main", {f"lib/day_{day}.gd": f"# day {day}\n"}, f"shared: day {day}",
              b.tick(), [_tip(b, ORG, "shared-lib")])
    fi.run(b.git_dir(ORG, "shared-lib"))
    b.pushed(ORG, "shared-lib")

    fi = FastImport()
    pointer = b.store_lfs(ORG, "assets-lfs", b.random_bytes(16000))
    fi.commit("refs/heads/main", {f"textures/day_{day}.bin": pointer}, f"Texture of day {day}",
              b.tick(), [_tip(b, ORG, "assets-lfs")])
    fi.run(b.git_dir(ORG, "assets-lfs"))
    b.pushed(ORG, "assets-lfs")

    # wiki edit
    fi = FastImport()
    fi.commit("refs/heads/master", {"Home.md": f"# Docs\nEdited on day {day}\n"}, "Updated Home (markdown)",
              b.tick(), [_tip(b, ORG, "docs", "refs/heads/master", wiki=True)])
    fi.run(b.git_dir(ORG, "docs", wiki=True))

    # issues: a new issue with comments, a comment on an old issue and on a PR
    godot = orgs[ORG]["repos"]["godot"]
    issue = b.issue(godot, f"New bug of day {day}", user="alice", labels=["bug"])
    b.comment(godot, issue, "First reply", "bob")
    b.comment(godot, issue, "Second reply", "carol")
    b.event(godot, issue, "labeled", "alice", "bug")
    by_number = {i["number"]: i for i in godot["issues"]}
    b.comment(godot, by_number[1], f"Still happens on day {day}", "carol")
    b.comment(godot, by_number[7], f"Rebased on day {day}", "alice")

    # a release of the new tag with an asset
    b.release(ORG, godot, f"day-{day}", "main", {f"notes-day-{day}.bin": b.random_bytes(5000)})

    # a new repository
    new = simple_repo(b, ORG, f"new-repo-{day}", commits=1, language="Rust")
    new["rec"]["updated_at"] = iso(b.world["clock"])
    mutate_metadata(b, day)
    b.save()
    return truth(root)


def mutate_metadata(b: Builder, day: int) -> None:
    """The day's changes to discussions, reviews, settings, the organization and projects."""
    org = b.world["orgs"][ORG]
    godot = org["repos"]["godot"]
    full = f"{ORG}/godot"
    new = b.discussion(godot, f"Idea of day {day}", "What about a new feature?", "bob", "general")
    b.discussion_comment(new, "Sounds good.", "carol")
    old = godot["discussions"][0]
    b.discussion_comment(old, f"Still relevant on day {day}", "carol", reply_to=old["comments"][0])
    by_number = {i["number"]: i for i in godot["issues"]}
    b.review(godot, by_number[7], "alice", "COMMENTED", f"Second look on day {day}.")
    shot = b.attachment(full, f"day-{day}.png", "image/png", _png(b, 1800))
    b.commit_comment(godot, _tip(b, ORG, "godot"), "bob", f"Screenshot of day {day}:\n\n{shot}\n")
    if not any(c["login"] == "carol" for c in godot["collaborators"]):
        godot["collaborators"].append({"login": "carol", "permission": "push"})
    docs = org["repos"].get("docs")
    if docs:  # a test may have renamed or deleted it
        docs["description"] = f"Documentation (edited on day {day})"
        docs["updated_at"] = iso(b.tick())
    engineering = next(t for t in org["teams"] if t["slug"] == "engineering")
    if not any(m["login"] == "carol" for m in engineering["members"]):
        engineering["members"].append({"login": "carol", "role": "member"})
    roadmap = next(p for p in org["projects"] if p["number"] == 1)
    status = next(f for f in roadmap["fields"] if f["name"] == "Status")
    done = next(o["id"] for o in status["options"] if o["name"] == "Done")
    roadmap["items"].append(_item(b, "DRAFT_ISSUE", _draft(b, f"Follow-up of day {day}", "To do.", "bob"),
                                  {status["id"]: status["options"][0]["id"]}))
    first = roadmap["items"][0]
    first["values"][status["id"]] = done
    first["updatedAt"] = roadmap["updatedAt"] = iso(b.tick())
    org["variables"].append(_variable(b, f"DAY_{day}", f"value of day {day}", "all"))


_CREATE_LOCK = threading.RLock()


_HELD = threading.local()  # the roots whose world_lock this thread holds (the lock is reentrant)
STALE = "truth.stale"      # present while truth.json lags behind world.json (see write_world)


@contextlib.contextmanager
def world_lock(root: Path):
    """The writers' lock: threads of this process (a lock) and other processes (flock on root/world.lock).
    Reentrant in one thread (truth() takes it, and is called by writers that hold it)."""
    key = str(Path(root).resolve())
    held = _HELD.__dict__.setdefault("roots", set())
    if key in held:
        yield
        return
    with _CREATE_LOCK:
        with open(Path(root) / "world.lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            held.add(key)
            try:
                yield
            finally:
                held.discard(key)
                fcntl.flock(f, fcntl.LOCK_UN)


def write_world(root: Path, change, *, lazy_truth: bool = False):
    """Run change(builder) on a fresh load of world.json under the lock, then save atomically.
    Returns (change's result, the saved world).
    lazy_truth (the write side's requests): truth.json is not rebuilt (that is most of a write's cost);
    root/truth.stale marks it behind until truth(root) rebuilds it (truth(), Emulator.truth(),
    GET /_emulator/truth and Emulator.stop() do)."""
    root = Path(root)
    with world_lock(root):
        b = Builder(root, load_world(root))
        result = change(b)
        if lazy_truth:
            # compact: the indented dump is pure-Python json, ~5x slower (build and mutate indent it)
            _write_atomic(root / "world.json", json.dumps(b.world, sort_keys=True, separators=(",", ":")))
            (root / STALE).touch()
        else:
            b.save()
        return result, b.world


def truth_is_stale(root: Path) -> bool:
    """Has a lazy write changed world.json since truth.json was last written?"""
    return (Path(root) / STALE).exists()


def refresh_truth(root: Path) -> bool:
    """Rebuild truth.json if a lazy write left it stale; True when it did."""
    with world_lock(root):
        if not truth_is_stale(root):
            return False
        truth(root)
        return True


def create_repo(root: Path, org: str, name: str, *, private: bool = False, description: str = "",
                has_wiki: bool = True) -> dict:
    """An empty repository, as `POST /orgs/{org}/repos` makes it (used to push a restore back)."""
    def change(b):
        if name in b.world["orgs"][org]["repos"]:
            raise FileExistsError(f"{org}/{name} exists")
        return b.repo(org, name, private=private, description=description, has_wiki=has_wiki, language=None)
    return write_world(root, change)[0]


def add_release(root: Path, org: str, name: str, tag: str, assets: dict[str, bytes]) -> dict:
    """A release of `tag` with these assets (name -> bytes), as an API answer may carry it: neither the
    tag nor the names are checked (a test gives hostile ones: `../x`, an absolute path, a NUL, `..`)."""
    def change(b):
        rec = b.world["orgs"][org]["repos"][name]
        b.release(org, rec, tag, rec["default_branch"], assets)
        return rec["releases"][-1]
    return write_world(root, change)[0]


def add_issue(root: Path, org: str, name: str, title: str, *, number=None) -> dict:
    """An open issue by alice; `number` as an API answer may carry it (a test gives a string such as
    `../x`), by default the repository's next."""
    def change(b):
        rec = b.world["orgs"][org]["repos"][name]
        issue = b.issue(rec, title, user="alice")
        if number is not None:
            issue["number"] = number
        return issue
    return write_world(root, change)[0]


def add_org(root: Path, login: str, description: str = "") -> dict:
    """An empty organization (no repositories, no members): a target to restore into."""
    def change(b):
        if login.lower() in (o.lower() for o in b.world["orgs"]):
            raise FileExistsError(f"organization {login} exists")
        return b.org(login, description)
    return write_world(root, change)[0]


def create_wiki(root: Path, org: str, name: str) -> Path:
    """The wiki's git repository, empty (branch master), as if a person had opened the wiki once:
    GitHub has no API that creates it, and a push to a wiki that does not exist is refused."""
    root = Path(root)
    with world_lock(root):
        world = load_world(root)
        rec = world["orgs"][org]["repos"][name]
        wiki = root / "git" / org / f"{name}.wiki.git"
        if not wiki.exists():
            init_bare(wiki, "master")
        if not rec["has_wiki"]:
            rec["has_wiki"] = True
            _write_atomic(root / "world.json", json.dumps(world, indent=1, sort_keys=True))
        truth(root)
        return wiki


def push_files(root: Path, org: str, name: str, files: dict, *, lfs_files: dict | None = None,
               message: str = "A change", ref: str = "refs/heads/main") -> str:
    """A member with push access pushes one commit: `files` {path: text or bytes}, `lfs_files`
    {path: bytes} stored in the repository's LFS store and committed as pointers. Returns the commit."""
    def change(b):
        tree = dict(files)
        for path, data in (lfs_files or {}).items():
            tree[path] = b.store_lfs(org, name, data)
        fi = FastImport()
        try:
            parent = git(b.git_dir(org, name), "rev-parse", "--verify", "--quiet", ref + "^{commit}").strip()
        except subprocess.CalledProcessError:
            parent = ""  # an empty repository: the first commit
        mark = fi.commit(ref, tree, message, b.tick(), [parent] if parent else [])
        sha = fi.run(b.git_dir(org, name))[mark]
        b.pushed(org, name)
        return sha
    return write_world(root, change)[0]


def delete_issue(root: Path, org: str, name: str, number: int) -> None:
    """An issue deleted (GitHub: GraphQL deleteIssue): gone with its comments and events; its number
    is never given again."""
    def change(b):
        rec = b.world["orgs"][org]["repos"][name]
        rec["last_number"] = max(rec.get("last_number", 0), *[i["number"] for i in rec["issues"]])
        rec["issues"] = [i for i in rec["issues"] if i["number"] != number]
        for key, field in (("comments", "issue"), ("events", "issue"), ("review_comments", "pull"),
                           ("reviews", "pull")):
            rec[key] = [x for x in rec.get(key, []) if x[field] != number]
    write_world(root, change)


def delete_repo(root: Path, org: str, name: str) -> int:
    """The repository is gone from GitHub (API and git), as after `DELETE /repos/{o}/{r}`; returns its id."""
    root = Path(root)
    with world_lock(root):
        b = Builder(root, load_world(root))
        rec = b.world["orgs"][org]["repos"].pop(name)
        _repoint_references(b.world, org, name, None)
        for wiki in (False, True):
            shutil.rmtree(b.git_dir(org, name, wiki=wiki), ignore_errors=True)
        shutil.rmtree(root / "lfs" / org / name, ignore_errors=True)
        b.save()
        return rec["id"]


def rename_repo(root: Path, org: str, old: str, new: str) -> None:
    """A rename keeps the id, the issues and the git data (GitHub redirects the old name; we do not)."""
    root = Path(root)
    with _CREATE_LOCK:
        b = Builder(root, load_world(root))
        repos = b.world["orgs"][org]["repos"]
        rec = repos.pop(old)
        rec["name"] = new
        rec["updated_at"] = iso(b.tick())
        repos[new] = rec
        _repoint_references(b.world, org, old, new)
        for wiki in (False, True):
            if b.git_dir(org, old, wiki=wiki).exists():
                b.git_dir(org, old, wiki=wiki).rename(b.git_dir(org, new, wiki=wiki))
        if (root / "lfs" / org / old).exists():
            (root / "lfs" / org / old).rename(root / "lfs" / org / new)
        b.save()


def _repoint_references(world: dict, org: str, old: str, new: str | None) -> None:
    """Team grants, project items and attachments follow a renamed repository (and go with a deleted one)."""
    record = org_defaults(world["orgs"][org])
    for team in record["teams"]:
        if old in team["repos"]:
            permission = team["repos"].pop(old)
            if new:
                team["repos"][new] = permission
    for project in record["projects"]:
        kept = []
        for item in project["items"]:
            if item["content"].get("repo") == old:
                if not new:
                    continue
                item["content"]["repo"] = new
            kept.append(item)
        project["items"] = kept
    for attachment in world.get("attachments", {}).values():
        if new and attachment["repo"] == f"{org}/{old}":
            attachment["repo"] = f"{org}/{new}"


def recreate_repo(root: Path, org: str, name: str, *, commits: int = 2) -> dict:
    """A new repository (new id) under a name that may have been used before, with a little history."""
    root = Path(root)
    with _CREATE_LOCK:
        b = Builder(root, load_world(root))
        b.tick(3600)
        made = simple_repo(b, org, name, commits=commits, language="Go")
        b.issue(made["rec"], f"First issue of the new {name}", user=USERS[0])
        b.save()
        return made["rec"]


def force_push_away(root: Path, org: str, name: str, branch: str = "main") -> dict:
    """Rewrite `branch` to drop its tip commit, then prune it from the repository.

    Returns {"old": sha no longer on the server, "new": sha of the new tip}."""
    root = Path(root)
    b = Builder(root, load_world(root))
    git_dir = b.git_dir(org, name)
    old = _tip(b, org, name, f"refs/heads/{branch}")
    parent = git(git_dir, "rev-parse", f"{old}^").strip()
    fi = FastImport()
    new = fi.commit(f"refs/heads/{branch}", {"REWRITTEN.md": f"{old} was force-pushed away\n"},
                    "Rewrite history", b.tick(), [parent])
    new_sha = fi.run(git_dir, force=True)[new]
    if git(git_dir, "for-each-ref", "--contains", old).strip():
        raise RuntimeError(f"{old} is still reachable from another ref of {org}/{name}")
    git(git_dir, "reflog", "expire", "--expire=now", "--all")
    git(git_dir, "gc", "--quiet", "--prune=now")
    b.pushed(org, name)
    b.save()
    return {"old": old, "new": new_sha}


# ---------------------------------------------------------------------- truth


def _refs(git_dir: Path) -> dict:
    out = git(git_dir, "for-each-ref", "--format=%(objectname) %(refname)")
    return {ref: sha for sha, ref in (line.split(" ", 1) for line in out.splitlines())}


# GitHub's permission names (world records, team `permission`) and role names (`role_name`)
ROLE_NAMES = {"pull": "read", "triage": "triage", "push": "write", "maintain": "maintain", "admin": "admin"}
MERGE_FLAGS = ("allow_merge_commit", "allow_squash_merge", "allow_rebase_merge", "allow_auto_merge",
               "delete_branch_on_merge", "web_commit_signoff_required")


def ruleset_applies(ruleset: dict, repo_name: str) -> bool:
    """Does an organization ruleset's repository_name condition take in this repository?"""
    names = ruleset["conditions"].get("repository_name") or {"include": ["~ALL"], "exclude": []}
    included = any(p == "~ALL" or fnmatch.fnmatch(repo_name, p) for p in names["include"])
    return included and not any(fnmatch.fnmatch(repo_name, p) for p in names["exclude"])


def _metadata_truth(org: dict, rec: dict) -> dict:
    """The repository's discussions, reviews, commit comments and settings, as truth.json holds them."""
    discussions = {}
    for d in rec["discussions"]:
        answer = next((c["body"] for c in d["comments"] if c["id"] == d["answer"]), None)
        discussions[str(d["number"])] = {
            "title": d["title"], "body": d["body"], "category": d["category"], "answer_body": answer,
            "comments": [{"body": c["body"], "replies": [r["body"] for r in c["replies"]]} for c in d["comments"]]}
    reviews: dict = {}
    for r in rec["reviews"]:
        reviews.setdefault(str(r["pull"]), []).append({"state": r["state"], "body": r["body"]})
    settings = rec["settings"]
    return {
        "discussions": discussions, "reviews": reviews,
        "commit_comments": [c["body"] for c in rec["commit_comments"]],
        "settings": {
            "description": rec["description"], "homepage": settings["homepage"], "topics": rec["topics"],
            "visibility": "private" if rec["private"] else "public", "default_branch": rec["default_branch"],
            "has_discussions": settings["has_discussions"], **{k: settings[k] for k in MERGE_FLAGS},
            "collaborators": {c["login"]: ROLE_NAMES[c["permission"]] for c in rec["collaborators"]},
            "teams": {t["slug"]: ROLE_NAMES[t["repos"][rec["name"]]] for t in org["teams"]
                      if rec["name"] in t["repos"]},
            "protected_branches": sorted(rec["protected_branches"]),
            # as GET /repos/{o}/{r}/rulesets lists them: its own, then the org's that apply
            "rulesets": [r["name"] for r in rec["repo_rulesets"]] +
                        [r["name"] for r in org["rulesets"] if ruleset_applies(r, rec["name"])],
            "deploy_keys": {k["title"]: {"key": k["key"], "read_only": k["read_only"]} for k in rec["deploy_keys"]},
            "environments": {e["name"]: {"protection_rules": [p["type"] for p in e["protection_rules"]],
                                         "variables": {v["name"]: v["value"] for v in e["variables"]}}
                             for e in rec["environments"]},
            "variables": {v["name"]: v["value"] for v in rec["variables"]},
            "secrets": [s["name"] for s in rec["secrets"]],
            "autolinks": [a["key_prefix"] for a in rec["autolinks"]],
            "pages": rec["pages"]["source"]["branch"] if rec["pages"] else None,
        }}


def _organization_truth(org: dict) -> dict:
    return {
        "members": {m["login"]: m["role"] for m in org["members"]},
        "outside_collaborators": list(org["outside_collaborators"]),
        "teams": {t["slug"]: {"parent": t["parent"], "members": {m["login"]: m["role"] for m in t["members"]},
                              "repos": {name: ROLE_NAMES[p] for name, p in t["repos"].items()}}
                  for t in org["teams"]},
        "hooks": len(org["org_hooks"]), "rulesets": [r["name"] for r in org["rulesets"]],
        "variables": {v["name"]: v["value"] for v in org["variables"]},
        "secrets": [s["name"] for s in org["secrets"]]}


def project_value(field: dict, value):
    """A field value as the backup shows it: option and iteration ids become their names."""
    if field["dataType"] == "SINGLE_SELECT":
        return next(o["name"] for o in field["options"] if o["id"] == value)
    if field["dataType"] == "ITERATION":
        return next(i["title"] for i in field["configuration"]["iterations"] if i["id"] == value)
    return value


def item_title(org: dict, item: dict) -> str | None:
    content = item["content"]
    if item["type"] == "DRAFT_ISSUE":
        return content["title"]
    issues = org["repos"].get(content["repo"], {}).get("issues", [])
    return next((i["title"] for i in issues if i["number"] == content["number"]), None)


def _projects_truth(org: dict) -> dict:
    out = {}
    for p in org["projects"]:
        fields = {f["id"]: f for f in p["fields"]}
        items = []
        for item in p["items"]:
            title = item_title(org, item)
            values = {fields[fid]["name"]: project_value(fields[fid], v) for fid, v in item["values"].items()}
            items.append({"type": item["type"], "title": title,
                          "body": item["content"]["body"] if item["type"] == "DRAFT_ISSUE" else None,
                          "values": {"Title": title, **values}})
        out[str(p["number"])] = {"title": p["title"],
                                 "fields": {f["name"]: [o["name"] for o in f.get("options", [])] for f in p["fields"]},
                                 "items": items}
    return out


def truth(root: Path) -> dict:
    """What a complete backup of the world must hold; also written to root/truth.json (always rebuilt,
    so it is fresh after lazy writes too; under the writers' lock so a write cannot slip in between)."""
    root = Path(root)
    with world_lock(root):
        (root / STALE).unlink(missing_ok=True)
        world = load_world(root)
        return _truth(root, world)


def _truth(root: Path, world: dict) -> dict:
    result = {"orgs": {}}
    for login, org in world["orgs"].items():
        org_defaults(org)
        org_truth = result["orgs"].setdefault(login, {"repos": {}})
        repos = org_truth["repos"]
        org_truth["organization"] = _organization_truth(org)
        org_truth["projects"] = _projects_truth(org)
        org_truth["attachments"] = {key: a["sha256"] for key, a in sorted(world.get("attachments", {}).items())
                                    if a["repo"].split("/")[0] == login}
        for name, rec in org["repos"].items():
            repo_defaults(rec)
            git_dir = root / "git" / login / f"{name}.git"
            wiki_dir = root / "git" / login / f"{name}.wiki.git"
            lfs_dir = root / "lfs" / login / name
            issues, pulls = {}, {}
            comments = _count(rec["comments"], "issue")
            events = _count(rec["events"], "issue")
            reviews = _count(rec["review_comments"], "pull")
            for issue in rec["issues"]:
                n = issue["number"]
                if issue["pull"]:
                    pulls[str(n)] = {"comments": comments.get(n, 0), "review_comments": reviews.get(n, 0),
                                     "commits": len(issue["pull"]["commits"])}
                else:
                    issues[str(n)] = {"comments": comments.get(n, 0), "events": events.get(n, 0)}
            refs = _refs(git_dir)
            repos[name] = {
                "private": rec["private"], "fork": rec["fork"], "archived": rec["archived"],
                "empty": not refs, "default_branch": rec["default_branch"], "refs": refs,
                "wiki": {"refs": _refs(wiki_dir)} if wiki_dir.exists() else None,
                "lfs_oids": sorted(p.name for p in lfs_dir.iterdir()) if lfs_dir.exists() else [],
                "issues": issues, "pulls": pulls,
                "milestones": len(rec["milestones"]), "labels": len(rec["labels"]),
                "hooks": len(rec["hooks"]),
                "releases": {r["tag_name"]: {"assets": {a["name"]: a["sha256"] for a in r["assets"]}}
                             for r in rec["releases"]},
                "submodules": rec["submodules"],
                **_metadata_truth(org, rec),
            }
    _write_atomic(root / "truth.json", json.dumps(result, indent=1, sort_keys=True))
    return result


def _count(items: list, key: str) -> dict:
    counts: dict = {}
    for item in items:
        counts[item[key]] = counts.get(item[key], 0) + 1
    return counts


def copy_world(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return Path(dst)
