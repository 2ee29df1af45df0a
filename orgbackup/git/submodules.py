"""Reading submodules out of a repository through git: `.gitmodules` and the gitlinks
at given commits, deduplicated so that a hundred branches cost a few git calls.

Parsers of git's output are pure; the readers run local git only (no network). A clone's
scan is remembered by its refs (`scan_submodules_remembered`, CACHE/.state/<ORG>/submodule-scans/).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from orgbackup.git.run import run_git
from orgbackup.tools import process
from orgbackup.git import argv as git
from orgbackup.git.clones import refs_digest
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.git.submodule_urls import normalize_url, resolve_url

GITLINK_MODE = "160000"


@dataclass(frozen=True)
class Submodule:
    name: str
    path: str
    url: str


def parse_gitmodules(text: str) -> list[Submodule]:
    """`git config --blob B --null --list` output -> the submodules having a path and a url."""
    fields: dict[str, dict[str, str]] = {}
    for entry in text.split("\0"):
        key, _, value = entry.partition("\n")
        if not key.startswith("submodule.") or key.count(".") < 2:
            continue
        name, _, var = key[len("submodule."):].rpartition(".")
        if var in ("path", "url"):
            fields.setdefault(name, {})[var] = value
    return [
        Submodule(name, f["path"].strip("/"), f["url"])
        for name, f in fields.items()
        if f.get("path") and f.get("url")
    ]


def parse_gitlinks(text: str) -> dict[str, str]:
    """`git ls-tree -z` output -> {path: commit} for the gitlinks (mode 160000)."""
    links = {}
    for entry in text.split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[0] == GITLINK_MODE:
            links[path] = parts[2]
    return links


def parse_batch_check(text: str, names: list[str]) -> dict[str, tuple[str, str] | None]:
    """`cat-file --batch-check` lines (in input order) -> {name: (sha, type) or None}."""
    result: dict[str, tuple[str, str] | None] = {}
    for name, line in zip(names, text.splitlines()):
        parts = line.split(" ")
        known = len(parts) == 2 and parts[1] in ("commit", "tree", "blob", "tag")
        result[name] = (parts[0], parts[1]) if known else None
    return result


# ----------------------------------------------------------- reading repositories


@dataclass(frozen=True)
class Reference:
    """One submodule of one superproject commit: which commit of which repository."""

    url: str  # absolute (relative ones resolved), as written
    commit: str
    where: str  # "V-Sekai/godot refs/heads/main:thirdparty/libfoo"


def object_types(repo: Path, names: list[str]) -> dict[str, tuple[str, str] | None]:
    """{name: (sha, type)} for object names (`<sha>^{commit}`, `<commit>:<path>`); None: missing."""
    if not names:
        return {}
    out = run_git(git.batch_check(repo), input="".join(n + "\n" for n in names)).stdout
    return parse_batch_check(out, names)


def present_commits(repo: Path, shas) -> set[str]:
    """Those of `shas` that are commits in `repo`."""
    shas = sorted(set(shas))
    found = object_types(repo, [f"{s}^{{commit}}" for s in shas])
    return {s for s in shas if found.get(f"{s}^{{commit}}")}


def ref_tips(repo: Path, refs: dict[str, str] | None = None) -> dict[str, list[str]]:
    """{commit: [refs]} for every branch and tag (tags peeled to their commit); `refs`:
    the repository's refs when the caller has just read them."""
    if refs is None:
        refs = git.parse_ref_lines(run_git(git.for_each_ref(repo)).stdout)
    peeled = object_types(repo, sorted({f"{sha}^{{commit}}" for sha in refs.values()}))
    tips: dict[str, list[str]] = {}
    for ref, sha in sorted(refs.items()):
        found = peeled.get(f"{sha}^{{commit}}")
        if found:
            tips.setdefault(found[0], []).append(ref)
    return tips


def scan_submodules(repo: Path, base_url: str, tips: dict[str, list[str]], label: str
                    ) -> tuple[list[Reference], list[str]]:
    """The submodules of the commits `tips` ({commit: [names for messages]}).

    Deduplicated: one batch call for every tree and .gitmodules blob, one
    `git config --blob` per distinct .gitmodules, one `ls-tree` per distinct tree.
    Returns the references and warnings (unreadable .gitmodules, bad URLs).
    """
    commits = sorted(tips)
    names = [n for c in commits for n in (f"{c}^{{tree}}", f"{c}:.gitmodules")]
    found = object_types(repo, names)
    warnings: list[str] = []
    modules_of_blob: dict[str, list[Submodule]] = {}
    links_of_tree: dict[str, dict[str, str]] = {}
    references: dict[tuple[str, str], Reference] = {}
    for commit in commits:
        tree = found.get(f"{commit}^{{tree}}")
        blob = found.get(f"{commit}:.gitmodules")
        if not tree or not blob or blob[1] != "blob":
            continue
        tree_sha, blob_sha = tree[0], blob[0]
        if blob_sha not in modules_of_blob:
            res = run_git(git.config_blob_list(repo, blob_sha), check=False)
            if not res.ok:
                warnings.append(f"{label} {tips[commit][0]}: .gitmodules cannot be read: "
                                f"{process.last_line(res.stderr)}")
            modules_of_blob[blob_sha] = parse_gitmodules(res.stdout) if res.ok else []
        modules = modules_of_blob[blob_sha]
        if not modules:
            continue
        if tree_sha not in links_of_tree:
            paths = sorted({m.path for m in modules})
            links_of_tree[tree_sha] = parse_gitlinks(
                run_git(git.ls_tree_paths(repo, tree_sha, paths)).stdout)
        links = links_of_tree[tree_sha]
        for module in modules:
            sha = links.get(module.path)
            if not sha:
                continue  # a .gitmodules entry without a gitlink: nothing to check out
            try:
                url = resolve_url(base_url, module.url)
            except ValueError as exc:
                warnings.append(f"{label} {tips[commit][0]}:{module.path}: {exc}")
                continue
            key = (normalize_url(url).lower(), sha)
            if key not in references:
                references[key] = Reference(url, sha, f"{label} {tips[commit][0]}:{module.path}")
    return list(references.values()), warnings


def scan_submodules_remembered(repo: Path, base_url: str, refs: dict[str, str], label: str, memo: Path
                               ) -> tuple[list[Reference], list[str]]:
    """scan_submodules at the tips of `refs` ({ref: sha}, as for-each-ref lists them),
    remembered in `memo` with the refs' digest and the URL as its key."""
    key = {"refs": refs_digest(refs), "base": base_url}
    found = read_scan_memo(memo, key)
    if found is not None:
        return found
    references, warnings = scan_submodules(repo, base_url, ref_tips(repo, refs), label)
    write_scan_memo(memo, key, references, warnings)
    return references, warnings


def read_scan_memo(memo: Path, key: dict) -> tuple[list[Reference], list[str]] | None:
    """The submodules found at the last scan of a clone whose refs (and URL) were `key`:
    objects never change, so the same refs hold the same submodules (an unchanged
    repository's scan costs one `for-each-ref`, not three git calls)."""
    try:
        data = json.loads(memo.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        return [Reference(**r) for r in data["references"]], list(data["warnings"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_scan_memo(memo: Path, key: dict, references: list[Reference], warnings: list[str]) -> None:
    memo.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomically(memo, {"key": key, "references": [asdict(r) for r in references],
                                 "warnings": warnings})
