"""The attachments part (orgbackup/backup/parts/attachments.py), pure: which URLs count (every form,
in markdown, HTML and prose, JSON escapes, hosts), the query never kept, and the walk of the
organization's tree (files in tmp_path)."""

from __future__ import annotations

import json

import pytest

from orgbackup.backup.parts.attachments import attachment_urls, json_files, without_query
from tests.support.run_context import ORG


HOST = "github.com"
A = "https://github.com/user-attachments/assets/0f6a1b2c-3d4e-4f50-8a1b-2c3d4e5f6a7b"


@pytest.mark.parametrize("url", [
    A,
    "https://github.com/user-attachments/files/17234567/build-log.txt",
    "https://github.com/user-attachments/files/0f6a1b2c-3d4e-4f50-8a1b-2c3d4e5f6a7b/crash%20report.zip",
    "https://github.com/V-Sekai/godot/assets/1234567/0f6a1b2c-3d4e-4f50-8a1b-2c3d4e5f6a7b",
    "https://user-images.githubusercontent.com/1234567/123456789-abcdef01-2345-6789-abcd-ef0123456789.png",
    "https://private-user-images.githubusercontent.com/1234567/123456789-abcdef01.png?jwt=eyJhbGci.eyJpc3Mi.sig-_x",
])
def test_every_form_alone_and_in_markdown_html_and_prose(url):
    assert attachment_urls(url, HOST) == {url}
    assert attachment_urls(f"![screenshot]({url})", HOST) == {url}
    assert attachment_urls(f'<img width="300" alt="x" src="{url}">', HOST) == {url}
    assert attachment_urls(f"<{url}>", HOST) == {url}
    assert attachment_urls(f"see {url}. Or {url}, or ({url})!", HOST) == {url}
    assert attachment_urls(f"'{url}'; [{url}]", HOST) == {url}


def test_json_escapes_in_raw_text():
    body = f'![a]({A})\n<img src="https://github.com/user-attachments/files/1/x.txt">'
    raw = json.dumps({"body": body}).replace("/", "\\/")  # as some writers escape slashes
    assert attachment_urls(raw, HOST) == {A, "https://github.com/user-attachments/files/1/x.txt"}
    signed = "https://private-user-images.githubusercontent.com/1/2.png?jwt=abc&x=1"
    raw = json.dumps({"body": f"![a]({signed})"}).replace("&", "\\u0026")
    assert attachment_urls(raw, HOST) == {signed}


def test_other_urls_are_not_attachments():
    text = ("https://github.com/V-Sekai/godot/issues/3 https://github.com/V-Sekai/godot/releases/download/v1/a.zip "
            "https://example.com/user-attachments/assets/abc http://github.com/user-attachments/assets/abc "
            "https://githubusercontent.com/x.png https://avatars.githubusercontent.com/u/1?v=4")
    assert attachment_urls(text, HOST) == set()


def test_hosts_are_case_insensitive_paths_are_not():
    assert attachment_urls("https://GitHub.com/user-attachments/assets/abc", HOST) == \
        {"https://GitHub.com/user-attachments/assets/abc"}
    assert attachment_urls("https://github.com/User-Attachments/assets/abc", HOST) == set()


def test_enterprise_host():
    host = "ghe.example.com:8443"
    mine = "https://ghe.example.com:8443/user-attachments/assets/abc-123"
    text = f"![a]({mine}) ![b]({A}) ![c](https://user-images.githubusercontent.com/1/2.png)"
    assert attachment_urls(text, host) == {mine}
    # On github.com the Enterprise host is just another site.
    assert attachment_urls(text, HOST) == {A, "https://user-images.githubusercontent.com/1/2.png"}


def test_the_query_never_reaches_the_index_or_messages():
    assert without_query("https://private-user-images.githubusercontent.com/1/2.png?jwt=abc") == \
        "https://private-user-images.githubusercontent.com/1/2.png"
    assert without_query(A) == A


def test_walk_reads_github_json_not_git_folders_nor_attachments(tmp_path):
    root = tmp_path / ORG
    wanted = ["github-backup/repositories/godot/issues/1.json", "github-backup/repositories/wiki/issues/2.json",
              "github-backup/repositories/godot/releases/v1.json", "discussions/godot/4.json",
              "reviews/repository/7.json", "commit-comments/godot.json"]
    unwanted = ["github-backup/repositories/godot/repository/data.json",
                "github-backup/repositories/docs/wiki/page.json", "gitim/V-Sekai/godot/x.json",
                "dependencies/github.com/o/n.git/config.json", "some/.git/hooks.json",
                "attachments/index.json", "manifest.json", "github-backup/repositories/godot/issues/1.json.tmp"]
    for rel in wanted + unwanted:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("{}")
    found = {rel: (size, mtime) for rel, size, mtime in json_files(root)}
    assert sorted(found) == sorted(wanted)
    assert found[wanted[0]] == (2, (root / wanted[0]).stat().st_mtime_ns)
