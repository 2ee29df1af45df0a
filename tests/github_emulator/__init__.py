"""A real HTTPS GitHub emulator for the test suite.

    from tests.github_emulator import build_world, mutate, truth, start
    root = build_world(tmp_path / "world")
    with start(root) as gh:
        ...  # gh.api_url, gh.host, gh.ca_file, gh.admin_token_file

See README.md for what is served.
"""
from .mutate import add_issue, add_org, add_release, create_repo, create_wiki, delete_issue, force_push_away, mutate
from .scenario import build_world
from .truth import truth
from .server import Emulator, start

__all__ = ["Emulator", "add_issue", "add_org", "add_release", "build_world", "create_repo", "create_wiki", "delete_issue", "force_push_away", "mutate", "start", "truth"]
