#!/bin/sh
# Makes sure the namespace exists and registers orderflow's custom search
# attributes in it. Each argument is NAME=Type (Keyword, Bool, Datetime, ...).
#
#   setup-namespace.sh OrderStatus=Keyword NeedsAttention=Bool ...
#
# Safe to run on every start: an attribute that already exists with the same
# type counts as done; one that exists with another type fails the job, since
# workflows would then write values the server rejects.
#
# Runs in temporalio/admin-tools. Settings: TEMPORAL_ADDRESS,
# TEMPORAL_NAMESPACE, TEMPORAL_NAMESPACE_RETENTION, SETUP_ATTEMPTS,
# SETUP_RETRY_SECONDS.
set -eu

address=${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}
namespace=${TEMPORAL_NAMESPACE:-default}
retention=${TEMPORAL_NAMESPACE_RETENTION:-720h}
attempts=${SETUP_ATTEMPTS:-30}
retry_seconds=${SETUP_RETRY_SECONDS:-2}

log() { echo "temporal-setup: $*"; }
fail() {
	echo "temporal-setup: $*" >&2
	exit 1
}

# Check every argument before touching the server, so a typo fails fast.
[ "$#" -gt 0 ] || fail "no search attributes given (want NAME=Type arguments)"
for pair in "$@"; do
	case "$pair" in
	?*=?*) ;;
	*) fail "bad argument '$pair' (want NAME=Type)" ;;
	esac
done

# wait_for runs its arguments until they succeed or the attempts run out. The
# server answers health before the namespace registry has caught up, so a
# fresh namespace can be "not found" for a few seconds: hence retries
# everywhere, not only for the health check.
wait_for() {
	what=$1
	shift
	n=1
	until "$@"; do
		[ "$n" -lt "$attempts" ] || fail "gave up on $what after $attempts attempts"
		n=$((n + 1))
		sleep "$retry_seconds"
	done
}

server_healthy() {
	temporal operator cluster health --address "$address" >/dev/null 2>&1
}

ensure_namespace() {
	if temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; then
		return 0
	fi
	temporal operator namespace create --address "$address" --namespace "$namespace" --retention "$retention"
}

# create_search_attribute returns 0 when the attribute exists with the wanted
# type, 1 to retry, and stops the script on a type conflict.
create_search_attribute() {
	if out=$(temporal operator search-attribute create --address "$address" --namespace "$namespace" \
		--name "$1" --type "$2" 2>&1); then
		return 0
	fi
	case "$out" in
	*"different type"*) fail "search attribute $1 exists with another type: $out" ;;
	*"already exists"*) return 0 ;;
	esac
	echo "$out" >&2
	return 1
}

log "waiting for the server at $address"
wait_for "the server" server_healthy
log "namespace $namespace"
wait_for "namespace $namespace" ensure_namespace
for pair in "$@"; do
	name=${pair%%=*}
	type=${pair#*=}
	log "search attribute $name ($type)"
	wait_for "search attribute $name" create_search_attribute "$name" "$type"
done
log "done"
