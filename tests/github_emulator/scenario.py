"""The default world (tests/github_emulator/README.md, "The world"): its organizations and
repositories, made by build_world; their metadata is scenario_metadata.py's, the extra
repositories of a bigger world scale.py's."""
from __future__ import annotations

from pathlib import Path

from .builder import (LFS_ATTRIBUTES, ORG, OTHER, T0, DAY, UPSTREAM, USERS, Builder, FastImport, Gitlink, git,
                      init_bare, iso)
from .scale import build_extra, build_scale
from .scenario_metadata import build_godot_metadata, build_org_metadata, build_other_metadata


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
                                "insecure_ssl": "0", "secret": "********"},  # set: GitHub answers it masked
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
