"""Talking to a running GitHub emulator the way its own tests do (tests/integration/github_emulator/):
programs run with their output kept, the REST API with or without a token, a git URL with a
token in it; TARGET, the organization the write tests restore into."""

from __future__ import annotations

import re
import subprocess

import requests

# A user attachment's URL as the emulator serves it in a body.
ATTACHMENT = re.compile(r"https://[^)\s]+/user-attachments/(?:assets/[0-9a-f-]{36}|files/[0-9a-f-]{36}/[^)\s]+)")
TARGET = "restored-org"  # the organization the write side's tests make (fixture `target`)


def run(*cmd, cwd=None, check=True, env=None) -> subprocess.CompletedProcess:
    """A program's completed process; with check, an AssertionError naming its output when it failed."""
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, env=env,
                            timeout=120)
    if check and result.returncode:
        raise AssertionError(f"{cmd} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def git(*args, **kw) -> str:
    return run("git", *args, **kw).stdout


def api(em, path, token=None, **kw):
    """GET em's REST API at `path` (token: none, or e.g. em.admin_token)."""
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"token {token}"
    return requests.get(em.api_url + path, headers=headers, timeout=30, **kw)


def ok(em, path, token=None, **kw):
    """The JSON of a GET that must answer 200."""
    r = api(em, path, token, **kw)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r.json()


def authed_url(em, token, path):
    """https://TOKEN:x-oauth-basic@HOST/path: git with the token in the URL (only these tests do that)."""
    return f"https://{token}:x-oauth-basic@{em.host}/{path}"


class Client:
    """The REST API with one token: client(method, path, ...) answers the response, client.ok(...) the JSON
    of an answer with the expected status (201 for a POST, else 200)."""

    def __init__(self, em, token):
        self.em, self.session = em, requests.Session()
        if token:
            self.session.headers["Authorization"] = f"token {token}"

    def __call__(self, method, path, **kw):
        url = path if path.startswith("https://") else self.em.api_url + path
        return self.session.request(method, url, timeout=30, **kw)

    def ok(self, method, path, status=None, **kw):
        r = self(method, path, **kw)
        expected = status or {"POST": 201}.get(method, 200)
        assert r.status_code == expected, (method, path, r.status_code, r.text)
        return r.json()
