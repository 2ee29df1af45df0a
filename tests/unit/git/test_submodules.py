"""Reading submodules (orgbackup/git/submodules.py): .gitmodules and ls-tree's gitlinks."""

from __future__ import annotations

from orgbackup.git.submodules import parse_gitlinks, parse_gitmodules


def test_parse_gitmodules_and_gitlinks():
    text = ("submodule.a.b.path\nthirdparty/a\0submodule.a.b.url\n../a.git\0"
            "submodule.nopath.url\nx\0core.bare\nfalse\0submodule.c.path\nc/\0submodule.c.url\nhttps://h/c\0")
    mods = parse_gitmodules(text)
    assert [(m.name, m.path, m.url) for m in mods] == [("a.b", "thirdparty/a", "../a.git"),
                                                       ("c", "c", "https://h/c")]
    ls = f"160000 commit {'a' * 40}\tthirdparty/a\x00100644 blob {'b' * 40}\tc\0"
    assert parse_gitlinks(ls) == {"thirdparty/a": "a" * 40}
