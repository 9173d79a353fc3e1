#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings their schemas to the version this admin-tools image
# ships (the same release as the server image). Runs on every `docker compose up` and is safe to: setup-schema
# keeps a newer version it finds, update-schema applies only the steps a database lacks.
# temporal-sql-tool reads the connection from SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and SQL_PASSWORD.
set -eu
schema_dir=/etc/temporal/schema/postgresql/v12

for database in temporal temporal_visibility; do
  # `create` fails when the database is already there (every start after the first); if it failed for any
  # other reason, setup-schema below fails too and stops the script.
  temporal-sql-tool --db "$database" create || echo "database $database exists; keeping it"
  temporal-sql-tool --db "$database" setup-schema -v 0.0
done
temporal-sql-tool --db temporal update-schema -d "$schema_dir/temporal/versioned"
temporal-sql-tool --db temporal_visibility update-schema -d "$schema_dir/visibility/versioned"
echo "Temporal schemas are up to date"
