#!/bin/sh
# Runs once, when the postgres container initialises an empty data folder (the image's
# /docker-entrypoint-initdb.d). It makes what `scalelab up` makes in the lab: the
# instances' role `scalelab_app`, an ordinary role (so the superuser's reserved
# connections stay out of the instances' budget, as in the lab), owning the database
# `scalelab`. The app migrates the schema itself when it starts (store/migrations/).
# Its password comes from APP_DB_PASSWORD, set on the postgres service.
set -eu
: "${APP_DB_PASSWORD:?APP_DB_PASSWORD must be set on the postgres service}"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  --set=app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE scalelab_app LOGIN PASSWORD :'app_password';
CREATE DATABASE scalelab OWNER scalelab_app;
SQL
