# Sourced by the CI scripts: `debian_mirror` prints the Debian mirror this machine's
# own apt configuration names (the repository names no mirror host of its own).
#
# It reads the deb822 sources (/etc/apt/sources.list.d/*.sources, Debian 12's
# default: the `URIs:` of the first `Types: deb` stanza whose suites are not
# -security), then the one-line form (/etc/apt/sources.list and *.list), and
# fails when neither names one.  DEBIAN_MIRROR, when set, wins; APT_ETC (default
# /etc/apt) is read instead of /etc/apt (tests/integration/test_ci_scripts.py).

debian_mirror() {
    if [[ -n ${DEBIAN_MIRROR:-} ]]; then
        echo "$DEBIAN_MIRROR"
        return 0
    fi
    local found etc=${APT_ETC:-/etc/apt}
    found=$(awk '
        function flush() {
            if (types ~ /(^| )deb( |$)/ && suites !~ /-security/ && uris != "" && !done) {
                split(uris, u, " "); print u[1]; done = 1
            }
            types = ""; suites = ""; uris = ""
        }
        FNR == 1 { flush() }
        /^[ \t]*$/ { flush(); next }
        /^#/ { next }
        tolower($1) == "types:" { $1 = ""; types = $0 }
        tolower($1) == "suites:" { $1 = ""; suites = $0 }
        tolower($1) == "uris:" { $1 = ""; sub(/^ +/, ""); uris = $0 }
        END { flush() }
    ' "$etc"/sources.list.d/*.sources 2>/dev/null | head -n 1)
    if [[ -z $found ]]; then
        # deb [options] URI SUITE COMPONENTS...
        found=$(cat "$etc/sources.list" "$etc"/sources.list.d/*.list 2>/dev/null | awk '
            $1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i + 1) !~ /-security/) { print $i; exit }
            }')
    fi
    if [[ -z $found ]]; then
        echo "no Debian mirror in this machine's apt sources ($etc/sources.list.d/*.sources," \
             "$etc/sources.list); set DEBIAN_MIRROR" >&2
        return 1
    fi
    echo "${found%/}"
}
