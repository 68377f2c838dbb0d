#!/bin/sh
# pg-throwaway.sh start DIR | stop DIR - a PostgreSQL cluster of our own in
# DIR (created by start), listening on a unix socket in DIR only (no TCP
# port), run as the packaged postgres user (initdb refuses root), with
# durability off: for tests and benchmarks, never for data to keep.
# start prints the libpq URI to use: postgresql:///postgres?host=DIR
# Installs postgresql (Debian) if initdb is missing and we are root.
set -eu
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg-throwaway.sh start|stop DIR" >&2; exit 2; }
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
case $cmd in
start)
    if [ -z "$bin" ]; then
        [ "$(id -u)" -eq 0 ] || { echo "pg-throwaway: PostgreSQL is not installed" >&2; exit 1; }
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; }
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    chmod 755 "$dir"
    run() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    run "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    run "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
        "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql:///postgres?host=$dir&user=postgres"
    ;;
stop)
    [ -f "$dir/data/postmaster.pid" ] || exit 0
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    else
        "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    ;;
*) echo "usage: pg-throwaway.sh start|stop DIR" >&2; exit 2 ;;
esac
