#!/usr/bin/env bash
# make reset: a clean start for `make run`. Deletes Temporal's state (the data
# directory, ./data: every workflow and its history) and drops the dev database
# (default `orderflow` on 127.0.0.1: the read model, captured email, invoices,
# suppliers). `make run` creates both afresh. It refuses while `make run` (or
# anything else) still uses them, and touches only a database on this machine.
# It reads the same variables as `make run`: DATABASE_URL, ORDERFLOW_DATA_DIR,
# ORDERFLOW_API_ADDR, ORDERFLOW_DEV_TEMPORAL_ADDR.
set -euo pipefail
cd "$(dirname "$0")/.."

db_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/orderflow?sslmode=disable}
data_dir=${ORDERFLOW_DATA_DIR:-./data}
api_addr=${ORDERFLOW_API_ADDR:-127.0.0.1:8080}
temporal_addr=${ORDERFLOW_DEV_TEMPORAL_ADDR:-127.0.0.1:7233}

refuse() { echo "reset: $*; nothing was deleted." >&2; exit 1; }

# listening HOST:PORT: true when something accepts connections there.
listening() {
  local host=${1%:*} port=${1##*:}
  case $host in "" | 0.0.0.0 | "[::]") host=127.0.0.1 ;; esac
  host=${host#[}; host=${host%]}
  timeout 2 bash -c ": </dev/tcp/$host/$port" 2>/dev/null
}
for addr in "$api_addr" "$temporal_addr"; do
  if listening "$addr"; then
    refuse "something is listening on $addr (is \`make run\` still running? stop it with Ctrl-C first)"
  fi
done

# The database: postgres://[user[:password]@]host[:port]/name[?params]
rest=${db_url#*://}
query=""
case $rest in *\?*) query="?${rest#*\?}"; rest=${rest%%\?*} ;; esac
name=${rest##*/}
server=${rest%/*} # [user@]host[:port]
hostport=${server##*@}
host=${hostport%:*}
case $host in
  127.0.0.1 | localhost | "[::1]" | "") ;;
  *) refuse "DATABASE_URL names the server $host; reset drops a database on this machine only" ;;
esac
case $name in
  "" | postgres | template0 | template1) refuse "DATABASE_URL names the database \"$name\"; reset will not drop it" ;;
esac
admin_url="${db_url%%://*}://$server/postgres$query"

command -v psql >/dev/null || refuse "psql is not installed (Debian: apt-get install postgresql-client)"
if ! psql "$admin_url" -Atqc 'select 1' >/dev/null 2>&1; then
  refuse "cannot reach Postgres at $hostport (start it: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start)"
fi
exists=$(psql "$admin_url" -Atqc "select count(*) from pg_database where datname = '$name'")
if [ "$exists" != 0 ]; then
  others=$(psql "$admin_url" -Atqc "select count(*) from pg_stat_activity where datname = '$name' and pid <> pg_backend_pid()")
  if [ "$others" != 0 ]; then
    refuse "the database $name has $others open connection(s) (is \`make run\` still running? stop it with Ctrl-C first)"
  fi
fi

case $data_dir in
  "" | / | . | ./ | .. | ../) refuse "ORDERFLOW_DATA_DIR=$data_dir is not a data directory reset may delete" ;;
esac

if [ "$exists" != 0 ]; then
  psql "$admin_url" -Atqc "drop database \"$name\"" >/dev/null
  echo "reset: dropped the database $name on $hostport"
else
  echo "reset: no database $name on $hostport"
fi
if [ -e "$data_dir" ]; then
  rm -rf -- "$data_dir"
  echo "reset: deleted $data_dir (Temporal's state)"
else
  echo "reset: no $data_dir"
fi
echo "reset: \`make run\` starts afresh: it creates the database, migrates it and seeds the demo suppliers."
