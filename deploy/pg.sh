#!/usr/bin/env bash
#  pg.sh: a private PostgreSQL cluster in one folder, for tests and for the
#  embedded node. The cluster listens on a Unix socket in that folder only
#  (no TCP). The folder and the socket are private to the cluster's owner
#  (mode 700), so no other local user can even reach the server. The
#  superuser postgres logs in by peer authentication, and only from the
#  owner's account (and root's); every other role logs in with a password
#  (scram-sha-256) that `pg.sh role` makes and keeps in DIR/pgpass.
#
#  Run as root, the folder is given to the postgres user and every server
#  command runs as that user, since PostgreSQL refuses to run as root.

set -euo pipefail

usage () {
    cat <<'EOF'
Usage: deploy/pg.sh COMMAND DIR [PORT]

  start DIR [PORT]   create the cluster in DIR/data if missing and start it;
                     the socket is DIR/.s.PGSQL.PORT. PORT defaults to the
                     one used last time, else the first free one from 15432.
                     Prints the DSN. Starting a running cluster is a no-op.
  stop DIR           fast shutdown; no process and no socket left behind
  status DIR         "running port=N pid=N" (exit 0) or "stopped" (exit 3)
  dsn DIR            the connection string of the superuser
  role DIR NAME      create login role NAME (or keep it) with a password in
                     DIR/pgpass (mode 600); prints the role's connection
                     string, which finds the password through that file
  publish DIR        offer this city's event log to a hub: the publication
                     kejin_events of events.log (inserts only) and the
                     replication role kejin_link, which may read nothing
                     else; prints the connection string for the hub's
                     mirror/links (with the password: keep it private).
                     kejin-events must have made its schema first.

Environment:
  KEJIN_PG_FAST=1    fsync, synchronous_commit and full_page_writes off: for
                     unit tests only, a crash may then lose committed data
  KEJIN_PG_LISTEN=ADDRESSES
                     also listen on these IP addresses (comma-separated),
                     for a hub in another city: only the link role
                     kejin_link may log in over TCP, with its password;
                     `publish` then names the first address
EOF
}

die () {
    echo "pg.sh: $*" >&2
    exit 1
}

#  Newest server binaries: pg_config's, else /usr/lib/postgresql/*/bin.
find_bindir () {
    local dir
    if command -v pg_config >/dev/null; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }
    fi
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }
    die "no PostgreSQL server found (pg_ctl); install the postgresql package"
}

#  Run a server command as the owner of the cluster, from a folder that
#  owner may enter.
as_owner () {
    if [ "$(id -u)" -eq 0 ]; then
        (cd "$DIR" && runuser -u postgres -- "$@")
    else
        (cd "$DIR" && "$@")
    fi
}

is_running () {
    [ -f "$DIR/data/postmaster.pid" ] && \
        as_owner "$BINDIR/pg_ctl" status -D "$DIR/data" >/dev/null 2>&1
}

port_is_free () {
    local port=$1
    [ ! -e "$DIR/.s.PGSQL.$port" ] && [ ! -e "$DIR/.s.PGSQL.$port.lock" ] && \
        [ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]
}

pick_port () {
    local port
    if [ -f "$DIR/port" ]; then
        port=$(cat "$DIR/port")
        port_is_free "$port" && { echo "$port"; return; }
    fi
    for ((port = 15432; port < 16432; port++)); do
        port_is_free "$port" && { echo "$port"; return; }
    done
    die "no free port between 15432 and 16431"
}

print_dsn () {
    [ -f "$DIR/port" ] || die "$DIR has no cluster (no $DIR/port)"
    echo "host=$DIR port=$(cat "$DIR/port") user=postgres dbname=postgres"
}

#  As root the folder belongs to postgres, and postgres must be able to
#  reach it: every parent needs the x bit for others (/root is 700).
prepare_dir () {
    mkdir -p "$DIR"
    [ "$(id -u)" -eq 0 ] || chmod 700 "$DIR"
    if [ "$(id -u)" -eq 0 ]; then
        getent passwd postgres >/dev/null || \
            die "running as root needs a postgres user (install postgresql)"
        chown postgres: "$DIR"
        chmod 700 "$DIR"
        if ! runuser -u postgres -- test -w "$DIR" -a -x "$DIR"; then
            local d="" part
            IFS=/ read -ra parts <<<"${DIR#/}"
            for part in "${parts[@]}"; do
                d="$d/$part"
                runuser -u postgres -- test -x "$d" || break
            done
            die "user postgres cannot enter $d, so cannot use $DIR; pick a" \
                "folder postgres can reach (e.g. under /tmp) or run:" \
                "chmod o+x $d"
        fi
    fi
}

init_cluster () {
    local locale=C
    locale -a 2>/dev/null | grep -qix 'c.utf-\?8' && locale=C.UTF-8
    if ! as_owner "$BINDIR/initdb" -D "$DIR/data" -U postgres -E UTF8 \
            --locale="$locale" --auth-local=reject --auth-host=reject \
            >"$DIR/initdb.log" 2>&1; then
        tail -n 20 "$DIR/initdb.log" >&2
        die "initdb failed, see $DIR/initdb.log"
    fi
    echo "include_if_exists = 'kejin.conf'" >>"$DIR/data/postgresql.conf"
}

#  Settings rewritten at every start, so KEJIN_PG_FAST and the port apply
#  to an existing cluster too.
write_conf () {
    local port=$1 durable=on listen=${KEJIN_PG_LISTEN:-}
    [ "${KEJIN_PG_FAST:-0}" = 1 ] && durable=off
    [[ $listen =~ ^[0-9a-fA-F.:,]*$ ]] || \
        die "KEJIN_PG_LISTEN must be IP addresses separated by commas: $listen"
    cat >"$DIR/data/kejin.conf" <<EOF
# Written by deploy/pg.sh at each start: edits here are lost.
port = $port
listen_addresses = '$listen'
unix_socket_directories = '$DIR'
unix_socket_permissions = 0700
password_encryption = scram-sha-256
hba_file = '$DIR/data/kejin_hba.conf'
ident_file = '$DIR/data/kejin_ident.conf'
max_connections = 200
wal_level = logical
max_slot_wal_keep_size = ${KEJIN_PG_SLOT_KEEP:-1GB}
shared_buffers = 128MB
fsync = $durable
synchronous_commit = $durable
full_page_writes = $durable
log_line_prefix = '%m [%p] %q%u@%d '
EOF
    #  Who may log in how: the superuser only by peer from the owner's
    #  account (root's too, when root runs the cluster for postgres);
    #  every other role by password. No trust for anyone.
    local me
    me=$(id -un)
    printf '%s\n' "# Written by deploy/pg.sh at each start: edits here are lost." \
        "local all postgres peer map=owner" \
        "local all all scram-sha-256" \
        ${listen:+"host all kejin_link all scram-sha-256"} \
        >"$DIR/data/kejin_hba.conf"
    {
        echo "# Written by deploy/pg.sh at each start: edits here are lost."
        echo "owner $me postgres"
        [ "$me" = postgres ] || echo "owner postgres postgres"
    } >"$DIR/data/kejin_ident.conf"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$DIR/data/kejin.conf" \
        "$DIR/data/kejin_hba.conf" "$DIR/data/kejin_ident.conf"
    return 0
}

cmd_start () {
    local port=${1:-}
    prepare_dir
    [ -d "$DIR/data" ] && [ ! -f "$DIR/data/PG_VERSION" ] && \
        die "$DIR/data exists but is not a PostgreSQL cluster"
    exec 9>>"$DIR/.pg.lock"
    flock 9
    if is_running; then
        print_dsn
        return 0
    fi
    [ -d "$DIR/data" ] || init_cluster
    #  Left by a server that was killed; none runs here (we hold the lock).
    rm -f "$DIR"/.s.PGSQL.*
    if [ -n "$port" ]; then
        [[ $port =~ ^[0-9]+$ ]] && [ "$port" -gt 0 ] && [ "$port" -lt 65536 ] \
            || die "bad port: $port"
        port_is_free "$port" || die "port $port is in use"
    else
        port=$(pick_port)
    fi
    write_conf "$port"
    echo "$port" >"$DIR/port"
    #  9>&-: the server must not inherit (and so hold) the lock.
    if ! as_owner "$BINDIR/pg_ctl" start -D "$DIR/data" -l "$DIR/postgres.log" \
            -w -t 60 >/dev/null 9>&-; then
        tail -n 20 "$DIR/postgres.log" >&2 || true
        die "PostgreSQL did not start, see $DIR/postgres.log"
    fi
    print_dsn
}

cmd_stop () {
    [ -d "$DIR/data" ] || return 0
    exec 9>>"$DIR/.pg.lock"
    flock 9
    if is_running; then
        as_owner "$BINDIR/pg_ctl" stop -D "$DIR/data" -m fast -w -t 60 \
            >/dev/null || \
            as_owner "$BINDIR/pg_ctl" stop -D "$DIR/data" -m immediate -w \
                >/dev/null || die "could not stop PostgreSQL in $DIR"
    fi
    #  A server that crashed leaves its socket and lock behind.
    if [ ! -f "$DIR/data/postmaster.pid" ]; then
        rm -f "$DIR"/.s.PGSQL.*
    fi
}

#  A login role with a password of its own, kept in DIR/pgpass so that the
#  same role gets the same password after a restart; prints its DSN.
#  ROLE_RIGHTS (NOREPLICATION unless set) is what else it may do.
cmd_role () {
    local name=$1 pass="" line
    [[ $name =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || \
        die "role name must be [a-z_][a-z0-9_]* (at most 63): $name"
    [ "$name" != postgres ] || die "postgres is the superuser, not a service role"
    exec 9>>"$DIR/.pg.lock"
    flock 9
    is_running || die "the cluster in $DIR is not running"
    if [ -f "$DIR/pgpass" ]; then
        while IFS= read -r line; do
            [ "${line%:*}" = "*:*:*:$name" ] && pass=${line##*:}
        done <"$DIR/pgpass"
    fi
    if [ -z "$pass" ]; then
        pass=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)
        (umask 077; echo "*:*:*:$name:$pass" >>"$DIR/pgpass")
    fi
    chmod 600 "$DIR/pgpass"
    #  The name is [a-z0-9_] and the password [A-Za-z0-9]: safe in SQL.
    #  The bootstrap lock (KJ_LOCK_BOOTSTRAP of common/kj_locks.h, which
    #  kj_db takes too) keeps two creators of one role from racing.
    "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -c "
        SELECT pg_advisory_lock (19270, 0);
        DO \$\$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$name')
            THEN CREATE ROLE $name LOGIN;
            END IF;
        END \$\$;
        ALTER ROLE $name LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
            ${ROLE_RIGHTS:-NOREPLICATION} PASSWORD '$pass';" \
        "host=$DIR port=$(cat "$DIR/port") user=postgres dbname=postgres" \
        >/dev/null || die "could not create role $name"
    echo "host=$DIR port=$(cat "$DIR/port") user=$name dbname=postgres" \
         "passfile=$DIR/pgpass"
}

#  The publication a hub's kejin-mirror subscribes to, and the role it
#  logs in as: REPLICATION, SELECT on events.log and nothing more.
cmd_publish () {
    local dsn pass
    dsn=$(ROLE_RIGHTS=REPLICATION cmd_role kejin_link) || exit 1
    pass=$(sed -n 's/^\*:\*:\*:kejin_link://p' "$DIR/pgpass")
    "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -c "
        GRANT USAGE ON SCHEMA events TO kejin_link;
        GRANT SELECT ON events.log TO kejin_link;
        DO \$\$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_publication
                           WHERE pubname = 'kejin_events')
            THEN CREATE PUBLICATION kejin_events FOR TABLE events.log
                     WITH (publish = 'insert');
            END IF;
        END \$\$;" \
        "host=$DIR port=$(cat "$DIR/port") user=postgres dbname=postgres" \
        >/dev/null || die "could not publish events.log (has kejin-events" \
                          "made its schema in $DIR?)"
    dsn="${dsn% passfile=*} password=$pass"
    #  Over TCP when the cluster listens on an address
    local address
    address=$(sed -n "s/^listen_addresses = '\([^,']*\).*/\1/p" \
              "$DIR/data/kejin.conf")
    [ -z "$address" ] || dsn="host=$address ${dsn#host=* }"
    echo "$dsn"
}

cmd_status () {
    if is_running; then
        local pid
        pid=$(head -n 1 "$DIR/data/postmaster.pid")
        echo "running port=$(cat "$DIR/port") pid=$pid"
    else
        echo "stopped"
        exit 3
    fi
}

case "${1:-}" in
    -h|--help|help) usage; exit 0 ;;
    start|stop|status|dsn|role|publish) ;;
    "") usage >&2; exit 2 ;;
    *) echo "pg.sh: unknown command: $1" >&2; usage >&2; exit 2 ;;
esac
command=$1
case "$command" in
    start) [ $# -eq 2 ] || [ $# -eq 3 ] ;;
    role) [ $# -eq 3 ] ;;
    *) [ $# -eq 2 ] ;;
esac || { usage >&2; exit 2; }

DIR=$(realpath -m -- "$2")
[[ $DIR =~ ^[A-Za-z0-9_./+-]+$ ]] || \
    die "folder name may hold only letters, digits and _ . / + -: $DIR"
#  A Unix socket path holds at most 107 bytes.
[ ${#DIR} -le 90 ] || die "folder path too long for a socket (max 90): $DIR"
BINDIR=$(find_bindir)

case "$command" in
    start) cmd_start "${3:-}" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    dsn) print_dsn ;;
    role) cmd_role "$3" ;;
    publish) cmd_publish ;;
esac
