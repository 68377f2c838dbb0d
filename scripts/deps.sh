#!/bin/sh
# deps.sh - make sure the build's Debian packages are here.
# As root, installs what is missing (apt-get); otherwise names it and fails.
set -u
PKGS="make gcc pkg-config libpcre2-dev libstemmer-dev libutf8proc-dev libcmocka-dev libyajl-dev zlib1g-dev nettle-dev libsqlite3-dev libpq-dev libmicrohttpd-dev sqlite3 curl wrk jq iso-codes python3"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "newsmine: missing Debian packages:$missing" >&2
    echo "newsmine: install them with: sudo apt-get install$missing" >&2
    exit 1
fi
echo "newsmine: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q $missing >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    apt-get install -y -q $missing || { echo "newsmine: apt-get install failed" >&2; exit 1; }
fi
