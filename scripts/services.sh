#!/usr/bin/env bash
# Make sure Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432) answer, for the test suite.
# Starts them when they are installed but stopped; installs them (Debian packages) when missing.
set -euo pipefail

REDIS_PORT=${TRACKER_TEST_REDIS_PORT:-6379}
PG_PORT=${TRACKER_TEST_PG_PORT:-5432}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 100); do port_open "$1" && return 0; sleep 0.2; done
  echo "services: nothing answers on 127.0.0.1:$1 after starting $2" >&2
  return 1
}

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi; }

apt_install() {
  command -v apt-get >/dev/null || { echo "services: install $* (no apt-get here)" >&2; exit 1; }
  echo "services: installing $* (Debian packages)" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null \
    || { as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

ensure_redis() {
  port_open "$REDIS_PORT" && return 0
  command -v redis-server >/dev/null || apt_install redis-server
  echo "services: starting redis-server on 127.0.0.1:$REDIS_PORT" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp --logfile /tmp/tracker-test-redis.log
  wait_port "$REDIS_PORT" redis-server
}

ensure_postgres() {
  port_open "$PG_PORT" && return 0
  local fresh=0
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fresh=1; fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -1)
  if [[ $fresh -eq 1 ]]; then
    # A fresh cluster only lets local peers in; the tests connect over TCP as postgres.
    local hba=/etc/postgresql/$version/main/pg_hba.conf
    as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  fi
  echo "services: starting PostgreSQL $version on 127.0.0.1:$PG_PORT" >&2
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_port "$PG_PORT" postgresql
}

ensure_chromium() {
  # The browser test drives Debian's Chromium through Playwright (Playwright's own download
  # does not work offline).
  [[ -x /usr/bin/chromium ]] || apt_install chromium
}

ensure_redis
ensure_postgres
ensure_chromium
echo "services: redis 127.0.0.1:$REDIS_PORT, postgresql 127.0.0.1:$PG_PORT and chromium are ready" >&2
