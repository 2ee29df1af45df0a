#!/usr/bin/env bash
# Debian trixie's restic (0.18), the one the image ships, for the tests that run
# against both restic versions (the host's, Debian 12's 0.14, and this one; see
# tests/support/restic_versions.py).  The package is downloaded from the mirror of this
# machine's own apt configuration with a private package list (the machine's apt
# state is not touched) and unpacked, not installed: trixie's restic is a static Go
# binary that runs on Debian 12.  Idempotent.
#
#   bash .ci/restic-trixie.sh [FOLDER]     (default $ORGBACKUP_RESTIC_TRIXIE_DIR,
#                                           or /opt/orgbackup-ci/restic-trixie)
#
# The binary lands in FOLDER/usr/bin/restic, which the tests look for.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/debian-mirror.sh

dest=${1:-${ORGBACKUP_RESTIC_TRIXIE_DIR:-/opt/orgbackup-ci/restic-trixie}}
if [[ -x $dest/usr/bin/restic ]]; then
    echo "restic-trixie: $("$dest/usr/bin/restic" version) (already in $dest)"
    exit 0
fi
mirror=$(debian_mirror)
work=$(mktemp -d /tmp/restic-trixie.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/sources" "$work/download"
cat >"$work/sources/trixie.sources" <<EOF
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt_options=(
    -o "Dir::Etc::SourceList=/dev/null"
    -o "Dir::Etc::SourceParts=$work/sources"
    -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache=$work/cache"
    -o "Dir::State::status=/dev/null"
    -o "APT::Sandbox::User=root"
)
apt-get "${apt_options[@]}" -qq update
(cd "$work/download" && apt-get "${apt_options[@]}" -qq download restic)
mkdir -p "$dest"
dpkg -x "$work"/download/restic_*.deb "$dest"
echo "restic-trixie: $("$dest/usr/bin/restic" version) in $dest"
