"""Which failed network gits are tried again (orgbackup/git/transient.py), from the words git 2.x,
curl and Git LFS print."""

from __future__ import annotations

import pytest

from orgbackup.git.transient import transient, transient_line

TRANSIENT = [
    "fatal: unable to access 'https://github.com/o/r.git/': The requested URL returned error: 500",
    "fatal: unable to access 'https://github.com/o/r.git/': The requested URL returned error: 502",
    "error: RPC failed; HTTP 504 curl 22 The requested URL returned error: 504\nfatal: expected flush after ref listing",
    "error: RPC failed; curl 56 GnuTLS recv error (-54): Error in the pull function.\nfatal: early EOF",
    "error: RPC failed; curl 18 transfer closed with outstanding read data remaining\nfatal: early EOF\n"
    "fatal: fetch-pack: invalid index-pack output",
    "error: RPC failed; curl 92 HTTP/2 stream 5 was not closed cleanly: CANCEL (err 8)",
    "fatal: unable to access 'https://github.com/o/r.git/': Failed to connect to github.com port 443 after 2 ms: "
    "Connection refused",
    "fatal: unable to access 'https://github.com/o/r.git/': Recv failure: Connection reset by peer",
    "fatal: unable to access 'https://github.com/o/r.git/': Failed to connect to github.com port 443 after 130000 ms:"
    " Connection timed out",
    "fatal: the remote end hung up unexpectedly",
    "batch response: Fatal error: Server error: https://github.com/o/r.git/info/lfs/objects/batch from HTTP 503",
    "LFS: Get \"https://github-cloud.s3.amazonaws.com/x\": read tcp 10.0.0.2:5->1.2.3.4:443: read: connection reset"
    " by peer",
]
REFUSED = [
    "fatal: unable to access 'https://github.com/o/r.git/': The requested URL returned error: 403",
    "remote: Repository not found.\nfatal: repository 'https://github.com/o/r.git/' not found",
    "fatal: Authentication failed for 'https://github.com/o/r.git/'",
    "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
    "error: RPC failed; HTTP 401 curl 22 The requested URL returned error: 401\nfatal: the remote end hung up "
    "unexpectedly",
    "batch response: Authorization error: https://github.com/o/r.git/info/lfs/objects/batch\n"
    "Check that you have proper access to the repository",
    "remote: Permission to o/r.git denied to someone.\nfatal: unable to access 'https://github.com/o/r.git/': "
    "The requested URL returned error: 403",
    # a stalled transfer already waited BACKUP_STALL_SECONDS
    "error: RPC failed; curl 28 Operation too slow. Less than 1 bytes/sec transferred the last 600 seconds\n"
    "fatal: early EOF",
    "fatal: not a git repository (or any of the parent directories): .git",
    "",
]


@pytest.mark.parametrize("stderr", TRANSIENT)
def test_the_server_or_the_network_failing_is_transient(stderr):
    assert transient(stderr)


@pytest.mark.parametrize("stderr", REFUSED)
def test_a_refusal_a_stall_or_a_local_failure_is_not(stderr):
    assert not transient(stderr)


def test_the_line_that_says_what_failed():
    assert transient_line("error: RPC failed; HTTP 500 curl 22 The requested URL returned error: 500\n"
                          "fatal: expected 'packfile'\n") == \
        "error: RPC failed; HTTP 500 curl 22 The requested URL returned error: 500"
    assert transient_line("remote: Internal Server Error\nfatal: unable to access 'https://h/o/r.git/': The "
                          "requested URL returned error: 500\n").endswith("returned error: 500")
