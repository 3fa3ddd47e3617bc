#!/bin/sh
# Runs once, when the PostgreSQL volume is empty (the image's /docker-entrypoint-initdb.d).
# One role and one database per service; each service only knows its own URL
# (OCOP_<SERVICE>_DATABASE_URL), so production may later move a database to its own server.
set -eu
for service in registry evaluation promotion notifications; do
  upper=$(printf '%s' "$service" | tr '[:lower:]' '[:upper:]')
  eval "password=\${OCOP_${upper}_DB_PASSWORD:-}"
  if [ -z "$password" ]; then
    echo "OCOP_${upper}_DB_PASSWORD is not set (deploy/compose/.env)" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v role="ocop_${service}" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
SQL
done
