"""The REST metadata parts (orgbackup/backup/parts/: repository_settings, organization, reviews,
commit_comments) against the emulator, compared with truth.json, for the admin and the reader
token, before and after a day's changes (their pure rules: tests/unit/backup/parts/test_common.py,
test_organization.py, test_reviews.py)."""

from __future__ import annotations

import json
from pathlib import Path

from orgbackup.cache.json_files import write_json_atomically
from orgbackup.backup.parts import commit_comments, organization, repository_settings, reviews
from tests.github_emulator.mutate import mutate
from tests.github_emulator.truth import ROLE_NAMES
from tests.support.run_context import ORG, make_context


WEB = "{{WEB}}"


def org_repos(ctx) -> list[dict]:
    return ctx.api.org_repositories(ORG)


def read(path: Path):
    return json.loads(Path(path).read_text())


def write_pull(pulls_dir: Path, number: int, updated_at: str) -> None:
    write_json_atomically(pulls_dir / f"{number}.json", {"number": number, "updated_at": updated_at})


def unplaced(text: str, emulator) -> str:
    """A served body with the emulator's web address put back as the world's placeholder."""
    return text.replace(emulator.base_url, WEB)


def truth_of(world_root: Path) -> dict:
    return read(world_root / "truth.json")["orgs"][ORG]


def settings_as_truth(folder: Path) -> dict:
    """What settings/<REPO>/ holds, in truth.json's words."""
    repo = read(folder / "repository.json")
    environments = read(folder / "environments.json")["environments"]
    pages = read(folder / "pages.json")
    return {
        **{k: repo[k] for k in ("description", "homepage", "topics", "visibility", "default_branch",
                                "has_discussions", "allow_merge_commit", "allow_squash_merge",
                                "allow_rebase_merge", "allow_auto_merge", "delete_branch_on_merge",
                                "web_commit_signoff_required")},
        "collaborators": {c["login"]: c["role_name"] for c in read(folder / "collaborators.json")},
        "teams": {t["slug"]: ROLE_NAMES.get(t["permission"], t["permission"]) for t in read(folder / "teams.json")},
        "protected_branches": sorted(read(folder / "branch-protection.json")),
        "rulesets": [r["name"] for r in read(folder / "rulesets.json")],
        "deploy_keys": {k["title"]: {"key": k["key"], "read_only": k["read_only"]}
                        for k in read(folder / "deploy-keys.json")},
        "environments": {e["name"]: {"protection_rules": [p["type"] for p in e["protection_rules"]],
                                     "variables": {v["name"]: v["value"] for v in e["variables"]}}
                         for e in environments},
        "variables": {v["name"]: v["value"] for v in read(folder / "actions-variables.json")["variables"]},
        "secrets": [s["name"] for s in read(folder / "actions-secrets.json")["secrets"]],
        "autolinks": [a["key_prefix"] for a in read(folder / "autolinks.json")],
        "pages": pages["source"]["branch"] if pages else None,
    }


def organization_as_truth(folder: Path) -> dict:
    teams = read(folder / "teams.json")
    return {
        "members": {m["login"]: m["role"] for m in read(folder / "members.json")},
        "outside_collaborators": [u["login"] for u in read(folder / "outside-collaborators.json")],
        "teams": {t["slug"]: {"parent": (t["parent"] or {}).get("slug"),
                              "members": {m["login"]: m["role"] for m in t["members"]},
                              "repos": {r["name"]: r["permission"] for r in t["repositories"]}} for t in teams},
        "hooks": len(read(folder / "hooks.json")),
        "rulesets": [r["name"] for r in read(folder / "rulesets.json")],
        "variables": {v["name"]: v["value"] for v in read(folder / "actions-variables.json")["variables"]},
        "variable_repositories": {v["name"]: v["selected_repositories"]
                                  for v in read(folder / "actions-variables.json")["variables"]
                                  if v["visibility"] == "selected"},
        "secrets": [s["name"] for s in read(folder / "actions-secrets.json")["secrets"]],
    }


def back_up_all_settings(ctx) -> dict:
    outcomes = {}
    for repo in org_repos(ctx):
        folder = ctx.org_paths(ORG).root / "settings" / repo["name"]
        outcomes[repo["name"]] = repository_settings.back_up_settings(ctx, ORG, repo, folder)
    return outcomes


def assert_settings_match(ctx, truth: dict, outcomes: dict) -> None:
    for name, outcome in outcomes.items():
        assert not outcome.problems and not outcome.skipped, (name, outcome)
        assert not outcome.mismatches(), (name, outcome.mismatches())
        folder = ctx.org_paths(ORG).root / "settings" / name
        assert settings_as_truth(folder) == truth["repos"][name]["settings"], name
    assert set(outcomes) == set(truth["repos"])


def test_settings_match_truth_and_follow_a_day_of_changes(github_emulator, world_root, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    outcomes = back_up_all_settings(ctx)
    assert_settings_match(ctx, truth_of(world_root), outcomes)
    godot = outcomes["godot"]
    assert godot.saved == {"collaborators": len(truth_of(world_root)["repos"]["godot"]["settings"]["collaborators"]),
                           "teams": 2, "deploy keys": 2, "autolinks": 2, "protected branches": 1, "rulesets": 2,
                           "environments": 2, "environment variables": 1, "variables": 2, "secrets": 2}
    assert godot.expected == godot.saved
    protection = read(ctx.org_paths(ORG).root / "settings" / "godot" / "branch-protection.json")
    assert set(protection) == {"main"} and protection["main"]
    rulesets = read(ctx.org_paths(ORG).root / "settings" / "godot" / "rulesets.json")
    assert [r["source_type"] for r in rulesets] == ["Repository", "Organization"]  # own, then the org's
    assert all("rules" in r for r in rulesets)

    mutate(world_root)
    again = make_context(github_emulator, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    assert_settings_match(again, truth_of(world_root), back_up_all_settings(again))


def test_settings_requests_are_few(github_emulator, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    empty = ctx.api.get(f"repos/{ORG}/empty")
    github_emulator.reset_counters()
    outcome = repository_settings.back_up_settings(ctx, ORG, empty, tmp_path / "settings-empty")
    assert not outcome.problems and not outcome.skipped
    # repository, collaborators, teams, keys, autolinks, branches, rulesets, environments,
    # variables, secrets: no protection, environment-variable or Pages requests when there are none
    assert github_emulator.counters()["api"] == 10


def test_settings_of_a_repository_github_no_longer_has_are_one_skip(github_emulator, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    github_emulator.reset_counters()
    outcome = repository_settings.back_up_settings(ctx, ORG, {"name": "gone"}, tmp_path / "settings-gone")
    assert outcome.skipped == ["settings: repository: not visible to the token (HTTP 404)"]
    assert not outcome.problems and not (tmp_path / "settings-gone").exists()
    assert github_emulator.counters()["api"] == 1


def test_object_listings_follow_pages_up_to_total_count(github_emulator, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    monkeypatch.setattr(repository_settings, "per_page_maximum", lambda path: 1)
    github_emulator.reset_counters()
    items, total = repository_settings.list_object(ctx.api, f"orgs/{ORG}/actions/variables", "variables")
    assert [v["name"] for v in items] == ["DEPLOY_ENV", "GODOT_VERSION"] and total == 2
    assert github_emulator.counters()["api"] == 2  # stops at total_count, no empty third page


def test_organization_matches_truth_and_follows_a_day_of_changes(github_emulator, world_root, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    folder = ctx.org_paths(ORG).root / "organization"
    outcome = organization.back_up_organization(ctx, ORG, folder)
    assert not outcome.problems and not outcome.skipped and not outcome.mismatches()
    truth = truth_of(world_root)["organization"]
    assert organization_as_truth(folder) == truth
    assert read(folder / "organization.json")["login"] == ORG
    assert outcome.saved == {"members": 3, "outside collaborators": 1, "teams": 3, "team members": 4, "hooks": 2,
                             "rulesets": 1, "variables": 2, "secrets": 2}
    assert all("bypass_actors" in r and "rules" in r for r in read(folder / "rulesets.json"))

    mutate(world_root)
    again = make_context(github_emulator, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    outcome = organization.back_up_organization(again, ORG, folder)
    assert not outcome.problems and not outcome.skipped
    assert organization_as_truth(folder) == truth_of(world_root)["organization"]
    assert outcome.saved["variables"] == 3 and outcome.saved["team members"] == 5


def write_pulls_as_github_backup_does(ctx, name: str, pulls_dir: Path) -> int:
    pulls = list(ctx.api.paginate(f"repos/{ORG}/{name}/pulls", {"state": "all"}))
    for pull in pulls:
        write_json_atomically(pulls_dir / f"{pull['number']}.json", pull)
    return len(pulls)


def reviews_as_truth(folder: Path) -> dict:
    held = {p.stem: read(p) for p in folder.glob("*.json")}
    return {n: [{"state": r["state"], "body": r["body"]} for r in f["reviews"]]
            for n, f in held.items() if f["reviews"]}


def test_reviews_match_truth_and_ask_only_for_changed_pulls(github_emulator, world_root, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    root = ctx.org_paths(ORG).root
    pulls_dir = ctx.org_paths(ORG).repository_dir("godot") / "pulls"
    folder = root / "reviews" / "godot"
    godot = ctx.api.get(f"repos/{ORG}/godot")
    pulls = write_pulls_as_github_backup_does(ctx, "godot", pulls_dir)
    truth = truth_of(world_root)["repos"]["godot"]["reviews"]

    github_emulator.reset_counters()
    outcome = reviews.back_up_reviews(ctx, ORG, godot, folder, pulls_dir)
    assert github_emulator.counters()["api"] == pulls  # one page of reviews per pull
    assert not outcome.problems and not outcome.skipped and not outcome.mismatches()
    assert reviews_as_truth(folder) == truth
    assert outcome.saved == {"reviews": sum(map(len, truth.values())), "pulls with reviews": len(truth)}
    saved = read(folder / "7.json")
    assert saved["pull"] == 7 and saved["pull_updated_at"] == read(pulls_dir / "7.json")["updated_at"]
    assert {r["user"]["login"] for r in saved["reviews"]} == {"bob", "carol"}

    github_emulator.reset_counters()
    outcome = reviews.back_up_reviews(ctx, ORG, godot, folder, pulls_dir)
    assert github_emulator.counters()["api"] == 0
    assert reviews_as_truth(folder) == truth and outcome.saved["reviews"] == sum(map(len, truth.values()))

    mutate(world_root)  # a new review on pull 7 (its updated_at moves)
    again = make_context(github_emulator, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    write_pulls_as_github_backup_does(again, "godot", pulls_dir)
    github_emulator.reset_counters()
    outcome = reviews.back_up_reviews(again, ORG, godot, folder, pulls_dir)
    assert github_emulator.counters()["api"] == 1
    assert not outcome.problems
    assert reviews_as_truth(folder) == truth_of(world_root)["repos"]["godot"]["reviews"]


def test_commit_comments_match_truth_and_follow_a_day_of_changes(github_emulator, world_root, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    root = ctx.org_paths(ORG).root

    def run(ctx) -> dict:
        out = {}
        for repo in org_repos(ctx):
            path = root / "commit-comments" / f"{repo['name']}.json"
            outcome = commit_comments.back_up_commit_comments(ctx, ORG, repo, path)
            assert not outcome.problems and not outcome.skipped and not outcome.mismatches()
            out[repo["name"]] = [unplaced(c["body"], github_emulator) for c in read(path)]
        return out

    truth = truth_of(world_root)["repos"]
    assert run(ctx) == {name: t["commit_comments"] for name, t in truth.items()}
    assert len(truth["godot"]["commit_comments"]) == 3
    mutate(world_root)
    again = make_context(github_emulator, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    truth = truth_of(world_root)["repos"]
    assert run(again) == {name: t["commit_comments"] for name, t in truth.items()}


ADMIN_ONLY_SETTINGS = ("collaborators", "teams", "branch-protection", "deploy-keys", "environment variables",
                       "actions-variables", "actions-secrets", "autolinks")
ADMIN_ONLY_ORGANIZATION = ("outside-collaborators", "hooks", "rulesets", "actions-variables", "actions-secrets")


def skipped_pieces(outcome) -> list[str]:
    return sorted(reason.split(": ")[1] for reason in outcome.skipped)


def test_reader_token_skips_admin_pieces_with_reasons_and_keeps_earlier_files(
        github_emulator, world_root, tmp_path, monkeypatch):
    admin = make_context(github_emulator, tmp_path, monkeypatch)
    root = admin.org_paths(ORG).root
    godot = admin.api.get(f"repos/{ORG}/godot")
    settings = root / "settings" / "godot"
    repository_settings.back_up_settings(admin, ORG, godot, settings)
    keys_before = (settings / "deploy-keys.json").read_bytes()

    reader = make_context(github_emulator, tmp_path, monkeypatch, cache_dir=admin.cache_dir,
                          token=github_emulator.reader_token)
    outcome = repository_settings.back_up_settings(reader, ORG, godot, settings)
    assert not outcome.problems
    assert skipped_pieces(outcome) == sorted(ADMIN_ONLY_SETTINGS)
    assert all(r.startswith("settings: ") and "HTTP 403" in r for r in outcome.skipped), outcome.skipped
    assert (settings / "deploy-keys.json").read_bytes() == keys_before  # the admin's file stays
    environments = read(settings / "environments.json")["environments"]
    assert [e["name"] for e in environments] == ["production", "staging"]
    assert all(e["variables"] is None for e in environments)
    assert read(settings / "repository.json")["name"] == "godot"
    assert {"environments", "rulesets"} <= set(outcome.saved) and "deploy keys" not in outcome.saved

    fresh = tmp_path / "reader-only"
    outcome = repository_settings.back_up_settings(reader, ORG, godot, fresh / "settings")
    assert sorted(p.name for p in (fresh / "settings").iterdir()) == [
        "environments.json", "pages.json", "repository.json", "rulesets.json"]

    folder = fresh / "organization"
    outcome = organization.back_up_organization(reader, ORG, folder)
    assert not outcome.problems
    assert skipped_pieces(outcome) == sorted(ADMIN_ONLY_ORGANIZATION)
    assert sorted(p.name for p in folder.iterdir()) == ["members.json", "organization.json", "teams.json"]
    truth = truth_of(world_root)["organization"]
    assert {m["login"]: m["role"] for m in read(folder / "members.json")} == truth["members"]
    assert {t["slug"] for t in read(folder / "teams.json")} == set(truth["teams"])

    pulls_dir = fresh / "pulls"
    write_pulls_as_github_backup_does(reader, "godot", pulls_dir)
    outcome = reviews.back_up_reviews(reader, ORG, godot, fresh / "reviews", pulls_dir)
    assert not outcome.problems and not outcome.skipped and outcome.saved["reviews"] > 0
    outcome = commit_comments.back_up_commit_comments(reader, ORG, godot, fresh / "godot.json")
    assert not outcome.problems and not outcome.skipped and len(read(fresh / "godot.json")) == 3


def test_github_failing_is_a_problem_not_a_skip_and_writes_nothing(github_emulator, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    godot = ctx.api.get(f"repos/{ORG}/godot")
    ctx.api.attempts = 1  # no retries: every answer below is a 502
    github_emulator.set_faults(api_502_fraction=1.0)
    try:
        settings = repository_settings.back_up_settings(ctx, ORG, godot, tmp_path / "settings")
        org = organization.back_up_organization(ctx, ORG, tmp_path / "organization")
        comments = commit_comments.back_up_commit_comments(ctx, ORG, godot, tmp_path / "godot.json")
        pulls_dir = tmp_path / "pulls"
        write_pull(pulls_dir, 7, "2024-01-01T00:00:00Z")
        review = reviews.back_up_reviews(ctx, ORG, godot, tmp_path / "reviews", pulls_dir)
    finally:
        github_emulator.set_faults()
    for outcome in (settings, org, comments, review):
        assert outcome.problems and not outcome.skipped, outcome
        assert all(p.kind == "transient" and p.part == outcome.part for p in outcome.problems)
    assert not (tmp_path / "settings").exists() and not (tmp_path / "organization").exists()
    assert not (tmp_path / "godot.json").exists() and not (tmp_path / "reviews").exists()
    assert len(settings.problems) == 11 and len(org.problems) == 8
