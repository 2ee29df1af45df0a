"""Reading a repository's files instead of asking git (orgbackup/git/on_disk.py): the remote URLs
and HEAD agree with what git itself says."""

from __future__ import annotations


def test_remote_urls_read_from_the_config_file_match_git(tmp_path):
    """The shortcut that spares a git process per repository must agree with git itself."""
    import subprocess

    from orgbackup.git import argv as git, on_disk

    repo = tmp_path / "r"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "remote", "add", "origin", "https://h/o/r.git"], check=True)
    subprocess.run(["git", "-C", str(repo), "remote", "add", "up", "https://u:p@h/o/up.git"], check=True)
    assert on_disk.configured_remote_urls(repo / ".git") == {"origin": "https://h/o/r.git", "up": "https://u:p@h/o/up.git"}
    listed = subprocess.run(["git", "-C", str(repo), "config", "--get-regexp", r"^remote\..*\.url$"],
                            capture_output=True, text=True, check=True).stdout
    assert on_disk.configured_remote_urls(repo / ".git") == git.parse_remote_urls(listed)
    # What it cannot read simply, it leaves to git.
    with open(repo / ".git" / "config", "a") as f:
        f.write('[include]\n\tpath = other\n')
    assert on_disk.configured_remote_urls(repo / ".git") is None


def test_head_read_from_the_head_file_matches_git(tmp_path):
    """The shortcut that spares `git symbolic-ref HEAD` per repository must agree with git."""
    import subprocess

    from orgbackup.git import argv as git, on_disk

    repo = tmp_path / "r"
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(repo)], check=True)

    def symbolic_ref() -> str:
        return subprocess.run(git.head_ref(repo), capture_output=True, text=True).stdout.strip()

    assert on_disk.head_file_ref(repo / ".git") == symbolic_ref() == "refs/heads/trunk"
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q",
                    "--allow-empty", "-m", "one"], check=True)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "--detach"], check=True)
    assert on_disk.head_file_ref(repo / ".git") == symbolic_ref() == ""
    (repo / ".git" / "HEAD").unlink()
    (repo / ".git" / "HEAD").symlink_to("refs/heads/trunk")  # what very old git wrote: left to git
    assert on_disk.head_file_ref(repo / ".git") is None
    assert on_disk.head_file_ref(tmp_path / "nothing") is None
