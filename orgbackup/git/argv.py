"""Pure builders of git and git-lfs argument tuples, and readers of what git prints.

Nothing here runs a program: orgbackup/git/run.py does, in the environment of
orgbackup/git/environment.py.  What is read from a repository's files without git is in
orgbackup/git/on_disk.py; the pushes of restore-to-github are in
orgbackup/actions/restore_to_github/git_push.py.  Imported as `git`:
`from orgbackup.git import argv as git`, so that `git.clone(url, dest)` reads as what it builds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path


# Refs a backup keeps: branches and tags (pull request refs are GitHub's, not the project's).
BACKED_UP_REF_PREFIXES = ("refs/heads/", "refs/tags/")
MIRROR_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")


def _stall_line(stderr: str) -> str | None:
    for line in stderr.splitlines():
        # curl 28 (git's low-speed limit), or the run's watchdog (process.run's idle_timeout)
        if "Operation too slow" in line or "Operation timed out" in line or " made no progress for " in line:
            return line.strip()
    return None


def stalled(stderr: str) -> bool:
    """git's low-speed limit (curl 28) or the watchdog ended the transfer, as opposed to a refusal."""
    return _stall_line(stderr) is not None


def failure_reason(stderr: str) -> str:
    """Why a git call failed, in one line: a stalled transfer said plainly (git's own
    last line is then only "the remote end hung up"), else git's last line."""
    if stalled(stderr):
        return f"the transfer stalled and was ended ({_stall_line(stderr)})"
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ""


# .lfsconfig's keys that move Git LFS to another server (git-lfs reads only lfs.* and these)
_LFS_SERVER_KEYS = re.compile(r"^(lfs\.url|lfs\.pushurl|remote\..+\.lfs(push)?url)$", re.IGNORECASE)


def other_lfs_servers(config_list: str, url: str) -> list[str]:
    """The servers a `.lfsconfig` (`git config --null --list` of its blob) names that are not the
    repository's own LFS server (`lfs_endpoint(url)`)."""
    own = {lfs_endpoint(url).lower().rstrip("/"), url.lower().rstrip("/")}
    servers = []
    for item in config_list.split("\0"):
        key, _, value = item.partition("\n")
        if _LFS_SERVER_KEYS.match(key) and value.strip().lower().rstrip("/") not in own:
            servers.append(value.strip())
    return sorted(set(servers))


def lfs_endpoint(url: str) -> str:
    """Git LFS's server for the repository at `url`, as GitHub serves it."""
    return f"{url}/info/lfs"


def repo_url(git_url: str, owner: str, name: str) -> str:
    return f"{git_url}/{owner}/{name}.git"


def wiki_url(git_url: str, owner: str, name: str) -> str:
    # Not `.replace('.git', '.wiki.git')` as github-backup 0.40.0 does: that breaks *.github.io.
    return f"{git_url}/{owner}/{name}.wiki.git"


def ls_remote(url: str) -> tuple[str, ...]:
    return ("git", "ls-remote", "--heads", "--tags", url)


def for_each_ref(repo: Path, prefixes=BACKED_UP_REF_PREFIXES) -> tuple[str, ...]:
    return ("git", "-C", str(repo), "for-each-ref", "--format=%(objectname) %(refname)") + tuple(
        p.rstrip("/") for p in prefixes
    )


def fetch_mirror_refs(repo: Path, url: str, *, prune: bool = True) -> tuple[str, ...]:
    """Fetch every branch into a local branch and every tag, as GitHub has them.

    `--update-head-ok` because the clone's checked-out branch moves too; the
    working tree is reset afterwards by `reset_worktree`.
    """
    return (
        ("git", "-C", str(repo), "fetch", "--force", "--update-head-ok", "--no-write-fetch-head")
        + (("--prune", "--prune-tags") if prune else ())
        + (url,)
        + MIRROR_REFSPECS
    )


def reset_worktree(repo: Path) -> tuple[str, ...]:
    return ("git", "-C", str(repo), "reset", "--quiet", "--hard", "HEAD")


def clone(url: str, dest: Path) -> tuple[str, ...]:
    return ("git", "clone", "--quiet", url, str(dest))


def clone_mirror(url: str, dest: Path) -> tuple[str, ...]:
    return ("git", "clone", "--quiet", "--mirror", url, str(dest))


def set_remote_url(repo: Path, url: str, remote: str = "origin") -> tuple[str, ...]:
    return ("git", "-C", str(repo), "remote", "set-url", remote, url)


def get_remote_urls(repo: Path) -> tuple[str, ...]:
    return ("git", "-C", str(repo), "config", "--get-regexp", r"^remote\..*\.url$")


def lfs_fetch_all(repo: Path, url: str | None = None) -> tuple[str, ...]:
    return ("git", "-C", str(repo), "lfs", "fetch", "--all") + ((url,) if url else ())


def lfs_pull(repo: Path) -> tuple[str, ...]:
    """Check out HEAD's LFS files, downloading the objects that are not there yet."""
    return ("git", "-C", str(repo), "lfs", "pull")


def lfs_ls_all_oids(repo: Path) -> tuple[str, ...]:
    """Every LFS object any ref needs (`--all` reads every ref's history)."""
    return ("git", "-C", str(repo), "lfs", "ls-files", "--all", "--long")


def fsck(repo: Path) -> tuple[str, ...]:
    """Every object read and hashed, every link followed (the full check)."""
    return ("git", "-C", str(repo), "fsck", "--no-progress", "--no-dangling")


def fsck_connectivity(repo: Path) -> tuple[str, ...]:
    """Every ref's history reachable (commits and trees read, blobs only looked up): cheap."""
    return ("git", "-C", str(repo), "fsck", "--no-progress", "--no-dangling", "--connectivity-only")


def verify_pack(repo: Path, pack: Path) -> tuple[str, ...]:
    """One pack file whole: its checksum and every object in it."""
    return ("git", "-C", str(repo), "verify-pack", str(pack))


def clone_no_checkout(url: str, dest: Path) -> tuple[str, ...]:
    """A clone whose work tree is written later (`reset_worktree`), so that LFS objects
    put into it first are not downloaded again by the checkout."""
    return ("git", "clone", "--quiet", "--no-checkout", url, str(dest))


def parse_ref_lines(text: str) -> dict[str, str]:
    """'<sha> <ref>' or '<sha>\\t<ref>' lines -> {ref: sha}; peeled '^{}' lines dropped."""
    refs: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) != 2:
            continue
        sha, ref = parts[0], parts[1].strip()
        if ref.endswith("^{}") or not ref.startswith(BACKED_UP_REF_PREFIXES):
            continue
        refs[ref] = sha
    return refs


def lfs_ls_all_sizes(repo: Path) -> tuple[str, ...]:
    """Every LFS object any ref needs, with the size its pointer names (git-lfs 3.3+)."""
    return ("git", "-C", str(repo), "lfs", "ls-files", "--all", "--json")


def parse_lfs_sizes(text: str) -> dict[str, int]:
    """`git lfs ls-files --json`: {oid: size} (ValueError when it is not that JSON)."""
    files = json.loads(text or "{}").get("files") or []
    return {f["oid"]: int(f["size"]) for f in files if len(str(f.get("oid", ""))) == 64}


def lfs_smudge(repo: Path) -> tuple[str, ...]:
    """Download one LFS object (its pointer on standard input) into the clone's LFS store."""
    return ("git", "-C", str(repo), "lfs", "smudge")


def lfs_pointer(oid: str, size: int) -> str:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n"


def lfs_checkout(repo: Path) -> tuple[str, ...]:
    """Check out HEAD's LFS files from the objects the clone has (never the network)."""
    return ("git", "-C", str(repo), "lfs", "checkout")


def parse_lfs_oids(text: str) -> set[str]:
    """`git lfs ls-files --long` lines: '<oid64> <*|-> <path>'."""
    oids = set()
    for line in text.splitlines():
        oid = line.split(" ", 1)[0].strip()
        if len(oid) == 64:
            oids.add(oid)
    return oids


def lfs_object_path(git_dir: Path, oid: str) -> Path:
    return git_dir / "lfs" / "objects" / oid[:2] / oid[2:4] / oid


def absolute_git_dir(repo: Path) -> tuple[str, ...]:
    """Prints the repository's git folder; fails when `repo` is not a repository."""
    return ("git", "-C", str(repo), "rev-parse", "--absolute-git-dir")


def resolve_head(repo: Path) -> tuple[str, ...]:
    """Succeeds (printing the commit) only when HEAD points at an existing commit."""
    return ("git", "-C", str(repo), "rev-parse", "--verify", "--quiet", "HEAD^{commit}")


def point_head(repo: Path, ref: str) -> tuple[str, ...]:
    """Make HEAD a symbolic ref to `ref` (refs/heads/NAME), e.g. after its branch vanished."""
    return ("git", "-C", str(repo), "symbolic-ref", "HEAD", ref)


def parse_remote_urls(text: str) -> dict[str, str]:
    """`git config --get-regexp ^remote\\..*\\.url$` lines -> {remote name: url}."""
    remotes: dict[str, str] = {}
    for line in text.splitlines():
        key, _, url = line.partition(" ")
        if key.startswith("remote.") and key.endswith(".url"):
            remotes[key[len("remote."):-len(".url")]] = url.strip()
    return remotes


def fetch_branches_as_remote(repo: Path, url: str, remote: str = "origin") -> tuple[str, ...]:
    """Every branch of `url` into refs/remotes/<remote>/*; the local branches do not move."""
    return ("git", "-C", str(repo), "fetch", "--quiet", "--prune", "--no-tags", url,
            f"+refs/heads/*:refs/remotes/{remote}/*")


def rev_parse(repo: Path, rev: str) -> tuple[str, ...]:
    """The commit `rev` names; exit status 1 and no output when it does not exist."""
    return ("git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")


def head_ref(repo: Path) -> tuple[str, ...]:
    """The branch HEAD points at ('refs/heads/main'); exit status 1 when detached."""
    return ("git", "-C", str(repo), "symbolic-ref", "--quiet", "HEAD")


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> tuple[str, ...]:
    """Exit status 0 when `descendant` fast-forwards from `ancestor`, 1 when not."""
    return ("git", "-C", str(repo), "merge-base", "--is-ancestor", ancestor, descendant)


def merge_base(repo: Path, one: str, other: str) -> tuple[str, ...]:
    """The best common ancestor of two commits (one sha printed); exit status 1 when they have none."""
    return ("git", "-C", str(repo), "merge-base", one, other)


def update_ref(repo: Path, ref: str, sha: str) -> tuple[str, ...]:
    return ("git", "-C", str(repo), "update-ref", ref, sha)


def status_porcelain(repo: Path) -> tuple[str, ...]:
    return ("git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all")


def stash_everything(repo: Path, message: str) -> tuple[str, ...]:
    """Keep local changes (untracked files too) in refs/stash before the work tree moves."""
    return ("git", "-C", str(repo), "-c", "user.name=orgbackup", "-c", "user.email=orgbackup@localhost",
            "stash", "push", "--quiet", "--include-untracked", "--message", message)


def checkout_branch_at(repo: Path, branch: str, sha: str) -> tuple[str, ...]:
    """Point `branch` at `sha`, check it out and update the work tree (keeps the reflog)."""
    return ("git", "-C", str(repo), "checkout", "--quiet", "-B", branch, sha, "--")


def set_upstream(repo: Path, branch: str, remote: str = "origin") -> tuple[str, ...]:
    return ("git", "-C", str(repo), "branch", "--quiet", f"--set-upstream-to={remote}/{branch}", branch)


def config_file_list(config_file: Path) -> tuple[str, ...]:
    """Every 'key value' of one config file, NUL-separated (values may hold anything)."""
    return ("git", "config", "--file", str(config_file), "--null", "--list")


def config_file_unset_all(config_file: Path, key: str) -> tuple[str, ...]:
    return ("git", "config", "--file", str(config_file), "--unset-all", key)


def config_file_add(config_file: Path, key: str, value: str) -> tuple[str, ...]:
    return ("git", "config", "--file", str(config_file), "--add", key, value)


KEPT_REF_PREFIX = "refs/orgbackup/kept/"  # commits the organization references, pinned in a mirror


def batch_check(repo: Path) -> tuple[str, ...]:
    """Reads '<object name>' lines on stdin, prints '<sha> <type>' or '<name> missing' for each."""
    return ("git", "-C", str(repo), "cat-file", "--batch-check=%(objectname) %(objecttype)")


def batch_contents(repo: Path) -> tuple[str, ...]:
    """Reads object names on stdin, prints '<sha> <type> <size>\\n<contents>\\n' for each."""
    return ("git", "-C", str(repo), "cat-file", "--batch")


def config_blob_list(repo: Path, blob: str) -> tuple[str, ...]:
    """Every 'key\\nvalue' of a config file stored as a blob (.gitmodules), NUL-separated."""
    return ("git", "-C", str(repo), "config", "--blob", blob, "--null", "--list")


def ls_tree_paths(repo: Path, tree: str, paths) -> tuple[str, ...]:
    """The entries at exactly these paths of a tree (gitlinks show as mode 160000), NUL-separated."""
    return ("git", "--literal-pathspecs", "-C", str(repo), "ls-tree", "-z", "--full-tree", tree,
            "--") + tuple(paths)


def init_bare(dest: Path) -> tuple[str, ...]:
    return ("git", "init", "--quiet", "--bare", str(dest))


def config_set(repo: Path, key: str, value: str) -> tuple[str, ...]:
    return ("git", "-C", str(repo), "config", key, value)


def fetch_dependency(repo: Path, url: str) -> tuple[str, ...]:
    """Every branch and tag of `url` into a bare mirror, pruning what upstream deleted.

    Explicit refspecs (not a mirror's `+refs/*:refs/*`) so `--prune` never touches
    refs/orgbackup/kept/*; no automatic gc, so no object goes away during the run.
    """
    return ("git", "-c", "gc.auto=0", "-c", "maintenance.auto=false", "-C", str(repo), "fetch",
            "--quiet", "--force", "--no-write-fetch-head", "--prune", "--prune-tags", url) + MIRROR_REFSPECS


def fetch_commit_kept(repo: Path, url: str, sha: str) -> tuple[str, ...]:
    """One commit by its name (servers that allow it) into refs/orgbackup/kept/<sha>."""
    return ("git", "-c", "gc.auto=0", "-c", "maintenance.auto=false", "-C", str(repo), "fetch",
            "--quiet", "--no-tags", "--no-write-fetch-head", url, f"+{sha}:{KEPT_REF_PREFIX}{sha}")


def update_refs_stdin(repo: Path) -> tuple[str, ...]:
    """Reads `update-ref --stdin` commands ('update REF SHA', 'delete REF') on stdin."""
    return ("git", "-C", str(repo), "update-ref", "--stdin")


def not_on_branches_or_tags(repo: Path) -> tuple[str, ...]:
    """Reads commits on stdin; prints those (and their history) no branch or tag reaches."""
    return ("git", "-C", str(repo), "rev-list", "--stdin", "--not", "--branches", "--tags")


def lfs_fetch_all_from(repo: Path, remote: str = "origin") -> tuple[str, ...]:
    return ("git", "-C", str(repo), "lfs", "fetch", "--all", remote)


def rev_parse_head(repo: Path) -> tuple[str, ...]:
    return ("git", "-C", str(repo), "rev-parse", "--verify", "--quiet", "HEAD")


def probe_commit(repo: Path, url: str, sha: str) -> tuple[str, ...]:
    """Fetch one commit by name into a scratch repository: succeeds only when the server
    still has it (a fetch into a repository that already holds it would not ask)."""
    return ("git", "-C", str(repo), "fetch", "--quiet", "--no-tags", "--no-write-fetch-head",
            "--depth=1", "--filter=tree:0", url, sha)
