"""The dependencies stage (orgbackup/backup/stages/dependencies.py): submodule repositories
outside the organization, with real git on local repositories and on the GitHub emulator, where
the result is checked by checking out every submodule from the backup alone with the emulator
stopped (the pure parts: tests/unit/git/test_submodule_urls.py, test_submodules.py and
tests/unit/backup/stages/test_dependencies.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from orgbackup.git import argv as git, submodules
from orgbackup.backup.stages import dependencies as deps
from orgbackup.backup.stages.dependencies import mirror_dependencies
from tests.github_emulator.builder import FastImport, Gitlink
from tests.support.dependencies import app_using_libfoo, clone_dir, git_run, gitmodules, mirror_refs, stage_context


def test_local_repositories(tmp_path, hermetic_git_env):
    """In-organization submodules are checked in the org's clones, never mirrored; local
    paths are reported; excluded ones listed; 100 branches are read quickly."""
    org = "acme"
    ctx = stage_context(tmp_path, org, dependencies_exclude=("git.example.invalid/excluded/*",))
    lib = clone_dir(ctx, org, "lib")
    fi = FastImport()
    lib_c1 = fi.commit("refs/heads/main", {"lib.c": "1\n"}, "lib 1", 1700000000)
    marks = fi.run(lib / ".git")
    lib_sha = marks[lib_c1]

    app = clone_dir(ctx, org, "app")
    fi = FastImport()
    modules = gitmodules(("vendor/lib", "../lib.git"), ("vendor/local", "/srv/git/local.git"),
                       ("vendor/excl", "https://git.example.invalid/Excluded/big.git"))
    base = fi.commit("refs/heads/main", {
        ".gitmodules": modules, "vendor/lib": Gitlink(lib_sha), "vendor/local": Gitlink("d" * 40),
        "vendor/excl": Gitlink("e" * 40)}, "app", 1700000000)
    for i in range(100):  # a hundred branches, each with its own tree
        fi.commit(f"refs/heads/b{i}", {f"f{i}.txt": f"{i}\n"}, f"b{i}", 1700000000 + i, [base])
    # a branch pointing the in-org submodule at a commit lib does not have
    fi.commit("refs/heads/broken", {"vendor/lib": Gitlink("f" * 40)}, "broken", 1700000500, [base])
    fi.run(app / ".git")

    started = time.monotonic()
    result, problems = mirror_dependencies(ctx, org, [{"name": "app"}, {"name": "lib"}, {"name": "gone"}])
    elapsed = time.monotonic() - started
    assert elapsed < 10, elapsed

    assert result["excluded"] == ["https://git.example.invalid/Excluded/big"]
    assert [i["url"] for i in result["items"]] == ["file:///srv/git/local"]
    local = result["items"][0]
    assert local["path"] is None and local["missing_commits"] == ["d" * 40] and local["error"]
    assert result["in_organization"] == [{"repository": "lib", "referenced_commits": sorted([lib_sha, "f" * 40]),
                                          "missing_commits": ["f" * 40]}]
    assert (result["repositories"], result["commits_referenced"], result["commits_present"]) == (1, 1, 0)
    messages = sorted(p.message for p in problems)
    assert len(messages) == 2, messages
    assert "not reachable with plain git over HTTPS" in messages[0] and "/srv/git/local.git" in messages[0]
    assert f"commit {'f' * 40} that acme/lib does not have" in messages[1]
    assert {p.repo for p in problems} == {"app"} and {p.part for p in problems} == {"dependencies"}
    assert not (ctx.org_paths(org).dependencies).exists()


def test_an_unchanged_clone_is_not_scanned_again(tmp_path, hermetic_git_env, monkeypatch):
    """The submodules found at a clone's refs are remembered (objects never change): the
    next run with the same refs reads the memo; a moved branch is scanned again."""
    org = "acme"
    ctx = stage_context(tmp_path, org)
    app = clone_dir(ctx, org, "app")
    fi = FastImport()
    fi.commit("refs/heads/main", {".gitmodules": gitmodules(("vendor/lib", "https://127.0.0.1:9/o/lib.git")),
                                  "vendor/lib": Gitlink("a" * 40)}, "app", 1700000000)
    fi.run(app / ".git")
    first, _ = mirror_dependencies(ctx, org, [{"name": "app"}])
    assert [i["missing_commits"] for i in first["items"]] == [["a" * 40]]
    memo = ctx.state_paths(org).submodule_scan("app")
    assert json.loads(memo.read_text())["references"][0]["commit"] == "a" * 40

    def no_scan(*args, **kwargs):
        raise AssertionError("an unchanged clone was scanned again")

    with monkeypatch.context() as patched:
        patched.setattr(deps, "scan_submodules", no_scan)
        patched.setattr(submodules, "scan_submodules", no_scan)
        again, _ = mirror_dependencies(ctx, org, [{"name": "app"}])
    assert again["items"] == first["items"]

    fi = FastImport()
    fi.commit("refs/heads/next", {".gitmodules": gitmodules(("vendor/lib", "https://127.0.0.1:9/o/lib.git")),
                                  "vendor/lib": Gitlink("b" * 40)}, "next", 1700000100)
    fi.run(app / ".git")
    moved, _ = mirror_dependencies(ctx, org, [{"name": "app"}])
    assert [i["missing_commits"] for i in moved["items"]] == [sorted(["a" * 40, "b" * 40])]


def test_depth_limit_and_unparsable_url(tmp_path, hermetic_git_env):
    """depth 1: direct dependencies are recorded; nothing is fetched from a
    dependency's own submodules (here the fetch fails: nothing listens)."""
    org = "acme"
    ctx = stage_context(tmp_path, org, github_host="127.0.0.1:9", dependencies_depth=1, stall_seconds=30)
    app = clone_dir(ctx, org, "app")
    fi = FastImport()
    fi.commit("refs/heads/main", {".gitmodules": gitmodules(("a", "../../other/a.git"), ("b", "ext::sh"),
                                                          ("c", "git@127.0.0.1:ssh-only/c.git")),
                                  "a": Gitlink("a" * 40), "b": Gitlink("b" * 40), "c": Gitlink("c" * 40)},
              "app", 1700000000)
    fi.run(app / ".git")
    result, problems = mirror_dependencies(ctx, org, [{"name": "app"}])
    ssh, item = sorted(result["items"], key=lambda i: "ssh" not in i["url"])
    assert item["url"] == "https://127.0.0.1:9/other/a" and item["depth"] == 1 and item["path"] is None
    assert item["error"] and item["missing_commits"] == ["a" * 40]
    assert ssh["fetch_url"] == "https://127.0.0.1:9/ssh-only/c.git" and ssh["missing_commits"] == ["c" * 40]
    assert result["unresolved_urls"] == ["ext::sh"]
    assert len(problems) == 3
    assert any("ssh URL" in p.message and "not reachable with plain git over HTTPS" in p.message for p in problems)
    # a refused first fetch (nothing listens) leaves no empty mirror behind
    assert not (ctx.org_paths(org).root / "dependencies" / "127.0.0.1_9" / "other" / "a.git").exists()


def _sub_head(path: Path) -> str:
    return git_run("-C", str(path), "rev-parse", "HEAD").strip()


def test_on_the_emulator(github_emulator, world_root, tmp_path, monkeypatch):
    from orgbackup.backup.stages.github_backup import back_up_repositories
    from orgbackup.backup.stages.verify_repair import verify_and_repair
    from tests.github_emulator import force_push_away
    from tests.support.run_context import make_context

    org = "V-Sekai"
    truth = json.loads((world_root / "truth.json").read_text())["orgs"]
    # The organization's clones, made by the real capture stages (git only: parts=()).
    ctx = make_context(github_emulator, tmp_path, monkeypatch, parts=())
    repos = [r for r in ctx.api.org_repositories(org) if r["name"] in ("godot", "game", "shared-lib")]
    captured = back_up_repositories(ctx, org, repos, hooks=False)
    assert not getattr(captured, "problems", captured)
    assert verify_and_repair(ctx, org, repos)[1] == []
    host = github_emulator.host
    libfoo_url = f"https://{host}/upstream-deps/libfoo"
    libbaz_url = f"https://{host}/other-deps/libbaz"
    libfoo_sha = truth[org]["repos"]["godot"]["submodules"][0]["commit"]
    libbaz_sha = truth["upstream-deps"]["repos"]["libfoo"]["submodules"][0]["commit"]
    shared_sha = truth[org]["repos"]["game"]["submodules"][0]["commit"]
    root = ctx.org_paths(org).root
    dep_dir = root / "dependencies" / host.replace(":", "_")

    # 1. first run: libfoo (relative URL ../../upstream-deps/libfoo.git) and its own
    #    dependency libbaz are mirrored; shared-lib (in the org) is only checked.
    result, problems = mirror_dependencies(ctx, org, repos)
    assert problems == []
    by_url = {i["url"]: i for i in result["items"]}
    assert set(by_url) == {libfoo_url, libbaz_url}
    assert by_url[libfoo_url]["depth"] == 1 and by_url[libbaz_url]["depth"] == 2
    assert by_url[libfoo_url]["referenced_commits"] == [libfoo_sha]
    assert by_url[libbaz_url]["referenced_commits"] == [libbaz_sha]
    assert by_url[libfoo_url]["path"] == f"dependencies/{host.replace(':', '_')}/upstream-deps/libfoo.git"
    assert (result["repositories"], result["commits_referenced"], result["commits_present"]) == (2, 2, 2)
    assert result["in_organization"] == [{"repository": "shared-lib", "referenced_commits": [shared_sha],
                                          "missing_commits": []}]
    assert sorted(p.name for p in dep_dir.iterdir()) == ["other-deps", "upstream-deps"]  # no v-sekai
    for org_name, name in (("upstream-deps", "libfoo"), ("other-deps", "libbaz")):
        mirror = dep_dir / org_name / f"{name}.git"
        assert git_run("-C", str(mirror), "rev-parse", "--is-bare-repository").strip() == "true"
        assert mirror_refs(mirror) == truth[org_name]["repos"][name]["refs"]
        assert "token" not in (mirror / "config").read_text().lower()
        assert git_run("-C", str(mirror), "for-each-ref", "refs/orgbackup") == ""  # on a branch: no pin

    # 2. upstream force-pushes the referenced commit away; the next run reports it
    #    and keeps the earlier copy, pinned.
    lost = force_push_away(world_root, "upstream-deps", "libfoo", "main")
    assert lost["old"] == libfoo_sha
    ctx2 = make_context(github_emulator, tmp_path, monkeypatch, cache_dir=ctx.cache_dir, parts=())
    result2, problems2 = mirror_dependencies(ctx2, org, repos)
    libfoo = {i["url"]: i for i in result2["items"]}[libfoo_url]
    assert libfoo["lost_upstream"] == [libfoo_sha] and libfoo["missing_commits"] == []
    assert (result2["commits_referenced"], result2["commits_present"]) == (2, 2)
    assert len(problems2) == 1 and libfoo_sha in problems2[0].message
    assert "no longer upstream" in problems2[0].message and problems2[0].repo == "godot"
    mirror = dep_dir / "upstream-deps" / "libfoo.git"
    assert mirror_refs(mirror)["refs/heads/main"] == lost["new"]
    kept = git_run("-C", str(mirror), "for-each-ref", "--format=%(objectname) %(refname)", "refs/orgbackup")
    assert kept.split() == [libfoo_sha, f"refs/orgbackup/kept/{libfoo_sha}"]
    # a third run (the mirror's gc included) still holds it
    git_run("-C", str(mirror), "gc", "--quiet", "--prune=now")
    ctx3 = make_context(github_emulator, tmp_path, monkeypatch, cache_dir=ctx.cache_dir, parts=())
    result3, problems3 = mirror_dependencies(ctx3, org, repos)
    assert result3["commits_present"] == 2 and len(problems3) == 1

    # 3. the emulator stops: every submodule of every branch and tag checks out
    #    from the backup alone.
    github_emulator.stop()
    restored = tmp_path / "restored"
    rewrite = {f"https://{host}/{o}/{n}.git": str(dep_dir / o / f"{n}.git")
               for o, n in (("upstream-deps", "libfoo"), ("other-deps", "libbaz"))}
    rewrite[f"https://{host}/{org}/shared-lib.git"] = str(
        ctx.org_paths(org).repository_dir("shared-lib") / "repository")
    for url, path in rewrite.items():
        git_run("config", "--global", f"url.{path}.insteadOf", url)
    checked = 0
    for name, subs in (("godot", [("thirdparty/libfoo", libfoo_sha), ("thirdparty/libfoo/vendor/libbaz",
                                                                       libbaz_sha)]),
                       ("game", [("lib", shared_sha)])):
        work = restored / name
        git_run("clone", "-q", str(ctx.org_paths(org).repository_dir(name) / "repository"), str(work))
        git_run("-C", str(work), "remote", "set-url", "origin", git.repo_url(ctx.config.git_url, org, name))
        for ref in truth[org]["repos"][name]["refs"]:
            if not ref.startswith(("refs/heads/", "refs/tags/")):
                continue
            git_run("-C", str(work), "checkout", "-q", "--detach", ref.replace("refs/heads/", "refs/remotes/origin/"))
            git_run("-C", str(work), "-c", "protocol.file.allow=always", "submodule", "--quiet", "update",
                 "--init", "--recursive")
            for path, sha in subs:
                assert _sub_head(work / path) == sha, (name, ref, path)
            checked += 1
    assert checked >= 10


def test_dependency_with_lfs_on_the_emulator(github_emulator, world_root, tmp_path, monkeypatch):
    """For an organization `acme`, V-Sekai/assets-lfs is a dependency: mirrored with
    every LFS object of every branch."""
    from tests.support.run_context import make_context

    truth = json.loads((world_root / "truth.json").read_text())["orgs"]["V-Sekai"]["repos"]["assets-lfs"]
    ctx = make_context(github_emulator, tmp_path, monkeypatch, orgs=("acme",))
    app = clone_dir(ctx, "acme", "app")
    fi = FastImport()
    fi.commit("refs/heads/main", {".gitmodules": gitmodules(("assets", f"https://{github_emulator.host}/V-Sekai/assets-lfs.git")),
                                  "assets": Gitlink(truth["refs"]["refs/heads/main"])}, "app", 1700000000)
    fi.run(app / ".git")
    result, problems = mirror_dependencies(ctx, "acme", [{"name": "app"}])
    assert problems == [] and result["commits_present"] == 1
    mirror = ctx.org_paths("acme").root / result["items"][0]["path"]
    assert mirror_refs(mirror) == {r: s for r, s in truth["refs"].items() if r.startswith(("refs/heads/", "refs/tags/"))}
    for oid in truth["lfs_oids"]:
        assert git.lfs_object_path(mirror, oid).is_file(), oid
    assert git_run("-C", str(mirror), "symbolic-ref", "HEAD").strip() == "refs/heads/main"


def test_cycles_depth_and_a_foreign_host_on_the_emulator(github_emulator, world_root, tmp_path, monkeypatch):
    """cyc/a and cyc/b reference each other (a@a2 -> b@b1 -> a@a1 -> b@b0): each is mirrored
    once and every commit of the chain is found; the depth limit stops the walk. The
    emulator also answers as 127.0.0.1: a host that is not the GitHub host, which gets
    no credentials (its public repositories are fetched, a private one is not)."""
    from tests.github_emulator.builder import Builder
    from tests.github_emulator.store import load_world
    from tests.support.run_context import make_context

    b = Builder(world_root, load_world(world_root))
    b.org("cyc")
    for name in ("a", "b"):
        b.repo("cyc", name)
    sha = {}

    def commit(name, key, files, parent=None):
        fi = FastImport()
        mark = fi.commit("refs/heads/main", files, key, 1700000000 + len(sha), [parent] if parent else ())
        sha[key] = fi.run(b.git_dir("cyc", name))[mark]

    commit("b", "b0", {"b.txt": "0\n"})
    commit("a", "a1", {".gitmodules": gitmodules(("sub/b", "../b.git")), "sub/b": Gitlink(sha["b0"])})
    commit("b", "b1", {".gitmodules": gitmodules(("a", "../a.git")), "a": Gitlink(sha["a1"])}, sha["b0"])
    commit("a", "a2", {"sub/b": Gitlink(sha["b1"])}, sha["a1"])
    for name in ("a", "b"):
        b.pushed("cyc", name)
    b.save()
    truth = json.loads((world_root / "truth.json").read_text())["orgs"]
    private_sha = truth["V-Sekai"]["repos"]["private-tools"]["refs"]["refs/heads/main"]
    foreign = f"127.0.0.1:{github_emulator.port}"

    def run(depth: int, cache: str):
        ctx = make_context(github_emulator, tmp_path, monkeypatch, orgs=("acme",), cache_dir=tmp_path / cache,
                           dependencies_depth=depth)
        app = clone_dir(ctx, "acme", "app")
        fi = FastImport()
        fi.commit("refs/heads/main", {
            ".gitmodules": gitmodules(("a", f"https://{foreign}/cyc/a.git"),
                                    ("p", f"https://{foreign}/V-Sekai/private-tools.git")),
            "a": Gitlink(sha["a2"]), "p": Gitlink(private_sha)}, "app", 1700000000)
        fi.run(app / ".git")
        return ctx, *mirror_dependencies(ctx, "acme", [{"name": "app"}])

    ctx, result, problems = run(0, "cache-all")
    items = {i["url"].rsplit("/", 1)[-1]: i for i in result["items"]}
    assert (items["a"]["depth"], items["b"]["depth"]) == (1, 2)
    assert items["a"]["referenced_commits"] == sorted([sha["a1"], sha["a2"]])
    assert items["b"]["referenced_commits"] == sorted([sha["b0"], sha["b1"]])
    assert items["b"]["referenced_by"] == [f"https://{foreign}/cyc/a"]
    assert (result["repositories"], result["commits_referenced"], result["commits_present"]) == (3, 5, 4)
    assert items["private-tools"]["path"] is None and items["private-tools"]["missing_commits"] == [private_sha]
    assert len(problems) == 1 and "private-tools" in problems[0].message and problems[0].repo == "app"
    assert not (ctx.org_paths("acme").root / "dependencies" / foreign.replace(":", "_") / "v-sekai").exists()

    _, result, problems = run(2, "cache-depth-2")
    items = {i["url"].rsplit("/", 1)[-1]: i for i in result["items"]}
    assert items["a"]["referenced_commits"] == [sha["a2"]] and items["b"]["referenced_commits"] == [sha["b1"]]


def test_an_interrupted_first_mirror_is_kept_and_completed_next_run(github_emulator, world_root, tmp_path,
                                                                    monkeypatch):
    """The first fetch of a dependency stalls and is ended (git's low-speed limit): the
    mirror stays (a refused one would not), and the next run completes it in place."""
    from tests.support.run_context import make_context

    ctx = make_context(github_emulator, tmp_path, monkeypatch, orgs=("acme",), stall_seconds=2,
                       dependencies_depth=1)
    sha = app_using_libfoo(ctx, github_emulator, world_root)
    github_emulator.set_faults(stall_seconds=20)
    started = time.monotonic()
    result, problems = mirror_dependencies(ctx, "acme", [{"name": "app"}])
    assert time.monotonic() - started < 15
    mirror = ctx.org_paths("acme").root / "dependencies" / github_emulator.host.replace(":", "_") / \
        "upstream-deps" / "libfoo.git"
    assert (mirror / "HEAD").is_file() and (mirror / "objects").is_dir()  # kept, not deleted
    item = result["items"][0]
    assert item["path"] is None and item["missing_commits"] == [sha]
    assert len(problems) == 1 and "the transfer stalled and was ended" in problems[0].message, problems

    github_emulator.set_faults()
    ctx2 = make_context(github_emulator, tmp_path, monkeypatch, orgs=("acme",), cache_dir=ctx.cache_dir,
                        stall_seconds=2, dependencies_depth=1)
    result2, problems2 = mirror_dependencies(ctx2, "acme", [{"name": "app"}])
    assert problems2 == [] and result2["commits_present"] == 1
    truth = json.loads((world_root / "truth.json").read_text())["orgs"]["upstream-deps"]["repos"]["libfoo"]
    assert mirror_refs(mirror) == truth["refs"]
