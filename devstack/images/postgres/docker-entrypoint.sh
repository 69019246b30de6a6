#!/usr/bin/env bash
# Entry point of the locally built PostgreSQL image. Same behaviour as the official
# image's where charts rely on it:
#   - `postgres ...` (or only flags) starts the server; any other command runs as given;
#   - an empty $PGDATA is initialised: superuser $POSTGRES_USER (default postgres) with
#     $POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust), database $POSTGRES_DB
#     (default: the user's name), extra initdb flags in $POSTGRES_INITDB_ARGS, and
#     password authentication for every TCP client;
#   - then /docker-entrypoint-initdb.d/* in name order, against a server listening only
#     on its socket: executable *.sh run, other *.sh are sourced, *.sql and *.sql.gz go
#     through psql;
#   - a data directory that holds a database is never touched;
#   - VAR_FILE may give any POSTGRES_* value from a file (secrets mounted as files);
#   - started as root it drops to the postgres user; started as any other UID it runs
#     as that UID (nss_wrapper names it when /etc/passwd does not).
# It writes only to $PGDATA, /var/run/postgresql and /tmp: the root can be read-only.
set -Eeuo pipefail

log() { printf 'entrypoint: %s\n' "$*" >&2; }

# value_or_file VAR [DEFAULT]: VAR, or the content of the file VAR_FILE names.
value_or_file() {
  local var="$1" default="${2:-}" file_var="${1}_FILE"
  if [[ -n "${!var:-}" && -n "${!file_var:-}" ]]; then
    log "both $var and $file_var are set; set only one"
    exit 1
  fi
  local value="$default"
  if [[ -n "${!var:-}" ]]; then
    value="${!var}"
  elif [[ -n "${!file_var:-}" ]]; then
    value="$(<"${!file_var}")"
  fi
  export "$var=$value"
  unset "$file_var"
}

asks_for_information() {
  local arg
  for arg; do
    case "$arg" in -'?' | --help | --describe-config | -V | --version) return 0 ;; esac
  done
  return 1
}

prepare_directories() {
  mkdir -p "$PGDATA"
  # PostgreSQL refuses a data directory others can read; a volume may not allow chmod.
  chmod 700 "$PGDATA" 2>/dev/null || true
  mkdir -p /var/run/postgresql 2>/dev/null || true
  chmod 3775 /var/run/postgresql 2>/dev/null || true
  if [[ "$(id -u)" == 0 ]]; then
    find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres: '{}' +
  fi
}

name_this_uid() {
  # initdb wants the running UID to have a name.
  getent passwd "$(id -u)" >/dev/null && return 0
  local wrapper
  for wrapper in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
    [[ -s "$wrapper" ]] || continue
    NSS_WRAPPER_PASSWD="$(mktemp)" NSS_WRAPPER_GROUP="$(mktemp)"
    export LD_PRELOAD="$wrapper" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
    printf 'postgres:x:%s:%s:PostgreSQL:%s:/bin/false\n' "$(id -u)" "$(id -g)" "$PGDATA" >"$NSS_WRAPPER_PASSWD"
    printf 'postgres:x:%s:\n' "$(id -g)" >"$NSS_WRAPPER_GROUP"
    return 0
  done
}

forget_uid_name() {
  [[ "${LD_PRELOAD:-}" == */libnss_wrapper.so ]] || return 0
  rm -f "$NSS_WRAPPER_PASSWD" "$NSS_WRAPPER_GROUP"
  unset LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
}

sql() {
  psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" "$@"
}

run_init_files() {
  local file
  for file in /docker-entrypoint-initdb.d/*; do
    [[ -e "$file" ]] || continue
    case "$file" in
      *.sh)
        if [[ -x "$file" ]]; then
          log "running $file"
          "$file"
        else
          log "sourcing $file"
          # shellcheck disable=SC1090
          . "$file"
        fi
        ;;
      *.sql) log "running $file" && sql --dbname "$POSTGRES_DB" -f "$file" ;;
      *.sql.gz) log "running $file" && gunzip -c "$file" | sql --dbname "$POSTGRES_DB" ;;
      *) log "ignoring $file (not .sh, .sql or .sql.gz)" ;;
    esac
  done
}

initialise() {
  if [[ -z "$POSTGRES_PASSWORD" && "$POSTGRES_HOST_AUTH_METHOD" != trust ]]; then
    log "the data directory $PGDATA is empty and POSTGRES_PASSWORD is not set: set the superuser's password (or POSTGRES_HOST_AUTH_METHOD=trust, which lets any client in)"
    exit 1
  fi
  log "initialising $PGDATA"
  name_this_uid
  # Word splitting of POSTGRES_INITDB_ARGS is intended: it holds several flags.
  # shellcheck disable=SC2086
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    $POSTGRES_INITDB_ARGS
  forget_uid_name
  local method="$POSTGRES_HOST_AUTH_METHOD"
  # The server's own password_encryption (scram-sha-256) unless a method is given.
  [[ -n "$method" ]] || method="$(postgres -C password_encryption "${@:2}")"
  printf '\nhost all all all %s\n' "$method" >>"$PGDATA/pg_hba.conf"

  export PGPASSWORD="$POSTGRES_PASSWORD"
  # Socket only while initialising: no client can connect before it is done.
  pg_ctl -D "$PGDATA" -w start -o "$(printf '%q ' "${@:2}" -c listen_addresses= -p "${PGPORT:-5432}")"
  # psql expands :'db' only in what it reads, not in --command.
  local exists
  exists="$(sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only \
    <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")"
  if [[ -z "$exists" ]]; then
    sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  run_init_files
  pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  log "initialisation complete"
}

main() {
  if [[ "${1:-}" == -* ]]; then set -- postgres "$@"; fi
  if [[ "${1:-}" != postgres ]] || asks_for_information "$@"; then exec "$@"; fi

  value_or_file POSTGRES_PASSWORD
  value_or_file POSTGRES_USER postgres
  value_or_file POSTGRES_DB "$POSTGRES_USER"
  value_or_file POSTGRES_INITDB_ARGS
  export POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-}"

  prepare_directories
  if [[ "$(id -u)" == 0 ]]; then
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
  fi
  if [[ -s "$PGDATA/PG_VERSION" ]]; then
    log "$PGDATA holds a database: starting it as it is"
  else
    initialise "$@"
  fi
  exec "$@"
}

main "$@"
