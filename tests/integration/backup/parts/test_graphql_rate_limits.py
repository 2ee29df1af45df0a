"""GitHub's answers to a spent GraphQL budget, each waited out by the discussions and projects parts
(orgbackup/github/api.py), over real HTTPS to the emulator: HTTP 200 with `"type": "RATE_LIMITED"`
(GitHub's long-standing form), HTTP 200 with `"type": "RATE_LIMIT", "code": "graphql_rate_limit"`
(seen from January 2026), and HTTP 403 / 429 with x-ratelimit-remaining 0.  Each part meets the
limit on its first request, waits for the reset the answer names, and completes as without it."""

from __future__ import annotations

import time

import pytest

from orgbackup.backup.parts import discussions as disc
from orgbackup.backup.parts import projects as proj
from tests.support.run_context import ORG, make_context
from tests.support.truth_compare_metadata import org_truth

LIMITED_FOR = 1.5  # seconds the emulator answers "rate limited" (the answer's reset: up to a second later)


def godot_listing(ctx) -> dict:
    return next(r for r in ctx.api.org_repositories(ORG) if r["name"] == "godot")


def limited_run(emulator, form: str, part) -> tuple[object, float, int]:
    """(outcome, seconds, GraphQL requests) of `part()` run while the budget is spent in `form`."""
    emulator.reset_counters()
    emulator.set_faults(rate_limit_exhausted=LIMITED_FOR, graphql_rate_limit_form=form)
    started = time.monotonic()
    try:
        outcome = part()
    finally:
        emulator.set_faults()
    return outcome, time.monotonic() - started, emulator.counters()["graphql"]


@pytest.mark.parametrize("form", ["RATE_LIMITED", "RATE_LIMIT", "403", "429"])
def test_a_spent_graphql_budget_is_waited_out_then_the_parts_complete(github_emulator, world_root, tmp_path,
                                                                      monkeypatch, form):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    listing = godot_listing(ctx)
    truth = org_truth(world_root)
    discussions_folder = ctx.org_paths(ORG).root / "discussions" / "godot"
    projects_folder = ctx.org_paths(ORG).root / "projects"

    # the same backups with GitHub answering at once: how many GraphQL requests they take
    github_emulator.reset_counters()
    plain = disc.back_up_discussions(ctx, ORG, listing, tmp_path / "plain" / "discussions", None)
    plain_projects = proj.back_up_projects(ctx, ORG, tmp_path / "plain" / "projects", None)
    assert plain.problems == plain_projects.problems == []
    requests_plain = github_emulator.counters()["graphql"]

    outcome, seconds, discussions_requests = limited_run(
        github_emulator, form, lambda: disc.back_up_discussions(ctx, ORG, listing, discussions_folder, None))
    assert (outcome.problems, outcome.skipped, outcome.mismatches()) == ([], [], [])
    assert outcome.saved["discussions"] == len(truth["repos"]["godot"]["discussions"]) > 0
    assert outcome.mark == plain.mark and outcome.saved == plain.saved
    assert seconds >= LIMITED_FOR - 0.1  # waited for the reset, not retried at once

    projects, seconds, projects_requests = limited_run(
        github_emulator, form, lambda: proj.back_up_projects(ctx, ORG, projects_folder, None))
    assert (projects.problems, projects.skipped, projects.mismatches()) == ([], [], [])
    assert projects.saved["projects"] == len(truth["projects"]) > 0
    assert projects.mark == plain_projects.mark and projects.saved == plain_projects.saved
    assert seconds >= LIMITED_FOR - 0.1
    # one refused request each, asked again after the wait; nothing else more
    assert discussions_requests + projects_requests == requests_plain + 2
