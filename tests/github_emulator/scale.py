"""The extra repositories of a bigger world: `extra-000`... sharing the megabytes evenly, or
the benchmark's scale shape (build_scale)."""
from __future__ import annotations

from .builder import ORG, USERS, Builder, FastImport, default_labels, iso


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
    """The scale shape's extra repositories (BIG_SHARES, scale_sizes, scale_issue_counts), with
    what a real organization's repositories have, so that the benchmark counts their requests:
    GitHub's default labels each (builder.DEFAULT_LABELS) and an organization ruleset over every
    repository, as organizations protect their default branches."""
    sizes = scale_sizes(count, int(megabytes * 1024 * 1024))
    issues = scale_issue_counts(count)
    org = b.org(ORG)
    when = iso(b.tick())
    org.setdefault("rulesets", []).append({
        "id": b.new_id(), "name": "Every default branch", "target": "branch", "enforcement": "active",
        "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []},
                       "repository_name": {"include": ["~ALL"], "exclude": []}},
        "rules": [{"type": "deletion"}, {"type": "non_fast_forward"}], "bypass_actors": [],
        "created_at": when, "updated_at": when})
    for i, (size, n_issues) in enumerate(zip(sizes, issues)):
        name = f"extra-{i:03d}"
        rec = b.repo(ORG, name, language="Python", has_wiki=False)
        rec["labels"] = default_labels(b.new_id)
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
