"""The reading of the documents' invocations (tests/support/invocations.py) finds what they show:
every command and form (a reading that found nothing would make the image test,
tests/end_to_end/test_image_invocations.py, pass on nothing)."""

from __future__ import annotations

from orgbackup.cli import SUBCOMMANDS
from tests.support.invocations import Invocation, documented_invocations, parse


def test_the_documents_are_read_for_every_command_and_form():
    """Not a test of the image: that the reading above finds what the documents show (a
    reading that found nothing would make the image test below pass on nothing)."""
    found = documented_invocations(once=False)
    kinds = {i.kind for i in found}
    assert kinds == {"compose", "docker-run", "entrypoint"}, found
    commands = {next((a for a in i.args if not a.startswith("-")), "backup") for i in found}
    assert set(SUBCOMMANDS) <= commands, f"a command no document shows: {set(SUBCOMMANDS) - commands}"
    readme = [i for i in found if i.where.startswith("README.md")]
    assert any(i.args == ("status",) for i in found if i.kind == "compose")
    assert any(i.args[:1] == ("restore-to-github",) and i.kind == "compose" for i in found)
    assert any(dict(i.env).get("GITHUB_ORGS") == "V-Sekai" and "-T" in i.options for i in readme)
    parsed = parse("x", 'GITHUB_ORGS=V-Sekai docker compose run --rm -T backup >>/var/log/orgbackup.log 2>&1')
    assert parsed == Invocation("x", "compose", ("--rm", "-T"), (), (("GITHUB_ORGS", "V-Sekai"),))
    assert parse("x", "entrypoint.py status [--max-age HOURS] [--json]").args == ("status", "--max-age", "HOURS", "--json")
    assert parse("x", "docker compose build --build-arg X=1") is None
    assert parse("x", "docker compose run ... backup") is None
