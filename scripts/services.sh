#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis that the tests use are up, on a Debian
# machine where they are installed (or installable) and maybe stopped:
# starts them when they are not running and waits until they answer.
#
# The tests use postgres://postgres@127.0.0.1:5432/test (no password) and
# redis://127.0.0.1:6379/0 unless AUTHING_TEST_POSTGRES / AUTHING_TEST_REDIS
# name other servers; a server named by those variables is left alone. This
# script also creates the database "test" when it is missing, and in CI
# (CI set) lets the user postgres connect over 127.0.0.1 without a password
# when the cluster asks for one (Debian's default pg_hba.conf does).
#
# SERVICES_PG_PORT, SERVICES_PG_CLUSTER and SERVICES_REDIS_PORT change the
# port and cluster this script manages (to try the script itself on a
# scratch cluster; the tests keep their defaults).
set -euo pipefail

pg_port=${SERVICES_PG_PORT:-5432}
pg_cluster=${SERVICES_PG_CLUSTER:-main}
redis_port=${SERVICES_REDIS_PORT:-6379}
ci=false
case "${CI:-}" in "" | false | 0) ;; *) ci=true ;; esac

say() { echo "services: $*"; }

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # port name
  for _ in $(seq 1 60); do up "$1" && return 0; sleep 0.5; done
  say "$2 did not come up on 127.0.0.1:$1" >&2
  return 1
}

# as_root runs a command as root (directly, or through sudo without a
# password prompt).
as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    say "need root to run: $*" >&2
    return 1
  fi
}

# as_postgres runs a shell command as the database superuser, over the
# local socket (Debian's peer authentication).
as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    bash -c "$1"
  else
    as_root su postgres -c "$1"
  fi
}

install() { # package
  say "installing $1"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

tcp_psql() { # SQL; as postgres over TCP, the way the tests connect
  psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -w -Atc "$1"
}

if [ -z "${AUTHING_TEST_POSTGRES:-}" ]; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    install postgresql
  fi
  if ! up "$pg_port"; then
    if [ "$pg_cluster" = main ]; then
      version=$(ls /etc/postgresql | sort -V | tail -1)
    else
      version=$(pg_lsclusters -h | awk -v c="$pg_cluster" '$2 == c { print $1; exit }')
    fi
    if [ -z "$version" ]; then
      say "no PostgreSQL cluster in /etc/postgresql (pg_createcluster --start <version> $pg_cluster)" >&2
      exit 1
    fi
    say "starting PostgreSQL $version/$pg_cluster"
    # --skip-systemctl-redirect: start the cluster directly, also where
    # systemd is not running (containers).
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$pg_cluster" start ||
      say "pg_ctlcluster $version $pg_cluster start failed; waiting for the port anyway" >&2
    wait_for "$pg_port" PostgreSQL
  fi
  # The server may accept TCP connections a moment before it accepts logins.
  for _ in $(seq 1 30); do
    out=$(tcp_psql 'select 1' 2>&1) && break
    case "$out" in *"starting up"* | *"shutting down"*) sleep 0.5 ;; *) break ;; esac
  done
  if ! tcp_psql 'select 1' >/dev/null 2>&1; then
    if $ci; then
      # A throw-away CI machine: let postgres in over loopback without a
      # password (the first matching line of pg_hba.conf wins).
      hba=$(as_postgres "psql -p $pg_port -Atc 'show hba_file'")
      say "letting postgres connect over 127.0.0.1 without a password ($hba)"
      as_root sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
      as_postgres "psql -p $pg_port -Atc 'select pg_reload_conf()'" >/dev/null
      sleep 0.5
    fi
    if ! out=$(tcp_psql 'select 1' 2>&1); then
      say "cannot connect as postgres to 127.0.0.1:$pg_port: $out" >&2
      say "allow it in pg_hba.conf (host all postgres 127.0.0.1/32 trust) or set AUTHING_TEST_POSTGRES" >&2
      exit 1
    fi
  fi
  if [ "$(tcp_psql "select count(*) from pg_database where datname = 'test'")" != 1 ]; then
    say "creating the database test"
    tcp_psql 'create database test' >/dev/null
  fi
fi

# The Redis fault test runs a private redis-server: CI must have the binary
# even when the Redis of the tests runs elsewhere.
if ! command -v redis-server >/dev/null 2>&1 && { $ci || [ -z "${AUTHING_TEST_REDIS:-}" ]; }; then
  install redis-server
fi

if [ -z "${AUTHING_TEST_REDIS:-}" ] && ! up "$redis_port"; then
  say "starting Redis"
  logdir=/var/log/redis
  datadir=/var/lib/redis
  if ! { mkdir -p "$datadir" "$logdir" && [ -w "$datadir" ] && [ -w "$logdir" ]; } 2>/dev/null; then
    datadir=$(mktemp -d)
    logdir=$datadir
  fi
  # No persistence: the tests' data is throw-away.
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$redis_port" --save "" --appendonly no \
    --dir "$datadir" --logfile "$logdir/ci.log"
  wait_for "$redis_port" Redis
fi
say "PostgreSQL and Redis are up"
