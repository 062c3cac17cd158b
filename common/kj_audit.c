/*  =========================================================================
    kj_audit - the audit trail of a service: append-only, hash-chained

    The hashing is PostgreSQL's (sha256, built in), in two functions the
    installer makes in the trail's schema, so that sealing and verifying
    read a row's content through one definition: `content (trail)`, the
    row as a JSON array (jsonb's text is canonical, the time in
    microseconds since 1970, so no session setting changes it).

    `content` names every function, operator and type by its schema
    (pg_catalog) instead of pinning search_path with SET, and is STABLE
    (jsonb_build_array is): so PostgreSQL inlines it into the seal's and
    verify's queries instead of calling a SQL function per row. The seal
    hashes in a loop and writes the chain rows with one INSERT. It reads
    the rows above the newest chained id; rows below it that committed
    late (within SEAL_WINDOW ids) are looked for by verify's seal and by
    every SEAL_LOOK_BACK-th seal of the job, since that look costs the
    window's size (it was made at every seal, over the whole chain: about
    100 ms of PostgreSQL a second at 150,000 rows). What a
    hash covers is the same bytes as before (docs/audit.md; a chain
    sealed by the old definition verifies, test_kj_audit).

    chain.hash of the n-th row = sha256 (chain.hash of row n-1 || content),
    the first row's previous hash being empty.
    =========================================================================
*/

#include "kejin.h"
#include "kj_audit.h"
#include "kj_json.h"
#include <stdatomic.h>

//  Rows a seal chains at most per call, and how far below the newest
//  chained id it looks for rows that committed late
#define SEAL_BATCH  10000
#define SEAL_WINDOW "100000"
//  Seals of the job between two looks for rows that committed late
#define SEAL_LOOK_BACK 30

struct _kj_audit_t {
    char schema [64];  //  "registry_audit"
    char *insert_sql;
    char *seal_sql;
    char *verify_sql;
    char *exists_sql;
    char *head_sql;            //  the chain's last place, row and hash
    char *anchor_sql;          //  the chain's last place, and the hash at $1
    atomic_int has_outbox;     //  -1 not known yet, 0 no, 1 yes
    atomic_bool anchor_seals;  //  every seal anchors, not only verify's
    atomic_uint_fast64_t anchored;  //  the place this process anchored last
    atomic_uint seals;              //  kj_audit_seal's calls, for look-backs
};

//  What kj_audit_object keeps with the call
typedef struct {
    const char *object;
    const char *before;
    const char *after;
} s_note_t;

//  The installer's script; %1$s is the trail's schema. Run as one
//  transaction, under the lock kj_db's bootstrap takes.
static const char *s_install_sql =
    "BEGIN;"
    "SELECT pg_advisory_xact_lock (" KJ_LOCK_BOOTSTRAP ", 0);"
    "CREATE SCHEMA IF NOT EXISTS %1$s;"
    "CREATE TABLE IF NOT EXISTS %1$s.trail ("
    "  id bigserial PRIMARY KEY,"
    "  at timestamptz NOT NULL DEFAULT clock_timestamp (),"
    "  service text NOT NULL, method text NOT NULL,"
    "  key text NOT NULL, role text NOT NULL, city text NOT NULL,"
    "  object text NOT NULL, request_id text NOT NULL,"
    "  code integer NOT NULL, message text NOT NULL,"
    "  before jsonb, after jsonb);"
    "CREATE TABLE IF NOT EXISTS %1$s.chain ("
    "  seq bigint PRIMARY KEY,"
    "  id bigint NOT NULL UNIQUE,"
    "  hash bytea NOT NULL);"
    "CREATE OR REPLACE FUNCTION %1$s.content (r %1$s.trail) RETURNS bytea"
    "  LANGUAGE sql STABLE AS $f$"
    "  SELECT pg_catalog.convert_to (pg_catalog.jsonb_build_array (r.id,"
    "    (extract (epoch FROM r.at) OPERATOR (pg_catalog.*) 1000000)"
    "    ::pg_catalog.int8, r.service, r.method, r.key, r.role, r.city,"
    "    r.object, r.request_id, r.code, r.message, r.before, r.after)"
    "    ::pg_catalog.text, 'UTF8') $f$;"
    "CREATE OR REPLACE FUNCTION %1$s.seal (batch integer,"
    "    look_back boolean DEFAULT true) RETURNS integer"
    "  LANGUAGE plpgsql SET search_path = pg_catalog"
    "  SET max_parallel_workers_per_gather = 0 AS $f$"
    "DECLARE prev bytea; last_seq bigint; last_id bigint; n integer := 0;"
    "  r record; ids bigint[] := '{}'; hashes bytea[] := '{}'; low bigint;"
    "BEGIN"
    "  IF NOT pg_try_advisory_xact_lock (" KJ_LOCK_AUDIT_SEAL ","
    " hashtext ('%1$s')) THEN"
    "    RETURN 0;"
    "  END IF;"
    "  SELECT c.seq, c.hash INTO last_seq, prev FROM %1$s.chain c"
    "    ORDER BY c.seq DESC LIMIT 1;"
    "  IF NOT FOUND THEN last_seq := 0; prev := ''::bytea; END IF;"
    "  SELECT coalesce (max (c.id), 0) INTO last_id FROM %1$s.chain c;"
    "  low := last_id - " SEAL_WINDOW ";"
    //  Rows below the newest chained one that committed late: looked for
    //  in the window's ids only when asked, it costs the window's size
    "  IF look_back THEN"
    "    FOR r IN SELECT t.id, %1$s.content (t) AS body FROM %1$s.trail t"
    "        WHERE t.id > low AND t.id <= last_id"
    "        AND NOT EXISTS (SELECT 1 FROM %1$s.chain c"
    "                        WHERE c.id = t.id AND c.id > low)"
    "        ORDER BY t.id LIMIT batch LOOP"
    "      prev := sha256 (prev || r.body);"
    "      n := n + 1;"
    "      ids [n] := r.id;"
    "      hashes [n] := prev;"
    "    END LOOP;"
    "  END IF;"
    //  Then the rows above it, none of them chained yet
    "  FOR r IN SELECT t.id, %1$s.content (t) AS body FROM %1$s.trail t"
    "      WHERE t.id > last_id ORDER BY t.id LIMIT batch - n LOOP"
    "    prev := sha256 (prev || r.body);"
    "    n := n + 1;"
    "    ids [n] := r.id;"
    "    hashes [n] := prev;"
    "  END LOOP;"
    "  INSERT INTO %1$s.chain SELECT last_seq + u.o, u.i, u.h"
    "    FROM unnest (ids, hashes) WITH ORDINALITY AS u (i, h, o);"
    "  RETURN n;"
    "END $f$;"
    "DROP FUNCTION IF EXISTS %1$s.seal (integer);"
    "CREATE OR REPLACE FUNCTION %1$s.verify (OUT checked bigint,"
    "    OUT pending bigint, OUT bad_row bigint, OUT reason text)"
    "  LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $f$"
    "DECLARE prev bytea := ''::bytea; h bytea; c record;"
    "BEGIN"
    "  checked := 0; bad_row := 0; reason := '';"
    "  FOR c IN SELECT k.seq, k.id, k.hash, %1$s.content (t) AS body,"
    "      t.id AS found"
    "      FROM %1$s.chain k LEFT JOIN %1$s.trail t ON t.id = k.id"
    "      ORDER BY k.seq LOOP"
    "    IF c.seq <> checked + 1 THEN"
    "      bad_row := c.id;"
    "      reason := format ('chain entry %%s is missing before row %%s',"
    "                        checked + 1, c.id);"
    "      EXIT;"
    "    END IF;"
    "    IF c.found IS NULL THEN"
    "      bad_row := c.id;"
    "      reason := format ('row %%s was deleted', c.id);"
    "      EXIT;"
    "    END IF;"
    "    h := sha256 (prev || c.body);"
    "    IF h <> c.hash THEN"
    "      bad_row := c.id;"
    "      reason := format ('row %%s does not match its hash: edited', c.id);"
    "      EXIT;"
    "    END IF;"
    "    prev := h;"
    "    checked := checked + 1;"
    "  END LOOP;"
    "  SELECT count (*) INTO pending FROM %1$s.trail t"
    "    WHERE NOT EXISTS (SELECT 1 FROM %1$s.chain k WHERE k.id = t.id);"
    "END $f$;"
    "REVOKE ALL ON %1$s.trail, %1$s.chain FROM PUBLIC;"
    "COMMIT";

//  The grants to the service's role; %1$s the trail's schema, %2$s the role
static const char *s_grant_sql =
    "GRANT USAGE ON SCHEMA %1$s TO %2$s;"
    "REVOKE UPDATE, DELETE, TRUNCATE ON %1$s.trail, %1$s.chain FROM %2$s;"
    "GRANT SELECT, INSERT ON %1$s.trail, %1$s.chain TO %2$s;"
    "GRANT USAGE ON SEQUENCE %1$s.trail_id_seq TO %2$s";

//  --------------------------------------------------------------------------
//  New and destroy

kj_audit_t *
kj_audit_new (const char *schema)
{
    assert (schema);
    if (strlen (schema) + strlen ("_audit") > 63) {
        kj_error ("audit.bad_schema", "schema=%s reason=\"name too long\"",
                  schema);
        return NULL;
    }
    kj_audit_t *self = (kj_audit_t *) zmalloc (sizeof (kj_audit_t));
    snprintf (self->schema, sizeof self->schema, "%s_audit", schema);
    self->insert_sql = zsys_sprintf (
        "INSERT INTO \"%s\".trail (service, method, key, role, city, object,"
        " request_id, code, message, before, after)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        self->schema);
    self->seal_sql = zsys_sprintf ("SELECT \"%s\".seal (%d, $1::boolean)",
                                   self->schema, SEAL_BATCH);
    self->verify_sql = zsys_sprintf ("SELECT checked, pending, bad_row, "
                                     "reason FROM \"%s\".verify ()",
                                     self->schema);
    self->exists_sql = zsys_sprintf ("SELECT to_regclass ('\"%s\".chain') IS "
                                     "NOT NULL",
                                     self->schema);
    self->head_sql = zsys_sprintf ("SELECT seq, id, hash FROM \"%s\".chain "
                                   "ORDER BY seq DESC LIMIT 1",
                                   self->schema);
    self->anchor_sql = zsys_sprintf (
        "SELECT coalesce ((SELECT max (seq) FROM \"%1$s\".chain), 0) AS last, "
        "(SELECT hash FROM \"%1$s\".chain WHERE seq = $1::bigint) AS hash",
        self->schema);
    atomic_init (&self->has_outbox, -1);
    atomic_init (&self->anchor_seals, false);
    atomic_init (&self->anchored, 0);
    atomic_init (&self->seals, 0);
    return self;
}

void
kj_audit_destroy (kj_audit_t **self_p)
{
    if (*self_p) {
        kj_audit_t *self = *self_p;
        zstr_free (&self->insert_sql);
        zstr_free (&self->seal_sql);
        zstr_free (&self->verify_sql);
        zstr_free (&self->exists_sql);
        zstr_free (&self->head_sql);
        zstr_free (&self->anchor_sql);
        free (self);
        *self_p = NULL;
    }
}

const char *
kj_audit_schema (kj_audit_t *self)
{
    return self->schema;
}

//  --------------------------------------------------------------------------
//  Install

//  Run a script of several statements; 0, or -1 (logged).
static int
s_script (kj_db_t *db, const char *sql, const char *what)
{
    PGresult *result = PQexec (kj_db_conn (db), sql);
    ExecStatusType status = PQresultStatus (result);
    int rc = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ? 0 : -1;
    if (rc) {
        const char *state = PQresultErrorField (result, PG_DIAG_SQLSTATE);
        kj_error ("audit.install_failed",
                  "step=%s sqlstate=%s "
                  "error=\"%s\"",
                  what, state ? state : "", PQerrorMessage (kj_db_conn (db)));
        PQclear (PQexec (kj_db_conn (db), "ROLLBACK"));
    }
    PQclear (result);
    return rc;
}

int
kj_audit_install (kj_audit_t *self, kj_db_t *db, const char *grantee)
{
    char schema [70], role [70];
    snprintf (schema, sizeof schema, "\"%s\"", self->schema);
    char *sql = zsys_sprintf (s_install_sql, schema);
    int rc = s_script (db, sql, "tables");
    zstr_free (&sql);
    if (rc == 0 && grantee && *grantee) {
        if (strchr (grantee, '"')) {
            kj_error ("audit.install_failed", "role=\"%s\" reason=\"bad name\"",
                      grantee);
            return -1;
        }
        snprintf (role, sizeof role, "\"%s\"", grantee);
        sql = zsys_sprintf (s_grant_sql, schema, role);
        rc = s_script (db, sql, "grants");
        zstr_free (&sql);
    }
    if (rc == 0)
        kj_info ("audit.installed", "schema=%s grantee=%s", self->schema,
                 grantee && *grantee ? grantee : "-");
    return rc;
}

bool
kj_audit_installed (kj_audit_t *self, kj_db_t *db)
{
    PGresult *result = kj_db_exec (db, self->exists_sql, 0, NULL);
    bool exists = result && PQntuples (result) == 1
               && streq (PQgetvalue (result, 0, 0), "t");
    PQclear (result);
    return exists;
}

//  --------------------------------------------------------------------------
//  Write, seal, verify

//  An image as stored: itself, or, above KJ_AUDIT_IMAGE_MAX bytes (a bulk
//  chunk), a note of its size in buf
static const char *
s_image (const char *json, char *buf, size_t size)
{
    size_t length = json ? strlen (json) : 0;
    if (length <= KJ_AUDIT_IMAGE_MAX)
        return json;
    snprintf (buf, size, "{\"omitted_bytes\": %zu}", length);
    return buf;
}

int
kj_audit_write (kj_audit_t *self, kj_db_t *db, const kj_audit_row_t *row)
{
    char code [16], before [48], after [48];
    snprintf (code, sizeof code, "%d", row->code);
    const char *params [] = { row->service,
                              row->method,
                              row->key,
                              row->role,
                              row->city,
                              row->object,
                              row->request_id,
                              code,
                              row->message,
                              s_image (row->before, before, sizeof before),
                              s_image (row->after, after, sizeof after) };
    //  In a transaction the row goes with its next statement or COMMIT
    return kj_db_defer (db, self->insert_sql, 11, params);
}

//  The chain's head in the outbox as `audit.sealed`, in db's transaction.
//  0 or -1.
//  *anchored_p is the place anchored, or left alone when the head is the
//  one this process anchored last (or the chain is empty). 0 or -1.
static int
s_anchor (kj_audit_t *self, kj_db_t *db, uint64_t *anchored_p)
{
    PGresult *result = kj_db_exec (db, self->head_sql, 0, NULL);
    if (!result) {
        PQclear (result);
        return -1;
    }
    //  The head's place, row and hash (every column NOT NULL)
    int64_t seq = 0, row = 0;
    const char *hex = NULL;
    if (PQntuples (result) == 1
        && (kj_sql_int64 (result, 0, "seq", &seq)
            || kj_sql_int64 (result, 0, "id", &row)
            || !(hex = kj_sql_text (result, 0, "hash")))) {
        PQclear (result);
        return -1;
    }
    if (seq == 0 || (uint64_t) seq == atomic_load (&self->anchored)) {
        PQclear (result);
        return 0;
    }
    size_t size = 0;
    unsigned char *hash = PQunescapeBytea ((const unsigned char *) hex, &size);
    Kj__AuditSealed sealed = KJ__AUDIT_SEALED__INIT;
    sealed.schema = self->schema;
    sealed.seq = (uint64_t) seq;
    sealed.row = row;
    sealed.hash.data = hash;
    sealed.hash.len = size;
    PQclear (result);
    //  The trail is the event's entity: locked, as kj_outbox checks
    int rc = hash && kj_db_lock_key (db, "audit.trail", self->schema) == 0
               ? kj_outbox_add (db, "audit.sealed", self->schema, &sealed.base)
               : -1;
    PQfreemem (hash);
    if (rc == 0)
        *anchored_p = (uint64_t) seq;
    return rc;
}

//  Seal, and with anchor put the head in the outbox when it moved since
//  this process last anchored it; one transaction. With look_back, rows
//  below the newest chained id that committed late are chained too.
static int
s_seal (kj_audit_t *self, kj_db_t *db, bool anchor, bool look_back)
{
    if (kj_db_begin (db))
        return -1;
    const char *params [] = { look_back ? "true" : "false" };
    PGresult *result = kj_db_exec (db, self->seal_sql, 1, params);
    int count = result && PQntuples (result) == 1
                  ? atoi (PQgetvalue (result, 0, 0))
                  : -1;
    PQclear (result);
    //  A service without an outbox (no schema of its own for events)
    //  chains all the same, without an anchor
    if (anchor && count >= 0 && atomic_load (&self->has_outbox) < 0) {
        result = kj_db_exec (db, "SELECT to_regclass ('kj_outbox') IS NOT NULL",
                             0, NULL);
        atomic_store (&self->has_outbox,
                      result && PQntuples (result) == 1
                          && streq (PQgetvalue (result, 0, 0), "t"));
        PQclear (result);
    }
    uint64_t anchored = 0;
    if (anchor && count >= 0 && atomic_load (&self->has_outbox) == 1
        && s_anchor (self, db, &anchored))
        count = -1;
    if (count < 0 || kj_db_commit (db)) {
        kj_db_rollback (db);
        return -1;
    }
    if (anchored)
        atomic_store (&self->anchored, anchored);
    return count;
}

int
kj_audit_seal (kj_audit_t *self, kj_db_t *db)
{
    //  The first seal of a process, and every SEAL_LOOK_BACK-th, look back
    bool look_back = atomic_fetch_add (&self->seals, 1) % SEAL_LOOK_BACK == 0;
    return s_seal (self, db, atomic_load (&self->anchor_seals), look_back);
}

void
kj_audit_set_anchoring (kj_audit_t *self, bool every_seal)
{
    atomic_store (&self->anchor_seals, every_seal);
}

//  The anchors of this trail among the request's, oldest first, checked
//  against the chain: reply->ok false with the reason for the first the
//  chain lost. 0, or -1 when the database failed.
static int
s_check_anchors (kj_audit_t *self, kj_db_t *db,
                 const Kj__AuditVerifyRequest *request, Kj__AuditVerify *reply,
                 kj_call_t *call)
{
    for (size_t i = 0; request && i < request->n_anchors; i++) {
        const Kj__AuditSealed *anchor = request->anchors [i];
        if (!anchor->schema || !streq (anchor->schema, self->schema)
            || anchor->seq == 0)
            continue;
        if (anchor->seq > reply->anchored_seq)
            reply->anchored_seq = anchor->seq;
        char seq [24];
        snprintf (seq, sizeof seq, "%" PRIu64, anchor->seq);
        const char *params [] = { seq };
        PGresult *result = kj_db_exec (db, self->anchor_sql, 1, params);
        if (!result || PQntuples (result) != 1) {
            PQclear (result);
            return -1;
        }
        //  hash NULL: the chain has no such place (rows were removed)
        int64_t last;
        if (kj_sql_int64 (result, 0, "last", &last)) {
            PQclear (result);
            return -1;
        }
        const char *hex = kj_sql_text (result, 0, "hash");
        size_t size = 0;
        unsigned char *hash = hex
                                ? PQunescapeBytea ((const unsigned char *) hex,
                                                   &size)
                                : NULL;
        PQclear (result);
        bool same = hash && size == anchor->hash.len
                 && memcmp (hash, anchor->hash.data, size) == 0;
        PQfreemem (hash);
        if (same)
            continue;
        reply->ok = false;
        if (reply->bad_row == 0)
            reply->bad_row = anchor->row;
        if (reply->checked >= anchor->seq)
            reply->checked = anchor->seq - 1;  //  what still holds for sure
        char *reason =
            (uint64_t) last < anchor->seq
                ? zsys_sprintf ("the chain ends at place %" PRIu64 ", before "
                                "place %" PRIu64 " that the event log "
                                "anchored (offset %" PRIu64 "): rows were "
                                "removed",
                                (uint64_t) last, anchor->seq, anchor->offset)
                : zsys_sprintf ("place %" PRIu64 " of the chain does not hold "
                                "the hash the event log anchored (offset "
                                "%" PRIu64 "): the chain was rewritten",
                                anchor->seq, anchor->offset);
        reply->reason = kj_call_strdup (call, reason);
        zstr_free (&reason);
        return 0;
    }
    return 0;
}

int
kj_audit_verify (kj_audit_t *self, kj_db_t *db,
                 const Kj__AuditVerifyRequest *request, Kj__AuditVerify *reply,
                 kj_call_t *call)
{
    if (s_seal (self, db, true, true) < 0)
        return -1;
    PGresult *result = kj_db_exec (db, self->verify_sql, 0, NULL);
    if (!result || PQntuples (result) != 1) {
        PQclear (result);
        return -1;
    }
    reply->schema = kj_call_strdup (call, self->schema);
    //  verify () sets every one of its OUT columns
    int64_t checked, pending;
    const char *reason = kj_sql_text (result, 0, "reason");
    if (!reason || kj_sql_int64 (result, 0, "checked", &checked)
        || kj_sql_int64 (result, 0, "pending", &pending)
        || kj_sql_int64 (result, 0, "bad_row", &reply->bad_row)) {
        PQclear (result);
        return -1;
    }
    reply->checked = (uint64_t) checked;
    reply->pending = (uint64_t) pending;
    reply->reason = kj_call_strdup (call, reason);
    reply->ok = reply->bad_row == 0;
    PQclear (result);
    return s_check_anchors (self, db, request, reply, call);
}

//  --------------------------------------------------------------------------
//  Inside a handler

//  The message as one line of JSON in the call's memory
static const char *
s_json (kj_call_t *call, const ProtobufCMessage *message)
{
    char *text = kj_json_string (message, false);
    const char *copy = text ? kj_call_strdup (call, text) : NULL;
    free (text);
    return copy;
}

//  The call's note, made on first use
static s_note_t *
s_note (kj_call_t *call)
{
    s_note_t *note = (s_note_t *) kj_call_note (call);
    if (!note) {
        note = (s_note_t *) kj_call_alloc (call, sizeof (s_note_t));
        note->object = "";
        note->before = note->after = NULL;
        kj_call_set_note (call, note);
    }
    return note;
}

void
kj_audit_object (kj_call_t *call, const char *kind, const char *key)
{
    assert (kind && *kind);
    s_note_t *note = s_note (call);
    //  The key as the caller sent it, cut on a character boundary; text
    //  the database would refuse is not kept
    if (!key || !kj_utf8_valid (key))
        key = key ? "(not text)" : "";
    char *object = *key ? zsys_sprintf ("%s %s", kind, key)
                        : zsys_sprintf ("%s", kind);
    object [kj_utf8_cut (object, KJ_AUDIT_OBJECT_MAX)] = 0;
    note->object = kj_call_strdup (call, object);
    zstr_free (&object);
}

void
kj_audit_object_n (kj_call_t *call, const char *kind, int64_t key)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, key);
    kj_audit_object (call, kind, text);
}

void
kj_audit_images (kj_call_t *call, const ProtobufCMessage *before,
                 const ProtobufCMessage *after)
{
    s_note_t *note = s_note (call);
    note->before = before ? s_json (call, before) : NULL;
    note->after = after ? s_json (call, after) : NULL;
}

void
kj_audit_noted (kj_call_t *call, const char **object, const char **before,
                const char **after)
{
    s_note_t *note = (s_note_t *) kj_call_note (call);
    *object = note ? note->object : "";
    *before = note ? note->before : NULL;
    *after = note ? note->after : NULL;
}
