/*  =========================================================================
    mirror_server - making and watching a hub's links, and ListLinks

    The job "check" runs every mirror/check_interval_s on a thread of its
    own. For each link it makes what is missing (the database
    kejin_mirror_<city>, the event log's own migrations in it, the
    subscription to the origin's publication), then looks: the highest
    offset here and at the origin, whether the apply worker runs, and
    whether the origin still holds the link's slot. The state that follows
    (mirror_link_state) is recorded in the links table, with an event in
    the same transaction when it changed. A link that reaches GAP is
    disabled, so it cannot go on as if nothing was missing.

    Making databases and subscriptions needs a superuser: db/admin_dsn,
    which must be a key=value connection string (a dbname is appended to
    reach each link's database).
    =========================================================================
*/

#include "mirror.h"

extern const kj_migration_t events_migrations [];  //  the log's own schema

typedef struct {
    mirror_peer_t peer;
    char database [64];  //  kejin_mirror_<city>
    kj_db_t *db;         //  as the admin, to that database
    PGconn *origin;      //  to the origin, as the link's role
    bool granted;        //  the readers may read it
} mirror_link_t;

typedef struct {
    char *admin_dsn;
    char *publication;
    char *readers;   //  roles that read the copies (mirror/readers)
    char slot [64];  //  this hub's slot name at every origin
    kj_db_t *admin;
    mirror_link_t links [MIRROR_LINKS_MAX];
    int count;
} mirror_server_t;

//  --------------------------------------------------------------------------

void *
mirror_server_new (kj_service_t *service, kj_db_t *db, kj_status_t *status)
{
    (void) db;
    kj_config_t *config = kj_service_config (service);
    mirror_peer_t peers [MIRROR_LINKS_MAX];
    int count = 0;
    if (mirror_links_parse (kj_config_get (config, "mirror/links"), peers,
                            &count, status))
        return NULL;
    const char *admin = kj_config_get (config, "db/admin_dsn");
    if (count && (!*admin || strstr (admin, "://"))) {
        mirror_links_free (peers, count);
        kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, "db/admin_dsn",
                       "mirror/links needs db/admin_dsn as a key=value "
                       "connection string of a superuser (it creates a "
                       "database and a subscription per link)");
        return NULL;
    }
    mirror_server_t *self = (mirror_server_t *) zmalloc (sizeof *self);
    self->admin_dsn = strdup (admin);
    self->publication = strdup (kj_config_get (config, "mirror/publication"));
    self->readers = strdup (kj_config_get (config, "mirror/readers"));
    snprintf (self->slot, sizeof self->slot, "kejin_hub_%s",
              kj_config_get (config, "node/city"));
    self->count = count;
    for (int i = 0; i < count; i++) {
        self->links [i].peer = peers [i];
        snprintf (self->links [i].database, sizeof self->links [i].database,
                  "kejin_mirror_%.31s", peers [i].city);
    }
    return self;
}

void
mirror_server_destroy (void *state)
{
    mirror_server_t *self = (mirror_server_t *) state;
    if (!self)
        return;
    for (int i = 0; i < self->count; i++) {
        kj_db_destroy (&self->links [i].db);
        if (self->links [i].origin)
            PQfinish (self->links [i].origin);
        mirror_links_free (&self->links [i].peer, 1);
    }
    kj_db_destroy (&self->admin);
    free (self->admin_dsn);
    free (self->publication);
    free (self->readers);
    free (self);
}

//  --------------------------------------------------------------------------
//  DDL that must run outside a transaction block (CREATE DATABASE, CREATE
//  SUBSCRIPTION), on the simple protocol; 0, or -1 with the error in
//  `error` (static until the next call). A database or subscription that
//  already exists (another copy made it) counts as made.

static int
s_ddl (PGconn *conn, const char *sql, const char **error)
{
    static __thread char text [256];
    PGresult *result = PQexec (conn, sql);
    int rc = PQresultStatus (result) == PGRES_COMMAND_OK ? 0 : -1;
    //  Another copy of the mirror made it first: made is made
    const char *state = PQresultErrorField (result, PG_DIAG_SQLSTATE);
    if (rc && state && (streq (state, "42P04") || streq (state, "42710")))
        rc = 0;
    if (rc) {
        snprintf (text, sizeof text, "%s", PQerrorMessage (conn));
        text [strcspn (text, "\n")] = 0;
        *error = text;
    }
    PQclear (result);
    return rc;
}

static bool
s_exists (kj_db_t *db, const char *sql, const char *name)
{
    PGresult *result = kj_db_exec (db, sql, 1, &name);
    bool found = result && PQntuples (result) > 0;
    PQclear (result);
    return found;
}

//  Let the readers (mirror/readers: kejin-events with events/follow) read
//  the link's copy: each role that exists gets USAGE on its schema and
//  SELECT on events.log, nothing else. Done once per start, when every
//  role named exists; one made later is granted at a later check.

static void
s_grant (mirror_server_t *self, mirror_link_t *link)
{
    bool all = true;
    char *list = strdup (self->readers), *rest = NULL;
    for (char *role = strtok_r (list, ", ", &rest); role;
         role = strtok_r (NULL, ", ", &rest)) {
        if (!s_exists (link->db,
                       "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1",
                       role)) {
            all = false;
            continue;
        }
        char *name = PQescapeIdentifier (kj_db_conn (link->db), role,
                                         strlen (role));
        char *sql = name ? zsys_sprintf ("GRANT USAGE ON SCHEMA events TO %s; "
                                         "GRANT SELECT ON events.log TO %s",
                                         name, name)
                         : NULL;
        const char *error = "";
        if (!sql || s_ddl (kj_db_conn (link->db), sql, &error)) {
            kj_warn ("mirror.grant_failed", "city=%s role=%s reason=\"%s\"",
                     link->peer.city, role, error);
            all = false;
        }
        zstr_free (&sql);
        PQfreemem (name);
    }
    free (list);
    link->granted = all;
}

//  The link's database, its schema and its subscription, made where
//  missing. 0, or -1 with why in `error`.

static int
s_ensure (mirror_server_t *self, mirror_link_t *link, const char **error)
{
    *error = "";
    if (!self->admin)
        self->admin = kj_db_new (self->admin_dsn, "public", 0);
    if (!self->admin) {
        *error = N_ ("this hub's database (db/admin_dsn) does not answer");
        return -1;
    }
    if (!s_exists (self->admin,
                   "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1",
                   link->database)) {
        char *sql = zsys_sprintf ("CREATE DATABASE %s", link->database);
        int rc = s_ddl (kj_db_conn (self->admin), sql, error);
        zstr_free (&sql);
        if (rc)
            return -1;
        kj_info ("mirror.database", "city=%s database=%s", link->peer.city,
                 link->database);
    }
    if (!link->db) {
        char *dsn = zsys_sprintf ("%s dbname=%s", self->admin_dsn,
                                  link->database);
        link->db = kj_db_new (dsn, "events", 0);
        zstr_free (&dsn);
        if (!link->db || kj_db_migrate (link->db, events_migrations)) {
            kj_db_destroy (&link->db);
            *error = N_ ("the link's database at this hub cannot be prepared");
            return -1;
        }
    }
    if (!link->granted && *self->readers)
        s_grant (self, link);
    if (s_exists (link->db,
                  "SELECT 1 FROM pg_catalog.pg_subscription WHERE subname = $1",
                  link->database))
        return 0;
    char *conninfo = PQescapeLiteral (kj_db_conn (link->db),
                                      link->peer.conninfo,
                                      strlen (link->peer.conninfo));
    if (!conninfo) {
        *error = N_ ("the link's connection string cannot be quoted");
        return -1;
    }
    char *sql = zsys_sprintf ("CREATE SUBSCRIPTION %s CONNECTION %s "
                              "PUBLICATION %s WITH (slot_name = '%s')",
                              link->database, conninfo, self->publication,
                              self->slot);
    PQfreemem (conninfo);
    int rc = s_ddl (kj_db_conn (link->db), sql, error);
    zstr_free (&sql);
    if (rc == 0)
        kj_info ("mirror.subscribed", "city=%s slot=%s publication=%s",
                 link->peer.city, self->slot, self->publication);
    return rc;
}

//  --------------------------------------------------------------------------
//  One number from a one-row query, or -1.

static int64_t
s_number (PGresult *result)
{
    int64_t value = -1;
    if (PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1
        && !PQgetisnull (result, 0, 0))
        value = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    return value;
}

//  What the origin says: its head, and the slot's existence and WAL.

static void
s_look_at_origin (mirror_server_t *self, mirror_link_t *link,
                  mirror_seen_t *seen)
{
    static __thread char error [256];
    if (link->origin && PQstatus (link->origin) != CONNECTION_OK) {
        PQfinish (link->origin);
        link->origin = NULL;
    }
    if (!link->origin) {
        //  A partition must not hang the check: over TCP, a query whose
        //  bytes go unacknowledged for 5 s fails (tcp_user_timeout), and
        //  an idle connection is probed (keepalives)
        char *conninfo = zsys_sprintf (
            "%s connect_timeout=2 keepalives=1 keepalives_idle=5 "
            "keepalives_interval=2 keepalives_count=2 tcp_user_timeout=5000",
            link->peer.conninfo);
        link->origin = PQconnectdb (conninfo);
        zstr_free (&conninfo);
    }
    if (PQstatus (link->origin) != CONNECTION_OK) {
        snprintf (error, sizeof error, "%s", PQerrorMessage (link->origin));
        error [strcspn (error, "\n")] = 0;
        seen->origin_error = error;
        return;
    }
    const char *params [] = { self->slot };
    int64_t head = s_number (
        PQexec (link->origin,
                "SELECT coalesce (max (off), 0) FROM events.log"));
    PGresult *slot =
        PQexecParams (link->origin,
                      "SELECT wal_status FROM pg_catalog.pg_replication_slots "
                      "WHERE slot_name = $1",
                      1, NULL, params, NULL, NULL, 0);
    if (head >= 0 && PQresultStatus (slot) == PGRES_TUPLES_OK) {
        seen->origin_reached = true;
        seen->origin_head = (uint64_t) head;
        seen->slot_found = PQntuples (slot) == 1;
        //  NULL while the slot holds no WAL (no restart_lsn): not lost
        const char *wal = seen->slot_found ? kj_sql_text (slot, 0, "wal_status")
                                           : NULL;
        seen->slot_lost = wal && streq (wal, "lost");
    }
    else {
        snprintf (error, sizeof error, "%s", PQerrorMessage (link->origin));
        error [strcspn (error, "\n")] = 0;
        seen->origin_error = error;
    }
    PQclear (slot);
}

//  --------------------------------------------------------------------------
//  Records what was seen of one link; an event when its state changed.
//  reason NULL keeps the one recorded.

static int
s_record (kj_db_t *db, const char *city, Kj__LinkState state,
          const mirror_seen_t *seen, const char *reason)
{
    char state_text [8], hub [24], origin [24];
    snprintf (state_text, sizeof state_text, "%d", (int) state);
    snprintf (hub, sizeof hub, "%" PRIu64, seen->hub_head);
    snprintf (origin, sizeof origin, "%" PRIu64, seen->origin_head);
    const char *params [] = { city, state_text, hub, origin, reason };
    if (kj_db_begin (db))
        return -1;
    //  Copies of the mirror check the same links: the link's lock, then
    //  the state as it is now, so that one change makes one event.
    Kj__LinkState previous = KJ__LINK_STATE__LINK_UNKNOWN;
    if (kj_db_lock_key (db, "mirror.link", city)) {
        kj_db_rollback (db);
        return -1;
    }
    int64_t was = s_number (
        kj_db_exec (db, "SELECT state FROM links WHERE city = $1", 1, &city));
    if (was >= 0)
        previous = (Kj__LinkState) was;
    int64_t rows = kj_db_run (
        db,
        "INSERT INTO links (city, state, hub_head, origin_head, reason) "
        "VALUES ($1, $2, $3, $4, coalesce ($5, '')) "
        "ON CONFLICT (city) DO UPDATE SET state = $2, hub_head = $3, "
        "origin_head = $4, reason = coalesce ($5, links.reason), "
        "checked_at = now (), "
        "changed_at = CASE WHEN links.state = $2 THEN links.changed_at "
        "ELSE now () END",
        5, params);
    int rc = rows == 1 ? 0 : -1;
    if (rc == 0 && state != previous) {
        Kj__MirrorLink event = KJ__MIRROR_LINK__INIT;
        event.city = (char *) city;
        event.state = state;
        event.hub_head = seen->hub_head;
        event.origin_head = seen->origin_head;
        event.reason = (char *) reason;
        event.checked_at_us = event.changed_at_us = zclock_time () * 1000;
        rc = kj_outbox_add (db, mirror_link_topic (state), city, &event.base);
    }
    if (rc == 0)
        return kj_db_commit (db);
    kj_db_rollback (db);
    return -1;
}

static Kj__LinkState
s_previous (kj_db_t *db, const char *city)
{
    int64_t state = s_number (
        kj_db_exec (db, "SELECT state FROM links WHERE city = $1", 1, &city));
    return state < 0 ? KJ__LINK_STATE__LINK_UNKNOWN : (Kj__LinkState) state;
}

//  --------------------------------------------------------------------------

int
mirror_server_check (void *state, kj_db_t *db)
{
    mirror_server_t *self = (mirror_server_t *) state;
    for (int i = 0; i < self->count; i++) {
        mirror_link_t *link = &self->links [i];
        mirror_seen_t seen = { .previous = s_previous (db, link->peer.city) };
        const char *error = "";
        if (seen.previous != KJ__LINK_STATE__LINK_GAP
            && s_ensure (self, link, &error)) {
            seen.origin_error = error;
        }
        else {
            s_look_at_origin (self, link, &seen);
            const char *sub [] = { link->database };
            seen.running =
                s_number (kj_db_exec (link->db,
                                      "SELECT count (*) FROM "
                                      "pg_catalog.pg_stat_subscription "
                                      "WHERE subname = $1 AND relid IS NULL "
                                      "AND pid IS NOT NULL",
                                      1, sub))
                == 1;
            int64_t head = s_number (
                kj_db_exec (link->db,
                            "SELECT coalesce (max (off), 0) FROM events.log", 0,
                            NULL));
            seen.hub_head = head > 0 ? (uint64_t) head : 0;
        }
        const char *reason = "";
        Kj__LinkState now = mirror_link_state (&seen, &reason);
        if (now == KJ__LINK_STATE__LINK_GAP
            && seen.previous != KJ__LINK_STATE__LINK_GAP) {
            kj_error ("mirror.gap",
                      "city=%s hub_head=%" PRIu64 " reason=\"%s\" "
                      "action=\"link disabled; re-seed it\"",
                      link->peer.city, seen.hub_head, reason);
            char *sql = zsys_sprintf ("ALTER SUBSCRIPTION %s DISABLE",
                                      link->database);
            const char *ignored;
            if (link->db)
                s_ddl (kj_db_conn (link->db), sql, &ignored);
            zstr_free (&sql);
        }
        else if (now != seen.previous)
            kj_info ("mirror.link",
                     "city=%s state=%s hub_head=%" PRIu64
                     " origin_head=%" PRIu64 " reason=\"%s\"",
                     link->peer.city, mirror_link_topic (now) + 12,
                     seen.hub_head, seen.origin_head, reason);
        //  A link in GAP keeps the reason it stopped for
        bool kept = now == seen.previous && now == KJ__LINK_STATE__LINK_GAP;
        if (s_record (db, link->peer.city, now, &seen, kept ? NULL : reason))
            return -1;
    }
    return self->count;
}

//  --------------------------------------------------------------------------
//  ListLinks: every link as last looked at.

static int
s_list_links (kj_call_t *call, const ProtobufCMessage *request,
              ProtobufCMessage *reply)
{
    (void) request;
    Kj__ListLinksReply *out = (Kj__ListLinksReply *) reply;
    PGresult *result = kj_db_exec (
        kj_call_db (call),
        "SELECT city, state, hub_head, origin_head, reason, "
        "(extract (epoch FROM checked_at) * 1000000)::bigint AS checked_us, "
        "(extract (epoch FROM changed_at) * 1000000)::bigint AS changed_us "
        "FROM links ORDER BY city",
        0, NULL);
    if (!result)
        return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                             "the links cannot be read now");
    int rows = PQntuples (result);
    out->links = kj_call_alloc (call, sizeof (void *) * (size_t) (rows + 1));
    int rc = 0;
    for (int r = 0; r < rows && rc == 0; r++) {
        Kj__MirrorLink *link = kj_call_alloc (call, sizeof *link);
        kj__mirror_link__init (link);
        int state = 0;
        int64_t hub = 0, origin = 0;
        const char *city = kj_sql_text (result, r, "city");
        const char *reason = kj_sql_text (result, r, "reason");
        if (!city || !reason || kj_sql_int (result, r, "state", &state)
            || kj_sql_int64 (result, r, "hub_head", &hub)
            || kj_sql_int64 (result, r, "origin_head", &origin)
            || kj_sql_int64 (result, r, "checked_us", &link->checked_at_us)
            || kj_sql_int64 (result, r, "changed_us", &link->changed_at_us)) {
            rc = -1;
            break;
        }
        link->city = kj_call_strdup (call, city);
        link->state = (Kj__LinkState) state;
        link->hub_head = (uint64_t) hub;
        link->origin_head = (uint64_t) origin;
        link->reason = kj_call_strdup (call, *reason ? _ (reason) : "");
        out->links [out->n_links++] = link;
    }
    PQclear (result);
    if (rc)
        return kj_call_fail (call, KJ__CODE__INTERNAL, NULL,
                             "the links table gave a row that cannot be read");
    return 0;
}

const kj_method_t mirror_methods [] = { { "ListLinks", s_list_links, 0 },
                                        { NULL } };
