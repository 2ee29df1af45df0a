#!/usr/bin/env bash
# The test command (README): installs the Python dependencies and the gitim
# stand-in into a virtual environment, then runs the whole suite (or what pytest's
# arguments say).
#
# The suite's temporary files go into a folder of its own, removed when the tests
# pass (pytest keeps a failed test's tmp_path there: the folder is then named at the
# end). TMPDIR, when set, is where that folder is made.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${ORGBACKUP_TEST_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt -e '.[test]' ./tests/support/gitim_standin
export PATH="$PWD/$VENV/bin:$PATH"

parent=${TMPDIR:-/tmp}
TMPDIR=$(mktemp -d "$parent/orgbackup-tests.XXXXXX")
export TMPDIR
# GitHub's published descriptions (tests/contract/pins.json), fetched once: the contract tests read them.
"$VENV/bin/python" -m tests.contract.descriptions >/dev/null
# Without arguments (CI, the README's command): the whole suite on a worker per CPU
# (ORGBACKUP_TEST_WORKERS to choose; 0: one process), grouped by module and with every Docker
# test on one worker (tests/conftest.py).
# At most 4 by default: each worker runs emulators, git, restic and the Docker engine's work.
if [[ $# == 0 ]]; then
    workers=$(nproc 2>/dev/null || echo 1)
    set -- -n "${ORGBACKUP_TEST_WORKERS:-$((workers < 4 ? workers : 4))}" --dist loadgroup
fi
status=0
"$VENV/bin/python" -m pytest "$@" || status=$?
if [[ $status == 0 ]]; then
    rm -rf "$TMPDIR"
else
    echo "tests/run.sh: the failed tests' temporary files are in $TMPDIR ($(du -sh "$TMPDIR" | cut -f1))" >&2
fi
exit $status
