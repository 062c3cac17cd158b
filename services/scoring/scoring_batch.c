/*  =========================================================================
    scoring_batch - the batch work every copy of kejin-scoring shares

    A batch goes fetching -> scoring -> finished (docs/scoring.md):
    - fetching: one worker claims the batch row (FOR UPDATE SKIP LOCKED)
      and, in that one transaction, reads the registry's export page by
      page, stores each active enterprise's inputs as a member and cuts
      each stage's cohort into chunks. Killed, it rolls back whole and
      another worker starts the fetch again.
    - scoring: workers claim chunks (FOR UPDATE SKIP LOCKED); each scores
      its stage's whole cohort (percentiles need it; deterministic, so
      every worker gets the same portraits), looks up what is stored of
      its chunk's codes (one query by them), COPYs the portraits not stored
      yet (never overwritten) with their previous grades, their events,
      and marks the chunk done, in one transaction. Killed, the
      chunk is claimed again; nothing is scored twice or missed.
    - the worker that does the last chunk finishes the batch.
    =========================================================================
*/

#include "scoring_server.h"
#include "scoring_source.h"
#include "registry_bulk.pb-c.h"
#include <pthread.h>

//  --------------------------------------------------------------------------
//  Fetching: the registry's compact export (enterprises with their figures
//  of Y and Y-1, registry_bulk.proto with_figures_of), in ranges of codes
//  fetched at once by scoring/fetchers threads of their own, while the
//  caller reads the pages in the order they come and streams each page's
//  active enterprises into one COPY of members.
//
//  The export starts as one range, "" .. (no end). Once its first page
//  (with the header) is in, a fetcher with no range cuts the one with the
//  widest rest two pages on from where it stands (as far as its last
//  pages reached), or half-way (scoring_source_cut): the other keeps the
//  first part, it takes the rest. A page asked for before its range
//  was cut may hold rows past the range's new end: the reader drops them,
//  since the new range has them.

//  Ranges at most (each split makes one), pages held not read yet
#define S_RANGES_MAX 256
#define S_PAGES_HELD 4
//  Codes and cuts: a credit code is 18 characters, a cut at most 20
#define S_KEY_SIZE SCORING_CUT_SIZE

typedef struct {
    char after [S_KEY_SIZE];  //  the last code fetched ("" none yet)
    char until [S_KEY_SIZE];  //  the last code of the range, "" no end
    double span;              //  of its last full page, as a fraction
    bool taken;               //  a fetcher works on it
    bool done;
} s_range_t;

typedef struct {
    Kj__BulkExportReply *reply;
    char until [S_KEY_SIZE];  //  rows past it are another range's
} s_page_t;

typedef struct {
    scoring_server_t *server;
    int year;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    s_range_t ranges [S_RANGES_MAX];
    size_t range_count;
    bool split_ok;                 //  the first page is in: ranges may split
    s_page_t held [S_PAGES_HELD];  //  a ring, oldest first
    size_t first, count;
    int running;      //  fetchers not ended yet
    bool stop;        //  the reader gave up, or a fetch failed
    int rc;           //  0, or -1 a fetch failed (logged)
    int64_t wait_us;  //  the registry answering, summed over fetchers
    int splits;
    double span;  //  the last full page's, of any range
} s_pages_t;

//  How wide the rest of a range is, roughly, to split the widest
static double
s_width (const s_range_t *range)
{
    return scoring_source_fraction (range->until, !*range->until)
         - scoring_source_fraction (range->after, false);
}

//  A range for a fetcher, under the lock: one nobody works on, or a new
//  one split off the widest; -1 if there is none
static int
s_take (s_pages_t *self)
{
    for (size_t r = 0; r < self->range_count; r++)
        if (!self->ranges [r].taken && !self->ranges [r].done) {
            self->ranges [r].taken = true;
            return (int) r;
        }
    if (!self->split_ok || self->range_count == S_RANGES_MAX)
        return -1;
    //  A range two pages wide or less is not worth a cut (nor is any
    //  before a full page said how wide a page is)
    int widest = -1;
    double width = 0;
    for (size_t r = 0; r < self->range_count; r++) {
        const s_range_t *range = &self->ranges [r];
        double page = range->span > 0 ? range->span : self->span;
        if (!range->done && page > 0 && s_width (range) > 2 * page
            && s_width (range) > width) {
            widest = (int) r;
            width = s_width (range);
        }
    }
    if (widest < 0)
        return -1;
    //  Two pages on from where the range stands, as far as its pages
    //  reach (so that cuts do not probe the empty space after the last
    //  code); else, or when that is not inside it, half-way
    const s_range_t *cut_off = &self->ranges [widest];
    double span = cut_off->span > 0 ? cut_off->span : self->span;
    double from = scoring_source_fraction (cut_off->after, false);
    char cut [S_KEY_SIZE] = "";
    if (span > 0)
        scoring_source_at (from + 2 * span, cut);
    if (!*cut || strcmp (cut_off->after, cut) >= 0
        || (*cut_off->until && strcmp (cut, cut_off->until) >= 0))
        if (!scoring_source_cut (cut_off->after, cut_off->until, cut))
            return -1;
    s_range_t *half = &self->ranges [self->range_count];
    snprintf (half->after, sizeof half->after, "%s", cut);
    memcpy (half->until, self->ranges [widest].until, sizeof half->until);
    half->taken = true;
    half->done = false;
    snprintf (self->ranges [widest].until, sizeof half->until, "%s", cut);
    self->splits++;
    return (int) self->range_count++;
}

//  A fetcher's thread: ranges' pages into self->held until none is left
static void *
s_fetcher (void *arg)
{
    s_pages_t *self = (s_pages_t *) arg;
    kj_client_t *client = kj_client_new (self->server->broker);
    pthread_mutex_lock (&self->lock);
    int r = -1;
    while (!self->stop) {
        if (r < 0)
            r = s_take (self);
        if (r < 0) {
            //  Nothing to take: until a full page after the first has said
            //  how wide a page is, wait for the next; then (or once every
            //  range is done) the others finish what is left
            bool active = false;
            for (size_t k = 0; k < self->range_count; k++)
                active = active || !self->ranges [k].done;
            if (!active || (self->split_ok && self->span > 0))
                break;
            pthread_cond_wait (&self->cond, &self->lock);
            continue;
        }
        s_range_t *range = &self->ranges [r];
        char after [S_KEY_SIZE], until [S_KEY_SIZE];
        snprintf (after, sizeof after, "%s", range->after);
        snprintf (until, sizeof until, "%s", range->until);
        pthread_mutex_unlock (&self->lock);
        Kj__BulkExportRequest request = KJ__BULK_EXPORT_REQUEST__INIT;
        request.kind = KJ__BULK_KIND__BULK_ENTERPRISES;
        request.with_figures_of = self->year;
        request.after = after;
        request.until = until;
        request.limit = (uint32_t) self->server->page;
        Kj__BulkExportReply *reply = NULL;
        kj_status_t status;
        kj_call_opts_t opts = { .read_only = true, .timeout_ms = 30000 };
        int64_t asked = kj_mono_us ();
        int rc = kj_client_call (client, "registry.bulk", "Export",
                                 &request.base,
                                 &kj__bulk_export_reply__descriptor,
                                 (ProtobufCMessage **) &reply, &status, &opts);
        if (rc)
            kj_warn ("scoring.fetch", "registry export: %s", status.message);
        pthread_mutex_lock (&self->lock);
        self->wait_us += kj_mono_us () - asked;
        if (rc) {
            self->rc = -1;
            self->stop = true;
            break;
        }
        //  The range may have been cut while the page was asked for
        s_page_t page = { .reply = reply };
        snprintf (page.until, sizeof page.until, "%s", range->until);
        if (*after && reply->rows == request.limit && *reply->next) {
            range->span = scoring_source_fraction (reply->next, false)
                        - scoring_source_fraction (after, false);
            if (range->span > 0)
                self->span = range->span;
        }
        snprintf (range->after, sizeof range->after, "%s", reply->next);
        if (!*reply->next
            || (*range->until && strcmp (reply->next, range->until) >= 0)) {
            range->done = true;
            range->taken = false;
            r = -1;
        }
        while (self->count == S_PAGES_HELD && !self->stop)
            pthread_cond_wait (&self->cond, &self->lock);
        if (self->stop) {
            kj__bulk_export_reply__free_unpacked (reply, NULL);
            break;
        }
        self->held [(self->first + self->count) % S_PAGES_HELD] = page;
        self->count++;
        self->split_ok = true;  //  the first page, with the header, is in
        pthread_cond_broadcast (&self->cond);
    }
    self->running--;
    pthread_cond_broadcast (&self->cond);
    pthread_mutex_unlock (&self->lock);
    kj_client_destroy (&client);
    return NULL;
}

//  The next page fetched (the caller frees its reply), or false when
//  there is none left (or the fetchers failed: self->rc)
static bool
s_next_page (s_pages_t *self, s_page_t *page)
{
    pthread_mutex_lock (&self->lock);
    while (self->count == 0 && self->running > 0)
        pthread_cond_wait (&self->cond, &self->lock);
    bool got = self->count > 0;
    if (got) {
        *page = self->held [self->first];
        self->first = (self->first + 1) % S_PAGES_HELD;
        self->count--;
        pthread_cond_broadcast (&self->cond);
    }
    pthread_mutex_unlock (&self->lock);
    return got;
}

//  The reader's side: each page's members as COPY rows, numbered within
//  their stage in the order they come
typedef struct {
    const char *batch;
    int year;
    const char *until;  //  of the page read: rows past it are dropped
    scoring_header_t header;
    bool have_header;
    int plan [SCORING_COLUMNS_MAX + 1];  //  scoring_source_plan
    size_t inputs;
    int64_t members [SCORING_STAGES];  //  ords given, per stage
    zchunk_t *rows;                    //  this page's member rows
} s_fetch_t;

static int
s_each_row (uint32_t row, const char *const *fields, size_t count, void *arg)
{
    (void) row;
    s_fetch_t *self = (s_fetch_t *) arg;
    if (!self->have_header) {
        const char *missing = NULL;
        if (scoring_source_header (&self->header, SCORING_SOURCE_COMBINED,
                                   fields, count, &missing)) {
            kj_error ("scoring.fetch", "the registry's export has no column %s",
                      missing);
            return -1;
        }
        self->have_header = true;
        return 0;
    }
    if (*self->until
        && strcmp (scoring_source_code (&self->header, fields, count),
                   self->until)
               > 0)
        return 0;  //  another range's
    scoring_facts_t facts;
    memset (&facts, 0, sizeof facts);
    scoring_source_row (&self->header, self->year, fields, count, &facts);
    if (!facts.active || facts.stage < 0)
        return 0;
    int64_t values [SCORING_COLUMNS_MAX + 1];
    bool present [SCORING_COLUMNS_MAX + 1];
    scoring_source_planned (&facts, self->plan, self->inputs, values, present);
    char head [128];
    int length = snprintf (head, sizeof head, "%s\t%d\t%" PRId64 "\t%s\t%s\t",
                           self->batch, facts.stage,
                           self->members [facts.stage]++, facts.code,
                           facts.region);
    zchunk_extend (self->rows, head, (size_t) length);
    scoring_source_pack (self->rows, values, present, self->inputs);
    zchunk_extend (self->rows, "\n", 1);
    return 0;
}

//  One page read and its members put into the members' COPY; 0 or -1
//  (logged)
static int
s_store_page (kj_db_t *db, s_fetch_t *self, const s_page_t *page)
{
    const Kj__BulkExportReply *reply = page->reply;
    if (reply->data.len == 0)
        return 0;
    self->until = page->until;
    FILE *file = fmemopen (reply->data.data, reply->data.len, "r");
    char error [256] = "";
    int rc = file ? kj_csv_read (file, s_each_row, self, error, sizeof error)
                  : -1;
    if (file)
        fclose (file);
    if (rc)
        kj_warn ("scoring.fetch", "registry export unreadable: %s", error);
    if (rc == 0 && zchunk_size (self->rows))
        rc = kj_db_copy_put (db, zchunk_data (self->rows),
                             zchunk_size (self->rows));
    zchunk_set (self->rows, NULL, 0);
    return rc;
}

//  Every page of the export, its members stored; then each stage's cohort
//  cut into chunks. *total members, *chunks; 0 or -1 (logged)
static int
s_fetch_members (scoring_server_t *server, kj_db_t *db, const char *batch,
                 int year, scoring_model_t *model, int64_t *total, int *chunks,
                 int64_t *wait_us)
{
    s_pages_t pages = { .server = server, .year = year, .range_count = 1 };
    pthread_mutex_init (&pages.lock, NULL);
    pthread_cond_init (&pages.cond, NULL);
    scoring_cohort_t *cohort = scoring_cohort_new (model);
    s_fetch_t fetch = { .batch = batch,
                        .year = year,
                        .rows = zchunk_new (NULL, 0) };
    fetch.inputs = scoring_source_plan (cohort, fetch.plan);
    scoring_cohort_destroy (&cohort);
    int rc = kj_db_copy_begin (db, "COPY member (batch_id, stage, ord, code, "
                                   "region, packed) FROM STDIN");
    pthread_t threads [8];
    int started = 0;
    int wanted = server->fetchers < 1 ? 1
               : server->fetchers > 8 ? 8
                                      : server->fetchers;
    pthread_mutex_lock (&pages.lock);
    for (; rc == 0 && started < wanted; started++) {
        if (pthread_create (&threads [started], NULL, s_fetcher, &pages))
            break;
        pages.running++;
    }
    pthread_mutex_unlock (&pages.lock);
    if (rc == 0 && started == 0) {
        kj_error ("scoring.fetch", "no thread to fetch with");
        rc = -1;
    }
    s_page_t page;
    while (started && s_next_page (&pages, &page)) {
        if (rc == 0)
            rc = s_store_page (db, &fetch, &page);
        kj__bulk_export_reply__free_unpacked (page.reply, NULL);
        if (rc) {  //  the fetchers stop at their next page
            pthread_mutex_lock (&pages.lock);
            pages.stop = true;
            pthread_cond_broadcast (&pages.cond);
            pthread_mutex_unlock (&pages.lock);
        }
    }
    for (int t = 0; t < started; t++)
        pthread_join (threads [t], NULL);
    if (pages.rc)
        rc = -1;
    if (rc == 0 && !fetch.have_header) {
        kj_warn ("scoring.fetch", "the registry's export was empty");
        rc = -1;
    }
    if (kj_db_copy_end (db, rc != 0))
        rc = -1;
    *wait_us = pages.wait_us;
    kj_info ("scoring.fetch",
             "batch %s: the export in %zu ranges by %d fetchers (%d cuts)",
             batch, pages.range_count, started, pages.splits);
    pthread_mutex_destroy (&pages.lock);
    pthread_cond_destroy (&pages.cond);
    zchunk_t *cuts = fetch.rows;
    *total = 0;
    *chunks = 0;
    for (int stage = 0; rc == 0 && stage < SCORING_STAGES; stage++) {
        int64_t count = fetch.members [stage];
        for (int64_t first = 0; first < count; first += server->chunk) {
            int64_t last = first + server->chunk - 1 < count - 1
                             ? first + server->chunk - 1
                             : count - 1;
            char row [96];
            int length = snprintf (row, sizeof row,
                                   "%s\t%d\t%d\t%" PRId64 "\t%" PRId64 "\n",
                                   batch, (*chunks)++, stage, first, last);
            zchunk_extend (cuts, row, (size_t) length);
        }
        *total += count;
    }
    if (rc == 0 && zchunk_size (cuts))
        rc = kj_db_copy (db,
                         "COPY chunk (batch_id, no, stage, first_ord, "
                         "last_ord) FROM STDIN",
                         zchunk_data (cuts), zchunk_size (cuts));
    zchunk_destroy (&fetch.rows);
    return rc;
}

//  The batch-finished event, from the batch row
static int
s_finish (kj_db_t *db, const char *batch)
{
    PGresult *res = kj_db_exec (
        db,
        "UPDATE batch SET state = 'finished', finished_at = now () "
        "WHERE id = $1 RETURNING year, model, version, total, scored, "
        "stored, changed, chunks",
        1, (const char *[]){ batch });
    if (!res)
        return -1;
    Kj__ScoringBatch event = KJ__SCORING_BATCH__INIT;
    event.id = strtoull (batch, NULL, 10);
    event.year = atoi (PQgetvalue (res, 0, 0));
    event.model = PQgetvalue (res, 0, 1);
    event.version = atoi (PQgetvalue (res, 0, 2));
    event.state = "finished";
    event.total = strtoull (PQgetvalue (res, 0, 3), NULL, 10);
    event.scored = strtoull (PQgetvalue (res, 0, 4), NULL, 10);
    event.stored = strtoull (PQgetvalue (res, 0, 5), NULL, 10);
    event.changed = strtoull (PQgetvalue (res, 0, 6), NULL, 10);
    event.chunks = event.chunks_done = (uint32_t) atoi (PQgetvalue (res, 0, 7));
    int rc = kj_outbox_add (db, "scoring.batch.finished", event.model,
                            &event.base);
    kj_info ("scoring.batch",
             "batch %s finished: %" PRIu64 " scored, %" PRIu64
             " stored, %" PRIu64 " changed",
             batch, event.scored, event.stored, event.changed);
    PQclear (res);
    return rc;
}

//  Claim a batch that waits for its fetch and fetch it: 1 done, 0 none,
//  -1 failed (rolled back; tried again later)
static int
s_fetch (scoring_server_t *server, kj_db_t *db)
{
    if (kj_db_begin (db))
        return -1;
    PGresult *res = kj_db_exec (
        db,
        "SELECT id, year, model FROM batch WHERE state = 'fetching' "
        "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
        0, NULL);
    if (!res || PQntuples (res) == 0) {
        if (res)
            PQclear (res);
        kj_db_rollback (db);
        return res ? 0 : -1;
    }
    char batch [24], model_name [64];
    snprintf (batch, sizeof batch, "%s", PQgetvalue (res, 0, 0));
    int year = atoi (PQgetvalue (res, 0, 1));
    snprintf (model_name, sizeof model_name, "%s", PQgetvalue (res, 0, 2));
    PQclear (res);
    kj_status_t status;
    scoring_model_t *model = scoring_server_model (server, model_name, &status);
    if (!model) {
        kj_error ("scoring.fetch", "batch %s: %s", batch, status.message);
        kj_db_rollback (db);
        return -1;
    }
    int64_t total = 0, wait_us = 0;
    int chunks = 0;
    int64_t started = kj_mono_us ();
    int rc = s_fetch_members (server, db, batch, year, model, &total, &chunks,
                              &wait_us);
    int64_t stored = kj_mono_us ();
    if (rc == 0) {
        char total_text [24], chunks_text [16];
        snprintf (total_text, sizeof total_text, "%" PRId64, total);
        snprintf (chunks_text, sizeof chunks_text, "%d", chunks);
        rc = kj_db_run (db,
                        "UPDATE batch SET state = 'scoring', total = $2, "
                        "chunks = $3 WHERE id = $1",
                        3, (const char *[]){ batch, total_text, chunks_text })
                  == 1
               ? 0
               : -1;
    }
    if (rc == 0 && chunks == 0)
        rc = s_finish (db, batch);
    if (rc == 0)
        rc = kj_db_commit (db);
    else
        kj_db_rollback (db);
    if (rc == 0)
        kj_info ("scoring.fetch",
                 "batch %s: %" PRId64 " enterprises in %d chunks; fetched "
                 "and stored in %.3f s (%.3f s of it waiting for the "
                 "registry), committed in %.3f s",
                 batch, total, chunks, (stored - started) / 1e6, wait_us / 1e6,
                 (kj_mono_us () - stored) / 1e6);
    scoring_model_destroy (&model);
    return rc ? -1 : 1;
}

//  --------------------------------------------------------------------------
//  Scoring: claim one chunk, score its cohort, store its portraits

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

//  COPY text escape of a plain value (no tabs, newlines or backslashes
//  come from the model or the registry's codes, but be safe)
static void
s_field (zchunk_t *out, const char *text, bool last)
{
    while (*text) {
        size_t plain = strcspn (text, "\t\n\\");
        zchunk_extend (out, text, plain);
        text += plain;
        if (*text) {
            zchunk_extend (out, " ", 1);
            text++;
        }
    }
    zchunk_extend (out, last ? "\n" : "\t", 1);
}

//  Numbers and separators, as they are, then a tab
static void
s_raw (zchunk_t *out, const char *text)
{
    zchunk_extend (out, text, strlen (text));
    zchunk_extend (out, "\t", 1);
}

//  A scored cohort, kept by the job between chunks of one stage of one
//  batch: scoring is deterministic, so a worker scores a stage once and
//  stores it chunk by chunk
typedef struct {
    char batch [24];
    int stage;
    scoring_model_t *model;
    scoring_cohort_t *cohort;  //  member i has ord i
    char (*regions) [16];
} s_cohort_t;

static void
s_cohort_destroy (s_cohort_t **self_p)
{
    s_cohort_t *self = *self_p;
    if (!self)
        return;
    scoring_cohort_destroy (&self->cohort);
    scoring_model_destroy (&self->model);
    free (self->regions);
    free (self);
    *self_p = NULL;
}

void
scoring_batch_cache_destroy (void **cache_p)
{
    s_cohort_destroy ((s_cohort_t **) cache_p);
}

//  A member's shares of the best per column as a COPY array, then the
//  row's end
static void
s_shares (zchunk_t *out, scoring_cohort_t *cohort, size_t m)
{
    char text [SCORING_COLUMNS_MAX * 7 + 4];
    size_t used = 0;
    text [used++] = '{';
    size_t columns = scoring_model_columns (scoring_cohort_model (cohort));
    for (size_t i = 0; i < columns; i++)
        used += (size_t) snprintf (text + used, sizeof text - used, "%s%d",
                                   i ? "," : "",
                                   scoring_cohort_share_bp (cohort, m, i));
    text [used++] = '}';
    text [used++] = '\n';
    zchunk_extend (out, text, used);
}

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
s_before (kj_db_t *db, s_cohort_t *scored, int year, int first, int last,
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
    PGresult *res = kj_db_exec (
        db,
        "SELECT DISTINCT ON (code) code, grade, year = $2::int AND "
        "version = $3::int FROM portrait WHERE code = ANY ($4::text []) "
        "AND model = $1 AND (year, version) <= ($2::int, $3::int) "
        "ORDER BY code, year DESC, version DESC",
        4, params);
    zchunk_destroy (&codes);
    if (!res)
        return -1;
    zhashx_t *rows = zhashx_new ();
    for (int r = 0; r < PQntuples (res); r++)
        zhashx_insert (rows, PQgetvalue (res, r, 0),
                       (void *) (intptr_t) (r + 1));
    for (int m = first; m <= last; m++) {
        int r = (int) (intptr_t)
                    zhashx_lookup (rows, scoring_cohort_id (cohort, (size_t) m))
              - 1;
        before [m - first].grade = r >= 0 ? PQgetvalue (res, r, 1) : "";
        before [m - first].stored = r >= 0
                                 && streq (PQgetvalue (res, r, 2), "t");
    }
    zhashx_destroy (&rows);
    *res_p = res;
    return 0;
}

//  Store the portraits of members first .. last that are not stored yet
//  (COPY straight into portrait, with their previous grade), and their
//  events; counts into *stored and *changed
static int
s_store_portraits (kj_db_t *db, const char *batch, int year, s_cohort_t *scored,
                   int first, int last, int64_t *stored, int64_t *changed,
                   int64_t *spent_us)
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
    int rc = s_before (db, scored, year, first, last, before, &res);
    spent_us [0] = kj_mono_us () - at;
    at = kj_mono_us ();
    zchunk_t *data = zchunk_new (NULL, count * 400);
    char head [160];
    snprintf (head, sizeof head, "%s\t%d\t", scoring_model_name (model),
              scoring_model_version (model));
    size_t n = 0;
    *changed = 0;
    for (int m = first; rc == 0 && m <= last; m++) {
        const s_before_t *was = &before [m - first];
        if (was->stored)
            continue;  //  a rerun of this version: never overwritten
        const scoring_portrait_t *p = scoring_cohort_portrait (cohort,
                                                               (size_t) m);
        const char *code = scoring_cohort_id (cohort, (size_t) m);
        char reasons [1024], row [512];
        scoring_reasons_format (model, p, reasons, sizeof reasons);
        s_field (data, code, false);
        snprintf (row, sizeof row, "%d", year);
        s_raw (data, row);
        zchunk_extend (data, head, strlen (head));
        snprintf (row, sizeof row,
                  "%d\t%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64
                  "\t%" PRId64 "\t%" PRId64,
                  (int) scoring_cohort_stage (cohort, (size_t) m),
                  scored->regions [m], p->points_milli, p->bonus_milli,
                  p->scorecard_milli, p->flags_milli, p->score_milli,
                  p->percentile_milli);
        s_raw (data, row);
        const char *grade = scoring_grade_name (p->grade);
        s_field (data, grade, false);
        s_field (data,
                 p->stop >= 0
                     ? scoring_model_column (model, (size_t) p->stop)->code
                     : "",
                 false);
        snprintf (row, sizeof row, "%s\t%" PRId64 "\t",
                  p->line_known ? "t" : "f", p->line_fen);
        zchunk_extend (data, row, strlen (row));
        s_field (data, reasons, false);
        snprintf (row, sizeof row, "%d", p->missing_count);
        s_field (data, row, false);
        s_field (data, was->grade, false);
        zchunk_extend (data, batch, strlen (batch));
        zchunk_extend (data, "\t", 1);
        s_shares (data, cohort, (size_t) m);
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
        event->batch_id = strtoull (batch, NULL, 10);
        *changed += event->changed;
        keys [n] = code;
        payloads [n] = &event->base;
        n++;
    }
    spent_us [1] = kj_mono_us () - at;
    at = kj_mono_us ();
    if (rc == 0 && n)
        rc = kj_db_copy (db,
                         "COPY portrait (code, year, model, version, stage, "
                         "region, points_milli, bonus_milli, scorecard_milli, "
                         "flags_milli, score_milli, percentile_milli, grade, "
                         "stop, line_known, line_fen, reasons, missing_count, "
                         "previous_grade, batch_id, shares) FROM STDIN",
                         zchunk_data (data), zchunk_size (data));
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
static s_cohort_t *
s_cohort (scoring_server_t *server, kj_db_t *db, const char *batch, int stage,
          const char *model_name)
{
    s_cohort_t *self = (s_cohort_t *) server->cache;
    if (self && streq (self->batch, batch) && self->stage == stage)
        return self;
    s_cohort_destroy ((s_cohort_t **) &server->cache);
    kj_status_t status;
    scoring_model_t *model = scoring_server_model (server, model_name, &status);
    if (!model)
        return NULL;
    char stage_text [16];
    snprintf (stage_text, sizeof stage_text, "%d", stage);
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
        if (atoi (PQgetvalue (members, m, 0)) != m)
            rc = -1;  //  ords are 0 .. count-1 by construction
        if (!PQgetisnull (members, m, 3)) {
            if (scoring_source_unpack (PQgetvalue (members, m, 3), values,
                                       present, inputs))
                rc = kj_status_set (&status, KJ__CODE__INTERNAL, "member",
                                    "its inputs are not %zu long", inputs);
        }
        else {
            s_parse_array (PQgetvalue (members, m, 4), values, NULL, inputs);
            s_parse_array (PQgetvalue (members, m, 5), NULL, present, inputs);
        }
        snprintf (self->regions [m], sizeof self->regions [m], "%s",
                  PQgetvalue (members, m, 2));
        if (rc == 0)
            rc = scoring_cohort_add (self->cohort, PQgetvalue (members, m, 1),
                                     (scoring_stage_t) stage, values, present,
                                     &status);
        if (rc)
            kj_error ("scoring.batch", "batch %s: member %d (%s) refused: %s",
                      batch, m, PQgetvalue (members, m, 1), status.message);
    }
    PQclear (members);
    if (rc) {
        s_cohort_destroy (&self);
        return NULL;
    }
    scoring_cohort_score (self->cohort);
    server->cache = self;
    return self;
}

//  Claim one chunk and do it: 1 done, 0 none, -1 failed (rolled back)
static int
s_chunk (scoring_server_t *server, kj_db_t *db)
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
    //  Each worker scores a stage's whole cohort for any chunk of it: it
    //  takes a chunk of the stage it holds scored first, and else one of
    //  the stages its process id's parity prefers, so that two workers
    //  start on different stages rather than both scoring the same one
    const s_cohort_t *held = (const s_cohort_t *) server->cache;
    char held_batch [24], held_stage [16], parity [8];
    snprintf (held_batch, sizeof held_batch, "%s", held ? held->batch : "0");
    snprintf (held_stage, sizeof held_stage, "%d", held ? held->stage : -1);
    snprintf (parity, sizeof parity, "%d", (int) (getpid () % 2));
    PGresult *res = kj_db_exec (
        db,
        "SELECT c.batch_id, c.no, c.stage, c.first_ord, c.last_ord, b.year, "
        "b.model FROM chunk c JOIN batch b ON b.id = c.batch_id "
        "WHERE NOT c.done ORDER BY c.batch_id, "
        "(c.batch_id = $1::bigint AND c.stage = $2::int) DESC, "
        "c.stage % 2 = $3::int DESC, c.no LIMIT 1 "
        "FOR UPDATE OF c SKIP LOCKED",
        3, (const char *[]){ held_batch, held_stage, parity });
    if (!res || PQntuples (res) == 0) {
        if (res)
            PQclear (res);
        kj_db_rollback (db);
        return res ? 0 : -1;
    }
    char batch [24], no [16], stage [16], model_name [64];
    snprintf (batch, sizeof batch, "%s", PQgetvalue (res, 0, 0));
    snprintf (no, sizeof no, "%s", PQgetvalue (res, 0, 1));
    snprintf (stage, sizeof stage, "%s", PQgetvalue (res, 0, 2));
    int first = atoi (PQgetvalue (res, 0, 3));
    int last = atoi (PQgetvalue (res, 0, 4));
    int year = atoi (PQgetvalue (res, 0, 5));
    snprintf (model_name, sizeof model_name, "%s", PQgetvalue (res, 0, 6));
    PQclear (res);
    int64_t claimed = kj_mono_us ();
    s_cohort_t *scored = s_cohort (server, db, batch, atoi (stage), model_name);
    int64_t computed = kj_mono_us ();
    int rc = scored && last < (int) scoring_cohort_size (scored->cohort) ? 0
                                                                         : -1;
    int64_t stored = 0, changed = 0;
    int64_t spent_us [4] = { 0 };  //  before, rows, COPY, events
    if (rc == 0)
        rc = s_store_portraits (db, batch, year, scored, first, last, &stored,
                                &changed, spent_us);
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
        rc = s_finish (db, batch);
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
                 "%.3f s (looked up %.3f, rows made %.3f, COPY %.3f, "
                 "events %.3f), committed %.3f s",
                 batch, no, last - first + 1, (computed - claimed) / 1e6,
                 (written - computed) / 1e6, spent_us [0] / 1e6,
                 spent_us [1] / 1e6, spent_us [2] / 1e6, spent_us [3] / 1e6,
                 (kj_mono_us () - written) / 1e6);
    return rc ? -1 : 1;
}

//  --------------------------------------------------------------------------
//  The job: fetch what waits, then chunks until none is left

int
scoring_batch_work (void *state, kj_db_t *db)
{
    scoring_server_t *self = (scoring_server_t *) state;
    int done = 0;
    while (!kj_stopping ()) {
        int fetched = s_fetch (self, db);
        int chunk = s_chunk (self, db);
        if (chunk > 0) {
            done++;
            if (self->pause_ms)
                zclock_sleep (self->pause_ms);
        }
        if (fetched <= 0 && chunk <= 0) {
            if (chunk == 0)  //  no batch work left: free the cohort kept
                scoring_batch_cache_destroy (&self->cache);
            return fetched < 0 || chunk < 0 ? -1 : done;
        }
    }
    return done;
}
