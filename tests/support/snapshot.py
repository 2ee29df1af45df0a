"""Make a snapshot the way the backup run does (docs/architecture.md), without GitHub.

    repo = init_restic_repo(tmp_path / "restic")
    cache = tmp_path / "cache"
    made = make_org_cache(cache, "acme", [RepoSpec("alpha"), RepoSpec("beta", lfs=False, wiki=False)])
    snapshot_id = take_snapshot(cache, "acme", repo)

`make_org_cache` writes CACHE/<ORG>/ with github-backup/repositories/<NAME>/
(a real non-bare clone: local branches, lightweight and annotated tags, LFS
objects in .git/lfs/objects on more than one branch; a wiki clone; issues,
pulls, releases with an asset), gitim/<ORG>/<NAME>, a dependency mirror and
manifest.json with the refs as `git for-each-ref` reports them.  Change the
cache afterwards (break something, add a branch) and call `write_manifest`
again when the manifest must follow.  `take_snapshot` runs `restic backup`
with the run's own builder, cwd=CACHE and path <ORG>, so the tree starts at /<ORG>/.

Git must run hermetically: call `hermetic_git_environ(home)` and put its values
into os.environ (monkeypatch) first.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from orgbackup.tools import process, restic, restic_output
from orgbackup.git import argv as orgbackup_git

HOST = "github-org-backup"
FIXED_DATE = "2026-11-25T03:00:00Z"


def hermetic_git_environ(home: Path) -> dict[str, str]:
    """Variables for a hermetic git: HOME in tmp, no system config, fixed author and dates."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_AUTHOR_NAME": "Backup Test",
        "GIT_AUTHOR_EMAIL": "backup-test@example.invalid",
        "GIT_COMMITTER_NAME": "Backup Test",
        "GIT_COMMITTER_EMAIL": "backup-test@example.invalid",
        "GIT_AUTHOR_DATE": FIXED_DATE,
        "GIT_COMMITTER_DATE": FIXED_DATE,
    }


def git(*args, cwd=None) -> str:
    return subprocess.run(
        ("git",) + tuple(str(a) for a in args), cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def install_lfs_filters() -> None:
    """`git lfs install` into the hermetic HOME, so clones smudge LFS files."""
    git("lfs", "install", "--skip-repo")


# restic


@dataclass(frozen=True)
class ResticRepo:
    path: Path
    password: str
    password_file: Path
    repository_file: Path

    @property
    def env(self) -> dict[str, str]:
        """For restic itself (process.run strips RESTIC_PASSWORD / RESTIC_REPOSITORY)."""
        return {
            "RESTIC_REPOSITORY_FILE": str(self.repository_file),
            "RESTIC_PASSWORD_FILE": str(self.password_file),
        }

    def config_environ(self, **extra: str) -> dict[str, str]:
        """For orgbackup.cli.main(..., environ=...)."""
        return {"RESTIC_REPOSITORY": str(self.path), "RESTIC_PASSWORD": self.password, **extra}


def init_restic_repo(path: Path, password: str = "correct horse battery staple") -> ResticRepo:
    path.parent.mkdir(parents=True, exist_ok=True)
    secrets = path.parent / f"{path.name}-secrets"
    secrets.mkdir(exist_ok=True)
    (secrets / "password").write_text(password + "\n")
    (secrets / "repository").write_text(str(path) + "\n")
    repo = ResticRepo(path, password, secrets / "password", secrets / "repository")
    process.run(restic.init(), env=repo.env, timeout=120)
    return repo


def backup_at(cwd: Path, path: str, when, tags: list[str], env: dict, host: str = HOST) -> str:
    """A real snapshot of `cwd/path` dated `when` (a datetime; restic reads --time in local
    time: set TZ=UTC); `env` holds restic's repository and password. Returns the short id."""
    argv = restic.backup([path], host=host, tags=tags)
    argv = argv[:2] + ("--time", when.strftime("%Y-%m-%d %H:%M:%S")) + argv[2:]
    result = subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return restic_output.short_id(restic_output.parse_backup_summary(result.stdout)["snapshot_id"])


def seed(work: Path, env: dict, org: str, when, complete: bool = True) -> str:
    """A snapshot of the organization as the backup tags it, dated `when`, with data of its own
    (so that forgetting it leaves packs for prune to delete), made in `work`; its short id."""
    folder = work / org
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.bin").write_bytes(os.urandom(32 * 1024))
    return backup_at(work, org, when, [f"org:{org}", "complete" if complete else "incomplete"], env)


def take_snapshot(
    cache: Path, org: str, repo: ResticRepo, *, complete: bool = True, host: str = HOST
) -> str:
    """`restic backup` of CACHE/<ORG> as the run does it; returns the snapshot's short id."""
    tags = [f"org:{org}", "complete" if complete else "incomplete", "orgbackup:test"]
    argv = restic.backup([org], host=host, tags=tags)
    result = process.run(argv, cwd=cache, env=repo.env, timeout=300)
    return restic_output.short_id(restic_output.parse_backup_summary(result.stdout)["snapshot_id"])


# The cache of one organization


@dataclass
class RepoSpec:
    name: str
    lfs: bool = True
    wiki: bool = True
    gitim: bool = True
    branches: tuple[str, ...] = ("dev", "feature/x")


@dataclass
class MadeRepo:
    name: str
    refs: dict[str, str]
    wiki_refs: dict[str, str] | None
    lfs_oids: list[str] = field(default_factory=list)
    lfs_contents: dict[str, bytes] = field(default_factory=dict)  # path in the tree -> bytes


def repository_dir(cache: Path, org: str, name: str) -> Path:
    return cache / org / "github-backup" / "repositories" / name


def make_org_cache(cache: Path, org: str, specs: list[RepoSpec], *, dependency: bool = True) -> dict[str, MadeRepo]:
    org_dir = cache / org
    made = {spec.name: make_repository(cache, org, spec) for spec in specs}
    if dependency and specs:
        mirror = org_dir / "dependencies" / "github.com" / "someone-else" / "lib.git"
        mirror.parent.mkdir(parents=True, exist_ok=True)
        git("clone", "--quiet", "--mirror", repository_dir(cache, org, specs[0].name) / "repository", mirror)
    write_manifest(cache, org)
    return made


def make_repository(cache: Path, org: str, spec: RepoSpec) -> MadeRepo:
    folder = repository_dir(cache, org, spec.name)
    clone = folder / "repository"
    clone.mkdir(parents=True)
    rnd = random.Random(f"{org}/{spec.name}")
    git("init", "--quiet", "--initial-branch", "main", clone)
    git("remote", "add", "origin", f"https://github.com/{org}/{spec.name}.git", cwd=clone)
    made = MadeRepo(spec.name, {}, None)
    if spec.lfs:
        git("lfs", "install", "--local", cwd=clone)
        git("lfs", "track", "*.bin", cwd=clone)
    (clone / "README.md").write_text(f"# {spec.name}\n")
    if spec.lfs:
        made.lfs_contents["model.bin"] = rnd.randbytes(100_000)
        (clone / "model.bin").write_bytes(made.lfs_contents["model.bin"])
    git("add", "-A", cwd=clone)
    git("commit", "--quiet", "-m", "first", cwd=clone)
    git("tag", "v1.0", cwd=clone)
    git("tag", "-a", "v1.1", "-m", "annotated", cwd=clone)
    for i, branch in enumerate(spec.branches):
        git("checkout", "--quiet", "-b", branch, "main", cwd=clone)
        (clone / f"{branch.replace('/', '-')}.txt").write_text(f"{spec.name} {branch}\n")
        if spec.lfs and i == 0:  # an LFS object that only a branch other than HEAD needs
            made.lfs_contents[f"{branch}.bin"] = rnd.randbytes(50_000)
            (clone / f"{branch}.bin").write_bytes(made.lfs_contents[f"{branch}.bin"])
        git("add", "-A", cwd=clone)
        git("commit", "--quiet", "-m", f"on {branch}", cwd=clone)
    git("checkout", "--quiet", "main", cwd=clone)
    made.refs = read_refs(clone)
    if spec.lfs:
        out = git("lfs", "ls-files", "--all", "--long", cwd=clone)
        made.lfs_oids = sorted({line.split()[0] for line in out.splitlines() if line.strip()})
    if spec.wiki:
        wiki = folder / "wiki"
        git("init", "--quiet", "--initial-branch", "master", wiki)
        (wiki / "Home.md").write_text(f"Welcome to {spec.name}\n")
        git("add", "-A", cwd=wiki)
        git("commit", "--quiet", "-m", "wiki", cwd=wiki)
        git("remote", "add", "origin", f"https://github.com/{org}/{spec.name}.wiki.git", cwd=wiki)
        made.wiki_refs = read_refs(wiki)
    write_metadata(folder, spec.name)
    if spec.gitim:
        gitim = cache / org / "gitim" / org / spec.name
        gitim.parent.mkdir(parents=True, exist_ok=True)
        git("clone", "--quiet", clone, gitim)
        git("remote", "set-url", "origin", f"https://github.com/{org}/{spec.name}.git", cwd=gitim)
    return made


def write_metadata(folder: Path, name: str) -> None:
    for n in (1, 2):
        dump(folder / "issues" / f"{n}.json", {"number": n, "title": f"issue {n} of {name}", "comment_data": []})
    dump(folder / "pulls" / "3.json", {"number": 3, "title": "a change", "comment_data": [], "commit_data": []})
    dump(folder / "pulls" / "3.conversation.json", [{"body": "looks good"}])
    dump(folder / "labels" / "labels.json", [{"name": "bug"}])
    dump(folder / "releases" / "v1.0.json", {"tag_name": "v1.0", "assets": [{"name": "notes.json"}]})
    asset = folder / "releases" / "v1.0" / "notes.json"
    asset.parent.mkdir(parents=True, exist_ok=True)
    asset.write_text("a release asset is the user's file, not JSON github-backup wrote {")


def dump(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def read_refs(repo: Path) -> dict[str, str]:
    """Branches and tags as manifest.json records them (the product's own builder and parser)."""
    return orgbackup_git.parse_ref_lines(process.run(orgbackup_git.for_each_ref(repo)).stdout)


def write_manifest(cache: Path, org: str, *, complete: bool = True) -> dict:
    """manifest.json (format 1) describing what is in CACHE/<ORG> now."""
    repos = {}
    base = cache / org / "github-backup" / "repositories"
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        clone, wiki = folder / "repository", folder / "wiki"
        gitim = cache / org / "gitim" / org / folder.name
        lfs = git("lfs", "ls-files", "--all", "--long", cwd=clone) if clone.is_dir() else ""
        repos[folder.name] = {
            "private": False, "fork": False, "archived": False, "empty": False,
            "default_branch": "main",
            "refs": read_refs(clone),
            "wiki": {"refs": read_refs(wiki)} if wiki.is_dir() else None,
            "lfs_objects": len({line.split()[0] for line in lfs.splitlines() if line.strip()}),
            "issues": len(list((folder / "issues").glob("*.json"))),
            "pulls": 1, "pull_conversation_comments": 1, "releases": 1, "release_assets": 1,
            "gitim": {"head": git("rev-parse", "HEAD", cwd=gitim).strip(), "branch": "main"}
            if gitim.is_dir() else None,
            "problems": [],
        }
    manifest = {
        "format": 1,
        "org": org,
        "started": FIXED_DATE,
        "finished": FIXED_DATE,
        "complete": complete,
        "tool_versions": {"orgbackup": "test"},
        "hooks": {"backed_up": False, "reason": "test"},
        "repositories": repos,
        "dependencies": {"repositories": 1, "commits_referenced": 0, "commits_present": 0, "items": []},
        "problems": [],
    }
    dump(cache / org / "manifest.json", manifest)
    return manifest


# Breaking things on purpose


def remove_loose_object(clone: Path, rev: str) -> str:
    """Delete the loose object `rev` names (e.g. 'dev:dev.txt'); returns its id."""
    oid = git("rev-parse", rev, cwd=clone).strip()
    (clone / ".git" / "objects" / oid[:2] / oid[2:]).unlink()
    return oid


def corrupt_lfs_object(clone: Path, oid: str) -> None:
    path = clone / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def damage_largest_pack(repo: ResticRepo) -> Path:
    """Flip bytes in the middle of the restic repository's largest data pack."""
    packs = [p for p in (repo.path / "data").glob("*/*") if p.is_file()]
    pack = max(packs, key=lambda p: p.stat().st_size)
    os.chmod(pack, 0o644)
    data = bytearray(pack.read_bytes())
    middle = len(data) // 2
    for i in range(middle, middle + 64):
        data[i] ^= 0xFF
    pack.write_bytes(bytes(data))
    return pack
