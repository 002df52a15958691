#!/bin/sh
# Creates Tenantry's three roles on first start (docker-entrypoint-initdb.d). Passwords come from
# TENANTRY_PASSWORD; change them for anything but local use.
#   tenantry_owner  owns the schema, runs migrations (DIRECT_URL)
#   tenantry_app    runtime role: NOSUPERUSER NOBYPASSRLS, owns nothing (DATABASE_URL)
#   tenantry_admin  BYPASSRLS, only for @tenantry/db/admin (DATABASE_ADMIN_URL)
# and tenantry_shadow, an empty database owned by tenantry_owner: Prisma Migrate's shadow database
# for `pnpm db:migrate` and `pnpm db:drift` (SHADOW_DATABASE_URL). The owner has no CREATEDB, so
# Prisma could not create one itself.
set -eu
psql -v ON_ERROR_STOP=1 -v pw="${TENANTRY_PASSWORD:-change-me}" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE tenantry_owner LOGIN NOSUPERUSER NOBYPASSRLS CREATEROLE PASSWORD :'pw';
CREATE ROLE tenantry_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD :'pw';
CREATE ROLE tenantry_admin LOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD :'pw';
ALTER DATABASE tenantry OWNER TO tenantry_owner;
ALTER SCHEMA public OWNER TO tenantry_owner;
CREATE DATABASE tenantry_shadow OWNER tenantry_owner;
SQL
# PG 15+: public belongs to pg_database_owner; make it the owner's outright, as in tenantry.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname tenantry_shadow -c 'ALTER SCHEMA public OWNER TO tenantry_owner;'
