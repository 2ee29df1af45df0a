"""The dependencies stage: submodule repositories outside the organization.

Pure parts (URL resolution and normalisation, .gitmodules and ls-tree parsing)
are checked against the rules and against real git; the stage itself runs with
real git on local repositories and, end to end, on the GitHub emulator, where
the result is checked by checking out every submodule from the backup alone
with the emulator stopped.
"""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from orgbackup.git import argv as git, submodules
from orgbackup.config.settings import Config
from orgbackup.config.readers import Secret
from orgbackup.backup.context import RunContext
from orgbackup.config.secret_files import write_secret_files
from orgbackup.backup.stages import dependencies as deps
from orgbackup.backup.stages.dependencies import mirror_dependencies
from orgbackup.git.submodule_urls import in_organization, is_excluded, mirror_relpath, normalize_url, parse_url, resolve_url
from orgbackup.git.submodules import parse_gitlinks, parse_gitmodules
from tests.github_emulator.builder import FastImport, Gitlink

# ------------------------------------------------------------------ pure parts

RELATIVE_CASES = [
    ("https://h.example/V-Sekai/godot.git", "../../upstream-deps/libfoo.git",
     "https://h.example/upstream-deps/libfoo.git"),
    ("https://h.example/V-Sekai/game.git", "../shared-lib.git", "https://h.example/V-Sekai/shared-lib.git"),
    ("https://h.example/V-Sekai/game.git/", "../shared-lib", "https://h.example/V-Sekai/shared-lib"),
    ("https://h.example/a/b", "./sub/x.git", "https://h.example/a/b/sub/x.git"),
    ("https://h.example/a/b", "../x/", "https://h.example/a/x"),
    ("git@github.com:org/repo.git", "../other.git", "git@github.com:org/other.git"),
    ("git@github.com:org/repo.git", "../../x/y.git", "git@github.com:x/y.git"),
    ("ssh://git@h.example/org/repo", "../../o2/r2", "ssh://git@h.example/o2/r2"),
    ("https://h.example/a/b.git", "https://other.example/x/y.git", "https://other.example/x/y.git"),
]


@pytest.mark.parametrize("base,url,expected", RELATIVE_CASES)
def test_resolve_url(base, url, expected):
    assert resolve_url(base, url) == expected


def _git(*args, cwd=None, input=None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("base,url,expected", RELATIVE_CASES[:7])
def test_resolve_url_agrees_with_git(base, url, expected, tmp_path, hermetic_git_env):
    """`git submodule init` resolves the same URL from the superproject's origin."""
    repo = tmp_path / "sup"
    _git("init", "-q", str(repo))
    _git("remote", "add", "origin", base, cwd=repo)
    (repo / ".gitmodules").write_text(f'[submodule "s"]\n\tpath = s\n\turl = {url}\n')
    _git("update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},s", cwd=repo)
    _git("add", ".gitmodules", cwd=repo)
    _git("submodule", "init", cwd=repo)
    assert _git("config", "submodule.s.url", cwd=repo).strip() == expected


def test_resolve_url_cannot_climb_above_the_host():
    with pytest.raises(ValueError):
        resolve_url("repo", "../../x")


@pytest.mark.parametrize("url,expected", [
    ("https://github.com/Owner/Repo.git", "https://github.com/Owner/Repo"),
    ("https://github.com/Owner/Repo/", "https://github.com/Owner/Repo"),
    ("git@github.com:Owner/Repo.git", "https://github.com/Owner/Repo"),
    ("ssh://git@GitHub.com:22/owner/x", "https://github.com/owner/x"),
    ("git+ssh://git@github.com/owner/x.git", "https://github.com/owner/x"),
    ("git://example.org/owner/x.git", "https://example.org/owner/x"),
    ("https://user:secret-token@gitlab.com/g/sub/p.git", "https://gitlab.com/g/sub/p"),
    ("https://h.example:443/o/x", "https://h.example/o/x"),
    ("https://localhost:8443/o/x.git", "https://localhost:8443/o/x"),
    ("http://h.example/o/x", "https://h.example/o/x"),
])
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected


def test_parse_url_details():
    url = parse_url("https://user:secret-token@gitlab.com/g/sub/p.git")
    assert "secret-token" not in url.original and url.dot_git
    assert url.fetch_url("github.com") == "https://gitlab.com/g/sub/p.git"
    assert (url.owner, url.name, url.short) == ("g", "p", "gitlab.com/g/sub/p")
    ssh = parse_url("git@localhost:o/x.git")
    assert ssh.fetch_url("localhost:8443") == "https://localhost:8443/o/x.git"
    assert parse_url("git@github.com:o/x").fetch_url("ghe.example") == "https://github.com/o/x"
    for local in ("/srv/git/x.git", "file:///srv/git/x.git", "./x", "sub/dir:x"):
        parsed = parse_url(local)
        assert parsed is None or (parsed.scheme == "file" and not parsed.fetchable)
    assert parse_url("ext::sh -c touch% /tmp/pwned") is None
    assert parse_url("") is None


def test_mirror_relpath():
    assert mirror_relpath(parse_url("https://github.com/Owner/Repo.git")) == Path(
        "dependencies/github.com/owner/repo.git")
    assert mirror_relpath(parse_url("https://localhost:8443/a/b")) == Path("dependencies/localhost_8443/a/b.git")
    assert mirror_relpath(parse_url("https://gitlab.com/g/sub/p")) == Path("dependencies/gitlab.com/g/sub/p.git")
    assert mirror_relpath(parse_url("https://h.example/../../etc/x")) is None
    assert mirror_relpath(parse_url("https://h.example/o/we$ird")) is None


def test_is_excluded():
    url = parse_url("git@github.com:BigCorp/Huge-Assets.git")
    assert is_excluded(url, ["github.com/bigcorp/*"])
    assert is_excluded(url, ["https://github.com/*/huge-*"])
    assert not is_excluded(url, ["gitlab.com/*", "github.com/other/*"])


def test_in_organization():
    assert in_organization(parse_url("https://localhost:8443/v-sekai/x.git"), "localhost:8443", "V-Sekai")
    assert not in_organization(parse_url("https://localhost:9999/V-Sekai/x.git"), "localhost:8443", "V-Sekai")
    assert in_organization(parse_url("git@github.com:V-Sekai/x.git"), "github.com", "V-Sekai")
    assert not in_organization(parse_url("https://github.com/V-Sekai-fork/x"), "github.com", "V-Sekai")
    assert not in_organization(parse_url("https://gitlab.com/V-Sekai/x"), "github.com", "V-Sekai")


def test_parse_gitmodules_and_gitlinks():
    text = ("submodule.a.b.path\nthirdparty/a\0submodule.a.b.url\n../a.git\0"
            "submodule.nopath.url\nx\0core.bare\nfalse\0submodule.c.path\nc/\0submodule.c.url\nhttps://h/c\0")
    mods = parse_gitmodules(text)
    assert [(m.name, m.path, m.url) for m in mods] == [("a.b", "thirdparty/a", "../a.git"),
                                                       ("c", "c", "https://h/c")]
    ls = f"160000 commit {'a' * 40}\tthirdparty/a\x00100644 blob {'b' * 40}\tc\0"
    assert parse_gitlinks(ls) == {"thirdparty/a": "a" * 40}


def test_git_builders():
    repo = Path("/m/x.git")
    argv = git.fetch_dependency(repo, "https://h/o/x.git")
    assert argv[-2:] == git.MIRROR_REFSPECS and "--prune" in argv and "gc.auto=0" in argv
    assert not any(a.startswith("+refs/*") for a in argv)  # --prune must not reach refs/orgbackup
    assert git.fetch_commit_kept(repo, "https://h/o/x.git", "c" * 40)[-1] == (
        f"+{'c' * 40}:refs/orgbackup/kept/{'c' * 40}")
    anonymous = git.anonymous_git_environment()
    assert anonymous["GIT_ASKPASS"] == "" and anonymous["GIT_TERMINAL_PROMPT"] == "0"
    assert not any("TOKEN" in k and v for k, v in anonymous.items())


# ------------------------------------------------- the stage on local repositories


def _context(tmp_path: Path, org: str, **overrides) -> RunContext:
    values = dict(orgs=(org,), token=Secret("ghp_not-a-real-token"), restic_repository=Secret("/x"),
                  restic_password=Secret("x"), cache_dir=tmp_path / "cache",
                  github_host="git.example.invalid", concurrency=4)
    values.update(overrides)
    config = Config(**values)
    (tmp_path / "secrets").mkdir(exist_ok=True)
    files = write_secret_files(config, str(tmp_path / "secrets"))
    return RunContext(config=config, files=files, api=None, started="2026-01-01T00:00:00Z")


def _clone_dir(ctx: RunContext, org: str, name: str) -> Path:
    path = ctx.org_paths(org).repository_dir(name) / "repository"
    path.mkdir(parents=True)
    _git("init", "-q", str(path))
    return path


def _modules(*entries) -> str:
    return "".join(f'[submodule "{p}"]\n\tpath = {p}\n\turl = {u}\n' for p, u in entries)


def config_of(env: dict[str, str]) -> dict[str, str]:
    return {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(int(env["GIT_CONFIG_COUNT"]))}


def test_env_offers_credentials_only_to_the_organizations_repositories_on_the_github_host(tmp_path):
    """A dependency's owner may be anyone: only the organization's own repositories (on the GitHub
    host, over https) get the run's credential helper; every mirror's Git LFS is its own server."""
    stage = deps._Stage(_context(tmp_path, "acme"), "acme")
    ours = stage.env_for("https://git.example.invalid/ACME/x.git")
    assert ours["ORGBACKUP_TOKEN_FILE"] and ours["ORGBACKUP_CREDENTIAL_OWNERS"] == "acme"
    assert config_of(ours)["lfs.url"] == "https://git.example.invalid/ACME/x.git/info/lfs"
    for url in ("https://other.example/o/x.git", "http://git.example.invalid/acme/x.git",
                "https://git.example.invalid:444/acme/x.git", "https://git.example.invalid/someone-else/x.git"):
        env = stage.env_for(url)
        assert env["GIT_ASKPASS"] == "" and env["ORGBACKUP_TOKEN_FILE"] == "", url
        assert not any("helper" in k and v for k, v in config_of(env).items()), url
        assert config_of(env)["lfs.url"] == url + "/info/lfs"


def test_disabled(tmp_path):
    ctx = _context(tmp_path, "acme", dependencies=False)
    assert mirror_dependencies(ctx, "acme", [{"name": "x"}]) == ({"enabled": False}, [])


def test_local_repositories(tmp_path, hermetic_git_env):
    """In-organization submodules are checked in the org's clones, never mirrored; local
    paths are reported; excluded ones listed; 100 branches are read quickly."""
    org = "acme"
    ctx = _context(tmp_path, org, dependencies_exclude=("git.example.invalid/excluded/*",))
    lib = _clone_dir(ctx, org, "lib")
    fi = FastImport()
    lib_c1 = fi.commit("refs/heads/main", {"lib.c": "1\n"}, "lib 1", 1700000000)
    marks = fi.run(lib / ".git")
    lib_sha = marks[lib_c1]

    app = _clone_dir(ctx, org, "app")
    fi = FastImport()
    modules = _modules(("vendor/lib", "../lib.git"), ("vendor/local", "/srv/git/local.git"),
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
    ctx = _context(tmp_path, org)
    app = _clone_dir(ctx, org, "app")
    fi = FastImport()
    fi.commit("refs/heads/main", {".gitmodules": _modules(("vendor/lib", "https://127.0.0.1:9/o/lib.git")),
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
    fi.commit("refs/heads/next", {".gitmodules": _modules(("vendor/lib", "https://127.0.0.1:9/o/lib.git")),
                                  "vendor/lib": Gitlink("b" * 40)}, "next", 1700000100)
    fi.run(app / ".git")
    moved, _ = mirror_dependencies(ctx, org, [{"name": "app"}])
    assert [i["missing_commits"] for i in moved["items"]] == [sorted(["a" * 40, "b" * 40])]


def test_depth_limit_and_unparsable_url(tmp_path, hermetic_git_env):
    """depth 1: direct dependencies are recorded; nothing is fetched from a
    dependency's own submodules (here the fetch fails: nothing listens)."""
    org = "acme"
    ctx = _context(tmp_path, org, github_host="127.0.0.1:9", dependencies_depth=1, stall_seconds=30)
    app = _clone_dir(ctx, org, "app")
    fi = FastImport()
    fi.commit("refs/heads/main", {".gitmodules": _modules(("a", "../../other/a.git"), ("b", "ext::sh"),
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


# ---------------------------------------------------------- on the GitHub emulator


def _refs(repo: Path) -> dict[str, str]:
    return git.parse_ref_lines(_git(*git.for_each_ref(repo)[1:]))


def _sub_head(path: Path) -> str:
    return _git("-C", str(path), "rev-parse", "HEAD").strip()


def test_on_the_emulator(github_emulator, world_root, tmp_path, monkeypatch):
    from orgbackup.backup.stages.github_backup import back_up_repositories
    from orgbackup.backup.stages.verify_repair import verify_and_repair
    from tests.github_emulator import force_push_away
    from tests.helpers_run import make_context

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
        assert _git("-C", str(mirror), "rev-parse", "--is-bare-repository").strip() == "true"
        assert _refs(mirror) == truth[org_name]["repos"][name]["refs"]
        assert "token" not in (mirror / "config").read_text().lower()
        assert _git("-C", str(mirror), "for-each-ref", "refs/orgbackup") == ""  # on a branch: no pin

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
    assert _refs(mirror)["refs/heads/main"] == lost["new"]
    kept = _git("-C", str(mirror), "for-each-ref", "--format=%(objectname) %(refname)", "refs/orgbackup")
    assert kept.split() == [libfoo_sha, f"refs/orgbackup/kept/{libfoo_sha}"]
    # a third run (the mirror's gc included) still holds it
    _git("-C", str(mirror), "gc", "--quiet", "--prune=now")
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
        _git("config", "--global", f"url.{path}.insteadOf", url)
    checked = 0
    for name, subs in (("godot", [("thirdparty/libfoo", libfoo_sha), ("thirdparty/libfoo/vendor/libbaz",
                                                                       libbaz_sha)]),
                       ("game", [("lib", shared_sha)])):
        work = restored / name
        _git("clone", "-q", str(ctx.org_paths(org).repository_dir(name) / "repository"), str(work))
        _git("-C", str(work), "remote", "set-url", "origin", git.repo_url(ctx.config.git_url, org, name))
        for ref in truth[org]["repos"][name]["refs"]:
            if not ref.startswith(("refs/heads/", "refs/tags/")):
                continue
            _git("-C", str(work), "checkout", "-q", "--detach", ref.replace("refs/heads/", "refs/remotes/origin/"))
            _git("-C", str(work), "-c", "protocol.file.allow=always", "submodule", "--quiet", "update",
                 "--init", "--recursive")
            for path, sha in subs:
                assert _sub_head(work / path) == sha, (name, ref, path)
            checked += 1
    assert checked >= 10


def test_dependency_with_lfs_on_the_emulator(github_emulator, world_root, tmp_path, monkeypatch):
    """For an organization `acme`, V-Sekai/assets-lfs is a dependency: mirrored with
    every LFS object of every branch."""
    from tests.helpers_run import make_context

    truth = json.loads((world_root / "truth.json").read_text())["orgs"]["V-Sekai"]["repos"]["assets-lfs"]
    ctx = make_context(github_emulator, tmp_path, monkeypatch, orgs=("acme",))
    app = _clone_dir(ctx, "acme", "app")
    fi = FastImport()
    fi.commit("refs/heads/main", {".gitmodules": _modules(("assets", f"https://{github_emulator.host}/V-Sekai/assets-lfs.git")),
                                  "assets": Gitlink(truth["refs"]["refs/heads/main"])}, "app", 1700000000)
    fi.run(app / ".git")
    result, problems = mirror_dependencies(ctx, "acme", [{"name": "app"}])
    assert problems == [] and result["commits_present"] == 1
    mirror = ctx.org_paths("acme").root / result["items"][0]["path"]
    assert _refs(mirror) == {r: s for r, s in truth["refs"].items() if r.startswith(("refs/heads/", "refs/tags/"))}
    for oid in truth["lfs_oids"]:
        assert git.lfs_object_path(mirror, oid).is_file(), oid
    assert _git("-C", str(mirror), "symbolic-ref", "HEAD").strip() == "refs/heads/main"


def test_cycles_depth_and_a_foreign_host_on_the_emulator(github_emulator, world_root, tmp_path, monkeypatch):
    """cyc/a and cyc/b reference each other (a@a2 -> b@b1 -> a@a1 -> b@b0): each is mirrored
    once and every commit of the chain is found; the depth limit stops the walk. The
    emulator also answers as 127.0.0.1: a host that is not the GitHub host, which gets
    no credentials (its public repositories are fetched, a private one is not)."""
    from tests.github_emulator.builder import Builder
    from tests.github_emulator.store import load_world
    from tests.helpers_run import make_context

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
    commit("a", "a1", {".gitmodules": _modules(("sub/b", "../b.git")), "sub/b": Gitlink(sha["b0"])})
    commit("b", "b1", {".gitmodules": _modules(("a", "../a.git")), "a": Gitlink(sha["a1"])}, sha["b0"])
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
        app = _clone_dir(ctx, "acme", "app")
        fi = FastImport()
        fi.commit("refs/heads/main", {
            ".gitmodules": _modules(("a", f"https://{foreign}/cyc/a.git"),
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


def _app_using_libfoo(ctx, emulator, world_root) -> str:
    """An organization `acme` whose app has upstream-deps/libfoo as a submodule; its commit."""
    truth = json.loads((world_root / "truth.json").read_text())["orgs"]
    sha = truth["V-Sekai"]["repos"]["godot"]["submodules"][0]["commit"]
    app = _clone_dir(ctx, "acme", "app")
    fi = FastImport()
    fi.commit("refs/heads/main", {".gitmodules": _modules(("lib", f"https://{emulator.host}/upstream-deps/libfoo.git")),
                                  "lib": Gitlink(sha)}, "app", 1700000000)
    fi.run(app / ".git")
    return sha


def test_an_interrupted_first_mirror_is_kept_and_completed_next_run(github_emulator, world_root, tmp_path,
                                                                    monkeypatch):
    """The first fetch of a dependency stalls and is ended (git's low-speed limit): the
    mirror stays (a refused one would not), and the next run completes it in place."""
    from tests.helpers_run import make_context

    ctx = make_context(github_emulator, tmp_path, monkeypatch, orgs=("acme",), stall_seconds=2,
                       dependencies_depth=1)
    sha = _app_using_libfoo(ctx, github_emulator, world_root)
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
    assert _refs(mirror) == truth["refs"]
