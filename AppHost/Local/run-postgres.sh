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

# Continuous archiving (ARCHIVE_DIR set; not PGBACKREST_*: pgBackRest would read those as its own options). The repository is a
# folder per server in the backup store's container (Azure's API, served by Azurite over HTTPS, trusted through the data folder's
# generated authority ARCHIVE_REPO_CA_FILE). Its key is PGBACKREST_REPO1_AZURE_KEY, inherited by the archive_command from this
# process' environment: never in the configuration file or argv. pgBackRest's logs, locks and configuration live in ARCHIVE_DIR,
# owned by postgres and readable by its group (a point-in-time restore's scratch instance runs as another user in that group: it
# can read the configuration but never write this server's folders). The configuration is written at every start (ports may
# change). pgBackRest reaches the server for a base backup over a Unix socket only, so the server listens on one there too.
archive=()
socket_dir=
conf=
if [[ -n "${ARCHIVE_DIR:-}" ]]; then
  : "${ARCHIVE_STANZA:?ARCHIVE_STANZA is not set}" "${ARCHIVE_REPO_HOST:?ARCHIVE_REPO_HOST is not set}" "${ARCHIVE_REPO_PORT:?ARCHIVE_REPO_PORT is not set}"
  : "${ARCHIVE_REPO_ACCOUNT:?ARCHIVE_REPO_ACCOUNT is not set}" "${ARCHIVE_REPO_CONTAINER:?ARCHIVE_REPO_CONTAINER is not set}"
  : "${ARCHIVE_REPO_CA_FILE:?ARCHIVE_REPO_CA_FILE is not set}" "${PGBACKREST_REPO1_AZURE_KEY:?PGBACKREST_REPO1_AZURE_KEY is not set}"
  command -v pgbackrest >/dev/null || { echo "pgbackrest not found: run scripts/ensure-local-deps.sh (apt-get install -y pgbackrest)" >&2; exit 127; }
  socket_dir="$ARCHIVE_DIR/socket"
  mkdir -p "$ARCHIVE_DIR/log" "$ARCHIVE_DIR/lock" "$ARCHIVE_DIR/spool" "$socket_dir"
  conf="$ARCHIVE_DIR/pgbackrest.conf"
  # shellcheck source=../Containers/postgres/pgbackrest-conf.sh
  source "$(dirname "${BASH_SOURCE[0]}")/pgbackrest-conf.sh"
  {
    pgbackrest_global_conf "$ARCHIVE_REPO_CA_FILE"
    printf 'log-path=%s\nlock-path=%s\nspool-path=%s\n' "$ARCHIVE_DIR/log" "$ARCHIVE_DIR/lock" "$ARCHIVE_DIR/spool"
    pgbackrest_archive_get_conf
    printf '\n[%s]\npg1-path=%s\npg1-port=%s\npg1-socket-path=%s\npg1-user=postgres\n' "$ARCHIVE_STANZA" "$PGDATA" "$PGPORT" "$socket_dir"
  } > "$conf"
  # Not recursive: the worker's scratch instances (point-in-time restores and drills) live and vanish under $ARCHIVE_DIR/scratch
  # while this server starts, and a recursive chown that meets a file deleted under it fails the start (a CI run lost a server so).
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres:postgres "$ARCHIVE_DIR" "$ARCHIVE_DIR/log" "$ARCHIVE_DIR/lock" "$ARCHIVE_DIR/spool" "$socket_dir" "$conf"
  fi
  chmod 750 "$ARCHIVE_DIR" "$socket_dir"
  chmod 640 "$conf"
  archive=(-c archive_mode=on -c "archive_timeout=${PG_ARCHIVE_TIMEOUT:-30s}"
    -c "archive_command=pgbackrest --config=$conf --stanza=$ARCHIVE_STANZA archive-push %p")
fi

# A lost server: the data folder holds no cluster, but this server's archive holds base backups. Rebuild it from the archive (the
# newest base backup, then every archived WAL segment; Postgres promotes at the end of the archive) instead of an empty initdb,
# which would silently start the server over without its tenants. Tablespace folders left by the lost cluster are moved aside,
# never deleted (pgBackRest restores into empty ones only). docs/operations.md, "Losing a server".
# The stanza's state: "backups" (it holds a base backup), "none" (no stanza or no backup yet), or the start stops: an archive that
# cannot be read (store down, wrong key) must not be taken for an empty one.
archive_state() {
  local json code
  json=$("${as_postgres[@]}" pgbackrest --config="$conf" --stanza="$ARCHIVE_STANZA" --log-level-console=off info --output=json) || return 1
  code=$(python3 -c 'import json,sys; s=json.load(sys.stdin)[0]; print(s["status"]["code"], len(s.get("backup", [])))' <<<"$json") || return 1
  case "$code" in
    "0 "*) [[ "${code#* }" -gt 0 ]] && echo backups || echo none ;;
    "1 "*|"2 "*|"3 "*) echo none ;; # missing stanza path, no valid backups, missing stanza data
    *) echo "pgbackrest cannot read stanza $ARCHIVE_STANZA's repository: $json" >&2; return 1 ;;
  esac
}
state=none
if [[ -n "$conf" && ! -s "$PGDATA/PG_VERSION" ]]; then
  state=$(archive_state) || { echo "refusing to start: the data folder is empty and the archive cannot be read (is the backup store up?)" >&2; exit 1; }
fi
if [[ "$state" == backups ]]; then
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
  # No session until the replay has reached the archive's end and promoted: a read-only server halfway through its history would
  # pass the health check and answer with tenants (or rows) missing.
  archive+=(-c hot_standby=off)
  echo "rebuild: restored; Postgres now replays the archived WAL and promotes at its end (no connections until then)"
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
