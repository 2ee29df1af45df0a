"""repository_settings.list_object's paging, with a GitHub that serves fewer than asked (the
part against the emulator: tests/integration/backup/parts/test_rest_parts*.py)."""

from __future__ import annotations

from orgbackup.backup.parts.repository_settings import list_object


class Serving:
    """GET answers {"total_count", "variables": [...]} of `items`, at most `served` a page."""

    def __init__(self, items: list, served: int, counted: bool = True):
        self.items, self.served, self.counted, self.asked = items, served, counted, []

    def get(self, path, params):
        self.asked.append(dict(params))
        size = min(params["per_page"], self.served)
        page = self.items[(params["page"] - 1) * size: params["page"] * size]
        return {"total_count": len(self.items), "variables": page} if self.counted else {"variables": page}


def test_variables_are_asked_by_30_and_read_to_total_count_past_short_pages():
    api = Serving(list(range(45)), served=30)
    assert list_object(api, "repos/o/r/actions/variables", "variables") == (list(range(45)), 45)
    assert [a["per_page"] for a in api.asked] == [30, 30]
    api = Serving(list(range(45)), served=20)  # fewer than asked: still read to the count
    assert list_object(api, "orgs/o/actions/variables", "variables") == (list(range(45)), 45)
    assert len(api.asked) == 3


def test_an_empty_page_ends_a_listing_whose_count_was_too_high():
    api = Serving(list(range(5)), served=30)
    api.get = lambda path, params, get=api.get: dict(get(path, params), total_count=9)
    assert list_object(api, "repos/o/r/actions/secrets", "variables") == (list(range(5)), 9)


def test_without_a_count_a_short_page_is_the_last():
    api = Serving(list(range(130)), served=100, counted=False)
    assert list_object(api, "repos/o/r/environments", "variables") == (list(range(130)), 130)
    assert len(api.asked) == 2
