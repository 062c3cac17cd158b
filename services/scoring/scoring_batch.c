/*  =========================================================================
    scoring_batch - the batch work every copy of kejin-scoring shares

    A batch goes fetching -> scoring -> finished (docs/scoring.md):
    - fetching: one worker claims the batch row (FOR UPDATE SKIP LOCKED)
      and, in that one transaction, reads the registry's export page by
      page, stores each active enterprise's inputs as a member and cuts
      each stage's cohort into chunks. Killed, it rolls back whole and
      another worker starts the fetch again.
    - scoring: workers claim chunks and store their portraits
      (scoring_chunk.c); the worker that does the last chunk finishes
      the batch.
    =========================================================================
*/

#include "scoring_server.h"
#include "scoring_source.h"
#include "registry_bulk.pb-c.h"
#include <poll.h>
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
    scoring_kept_t *kept;              //  the cohorts, as stored
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
    scoring_kept_add (&self->kept, facts.stage, facts.code, facts.region,
                      values, present);
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

//  Every page of the export, its members stored (and added to the cohorts
//  of *kept_p, scoring_kept_add); then each stage's cohort cut into
//  chunks. *total members, *chunks; 0 or -1 (logged)
static int
s_fetch_members (scoring_server_t *server, kj_db_t *db, const char *batch,
                 int year, scoring_model_t *model, int64_t *total, int *chunks,
                 int64_t *wait_us, scoring_kept_t **kept_p)
{
    s_pages_t pages = { .server = server, .year = year, .range_count = 1 };
    pthread_mutex_init (&pages.lock, NULL);
    pthread_cond_init (&pages.cond, NULL);
    scoring_cohort_t *cohort = scoring_cohort_new (model);
    s_fetch_t fetch = { .batch = batch,
                        .year = year,
                        .rows = zchunk_new (NULL, 0),
                        .kept = *kept_p };
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
    *kept_p = fetch.kept;
    return rc;
}

//  The batch-finished event, from the batch row (scoring_server.h)
int
scoring_batch_finish (kj_db_t *db, const char *batch)
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
    event.model = (char *) kj_sql_text (res, 0, "model");
    event.state = "finished";
    int64_t total = 0, scored = 0, stored = 0, changed = 0;
    int chunks = 0;
    if (!event.model || kj_sql_int (res, 0, "year", &event.year)
        || kj_sql_int (res, 0, "version", &event.version)
        || kj_sql_int64 (res, 0, "total", &total)
        || kj_sql_int64 (res, 0, "scored", &scored)
        || kj_sql_int64 (res, 0, "stored", &stored)
        || kj_sql_int64 (res, 0, "changed", &changed)
        || kj_sql_int (res, 0, "chunks", &chunks)) {
        PQclear (res);
        return -1;
    }
    event.total = (uint64_t) total;
    event.scored = (uint64_t) scored;
    event.stored = (uint64_t) stored;
    event.changed = (uint64_t) changed;
    event.chunks = event.chunks_done = (uint32_t) chunks;
    int rc = kj_outbox_add (db, "scoring.batch.finished", event.model,
                            &event.base);
    kj_info ("scoring.batch",
             "batch %s finished: %" PRIu64 " scored, %" PRIu64
             " stored, %" PRIu64 " changed",
             batch, event.scored, event.stored, event.changed);
    PQclear (res);
    return rc;
}

//  The batch (a row of batch, in an UPDATE of it) is fresh: no portrait of
//  its model up to its year and version is stored, and no other batch of
//  the model up to them is unfinished, so its chunks look nothing up
//  (006_batch_fresh.sql). The year's bound alone first, which the BRIN of
//  (model, year, version) can use.
#define S_FRESH                                                                \
    "NOT EXISTS (SELECT 1 FROM portrait p WHERE p.model = batch.model "        \
    "AND p.year <= batch.year "                                                \
    "AND (p.year, p.version) <= (batch.year, batch.version)) "                 \
    "AND NOT EXISTS (SELECT 1 FROM batch o WHERE o.model = batch.model "       \
    "AND o.id <> batch.id AND o.state <> 'finished' "                          \
    "AND (o.year, o.version) <= (batch.year, batch.version))"

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
    int year = 0;
    const char *id = kj_sql_text (res, 0, "id");
    const char *named = kj_sql_text (res, 0, "model");
    if (!id || !named || kj_sql_int (res, 0, "year", &year)) {
        PQclear (res);
        kj_db_rollback (db);
        return -1;
    }
    snprintf (batch, sizeof batch, "%s", id);
    snprintf (model_name, sizeof model_name, "%s", named);
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
    scoring_kept_t *kept = scoring_kept_new (server, batch, model_name);
    int rc = s_fetch_members (server, db, batch, year, model, &total, &chunks,
                              &wait_us, &kept);
    int64_t stored = kj_mono_us ();
    if (rc == 0) {
        char total_text [24], chunks_text [16];
        snprintf (total_text, sizeof total_text, "%" PRId64, total);
        snprintf (chunks_text, sizeof chunks_text, "%d", chunks);
        rc = kj_db_run (db,
                        "UPDATE batch SET state = 'scoring', total = $2, "
                        "chunks = $3, fresh = " S_FRESH " WHERE id = $1",
                        3, (const char *[]){ batch, total_text, chunks_text })
                  == 1
               ? 0
               : -1;
    }
    //  A batch of no chunks finishes here: its event under the topic's
    //  lock, as a chunk's (scoring_chunk_work)
    if (rc == 0 && chunks == 0)
        rc = kj_db_lock_topic (db, "scoring.batch.finished", true) == 0
               ? scoring_batch_finish (db, batch)
               : -1;
    //  The other workers claim its chunks now, not at their next pass
    if (rc == 0 && chunks > 0)
        kj_db_notify_after_commit (db, SCORING_BATCH_CHANNEL);
    if (rc == 0)
        rc = kj_db_commit (db);
    else
        kj_db_rollback (db);
    //  Committed, the members kept are the batch's: this worker scores
    //  the stages it takes from them instead of reading them back
    scoring_kept_destroy (&server->kept);
    if (rc == 0)
        server->kept = kept;
    else
        scoring_kept_destroy (&kept);
    if (rc == 0)
        kj_info ("scoring.fetch",
                 "batch %s: %" PRId64 " enterprises in %d chunks; fetched "
                 "and stored in %.3f s (%.3f s of it waiting for the "
                 "registry), committed in %.3f s; %.1f MB of members kept",
                 batch, total, chunks, (stored - started) / 1e6, wait_us / 1e6,
                 (kj_mono_us () - stored) / 1e6,
                 scoring_kept_bytes (server->kept) / 1e6);
    scoring_model_destroy (&model);
    return rc ? -1 : 1;
}

//  --------------------------------------------------------------------------
//  Wait up to the job's interval for a NOTIFY on SCORING_BATCH_CHANNEL, in
//  slices of 20 ms so as to see a stop: true if one came. So a worker
//  takes a batch started, or fetched by another copy, at once, not at its
//  next pass (up to scoring/batch_interval_s later); it still polls

static bool
s_wait_batch (kj_db_t *db, int interval_s)
{
    if (kj_db_run (db, "LISTEN " SCORING_BATCH_CHANNEL, 0, NULL) < 0)
        return false;
    PGconn *conn = kj_db_conn (db);
    int64_t end = kj_mono_us () + (int64_t) interval_s * 1000000;
    while (!kj_stopping () && kj_mono_us () < end) {
        int notified = kj_db_notified (db);
        if (notified != 0)
            return notified > 0;  //  gone: the next pass finds out
        struct pollfd item = { PQsocket (conn), POLLIN, 0 };
        poll (&item, 1, 20);
    }
    return false;
}

//  --------------------------------------------------------------------------
//  The job: fetch what waits, then chunks until none is left; then wait
//  for a wake-up (a batch started or fetched) before it returns

int
scoring_batch_work (void *state, kj_db_t *db)
{
    scoring_server_t *self = (scoring_server_t *) state;
    int done = 0;
    while (!kj_stopping ()) {
        int fetched = s_fetch (self, db);
        int chunk = scoring_chunk_work (self, db);
        if (chunk > 0) {
            done++;
            if (self->pause_ms)
                zclock_sleep (self->pause_ms);
        }
        if (fetched <= 0 && chunk <= 0) {
            if (chunk == 0) {  //  no batch work left: free the cohorts kept
                scoring_batch_cache_destroy (&self->cache);
                scoring_kept_destroy (&self->kept);
            }
            if (fetched < 0 || chunk < 0)
                return -1;
            if (!s_wait_batch (db, self->interval_s))
                return done;
        }
    }
    return done;
}
