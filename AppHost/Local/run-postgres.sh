#!/usr/bin/env bash
# Runs the machine's PostgreSQL as an Aspire executable: initdb on the first run only, then exec postgres in the foreground so the
# dashboard shows its log and Aspire owns its lifetime. Postgres refuses to run as root, so as root it runs as the postgres user.
set -euo pipefail
: "${PGDATA:?PGDATA is not set}" "${PGPORT:?PGPORT is not set}" "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is not set}"
BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
if [[ ! -x "$BIN/postgres" || ! -x "$BIN/initdb" ]]; then
  echo "PostgreSQL server binaries not found in $BIN: install them (apt-get install -y postgresql-15) or set LocalInfrastructure:PostgresBin" >&2
  exit 127
fi

as_postgres=()
if [[ $(id -u) -eq 0 ]]; then
  as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi

mkdir -p "$PGDATA"
if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$PGDATA"; fi
chmod 700 "$PGDATA"

# Tiered storage: a folder per storage class for the worker's CREATE TABLESPACE (beside PGDATA, never inside it).
if [[ -n "${PG_TABLESPACES:-}" ]]; then
  mkdir -p "$PG_TABLESPACES/standard" "$PG_TABLESPACES/premium"
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$PG_TABLESPACES" "$PG_TABLESPACES/standard" "$PG_TABLESPACES/premium"; fi
  chmod 700 "$PG_TABLESPACES/standard" "$PG_TABLESPACES/premium"
fi

# Continuous archiving (ARCHIVE_DIR set; not PGBACKREST_*: pgBackRest would read those as its own options): pgBackRest's repository, logs, locks and configuration live in that folder, owned by
# postgres and readable by its group (a point-in-time restore's scratch instance runs as another user in that group, so it can read
# the repository but never write this server's folders). The configuration is written at every start: the port may change.
# pgBackRest reaches the server for a base backup over a Unix socket only, so the server listens on one in that folder too.
archive=()
socket_dir=
conf=
if [[ -n "${ARCHIVE_DIR:-}" ]]; then
  : "${ARCHIVE_STANZA:?ARCHIVE_STANZA is not set}"
  command -v pgbackrest >/dev/null || { echo "pgbackrest not found: run scripts/ensure-local-deps.sh (apt-get install -y pgbackrest)" >&2; exit 127; }
  socket_dir="$ARCHIVE_DIR/socket"
  mkdir -p "$ARCHIVE_DIR/repo" "$ARCHIVE_DIR/log" "$ARCHIVE_DIR/lock" "$ARCHIVE_DIR/spool" "$socket_dir"
  conf="$ARCHIVE_DIR/pgbackrest.conf"
  cat > "$conf" <<CONF
[global]
repo1-path=$ARCHIVE_DIR/repo
log-path=$ARCHIVE_DIR/log
lock-path=$ARCHIVE_DIR/lock
spool-path=$ARCHIVE_DIR/spool
log-level-console=warn
log-level-file=info
compress-type=lz4
start-fast=y

[$ARCHIVE_STANZA]
pg1-path=$PGDATA
pg1-port=$PGPORT
pg1-socket-path=$socket_dir
pg1-user=postgres
CONF
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres:postgres "$ARCHIVE_DIR"; fi
  chmod 750 "$ARCHIVE_DIR" "$socket_dir"
  chmod 640 "$conf"
  archive=(-c archive_mode=on -c "archive_timeout=${PG_ARCHIVE_TIMEOUT:-30s}"
    -c "archive_command=pgbackrest --config=$conf --stanza=$ARCHIVE_STANZA archive-push %p")
fi

# A lost server: the data folder holds no cluster, but this server's archive holds base backups. Rebuild it from the archive (the
# newest base backup, then every archived WAL segment; Postgres promotes at the end of the archive) instead of an empty initdb,
# which would silently start the server over without its tenants. Tablespace folders left by the lost cluster are moved aside,
# never deleted (pgBackRest restores into empty ones only). docs/operations.md, "Losing a server".
has_base_backup() {
  [[ -n "$conf" ]] && "${as_postgres[@]}" pgbackrest --config="$conf" --stanza="$ARCHIVE_STANZA" --log-level-console=off \
    info --output=json 2>/dev/null | grep -q '"label"'
}
if [[ ! -s "$PGDATA/PG_VERSION" ]] && has_base_backup; then
  echo "rebuild: $PGDATA holds no cluster but stanza $ARCHIVE_STANZA has base backups: restoring the server from its archive"
  if [[ -n "${PG_TABLESPACES:-}" ]]; then
    aside="$PG_TABLESPACES/lost-$(date -u +%Y%m%dT%H%M%SZ)"
    for class in standard premium; do
      for leftover in "$PG_TABLESPACES/$class"/PG_*; do
        [[ -e "$leftover" ]] || continue
        mkdir -p "$aside/$class"
        mv "$leftover" "$aside/$class/"
        echo "rebuild: moved the lost cluster's $leftover aside to $aside/$class/"
      done
    done
  fi
  "${as_postgres[@]}" pgbackrest --config="$conf" --stanza="$ARCHIVE_STANZA" --log-level-console=info restore
  echo "rebuild: restored; Postgres now replays the archived WAL and promotes at its end"
elif [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  echo "initdb: first run, creating a new cluster in $PGDATA"
  pwfile="$(mktemp)"
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  if [[ $(id -u) -eq 0 ]]; then chown postgres "$pwfile"; fi
  "${as_postgres[@]}" "$BIN/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  trap - EXIT
else
  echo "reusing the existing cluster in $PGDATA"
fi

# Not exec'd: a stop from the dashboard (SIGTERM) would be Postgres' "smart" shutdown, which waits for every pooled client to
# disconnect, i.e. forever. Forward it as SIGINT, the "fast" shutdown (sessions ended, clean checkpoint), and exit with Postgres.
# PG_SETTINGS: the AppHost's server settings (ServerTopology.ReplicationSettings), "name=value" separated by spaces.
settings=()
for setting in ${PG_SETTINGS:-wal_level=logical}; do settings+=(-c "$setting"); done
"${as_postgres[@]}" "$BIN/postgres" -D "$PGDATA" -p "$PGPORT" \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories="$socket_dir" \
  -c max_connections="${PG_MAX_CONNECTIONS:-200}" -c log_min_messages=warning \
  "${settings[@]}" "${archive[@]}" &
postgres_pid=$!
trap 'kill -INT "$postgres_pid" 2>/dev/null' TERM INT
status=0
# A trapped signal interrupts wait; wait again until Postgres itself has exited, and pass on its status.
while kill -0 "$postgres_pid" 2>/dev/null; do
  wait "$postgres_pid" || status=$?
done
exit "$status"
