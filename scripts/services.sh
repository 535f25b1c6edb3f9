#!/usr/bin/env bash
# What the test suite needs on the machine: redis-server, PostgreSQL's initdb/pg_ctl and
# Chromium. The suite starts its own Redis and PostgreSQL (tests/own_services.py) on free ports
# with data dirs of their own; this script only makes sure the programs are installed.
#
#   scripts/services.sh           check the programs; offer to install the missing ones
#   scripts/services.sh --shared  also start the machine's Redis (:6379) and PostgreSQL (:5432)
#                                 if installed but stopped (the benches use them; the tests don't)
#
# Missing Debian packages are named and installed only after a yes (y/N), or without asking
# when CI=true; declined (or no terminal to ask in), it goes on and the tests that need them
# fail saying what is missing. Nothing here edits a system config file.
set -euo pipefail

SHARED=0
[[ ${1:-} == --shared ]] && SHARED=1

say() { echo "services: $*" >&2; }

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

pg_bin() {
  local dir
  [[ -n ${TRACKER_TEST_PG_BIN:-} ]] && { echo "$TRACKER_TEST_PG_BIN"; return; }
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  echo "${dir:-/usr/lib/postgresql/15/bin}"
}

install_packages() {
  (($# == 0)) && return 0
  command -v apt-get >/dev/null || { say "missing: $* (install them; no apt-get here)"; exit 1; }
  say "missing programs; these Debian packages would be installed with apt-get: $*"
  if [[ ${CI:-} != true ]]; then
    local answer=n
    if [[ -t 0 ]]; then
      read -r -p "services: install them now (as root)? [y/N] " answer
    else
      say "no terminal to ask in: run it in one, or with CI=true, or install them yourself"
    fi
    if [[ $answer != [yY]* ]]; then
      say "not installed: the tests that need them will fail, saying what is missing"
      return 0
    fi
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null \
    || { as_root apt-get update -q >/dev/null \
      && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

declare -a missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
[[ -x $(pg_bin)/initdb && -x $(pg_bin)/pg_ctl ]] || missing+=(postgresql)
# The browser test drives Debian's Chromium through Playwright (Playwright's own download
# does not work offline).
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
install_packages "${missing[@]+"${missing[@]}"}"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 100); do port_open "$1" && return 0; sleep 0.2; done
  say "nothing answers on 127.0.0.1:$1 after starting $2"
  return 1
}

start_shared() {
  if ! port_open 6379; then
    say "starting the machine's redis-server on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp --logfile /tmp/tracker-bench-redis.log
    wait_port 6379 redis-server
  fi
  if ! port_open 5432; then
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
    [[ -n $version ]] || { say "no PostgreSQL cluster in /etc/postgresql to start"; exit 1; }
    say "starting the machine's PostgreSQL $version cluster 'main' on 127.0.0.1:5432"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_port 5432 postgresql
  fi
}

((SHARED)) && start_shared
((${#missing[@]} == 0)) && say "redis-server, PostgreSQL ($(pg_bin)) and chromium are installed"
exit 0
