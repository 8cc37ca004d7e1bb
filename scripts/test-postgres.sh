#!/usr/bin/env bash
# test-postgres.sh start|stop|url: a throwaway PostgreSQL server for the tests,
# on 127.0.0.1:$PGPORT (default 55432), data under var/pg. Installs Debian's
# postgresql package first when no server binary is on the machine.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
port=${PGPORT:-55432}
data="$here/var/pg"
url="postgresql://ryggvett@127.0.0.1:$port/ryggvett_test"

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  url) echo "$url" ;;
  start)
    if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/pg_ctl" ]; then
      echo "Installing PostgreSQL (Debian package)…" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    bin=$(bindir)
    mkdir -p "$here/var"
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$data"
      [ "$(id -u)" = 0 ] && chown postgres "$data"
      as_postgres "$bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null
    fi
    if ! as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_postgres "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
        -o "-p $port -k $data -c listen_addresses=127.0.0.1" start >/dev/null
    fi
    psql=(psql -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qtA)
    if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='ryggvett'")" != 1 ]; then
      "${psql[@]}" -c "create role ryggvett login"
    fi
    if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='ryggvett_test'")" != 1 ]; then
      "${psql[@]}" -c "create database ryggvett_test owner ryggvett"
    fi
    echo "$url"
    ;;
  stop)
    bin=$(bindir)
    [ -f "$data/PG_VERSION" ] && as_postgres "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
