/*  =========================================================================
    scoring_chunk - scoring a batch's chunks: claim one, score its stage's
    cohort, store its portraits and their events (docs/scoring.md)

    Workers claim chunks (FOR UPDATE SKIP LOCKED). Percentiles need the
    whole cohort of a stage, so a worker scores the whole stage once and
    keeps it while it stores that stage's chunks one by one; a stage is
    scored by one worker at a time, the one that holds its session lock
    (KJ_LOCK_SCORING_STAGE), so that two workers never score the same
    cohort. A chunk looks up what is stored of its codes (one query by
    them), COPYs the portraits not stored yet (never overwritten) with
    their previous grades, their events, and marks the chunk done, in one
    transaction. Killed, the chunk is claimed again and the lock is free
    for another worker; nothing is scored twice or missed.
    =========================================================================
*/

#include "scoring_kept.h"
#include "scoring_server.h"
#include "scoring_source.h"

//  "{1,2,3}" into values (or present), n at most (members stored before
//  003_member_packed.sql)
static void
s_parse_array (const char *text, int64_t *values, bool *present, size_t n)
{
    size_t i = 0;
    if (*text == '{')
        text++;
    while (*text && *text != '}' && i < n) {
        if (values)
            values [i] = strtoll (text, NULL, 10);
        else
            present [i] = *text == 't';
        i++;
        text += strcspn (text, ",}");
        if (*text == ',')
            text++;
    }
}

//  The portraits go by COPY in its binary format: PostgreSQL then parses
//  no number, and no array of shares, from text (docs/scoring.md, "The
//  scoring side's database"). A field is its length (4 bytes, network
//  order) and its bytes; a row, its count of fields (2 bytes) first.

//  A number of `bytes` bytes (2, 4 or 8) in network order
static char *
s_put_be (char *at, uint64_t value, int bytes)
{
    for (int b = bytes - 1; b >= 0; b--, value >>= 8)
        at [b] = (char) (value & 0xff);
    return at + bytes;
}

//  A field of `bytes` bytes holding an integer
static char *
s_bin_int (char *at, int64_t value, int bytes)
{
    at = s_put_be (at, (uint64_t) bytes, 4);
    return s_put_be (at, (uint64_t) value, bytes);
}

//  A text field: size bytes at most; tabs, newlines and backslashes as
//  spaces, as the text format stored them (none come from the model or
//  the registry's codes)
static char *
s_bin_text (char *at, const char *text, size_t size)
{
    char *length = at;
    at += 4;
    for (; *text && size; text++, size--)
        *at++ = *text == '\t' || *text == '\n' || *text == '\\' ? ' ' : *text;
    s_put_be (length, (uint64_t) (at - length - 4), 4);
    return at;
}

//  The binary COPY's header and trailer
//  (their NULs aside: sizeof - 1): the signature (11 bytes with its
//  NUL), flags (4) and the header extension's length (4), all 0
static const char s_copy_header [] = "PGCOPY\n\377\r\n\0"
                                     "\0\0\0\0"
                                     "\0\0\0\0";
static const char s_copy_trailer [] = "\377\377";

//  What is stored already about a chunk's members under the model: for
//  each (by code), the grade of its latest portrait before (year,
//  version), or that the portrait of (year, version) itself is there
typedef struct {
    const char *grade;  //  previous grade, "" for none
    bool stored;        //  this very portrait exists: never overwritten
} s_before_t;

//  One query over the chunk's codes (as an array, by the primary key;
//  not as a range: a small stage's chunk spans every code, and a range
//  would read every portrait stored), into before [m - first]; 0 or -1
static int
s_before (kj_db_t *db, scoring_scored_t *scored, int year, int first, int last,
          s_before_t *before, PGresult **res_p)
{
    scoring_cohort_t *cohort = scored->cohort;
    char year_text [16], version [16];
    snprintf (year_text, sizeof year_text, "%d", year);
    snprintf (version, sizeof version, "%d",
              scoring_model_version (scored->model));
    //  {"code","code",...}: each quoted, its quotes and backslashes escaped
    zchunk_t *codes = zchunk_new ("{", 1);
    for (int m = first; m <= last; m++) {
        const char *code = scoring_cohort_id (cohort, (size_t) m);
        zchunk_extend (codes, m > first ? ",\"" : "\"", m > first ? 2 : 1);
        for (const char *c = code; *c; c++) {
            if (*c == '"' || *c == '\\')
                zchunk_extend (codes, "\\", 1);
            zchunk_extend (codes, c, 1);
        }
        zchunk_extend (codes, "\"", 1);
    }
    zchunk_extend (codes, "}", 2);  //  with its NUL
    const char *params [] = { scoring_model_name (scored->model), year_text,
                              version, (const char *) zchunk_data (codes) };
    PGresult *res = kj_db_exec (db, SCORING_STORED_SQL, 4, params);
    zchunk_destroy (&codes);
    if (!res)
        return -1;
    //  The columns once for the chunk's rows
    enum { CODE, GRADE, STORED, COLUMNS };
    static const char *const names [COLUMNS] = { "code", "grade", "stored" };
    int col [COLUMNS];
    if (kj_sql_columns (res, names, col, COLUMNS)) {
        PQclear (res);
        return -1;
    }
    zhashx_t *rows = zhashx_new ();
    for (int r = 0; r < PQntuples (res); r++)
        zhashx_insert (rows, PQgetvalue (res, r, col [CODE]),
                       (void *) (intptr_t) (r + 1));
    for (int m = first; m <= last; m++) {
        int r = (int) (intptr_t)
                    zhashx_lookup (rows, scoring_cohort_id (cohort, (size_t) m))
              - 1;
        before [m - first].grade = r >= 0 ? PQgetvalue (res, r, col [GRADE])
                                          : "";
        before [m - first].stored = r >= 0
                                 && streq (PQgetvalue (res, r, col [STORED]),
                                           "t");
    }
    zhashx_destroy (&rows);
    *res_p = res;
    return 0;
}

//  Member m's portrait as a binary COPY row of portrait at `at` (room
//  for 4096), of year, version and batch; returns the row's end
static char *
s_row (char *at, scoring_scored_t *scored, int m, int year, int64_t batch_id,
       const s_before_t *was)
{
    scoring_model_t *model = scored->model;
    scoring_cohort_t *cohort = scored->cohort;
    const scoring_portrait_t *p = scoring_cohort_portrait (cohort, (size_t) m);
    at = s_put_be (at, 21, 2);  //  the fields of S_PORTRAIT_COPY
    at = s_bin_text (at, scoring_cohort_id (cohort, (size_t) m), 64);
    at = s_bin_int (at, year, 4);
    at = s_bin_text (at, scoring_model_name (model), SCORING_CODE_MAX);
    at = s_bin_int (at, scoring_model_version (model), 4);
    at = s_bin_int (at, scoring_cohort_stage (cohort, (size_t) m), 4);
    at = s_bin_text (at, scored->regions [m], sizeof scored->regions [m]);
    const int64_t figures [] = { p->points_milli,    p->bonus_milli,
                                 p->scorecard_milli, p->flags_milli,
                                 p->score_milli,     p->percentile_milli };
    for (size_t f = 0; f < sizeof figures / sizeof figures [0]; f++)
        at = s_bin_int (at, figures [f], 8);
    at = s_bin_text (at, scoring_grade_name (p->grade), 8);
    at = s_bin_text (at,
                     p->stop >= 0
                         ? scoring_model_column (model, (size_t) p->stop)->code
                         : "",
                     SCORING_CODE_MAX);
    at = s_bin_int (at, p->line_known, 1);
    at = s_bin_int (at, p->line_fen, 8);
    char reasons [1024];
    scoring_reasons_format (model, p, reasons, sizeof reasons);
    at = s_bin_text (at, reasons, sizeof reasons);
    at = s_bin_int (at, p->missing_count, 4);
    at = s_bin_text (at, was->grade, 8);
    at = s_bin_int (at, batch_id, 8);
    //  The shares of the best per column: a smallint [] of one dimension
    //  (none: no dimension), its elements 2 bytes each
    size_t columns = scoring_model_columns (model);
    at = s_put_be (at, 12 + (columns ? 8 : 0) + columns * 6, 4);
    at = s_put_be (at, columns ? 1 : 0, 4);  //  dimensions
    at = s_put_be (at, 0, 4);                //  no NULL
    at = s_put_be (at, 21, 4);               //  int2's type
    if (columns) {
        at = s_put_be (at, columns, 4);
        at = s_put_be (at, 1, 4);  //  lower bound
    }
    for (size_t i = 0; i < columns; i++)
        at = s_bin_int (at, scoring_cohort_share_bp (cohort, (size_t) m, i), 2);
    return at;
}

//  Store the portraits of members first .. last that are not stored yet
//  (COPY straight into portrait, with their previous grade), and their
//  events; counts into *stored and *changed
static int
s_store_portraits (kj_db_t *db, const char *batch, int year, bool fresh,
                   scoring_scored_t *scored, int first, int last,
                   int64_t *stored, int64_t *changed, int64_t *spent_us)
{
    scoring_model_t *model = scored->model;
    scoring_cohort_t *cohort = scored->cohort;
    size_t count = (size_t) (last - first + 1);
    s_before_t *before = calloc (count, sizeof *before);
    Kj__ScoringPortraitScored *events = calloc (count, sizeof *events);
    const ProtobufCMessage **payloads = calloc (count, sizeof *payloads);
    const char **keys = calloc (count, sizeof *keys);
    assert (before && events && payloads && keys);
    PGresult *res = NULL;
    int64_t at = kj_mono_us ();
    //  A fresh batch's codes have no portrait of the model up to its year
    //  and version (006_batch_fresh.sql): none to look up
    int rc = 0;
    if (fresh)
        for (size_t k = 0; k < count; k++)
            before [k].grade = "";
    else
        rc = s_before (db, scored, year, first, last, before, &res);
    spent_us [0] = kj_mono_us () - at;
    at = kj_mono_us ();
    //  The rows stream into the COPY as they are made (the database
    //  stores a piece while the next is made), in pieces of about 256 KB
    size_t unstored = 0;
    for (size_t k = 0; k < count; k++)
        unstored += !before [k].stored;
    bool copying = rc == 0 && unstored > 0;
    if (copying)
        rc = kj_db_copy_begin (
            db, "COPY portrait (code, year, model, version, stage, "
                "region, points_milli, bonus_milli, scorecard_milli, "
                "flags_milli, score_milli, percentile_milli, grade, "
                "stop, line_known, line_fen, reasons, missing_count, "
                "previous_grade, batch_id, shares) FROM STDIN "
                "(FORMAT binary)");
    zchunk_t *data = zchunk_new (NULL, 300 * 1024);
    if (copying)
        zchunk_set (data, s_copy_header, sizeof s_copy_header - 1);
    int64_t batch_id = strtoll (batch, NULL, 10);
    size_t n = 0;
    *changed = 0;
    for (int m = first; rc == 0 && m <= last; m++) {
        const s_before_t *was = &before [m - first];
        if (was->stored)
            continue;  //  a rerun of this version: never overwritten
        const scoring_portrait_t *p = scoring_cohort_portrait (cohort,
                                                               (size_t) m);
        const char *code = scoring_cohort_id (cohort, (size_t) m);
        const char *grade = scoring_grade_name (p->grade);
        char row [4096];
        zchunk_extend (data, row,
                       (size_t) (s_row (row, scored, m, year, batch_id, was)
                                 - row));
        if (zchunk_size (data) >= 256 * 1024) {
            rc = kj_db_copy_put (db, zchunk_data (data), zchunk_size (data));
            zchunk_set (data, NULL, 0);
        }
        Kj__ScoringPortraitScored *event = &events [n];
        kj__scoring_portrait_scored__init (event);
        event->code = (char *) code;
        event->year = year;
        event->model = (char *) scoring_model_name (model);
        event->version = scoring_model_version (model);
        event->grade = (char *) grade;
        event->previous_grade = (char *) was->grade;
        event->changed = *was->grade && !streq (grade, was->grade);
        event->score_milli = p->score_milli;
        event->batch_id = (uint64_t) batch_id;
        *changed += event->changed;
        keys [n] = code;
        payloads [n] = &event->base;
        n++;
    }
    if (copying)
        zchunk_extend (data, s_copy_trailer, sizeof s_copy_trailer - 1);
    if (copying && rc == 0 && zchunk_size (data))
        rc = kj_db_copy_put (db, zchunk_data (data), zchunk_size (data));
    spent_us [1] = kj_mono_us () - at;
    at = kj_mono_us ();
    if (copying && kj_db_copy_end (db, rc != 0))
        rc = -1;
    spent_us [2] = kj_mono_us () - at;
    at = kj_mono_us ();
    if (rc == 0 && n)
        rc = kj_outbox_add_many (db, "scoring.portrait.scored", n, keys,
                                 payloads);
    spent_us [3] = kj_mono_us () - at;
    *stored = (int64_t) n;
    zchunk_destroy (&data);
    if (res)
        PQclear (res);
    free (before);
    free (events);
    free (payloads);
    free (keys);
    return rc ? -1 : 0;
}

//  The scored cohort of a batch's stage: the one kept, or loaded from the
//  members and scored now (then kept); NULL if that failed
static scoring_scored_t *
s_cohort (scoring_server_t *server, kj_db_t *db, const char *batch, int stage,
          const char *model_name)
{
    //  A helper's scoring of a stage another holds is logged as such (the
    //  holder's, once per stage, is what test_stage_scored_once counts)
    const char *why = *server->helping && streq (server->helping, batch)
                           && server->helping_stage == stage
                        ? " to help its holder"
                        : "";
    scoring_scored_t *self = (scoring_scored_t *) server->cache;
    if (self && streq (self->batch, batch) && self->stage == stage)
        return self;
    scoring_scored_destroy ((scoring_scored_t **) &server->cache);
    self = scoring_kept_take (server, batch, stage, why);
    if (self)
        return (server->cache = self);
    kj_status_t status;
    scoring_model_t *model = scoring_server_model (server, model_name, &status);
    if (!model)
        return NULL;
    char stage_text [16];
    snprintf (stage_text, sizeof stage_text, "%d", stage);
    int64_t started = kj_mono_us ();
    PGresult *members =
        kj_db_exec (db,
                    "SELECT ord, code, region, packed, vals, present "
                    "FROM member "
                    "WHERE batch_id = $1 AND stage = $2 ORDER BY ord",
                    2, (const char *[]){ batch, stage_text });
    if (!members) {
        scoring_model_destroy (&model);
        return NULL;
    }
    //  The columns once for the stage's members (100,000s of rows)
    enum { ORD, CODE, REGION, PACKED, VALS, PRESENT, COLUMNS };
    static const char *const names [COLUMNS] = { "ord",    "code", "region",
                                                 "packed", "vals", "present" };
    int col [COLUMNS];
    if (kj_sql_columns (members, names, col, COLUMNS)) {
        PQclear (members);
        scoring_model_destroy (&model);
        return NULL;
    }
    self = calloc (1, sizeof *self);
    assert (self);
    snprintf (self->batch, sizeof self->batch, "%s", batch);
    self->stage = stage;
    self->model = model;
    self->cohort = scoring_cohort_new (model);
    int count = PQntuples (members);
    self->regions = calloc ((size_t) count + 1, sizeof self->regions [0]);
    assert (self->regions);
    size_t inputs = scoring_cohort_inputs (self->cohort);
    int64_t values [SCORING_COLUMNS_MAX + 1];
    bool present [SCORING_COLUMNS_MAX + 1];
    int rc = 0;
    for (int m = 0; rc == 0 && m < count; m++) {
        const char *code = PQgetvalue (members, m, col [CODE]);
        if (atoi (PQgetvalue (members, m, col [ORD])) != m)
            rc = -1;  //  ords are 0 .. count-1 by construction
        if (!PQgetisnull (members, m, col [PACKED])) {
            if (scoring_source_unpack (PQgetvalue (members, m, col [PACKED]),
                                       values, present, inputs))
                rc = kj_status_set (&status, KJ__CODE__INTERNAL, "member",
                                    "its inputs are not %zu long", inputs);
        }
        else {
            s_parse_array (PQgetvalue (members, m, col [VALS]), values, NULL,
                           inputs);
            s_parse_array (PQgetvalue (members, m, col [PRESENT]), NULL,
                           present, inputs);
        }
        snprintf (self->regions [m], sizeof self->regions [m], "%s",
                  PQgetvalue (members, m, col [REGION]));
        if (rc == 0)
            rc = scoring_cohort_add (self->cohort, code,
                                     (scoring_stage_t) stage, values, present,
                                     &status);
        if (rc)
            kj_error ("scoring.batch", "batch %s: member %d (%s) refused: %s",
                      batch, m, code, status.message);
    }
    PQclear (members);
    if (rc) {
        scoring_scored_destroy (&self);
        return NULL;
    }
    scoring_cohort_score (self->cohort);
    server->cache = self;
    kj_info ("scoring.batch",
             "batch %s stage %d: a cohort of %d scored in %.3f s%s", batch,
             stage, count, (kj_mono_us () - started) / 1e6, why);
    return self;
}

//  A stage's session lock (KJ_LOCK_SCORING_STAGE) taken (tried) or given
//  up; true if it is held after a take. Its key: batch id x 4 + stage
static bool
s_stage_lock (kj_db_t *db, const char *batch, int stage, bool take)
{
    char key [24];
    snprintf (key, sizeof key, "%lld",
              strtoll (batch, NULL, 10) % 500000000 * 4 + stage);
    PGresult *res =
        kj_db_exec (db,
                    take ? "SELECT pg_try_advisory_lock (" KJ_LOCK_SCORING_STAGE
                           ", $1::int)"
                         : "SELECT pg_advisory_unlock (" KJ_LOCK_SCORING_STAGE
                           ", $1::int)",
                    1, (const char *[]){ key });
    bool held = res && streq (PQgetvalue (res, 0, 0), "t");
    if (res)
        PQclear (res);
    return held;
}

#define S_CLAIM_COLUMNS                                                        \
    "SELECT c.batch_id, c.no, c.stage, c.first_ord, c.last_ord, b.year, "      \
    "b.model, b.fresh FROM chunk c JOIN batch b ON b.id = c.batch_id "         \
    "WHERE c.batch_id = $1::bigint AND c.stage = $2::int AND NOT c.done "

//  A chunk not done of a stage whose lock this session holds (pg_locks:
//  a reconnect loses it), claimed in order; NULL if the query failed
static PGresult *
s_claim (kj_db_t *db, const char *batch, int stage)
{
    char stage_text [16], key [24];
    snprintf (stage_text, sizeof stage_text, "%d", stage);
    snprintf (key, sizeof key, "%lld",
              strtoll (batch, NULL, 10) % 500000000 * 4 + stage);
    return kj_db_exec (
        db,
        S_CLAIM_COLUMNS
        "AND EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
        "AND pid = pg_backend_pid () AND granted AND objsubid = 2 "
        "AND classid = " KJ_LOCK_SCORING_STAGE " AND objid = $3::int::oid) "
        "ORDER BY c.no LIMIT 1 FOR UPDATE OF c SKIP LOCKED",
        3, (const char *[]){ batch, stage_text, key });
}

//  A chunk not done of a stage another worker holds, claimed from the
//  stage's end (its holder claims from the start): the chunk's row lock
//  and its done, committed with its portraits, keep the two apart
static PGresult *
s_claim_help (kj_db_t *db, const char *batch, int stage)
{
    char stage_text [16];
    snprintf (stage_text, sizeof stage_text, "%d", stage);
    return kj_db_exec (db,
                       S_CLAIM_COLUMNS
                       "ORDER BY c.no DESC LIMIT 1 FOR UPDATE OF c SKIP LOCKED",
                       2, (const char *[]){ batch, stage_text });
}

//  Helping pays when storing what is left of a stage takes its holder
//  longer than scoring the whole stage again takes the helper. Read back
//  from the members, a stage costs the helper about as much as storing
//  half of it (at 1,000,000: 3.7 s for 505,271 members, while its holder
//  stored 5 chunks of 50,000; docs/scoring.md, "Session 27"): it never
//  paid. So a worker helps only with a stage whose members its fetch
//  kept (about 2 us a member to score, 14 to store): while at least a
//  fifth of the stage's members are not stored, in two chunks or more
//  (its holder is storing one)
#define S_HELP_SHARE "5"

//  No stage of its own left: a chunk of a stage another worker holds and
//  whose members this one kept, the one with the most members left, if
//  helping pays (S_HELP_SHARE), into *res_p and the stage into
//  server->helping: 1, 0 none, -1 failed
static int
s_help (scoring_server_t *server, kj_db_t *db, PGresult **res_p)
{
    if (!server->kept)
        return 0;
    PGresult *stages = kj_db_exec (
        db,
        "SELECT c.stage FROM chunk c JOIN batch b "
        "ON b.id = c.batch_id AND b.state = 'scoring' "
        "WHERE c.batch_id = $1::bigint GROUP BY c.stage "
        "HAVING count (*) FILTER (WHERE NOT c.done) >= 2 AND "
        "sum (c.last_ord - c.first_ord + 1) FILTER (WHERE NOT c.done) "
        "* " S_HELP_SHARE " >= sum (c.last_ord - c.first_ord + 1) "
        "ORDER BY sum (c.last_ord - c.first_ord + 1) FILTER (WHERE NOT c.done) "
        "DESC, c.stage",
        1, (const char *[]){ scoring_kept_batch (server->kept) });
    if (!stages)
        return -1;
    int rc = 0;
    const char *batch = scoring_kept_batch (server->kept);
    for (int r = 0; rc == 0 && r < PQntuples (stages); r++) {
        int stage = 0;
        if (kj_sql_int (stages, r, "stage", &stage)
            || !scoring_kept_has (server, batch, stage))
            continue;
        PGresult *res = s_claim_help (db, batch, stage);
        rc = res ? 0 : -1;
        if (res && PQntuples (res) > 0) {
            snprintf (server->helping, sizeof server->helping, "%s", batch);
            server->helping_stage = stage;
            *res_p = res;
            rc = 1;
        }
        else if (res)
            PQclear (res);
    }
    PQclear (stages);
    return rc;
}

//  A chunk of the stage this worker holds, or else of the largest stage
//  left whose lock it can take (the lock held then), into *res_p: 1
//  claimed, 0 none for this worker, -1 the database failed
static int
s_claim_any (scoring_server_t *server, kj_db_t *db, PGresult **res_p)
{
    PGresult *res = NULL;
    if (*server->locked) {
        res = s_claim (db, server->locked, server->locked_stage);
        if (!res || PQntuples (res) > 0)
            return (*res_p = res) ? 1 : -1;
        //  The stage is done (its chunks committed): give it up
        PQclear (res);
        s_stage_lock (db, server->locked, server->locked_stage, false);
        *server->locked = 0;
    }
    if (*server->helping) {
        res = s_claim_help (db, server->helping, server->helping_stage);
        if (!res || PQntuples (res) > 0)
            return (*res_p = res) ? 1 : -1;
        PQclear (res);
        *server->helping = 0;
    }
    PGresult *stages =
        kj_db_exec (db,
                    "SELECT batch_id, stage FROM chunk WHERE NOT done "
                    "GROUP BY batch_id, stage "
                    "ORDER BY batch_id, sum (last_ord - first_ord) DESC, stage",
                    0, NULL);
    int batch_column = stages ? kj_sql_column (stages, "batch_id") : -1;
    int stage_column = stages ? kj_sql_column (stages, "stage") : -1;
    int rc = batch_column >= 0 && stage_column >= 0 ? 0 : -1;
    for (int r = 0; rc == 0 && r < PQntuples (stages); r++) {
        const char *batch = PQgetvalue (stages, r, batch_column);
        int stage = atoi (PQgetvalue (stages, r, stage_column));
        if (!s_stage_lock (db, batch, stage, true))
            continue;  //  another worker scores it
        res = s_claim (db, batch, stage);
        if (res && PQntuples (res) > 0) {
            snprintf (server->locked, sizeof server->locked, "%s", batch);
            server->locked_stage = stage;
            *res_p = res;
            rc = 1;
        }
        else {
            s_stage_lock (db, batch, stage, false);  //  done meanwhile
            rc = res ? 0 : -1;
            if (res)
                PQclear (res);
        }
    }
    if (stages)
        PQclear (stages);
    //  Every stage left is held by another worker: help the largest
    if (rc == 0)
        rc = s_help (server, db, res_p);
    return rc;
}

//  Claim one chunk of a batch and do it (scoring_server.h). Percentiles
//  need a stage's whole cohort, so a worker scores it once, for the first
//  of its chunks, and does the stage's chunks while it holds its lock:
//  two workers never score the same stage (unless the one that held it
//  died)
int
scoring_chunk_work (scoring_server_t *server, kj_db_t *db)
{
    //  The chunk's events are ordered by their topics' locks, shared:
    //  chunks store side by side, none writes a second event of a
    //  portrait or a batch another wrote (docs/events-design.md, "Which
    //  lock orders an event"). Before the claim, the first write.
    if (kj_db_begin (db))
        return -1;
    if (kj_db_lock_topic (db, "scoring.portrait.scored", true)
        || kj_db_lock_topic (db, "scoring.batch.finished", true)) {
        kj_db_rollback (db);
        return -1;
    }
    PGresult *res = NULL;
    int got = s_claim_any (server, db, &res);
    if (got <= 0) {
        kj_db_rollback (db);
        return got;
    }
    //  The claimed chunk (s_claim's columns, all NOT NULL by the schema)
    char batch [24], no [16], model_name [64];
    int stage, first, last, year;
    const char *batch_text = kj_sql_text (res, 0, "batch_id");
    const char *no_text = kj_sql_text (res, 0, "no");
    const char *model_text = kj_sql_text (res, 0, "model");
    if (!batch_text || !no_text || !model_text
        || kj_sql_int (res, 0, "stage", &stage)
        || kj_sql_int (res, 0, "first_ord", &first)
        || kj_sql_int (res, 0, "last_ord", &last)
        || kj_sql_int (res, 0, "year", &year)
        || !kj_sql_text (res, 0, "fresh")) {
        kj_error ("scoring.batch", "a claimed chunk cannot be read");
        PQclear (res);
        kj_db_rollback (db);
        return -1;
    }
    snprintf (batch, sizeof batch, "%s", batch_text);
    snprintf (no, sizeof no, "%s", no_text);
    snprintf (model_name, sizeof model_name, "%s", model_text);
    bool fresh = streq (kj_sql_text (res, 0, "fresh"), "t");
    PQclear (res);
    int64_t claimed = kj_mono_us ();
    scoring_scored_t *scored = s_cohort (server, db, batch, stage, model_name);
    int64_t computed = kj_mono_us ();
    int rc = scored && last < (int) scoring_cohort_size (scored->cohort) ? 0
                                                                         : -1;
    int64_t stored = 0, changed = 0;
    int64_t spent_us [4] = { 0 };  //  before, rows sent, COPY end, events
    if (rc == 0)
        rc = s_store_portraits (db, batch, year, fresh, scored, first, last,
                                &stored, &changed, spent_us);
    char scored_text [24], stored_text [24], changed_text [24];
    snprintf (scored_text, sizeof scored_text, "%d", last - first + 1);
    snprintf (stored_text, sizeof stored_text, "%" PRId64, stored);
    snprintf (changed_text, sizeof changed_text, "%" PRId64, changed);
    if (rc == 0)
        rc = kj_db_run (db,
                        "UPDATE chunk SET done = true WHERE batch_id = $1 "
                        "AND no = $2",
                        2, (const char *[]){ batch, no })
                  == 1
               ? 0
               : -1;
    PGresult *counts =
        rc ? NULL
           : kj_db_exec (
               db,
               "UPDATE batch SET scored = scored + $2, stored = stored + $3, "
               "changed = changed + $4, chunks_done = chunks_done + 1 "
               "WHERE id = $1 RETURNING chunks_done = chunks",
               4,
               (const char *[]){ batch, scored_text, stored_text,
                                 changed_text });
    if (!counts)
        rc = -1;
    if (rc == 0 && streq (PQgetvalue (counts, 0, 0), "t"))
        rc = scoring_batch_finish (db, batch);
    if (counts)
        PQclear (counts);
    int64_t written = kj_mono_us ();
    if (rc == 0)
        rc = kj_db_commit (db);
    else {
        kj_warn ("scoring.batch", "batch %s chunk %s: %s", batch, no,
                 kj_db_error (db));
        kj_db_rollback (db);
    }
    if (rc == 0)
        kj_info ("scoring.batch",
                 "batch %s chunk %s: %d members; cohort %.3f s, stored "
                 "%.3f s (looked up %.3f, rows made and sent %.3f, COPY ended "
                 "%.3f, events %.3f), committed %.3f s",
                 batch, no, last - first + 1, (computed - claimed) / 1e6,
                 (written - computed) / 1e6, spent_us [0] / 1e6,
                 spent_us [1] / 1e6, spent_us [2] / 1e6, spent_us [3] / 1e6,
                 (kj_mono_us () - written) / 1e6);
    return rc ? -1 : 1;
}
