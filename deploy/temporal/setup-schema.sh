#!/bin/sh
# Creates or upgrades the Temporal server's two Postgres databases. Safe to
# run on every start: create and setup-schema skip what exists, update-schema
# applies only the versions the databases lack.
#
# Runs in temporalio/admin-tools; temporal-sql-tool reads the connection from
# SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and SQL_PASSWORD.
set -eu

schema_root=${TEMPORAL_SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}

# Same variable names and defaults as the server's own config template.
setup_database() {
	database=$1
	versioned_dir=$2
	echo "temporal-setup-schema: database ${database}"
	temporal-sql-tool --db "$database" create
	temporal-sql-tool --db "$database" setup-schema -v 0.0
	temporal-sql-tool --db "$database" update-schema -d "$versioned_dir"
}

setup_database "${DBNAME:-temporal}" "$schema_root/temporal/versioned"
setup_database "${VISIBILITY_DBNAME:-temporal_visibility}" "$schema_root/visibility/versioned"
echo "temporal-setup-schema: done"
