#!/usr/bin/env bash
# Publish mode's tenant server: pgBackRest's configuration from the environment (the repository is a folder per server in the
# backup store's container, reached over HTTPS trusting ARCHIVE_REPO_CA, the store's authority in PEM), then the image's own
# entrypoint with archiving on. The worker cannot reach this container's data folder, so the container takes its own base backups:
# the stanza once the server answers, then a differential backup every hour and a full one every day, expired by time
# (ARCHIVE_RETENTION_DAYS). The repository key is PGBACKREST_REPO1_AZURE_KEY, inherited by the archive_command: never in a file.
set -euo pipefail
: "${ARCHIVE_STANZA:?}" "${ARCHIVE_REPO_HOST:?}" "${ARCHIVE_REPO_PORT:?}" "${ARCHIVE_REPO_ACCOUNT:?}" "${ARCHIVE_REPO_CONTAINER:?}"
: "${ARCHIVE_REPO_CA:?}" "${PGBACKREST_REPO1_AZURE_KEY:?}"
retention="${ARCHIVE_RETENTION_DAYS:-14}"
mkdir -p /etc/pgbackrest /var/log/pgbackrest /var/spool/pgbackrest
printf '%s\n' "$ARCHIVE_REPO_CA" > /etc/pgbackrest/store-ca.pem
source /usr/local/bin/pgbackrest-conf.sh
{
  pgbackrest_global_conf /etc/pgbackrest/store-ca.pem
  printf 'repo1-retention-full-type=time\nrepo1-retention-full=%s\n' "$retention"
  pgbackrest_archive_get_conf
  printf '\n[%s]\npg1-path=%s\npg1-user=postgres\n' "$ARCHIVE_STANZA" "${PGDATA:-/var/lib/postgresql/18/docker}"
} > /etc/pgbackrest/pgbackrest.conf
chown -R postgres:postgres /etc/pgbackrest /var/log/pgbackrest /var/spool/pgbackrest

backups() {
  # The image's local logins use SCRAM too (POSTGRES_INITDB_ARGS): pgBackRest's connection over the socket needs the password.
  export PGPASSWORD="${POSTGRES_PASSWORD:?}"
  until gosu postgres pg_isready -q; do sleep 2; done
  until gosu postgres pgbackrest --stanza="$ARCHIVE_STANZA" stanza-create; do sleep 30; done
  local marker=/var/lib/postgresql/pgbackrest-last-full # on the data volume: a restart does not force a full backup
  while true; do
    local type=diff
    if [[ ! -f "$marker" || $(( $(date +%s) - $(stat -c %Y "$marker") )) -ge 86400 ]]; then type=full; fi
    if gosu postgres pgbackrest --stanza="$ARCHIVE_STANZA" --type="$type" backup && [[ "$type" == full ]]; then touch "$marker"; fi
    sleep 3600
  done
}
backups &

exec docker-entrypoint.sh "$@" -c archive_mode=on -c "archive_timeout=${PG_ARCHIVE_TIMEOUT:-30s}" \
  -c "archive_command=pgbackrest --stanza=$ARCHIVE_STANZA archive-push %p"
