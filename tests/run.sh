#!/usr/bin/env bash
# The test command (README): installs the Python dependencies and the gitim
# stand-in into a virtual environment, then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${ORGBACKUP_TEST_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt -e '.[test]' ./tests/gitim_standin
export PATH="$PWD/$VENV/bin:$PATH"
exec "$VENV/bin/python" -m pytest "$@"
