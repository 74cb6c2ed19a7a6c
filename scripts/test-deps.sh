#!/usr/bin/env bash
# make test, first step: what the tests need besides Go, installed or started
# when missing, so that `make test` works on a fresh Debian-like machine.
#   gcc           the race detector (-race) needs cgo
#   pdftotext     the PDF tests read documents back (Debian: poppler-utils)
#   xmllint       the e-invoice tests validate UBL against its schema (libxml2-utils)
#   chromium      internal/browser drives the pages in headless Chromium
#   Postgres      the integration tests create a database each (TEST_DATABASE_URL,
#                 default the local server on 127.0.0.1:5432; started when down)
# With everything there it prints nothing.
set -euo pipefail

missing=() why=""
need() { # need COMMAND PACKAGE WHAT-FOR
  if ! command -v "$1" >/dev/null 2>&1; then missing+=("$2") why+="${why:+, }$1 ($3)"; fi
}
need gcc gcc "race detector"
need pdftotext poppler-utils "PDF tests"
need xmllint libxml2-utils "e-invoice schema tests"
need chromium chromium "browser tests"

if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get update && apt-get install -y ${missing[*]}"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    sudo=""
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then
    sudo="sudo"
  else
    echo "test: missing here: $why. Install them with:" >&2
    echo "  sudo sh -c '$cmd'" >&2
    exit 1
  fi
  echo "test: installing ${missing[*]} with apt-get, for $why"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# Postgres. Only the local default server is started here; another one
# (TEST_DATABASE_URL) must be up already.
url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
case $url in
  *@127.0.0.1:5432/* | *@localhost:5432/* | *@127.0.0.1/* | *@localhost/*) local_pg=1 ;;
  *) local_pg=0 ;;
esac
if [ $local_pg = 1 ] && command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  cluster=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  start="pg_ctlcluster --skip-systemctl-redirect $cluster main start"
  if [ -z "$cluster" ] || ! command -v pg_ctlcluster >/dev/null; then
    echo "test: Postgres is not running on 127.0.0.1:5432 and no local cluster was found; start one or set TEST_DATABASE_URL" >&2
    exit 1
  fi
  echo "test: starting the local Postgres ($start): the integration tests need it"
  if [ "$(id -u)" = 0 ]; then
    $start
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo $start
  else
    echo "test: could not start it; run: sudo $start" >&2
    exit 1
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "test: Postgres did not come up on 127.0.0.1:5432" >&2; exit 1; }
fi
