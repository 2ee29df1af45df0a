"""TargetWriter.graphql (orgbackup/actions/restore_to_github/writer.py) against the emulator: a mutation
is one paced content-creating request, GitHub's errors are a refusal of that one write, and a 5xx is
never sent again by the writer (create_once looks on GitHub first)."""

from __future__ import annotations

import threading

import pytest

from orgbackup.actions.restore_to_github.discussion_queries import SET_DISCUSSIONS, TARGET_QUERY
from orgbackup.actions.restore_to_github.restore_state import RestoreState
from orgbackup.actions.restore_to_github.writer import Pacer, Progress, TargetWriter, WriteRefused
from orgbackup.github.api import GitHubAPI, GitHubError
from tests.github_emulator.builder import ORG


@pytest.fixture
def writer(github_emulator, tmp_path):
    api = GitHubAPI(github_emulator.api_url, github_emulator.admin_token)
    state = RestoreState(tmp_path / "state.sqlite3", github_emulator.host, ORG)
    yield TargetWriter(api, state, Pacer(1000, 100000, threading.Event()), Progress(10, 1000))
    state.close()


def test_a_mutation_is_one_paced_write_and_githubs_errors_refuse_it(github_emulator, writer):
    repo = writer.api.graphql(TARGET_QUERY, {"o": ORG, "n": "game"})["repository"]
    assert repo["hasDiscussionsEnabled"] is False
    github_emulator.reset_counters()
    data = writer.graphql(SET_DISCUSSIONS, {"id": repo["id"], "on": True}, what="discussions on")
    assert data["updateRepository"]["repository"]["hasDiscussionsEnabled"] is True
    assert writer.writes_sent == 1 and len(writer.pacer.sent) == 1
    assert github_emulator.counters()["writes"] == 1 and github_emulator.content_created() == 1
    with pytest.raises(WriteRefused) as refused:
        writer.graphql(SET_DISCUSSIONS, {"id": "R_no_such_repository", "on": True}, what="discussions on")
    assert refused.value.status == 200 and refused.value.message.startswith("NOT_FOUND: Could not resolve")


def test_a_5xx_is_not_sent_again_by_the_writer(github_emulator, writer):
    repo = writer.api.graphql(TARGET_QUERY, {"o": ORG, "n": "game"})["repository"]
    github_emulator.set_faults(api_502_fraction=1.0)
    github_emulator.reset_counters()
    with pytest.raises(GitHubError) as failed:
        writer.graphql(SET_DISCUSSIONS, {"id": repo["id"], "on": True}, what="discussions on")
    assert failed.value.status == 502 and not isinstance(failed.value, WriteRefused)
    assert github_emulator.counters()["graphql"] == 1  # one request: whether it was made is create_once's to find
