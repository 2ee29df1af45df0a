"""The API budget planner (orgbackup/backup/planning/budget.py): the plan and the estimate, pure
(the runs against the emulator: tests/end_to_end/test_budget_runs.py)."""

from __future__ import annotations

from orgbackup.backup.planning.budget import Candidate, estimate, fair_order, plan_budget, reserve_for


def c(name, repo_id, cost, last=None):
    return Candidate(name, repo_id, cost, last)


def test_fair_order_never_captured_first_then_oldest_capture():
    order = fair_order([c("new-b", 9, 10), c("old", 1, 10, "2026-01-02T00:00:00Z"),
                        c("older", 2, 10, "2026-01-01T00:00:00Z"), c("new-a", 3, 10)])
    assert [x.name for x in order] == ["new-a", "new-b", "older", "old"]


def test_everything_fits_nothing_deferred():
    plan = plan_budget([c("a", 1, 30), c("b", 2, 40)], remaining=5000, limit=5000, reset=0)
    assert plan.granted == ["a", "b"] and plan.deferred == []
    assert plan.needed == plan.planned == 70


def test_reserve_is_kept_and_the_rest_deferred_in_fair_order():
    assert reserve_for(5000) == 500 and reserve_for(100) == 50
    candidates = [c("a", 1, 40), c("b", 2, 40), c("c", 3, 40, "2026-01-01T00:00:00Z")]
    plan = plan_budget(candidates, remaining=140, limit=5000, reset=1700000000)
    # 140 less a reserve of 500: nothing fits
    assert plan.granted == [] and plan.deferred == ["a", "b", "c"]
    plan = plan_budget(candidates, remaining=140, limit=200, reset=1700000000)
    assert plan.reserve == 50 and plan.granted == ["a", "b"] and plan.deferred == ["c"]
    assert "deferred 1 repositories' metadata: API budget 140 left of 200, resets " in plan.message()


def test_what_unchanged_repositories_spend_anyway_is_kept_too():
    plan = plan_budget([c("a", 1, 40), c("b", 2, 40)], remaining=200, limit=200, reset=0, fixed=80)
    assert plan.reserve == 130 and plan.granted == ["a"] and plan.deferred == ["b"]


def test_first_fit_passes_over_a_large_one_for_smaller_ones():
    plan = plan_budget([c("big", 1, 300), c("small", 2, 20)], remaining=200, limit=1000, reset=0)
    assert plan.granted == ["small"] and plan.deferred == ["big"]


def test_one_larger_than_a_whole_hour_goes_alone_when_it_heads_the_order():
    plan = plan_budget([c("huge", 1, 900), c("small", 2, 20)], remaining=1000, limit=1000, reset=0)
    assert plan.granted == ["huge"] and plan.deferred == ["small"]


def test_unknown_budget_grants_everything():
    plan = plan_budget([c("a", 1, 30)], remaining=None, limit=None, reset=None)
    assert plan.granted == ["a"] and plan.deferred == []


def test_estimates_first_capture_costs_more_than_a_changed_one():
    repo = {"open_issues_count": 10}
    assert estimate(repo, None) == 55
    assert estimate(repo, "2026-01-01T00:00:00Z") < estimate(repo, None)
    # With GitHub's counts: what the capture asks (empty listings are not asked for)
    empty = dict.fromkeys(("issues", "pulls", "milestones", "labels", "releases", "rulesets"), 0)
    assert estimate(repo, None, empty) == 6
    # 6 fixed, the labels from GraphQL, 110 items: 2 pages, comments and events 4 pages each; 10 pull
    # requests: a page of them, a page of review comments, 3 each
    assert estimate(repo, None, {**empty, "labels": 9, "issues": 100, "pulls": 10}) == 6 + 0 + 10 + 32
    assert estimate(repo, None, {**empty, "releases": 3}) == 6 + 1 + 3 * 3  # each release's assets
    assert estimate(repo, None, {**empty, "rulesets": 2}) == 6 + 2  # the ids from GraphQL, each one's rules
    assert estimate({"has_pages": True}, None, empty) == 7
