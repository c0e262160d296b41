#!/bin/sh
# One-shot job (admin-tools image): create Temporal's two databases on PostgreSQL and bring
# their schemas to the version this server image expects. Safe to run again: an existing
# database is kept, and update-schema only applies the versions not yet applied.
set -eu
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" \
  -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" "$@"; }
schemas=/etc/temporal/schema/postgresql/v12
for db in temporal temporal_visibility; do
  sql --db "$db" create-database 2>/dev/null || echo "database $db exists"
done
# setup-schema writes the version table once; on a database already set up it says so.
sql --db temporal setup-schema -v 0.0 2>/dev/null || echo "temporal: schema already set up"
sql --db temporal update-schema -d "$schemas/temporal/versioned"
sql --db temporal_visibility setup-schema -v 0.0 2>/dev/null \
  || echo "temporal_visibility: schema already set up"
sql --db temporal_visibility update-schema -d "$schemas/visibility/versioned"
echo "Temporal schemas are up to date"
