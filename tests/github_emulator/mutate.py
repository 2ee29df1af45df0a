"""Changes to a world: a day of activity (mutate), and the helpers tests use to change it the
way GitHub would (create_repo, push_files, add_release, add_issue, add_org, create_wiki,
delete_issue, delete_repo, rename_repo, recreate_repo, force_push_away, merge_pull, delete_branch,
add_variables, change_variable, add_rulesets). Every change is made under the writers' lock on a fresh
load of world.json (write_world)."""
from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

from . import gists
from .builder import DAY, ORG, T0, USERS, Builder, FastImport, git, init_bare, iso, org_defaults
from .scenario import simple_repo
from .scenario_metadata import _ruleset, draft_issue, png, project_item, variable
from .store import CREATE_LOCK, STALE, load_world, world_lock, write_atomic
from .truth import truth


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
    shot = b.attachment(full, f"day-{day}.png", "image/png", png(b, 1800))
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
    follow_up = draft_issue(b, f"Follow-up of day {day}", "To do.", "bob")
    roadmap["items"].append(project_item(b, "DRAFT_ISSUE", follow_up, {status["id"]: status["options"][0]["id"]}))
    first = roadmap["items"][0]
    first["values"][status["id"]] = done
    first["updatedAt"] = roadmap["updatedAt"] = iso(b.tick())
    org["variables"].append(variable(b, f"DAY_{day}", f"value of day {day}", "all"))


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
            write_atomic(root / "world.json", json.dumps(b.world, sort_keys=True, separators=(",", ":")))
            (root / STALE).touch()
        else:
            b.save()
        return result, b.world


def create_repo(root: Path, org: str, name: str, *, private: bool = False, description: str = "",
                has_wiki: bool = True) -> dict:
    """An empty repository, as `POST /orgs/{org}/repos` makes it (used to push a restore back)."""
    def change(b):
        if name in b.world["orgs"][org]["repos"]:
            raise FileExistsError(f"{org}/{name} exists")
        return b.repo(org, name, private=private, description=description, has_wiki=has_wiki, language=None)
    return write_world(root, change)[0]


def add_variables(root: Path, org: str, count: int, *, repo: str | None = None,
                  environment: str | None = None, prefix: str = "BULK") -> dict[str, str]:
    """`count` Actions variables PREFIX_1... of the organization, of a repository, or of one of
    its environments (more than a page of GitHub's 30); returns {name: value}."""
    def change(b):
        owner = b.world["orgs"][org]
        if repo is None:
            holder = owner
        elif environment is None:
            holder = owner["repos"][repo]
        else:
            holder = next(e for e in owner["repos"][repo]["environments"] if e["name"] == environment)
        added = {f"{prefix}_{i}": f"value {i} of {prefix.lower()}" for i in range(1, count + 1)}
        holder["variables"] += [variable(b, name, value, "all" if repo is None else None)
                                for name, value in added.items()]
        return added
    return write_world(root, change)[0]


def change_variable(root: Path, org: str, name: str, value: str, *, repo: str | None = None) -> str:
    """Set an Actions variable of the organization or of a repository to `value`, as GitHub does:
    the variable's own `updated_at` moves, the organization's and the repository's do not (so no
    mark of a listing says it changed); returns the old value."""
    def change(b):
        owner = b.world["orgs"][org]
        held = (owner if repo is None else owner["repos"][repo])["variables"]
        found = next(v for v in held if v["name"] == name)
        old, found["value"], found["updated_at"] = found["value"], value, iso(b.tick())
        return old
    return write_world(root, change)[0]


def add_rulesets(root: Path, org: str, count: int, *, repo: str | None = None, prefix: str = "Bulk") -> list[str]:
    """`count` rulesets of a repository, or of the organization (applying to no repository, so
    that the repositories' listings stay as they were); returns their names."""
    def change(b):
        owner = b.world["orgs"][org]
        names = [f"{prefix} {i}" for i in range(1, count + 1)]
        conditions = {"ref_name": {"include": [f"refs/heads/{prefix.lower()}-*"], "exclude": []}}
        if repo is None:
            conditions["repository_name"] = {"include": [f"{prefix.lower()}-none-*"], "exclude": [],
                                             "protected": False}
        made = [_ruleset(b, name, conditions, [{"type": "deletion"}], []) for name in names]
        (owner["rulesets"] if repo is None else owner["repos"][repo]["repo_rulesets"]).extend(made)
        return names
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


def add_discussion_category(root: Path, org: str, name: str, category: str, *, answerable: bool = False) -> dict:
    """A discussion category of repository `name`, as a person makes it in the repository's settings
    (GitHub's API cannot create one); its slug as GitHub makes it (lower case, dashes)."""
    def change(b):
        rec = b.world["orgs"][org]["repos"][name]
        slug = re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-")
        made = {"id": f"DIC_{b.new_id()}", "name": category, "slug": slug, "emoji": ":speech_balloon:",
                "description": None, "isAnswerable": answerable}
        rec.setdefault("discussion_categories", []).append(made)
        return made
    return write_world(root, change)[0]


def add_discussion(root: Path, org: str, name: str, title: str, body: str, category_slug: str,
                   comments: tuple[str, ...] = (), labels: tuple[str, ...] = ()) -> dict:
    """A discussion by alice in the category of that slug, with comments by bob and the labels of
    those names; the next number."""
    def change(b):
        rec = b.world["orgs"][org]["repos"][name]
        made = b.discussion(rec, title, body, "alice", category_slug, labels)
        for text in comments:
            b.discussion_comment(made, text, "bob")
        return made
    return write_world(root, change)[0]


def add_org(root: Path, login: str, description: str = "") -> dict:
    """An empty organization (no repositories, no members): a target to restore into."""
    def change(b):
        if login.lower() in (o.lower() for o in b.world["orgs"]):
            raise FileExistsError(f"organization {login} exists")
        return b.org(login, description)
    return write_world(root, change)[0]


def add_user(root: Path, login: str) -> dict:
    """A personal account (no repositories, no gists yet): gists.py."""
    return write_world(root, lambda b: gists.add_user(b, login))[0]


def add_gist(root: Path, owner: str, description: str, revisions: list[dict], *, public: bool = True) -> dict:
    """A gist of a personal account, a commit per revision ({file: text}), the newest last."""
    return write_world(root, lambda b: gists.add_gist(b, owner, description, revisions, public=public))[0]


def edit_gist(root: Path, owner: str, gist_id: str, files: dict) -> str:
    """A new revision of a gist; its commit's sha."""
    return write_world(root, lambda b: gists.add_revision(b, owner, gist_id, files))[0]


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
            write_atomic(root / "world.json", json.dumps(world, indent=1, sort_keys=True))
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
    with CREATE_LOCK:
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
    with CREATE_LOCK:
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


def merge_pull(root: Path, org: str, name: str, number: int, *, delete_branch: bool = True) -> str:
    """Open pull request `number` merged with a merge commit on its base branch (GitHub's "Merge pull
    request"), its head branch then deleted (GitHub's "Delete branch", or its setting that deletes a
    head branch on merge) unless `delete_branch` is False. Returns the merge commit."""
    def change(b):
        rec = b.world["orgs"][org]["repos"][name]
        issue = next(i for i in rec["issues"] if i["number"] == number and i["pull"])
        pull = issue["pull"]
        fi = FastImport()
        mark = fi.commit(f"refs/heads/{pull['base']}", {}, f"Merge pull request #{number} from {org}/{pull['head']}",
                         b.tick(), [_tip(b, org, name, f"refs/heads/{pull['base']}"), pull["head_sha"]])
        merge = fi.run(b.git_dir(org, name))[mark]
        now = iso(b.tick())
        pull.update(merged=True, merge_commit_sha=merge, merged_at=now)
        issue.update(state="closed", closed_at=now, updated_at=now)
        for event in ("merged", "closed"):
            b.event(rec, issue, event, USERS[0])
        if delete_branch:
            git(b.git_dir(org, name), "update-ref", "-d", f"refs/heads/{pull['head']}")
        b.pushed(org, name)
        return merge
    return write_world(root, change)[0]


def delete_branch(root: Path, org: str, name: str, branch: str) -> None:
    """A branch deleted (`git push --delete`); its commits stay in GitHub's storage, as on GitHub. Not
    the head or base of an open pull request (GitHub would close it: close that first)."""
    def change(b):
        rec = b.world["orgs"][org]["repos"][name]
        assert not any(i["pull"] and i["state"] == "open" and branch in (i["pull"]["head"], i["pull"]["base"])
                       for i in rec["issues"]), f"{branch} is a branch of an open pull request"
        git(b.git_dir(org, name), "update-ref", "-d", f"refs/heads/{branch}")
        b.pushed(org, name)
    write_world(root, change)
