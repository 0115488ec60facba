#!/usr/bin/env bash
# Starts PostgreSQL and Redis on this machine when they are not running, and
# waits until they answer. The tests use 127.0.0.1:5432 (database test, trust
# auth) and 127.0.0.1:6379 unless AUTHING_TEST_POSTGRES / AUTHING_TEST_REDIS
# name other servers.
set -euo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # port name
  for _ in $(seq 1 60); do up "$1" && return 0; sleep 0.5; done
  echo "services: $2 did not come up on 127.0.0.1:$1" >&2
  return 1
}

if [ -z "${AUTHING_TEST_POSTGRES:-}" ] && ! up 5432; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  echo "services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  wait_for 5432 PostgreSQL
  # the tests connect as postgres without a password to the database test
  psql -h 127.0.0.1 -U postgres -tc "select 1 from pg_database where datname='test'" 2>/dev/null | grep -q 1 ||
    su postgres -c "psql -c 'create database test'" || true
fi

if [ -z "${AUTHING_TEST_REDIS:-}" ] && ! up 6379; then
  if ! command -v redis-server >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  echo "services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for 6379 Redis
fi
echo "services: PostgreSQL and Redis are up"
