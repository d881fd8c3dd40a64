# pgBackRest's shared configuration, sourced by AppHost/Local/run-postgres.sh (local mode) and by the image's
# archive-entrypoint.sh (publish mode), so both modes archive the same way. Reads ARCHIVE_STANZA and ARCHIVE_REPO_* from the
# environment; the key is PGBACKREST_REPO1_AZURE_KEY, which pgBackRest reads from the environment itself (never written here).

# The [global] section: the repository (a folder per server in the backup store's container, over HTTPS trusting the authority
# in $1) and what every server shares. Callers append their own paths to it.
pgbackrest_global_conf() {
  cat <<CONF
[global]
repo1-type=azure
repo1-azure-account=$ARCHIVE_REPO_ACCOUNT
repo1-azure-container=$ARCHIVE_REPO_CONTAINER
repo1-azure-uri-style=path
repo1-storage-host=$ARCHIVE_REPO_HOST
repo1-storage-port=$ARCHIVE_REPO_PORT
repo1-storage-ca-file=$1
repo1-path=/$ARCHIVE_STANZA
log-level-console=warn
log-level-file=info
compress-type=lz4
start-fast=y
# An object store answers per request: bundle a backup's small files into few blobs (a tenant database is hundreds of tiny files;
# one request each made a scratch restore take 46 s for an 88 MB cluster), and fetch with both cores.
repo1-bundle=y
process-max=2
CONF
}

# Replay asks for one WAL segment at a time: fetch the next ones ahead in the background (into the spool path) instead of one
# process, one TLS handshake and one request per segment while Postgres waits.
pgbackrest_archive_get_conf() {
  cat <<CONF

[global:archive-get]
archive-async=y
CONF
}
