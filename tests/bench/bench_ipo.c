/*  =========================================================================
    bench_ipo - board fit of 1,000,000 firms: the bare rules beside the
    service's batch fit end to end, in one run

    - bare: ipo_board_fit over firms already in memory, one core: the four
      exchanges' 14 standards with shortfalls (what `kejin ipo fit`
      reports), every board's 18, and ipo_board_meets over the 18 (the
      bits alone, what a batch fit stores)
    - each stage of the service's batch fit alone, in this process: the
      CSV cut into cells (kj_csv_read, every number parsed), the pages
      encoded and decoded (protobuf-c); from the daemon's log, the time
      its calls spent checking and fitting, storing, and finishing (the
      newly fit counted and their events written)
    - kejin ipo fit --csv --json: the same firms from a CSV file, offline
    - kejin ipo fit run --csv: the same file through kejin-ipo (a broker,
      one daemon, a fresh database): read and checked by the CLI, sent in
      pages of 25,000 with three in flight, fitted, the meeting firms
      stored with what they newly meet against the previous batch, an
      event per newly fit firm; run twice (the first batch has every
      meeting firm newly fit, the second none), each with the CPU every
      process used (wall time on this shared machine is mostly waiting
      for a core). The target: at most 20 s end to end.
    - the registry's route at a smaller size (KEJIN_BENCH_IPO_REGISTRY_N,
      default 20,000; 0 skips it): the registry loaded with `kejin demo
      load` (not measured), its export alone read page by page, then a
      batch fit of the registry by the fit job
    KEJIN_BENCH_IPO_N sets the number of firms (default 1,000,000).
    =========================================================================
*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "kejin.h"
#include "ipo.pb-c.h"
#include "ipo_board.h"
#include "ipo_fit.h"
#include "kj_node.h"
#include "kj_test.h"
#include "registry_bulk.pb-c.h"

static int FIRMS = 1000000;

//  --------------------------------------------------------------------------
//  Seconds on a clock: CLOCK_MONOTONIC, or this process's CPU time

static double
s_clock (clockid_t clock)
{
    struct timespec ts;
    clock_gettime (clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
#define s_now() s_clock (CLOCK_MONOTONIC)

//  Keeps the fits from being optimised away
static volatile int64_t s_sink;

//  --------------------------------------------------------------------------
//  A random whole number from lo to hi (xorshift: the same firms each run)

static uint64_t s_state = 88172645463325252ULL;

static int64_t
s_random (int64_t lo, int64_t hi)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return lo + (int64_t) (s_state % (uint64_t) (hi - lo + 1));
}

//  --------------------------------------------------------------------------
//  A firm of plausible size: market cap to ¥10bn, yearly figures to ¥300m

static void
s_firm (ipo_board_input_t *in)
{
    memset (in, 0, sizeof *in);
    in->market_cap_fen = s_random (0, INT64_C (1000000000000));
    for (int y = 0; y < 3; y++) {
        in->np_fen [y] = s_random (-INT64_C (10000000000),
                                   INT64_C (30000000000));
        in->rev_fen [y] = s_random (0, INT64_C (200000000000));
        in->rd_fen [y] = s_random (0, INT64_C (30000000000));
        in->ocf_fen [y] = s_random (-INT64_C (10000000000),
                                    INT64_C (30000000000));
    }
    in->roe_bp [0] = s_random (-500, 2500);
    in->roe_bp [1] = s_random (-500, 2500);
    in->rev_growth_t0_bp = s_random (-5000, 8000);
    in->neeq_tier = s_random (0, 2);
    in->neeq_listed_months = s_random (0, 60);
}

//  --------------------------------------------------------------------------
//  The stages alone: the CSV file cut into cells with every number parsed

static int
s_csv_row (uint32_t row, const char *const *fields, size_t count, void *arg)
{
    int64_t *sum = (int64_t *) arg;
    for (size_t i = 1; row > 1 && i < count; i++) {
        int64_t value = 0;
        if (kj_parse_int64 (fields [i], &value) == 0)
            *sum += value;
    }
    return 0;
}

//  The firms as FitBatch requests of IPO_FIT_PAGE_MAX firms, each encoded
//  then decoded; seconds of each into *encode and *decode
static void
s_codec (const ipo_board_input_t *firms, double *encode, double *decode)
{
    size_t page = IPO_FIT_PAGE_MAX;
    Kj__IpoFitFirm *f = (Kj__IpoFitFirm *) calloc (page, sizeof *f);
    Kj__IpoFigures *g = (Kj__IpoFigures *) calloc (page, sizeof *g);
    Kj__IpoFitFirm **list = (Kj__IpoFitFirm **) calloc (page, sizeof *list);
    char (*ids) [16] = calloc (page, sizeof *ids);
    uint8_t *buffer = (uint8_t *) malloc (KJ_PROTO_MAX_SIZE);
    assert (f && g && list && ids && buffer);
    *encode = *decode = 0;
    for (int first = 0; first < FIRMS; first += (int) page) {
        size_t n = (size_t) (FIRMS - first) < page ? (size_t) (FIRMS - first)
                                                   : page;
        double start = s_now ();
        for (size_t i = 0; i < n; i++) {
            const ipo_board_input_t *in = &firms [first + i];
            kj__ipo_fit_firm__init (&f [i]);
            kj__ipo_figures__init (&g [i]);
            snprintf (ids [i], sizeof ids [i], "F%07zu", first + i);
            f [i].firm = ids [i];
            f [i].city = "";
            f [i].figures = &g [i];
            for (const ipo_board_field_t *field = ipo_board_fields; field->name;
                 field++) {
                const ProtobufCFieldDescriptor
                    *to = protobuf_c_message_descriptor_get_field_by_name (
                        &kj__ipo_figures__descriptor, field->name);
                memcpy ((char *) &g [i] + to->offset,
                        (const char *) in + field->offset, sizeof (int64_t));
            }
            list [i] = &f [i];
        }
        Kj__IpoFitBatchRequest request = KJ__IPO_FIT_BATCH_REQUEST__INIT;
        request.batch = 1;
        request.firms = list;
        request.n_firms = n;
        size_t size = kj__ipo_fit_batch_request__pack (&request, buffer);
        double packed = s_now ();
        Kj__IpoFitBatchRequest
            *back = kj__ipo_fit_batch_request__unpack (NULL, size, buffer);
        assert (back && back->n_firms == n);
        kj__ipo_fit_batch_request__free_unpacked (back, NULL);
        *encode += packed - start;
        *decode += s_now () - packed;
    }
    free (f);
    free (g);
    free (list);
    free (ids);
    free (buffer);
}

//  The daemon's own account of a batch, summed from its log (lines
//  "ipo.fit.page batch=N firms=N fit_us=N store_us=N finish_us=N");
//  seconds into stages [0..2]
static void
s_daemon_stages (uint64_t batch, double stages [3])
{
    char path [600], line [1024];
    snprintf (path, sizeof path, "%s/kejin-ipo.log", kj_test_tmpdir ());
    stages [0] = stages [1] = stages [2] = 0;
    FILE *file = fopen (path, "r");
    while (file && fgets (line, sizeof line, file)) {
        const char *at = strstr (line, "ipo.fit.page");
        at = at ? strstr (at, "batch=") : NULL;
        unsigned long long id, firms;
        long long fit, store, finish;
        if (at
            && sscanf (at,
                       "batch=%llu firms=%llu fit_us=%lld store_us=%lld "
                       "finish_us=%lld",
                       &id, &firms, &fit, &store, &finish)
                   == 5
            && id == batch) {
            stages [0] += fit / 1e6;
            stages [1] += store / 1e6;
            stages [2] += finish / 1e6;
        }
    }
    if (file)
        fclose (file);
}

//  --------------------------------------------------------------------------
//  CPU seconds a process has used so far (its /proc stat), 0 if gone

//  --------------------------------------------------------------------------
//  CPU seconds a process has used so far, 0 if gone (kj_test)

static double
s_cpu_of (pid_t pid)
{
    return (double) kj_test_proc_cpu_us (pid, NULL) / 1e6;
}

//  Where the CPU of a run goes: the CLI (children of this process), the
//  daemon, the broker, and the database's backends of the bench's
//  database (its own background writers not counted)
typedef struct {
    double cli, daemon, broker, database;
} s_cpu_t;

static void
s_cpu (pid_t daemon, pid_t broker, kj_db_t *db, s_cpu_t *cpu)
{
    struct rusage usage;
    getrusage (RUSAGE_CHILDREN, &usage);
    cpu->cli = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6
             + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
    cpu->daemon = s_cpu_of (daemon);
    cpu->broker = s_cpu_of (broker);
    cpu->database = 0;
    PGresult *res = kj_db_exec (db,
                                "SELECT pid FROM pg_stat_activity WHERE "
                                "datname = current_database () AND pid <> "
                                "pg_backend_pid ()",
                                0, NULL);
    for (int row = 0; res && row < PQntuples (res); row++)
        cpu->database += s_cpu_of ((pid_t) atoi (PQgetvalue (res, row, 0)));
    if (res)
        PQclear (res);
}

//  Events ipo.fit.newly written so far (the relay is off: all stay)
static int64_t
s_newly_events (kj_db_t *db)
{
    PGresult *res = kj_db_exec (db,
                                "SELECT count (*) FROM kj_outbox WHERE topic "
                                "= 'ipo.fit.newly'",
                                0, NULL);
    int64_t count = res ? atoll (PQgetvalue (res, 0, 0)) : -1;
    if (res)
        PQclear (res);
    return count;
}

//  --------------------------------------------------------------------------
//  A batch as the service has it: its line of figures

static Kj__IpoFitBatch *
s_batch (kj_client_t *client, uint64_t id, Kj__IpoFitShowReply **reply)
{
    Kj__IpoFitShowRequest show = KJ__IPO_FIT_SHOW_REQUEST__INIT;
    show.batch = id;
    show.limit = 1;
    kj_status_t status;
    if (kj_client_call (client, "ipo", "FitShow", &show.base,
                        &kj__ipo_fit_show_reply__descriptor,
                        (ProtobufCMessage **) reply, &status, NULL)) {
        fprintf (stderr, "bench_ipo: FitShow: %s\n", status.message);
        return NULL;
    }
    return (*reply)->batch;
}

//  One upload of the file through the CLI and the service; seconds, or
//  a negative number when it failed
static double
s_upload (const kj_broker_t *broker, pid_t daemon, kj_db_t *db,
          const char *path, kj_client_t *client, double bare)
{
    const char *endpoint = broker->endpoint;
    s_cpu_t before, after;
    s_cpu (daemon, broker->pid, db, &before);
    int64_t events = s_newly_events (db);
    char command [1400];
    snprintf (command, sizeof command,
              "%s --broker %s --timeout 600000 --json ipo fit run --csv %s "
              "> /dev/null",
              kj_test_bin ("kejin"), endpoint, path);
    double start = s_now ();
    int rc = system (command);
    double took = s_now () - start;
    if (rc != 0) {
        fprintf (stderr, "bench_ipo: %s: exit %d\n", command, rc);
        return -1;
    }
    s_cpu (daemon, broker->pid, db, &after);
    Kj__IpoFitShowReply *reply = NULL;
    Kj__IpoFitBatch *batch = s_batch (client, 0, &reply);
    if (!batch)
        return -1;
    char label [64];
    snprintf (label, sizeof label, "kejin ipo fit run --csv, batch %llu",
              (unsigned long long) batch->id);
    printf ("  %-40s %7.2f s  %10.0f firms/s  (%.1fx the bare fit)\n"
            "  %-40s %llu firms, %llu meet a standard, %llu newly, "
            "%lld events ipo.fit.newly\n",
            label, took, FIRMS / took, took / bare, "",
            (unsigned long long) batch->firms,
            (unsigned long long) batch->meeting,
            (unsigned long long) batch->newly,
            (long long) (s_newly_events (db) - events));
    double stages [3];
    s_daemon_stages (batch->id, stages);
    printf ("  %-40s %7.2f s checking and fitting, %.2f s storing, %.2f s "
            "finishing\n",
            "  of which in kejin-ipo's calls", stages [0], stages [1],
            stages [2]);
    double total = after.cli - before.cli + after.daemon - before.daemon
                 + after.broker - before.broker + after.database
                 - before.database;
    printf ("  %-40s %7.2f s CPU: CLI %.2f, kejin-ipo %.2f, broker %.2f, "
            "PostgreSQL %.2f\n",
            "  CPU used, all processes", total, after.cli - before.cli,
            after.daemon - before.daemon, after.broker - before.broker,
            after.database - before.database);
    kj__ipo_fit_show_reply__free_unpacked (reply, NULL);
    fflush (stdout);
    return took;
}

//  The registry's route: load n demo enterprises, read its export alone,
//  then a batch fit of the registry by the fit job; 0 or -1
static int
s_registry (kj_broker_t *broker, const char *dsn, kj_client_t *client, int n,
            pid_t ipo)
{
    pid_t registry = kj_daemon_start ("registry", broker, dsn,
                                      (const char *[]){
                                          "-s", "registry/relay=false", "-s",
                                          "registry/bulk_workers=2", "-s",
                                          "log/level=warn", NULL });
    if (registry <= 0
        || !kj_broker_wait_workers (broker->endpoint, "registry.bulk", 2,
                                    30000))
        return -1;
    char command [1024];
    snprintf (command, sizeof command,
              "%s --broker %s --timeout 600000 demo load --enterprises %d "
              "> %s/demo.log 2>&1",
              kj_test_bin ("kejin"), broker->endpoint, n, kj_test_tmpdir ());
    printf ("\n  the registry's route: %d demo enterprises loaded (not "
            "measured) ...\n",
            n);
    fflush (stdout);
    if (system (command) != 0) {
        fprintf (stderr, "bench_ipo: kejin demo load failed\n");
        return -1;
    }
    //  The export alone, page by page as the fit job reads it; the CPU of
    //  each process beside the wall time (which on this shared machine is
    //  mostly waiting for a core)
    kj_db_t *db = kj_db_new (dsn, "ipo", 5000);
    if (!db)
        return -1;
    s_cpu_t before, after;
    s_cpu (registry, broker->pid, db, &before);
    double own = s_clock (CLOCK_PROCESS_CPUTIME_ID);
    double start = s_now ();
    uint64_t rows = 0;
    for (int kind = 0; kind < 2; kind++) {
        char after [256] = "";
        do {
            Kj__BulkExportRequest request = KJ__BULK_EXPORT_REQUEST__INIT;
            request.kind = kind ? KJ__BULK_KIND__BULK_FIGURES
                                : KJ__BULK_KIND__BULK_ENTERPRISES;
            request.after = after;
            request.limit = 5000;
            Kj__BulkExportReply *reply = NULL;
            kj_status_t status;
            kj_call_opts_t opts = { .read_only = true, .timeout_ms = 600000 };
            if (kj_client_call (client, "registry.bulk", "Export",
                                &request.base,
                                &kj__bulk_export_reply__descriptor,
                                (ProtobufCMessage **) &reply, &status, &opts)) {
                fprintf (stderr, "bench_ipo: Export: %s\n", status.message);
                return -1;
            }
            rows += reply->rows;
            snprintf (after, sizeof after, "%s", reply->next);
            kj__bulk_export_reply__free_unpacked (reply, NULL);
        } while (*after);
    }
    double exported = s_now () - start;
    own = s_clock (CLOCK_PROCESS_CPUTIME_ID) - own;
    s_cpu (registry, broker->pid, db, &after);
    printf ("  %-40s %7.2f s  %10.0f firms/s  (%llu rows)\n"
            "    CPU: registry %.2f s, its database %.2f s, broker %.2f s, "
            "the reader (this process) %.2f s\n",
            "the registry's export alone", exported, n / exported,
            (unsigned long long) rows, after.daemon - before.daemon,
            after.database - before.database, after.broker - before.broker,
            own);
    fflush (stdout);
    //  The batch fit of the registry, by the fit job (every second)
    Kj__IpoFitBatchRequest run = KJ__IPO_FIT_BATCH_REQUEST__INIT;
    run.from_registry = true;
    Kj__IpoFitBatchReply *started = NULL;
    kj_status_t status;
    s_cpu (registry, broker->pid, db, &before);
    double ipo_cpu = s_cpu_of (ipo);
    start = s_now ();
    if (kj_client_call (client, "ipo", "FitBatch", &run.base,
                        &kj__ipo_fit_batch_reply__descriptor,
                        (ProtobufCMessage **) &started, &status, NULL)) {
        fprintf (stderr, "bench_ipo: FitBatch: %s\n", status.message);
        return -1;
    }
    uint64_t id = started->batch->id;
    kj__ipo_fit_batch_reply__free_unpacked (started, NULL);
    Kj__IpoFitShowReply *reply = NULL;
    Kj__IpoFitBatch *batch = NULL;
    while ((batch = s_batch (client, id, &reply))
           && streq (batch->state, "FETCHING")) {
        kj__ipo_fit_show_reply__free_unpacked (reply, NULL);
        zclock_sleep (100);
    }
    if (!batch)
        return -1;
    double fitted = s_now () - start;
    ipo_cpu = s_cpu_of (ipo) - ipo_cpu;
    s_cpu (registry, broker->pid, db, &after);
    kj_db_destroy (&db);
    printf ("  %-40s %7.2f s  %10.0f firms/s  (%s; the export alone is "
            "%.0f%% of it)\n"
            "    CPU: registry %.2f s, kejin-ipo %.2f s, the databases' "
            "backends %.2f s, broker %.2f s\n",
            "batch fit of the registry (fit job)", fitted,
            batch->firms / fitted, batch->state, 100 * exported / fitted,
            after.daemon - before.daemon, ipo_cpu,
            after.database - before.database, after.broker - before.broker);
    kj__ipo_fit_show_reply__free_unpacked (reply, NULL);
    return kj_test_kill (registry, SIGTERM, 10000) == 0 ? 0 : -1;
}

int
main (void)
{
    const char *n_text = getenv ("KEJIN_BENCH_IPO_N");
    if (n_text && atoi (n_text) >= 1000)
        FIRMS = atoi (n_text);
    const ipo_board_rules_t *rules = ipo_board_rules (NULL);
    ipo_board_input_t *firms = (ipo_board_input_t *) calloc ((size_t) FIRMS,
                                                             sizeof *firms);
    for (int i = 0; i < FIRMS; i++)
        s_firm (&firms [i]);

    double load [3];
    getloadavg (load, 3);
    printf ("\nbench_ipo: board fit of %d firms; %ld cores, load average "
            "%.2f before the run\n",
            FIRMS, sysconf (_SC_NPROCESSORS_ONLN), load [0]);
    double start = s_now (), cpu = s_clock (CLOCK_PROCESS_CPUTIME_ID);
    int64_t nearest = 0;
    for (int i = 0; i < FIRMS; i++) {
        ipo_board_fit_t fit;
        kj_status_t status;
        if (ipo_board_fit (rules, &firms [i], IPO_BOARD_EXCHANGES, &fit,
                           &status)) {
            fprintf (stderr, "bench_ipo: firm %d refused: %s\n", i,
                     status.message);
            return 1;
        }
        nearest += fit.nearest;
    }
    double bare = s_now () - start;
    cpu = s_clock (CLOCK_PROCESS_CPUTIME_ID) - cpu;
    s_sink = nearest;
    printf ("  %-40s %7.2f s  %10.0f firms/s  (%.2f s of CPU)\n",
            "bare ipo_board_fit, 14 standards", bare, FIRMS / bare, cpu);
    start = s_now ();
    for (int i = 0; i < FIRMS; i++) {
        ipo_board_fit_t fit;
        kj_status_t status;
        ipo_board_fit (rules, &firms [i], IPO_BOARD_ALL, &fit, &status);
        nearest += fit.nearest;
    }
    double bare_all = s_now () - start;
    s_sink = nearest;
    printf ("  %-40s %7.2f s  %10.0f firms/s\n",
            "bare ipo_board_fit, every board (18)", bare_all, FIRMS / bare_all);
    start = s_now ();
    for (int i = 0; i < FIRMS; i++) {
        uint32_t meets;
        kj_status_t status;
        ipo_board_meets (rules, &firms [i], IPO_BOARD_ALL, &meets, &status);
        nearest += meets;
    }
    double bare_meets = s_now () - start;
    s_sink = nearest;
    printf ("  %-40s %7.2f s  %10.0f firms/s  (what a batch fit stores)\n",
            "bare ipo_board_meets, every board (18)", bare_meets,
            FIRMS / bare_meets);
    fflush (stdout);

    //  The same firms as a CSV file, through the command
    char path [600], command [1400];
    snprintf (path, sizeof path, "%s/firms.csv", kj_test_tmpdir ());
    FILE *file = fopen (path, "w");
    if (!file) {
        fprintf (stderr, "bench_ipo: cannot write %s\n", path);
        return 1;
    }
    fprintf (file, "id");
    for (const ipo_board_field_t *f = ipo_board_fields; f->name && f->in_csv;
         f++)
        fprintf (file, ",%s", f->name);
    fprintf (file, "\n");
    for (int i = 0; i < FIRMS; i++) {
        const ipo_board_input_t *in = &firms [i];
        fprintf (file, "F%07d,%" PRId64, i, in->market_cap_fen);
        for (int y = 2; y >= 0; y--)
            fprintf (file, ",%" PRId64, in->np_fen [y]);
        for (int y = 2; y >= 0; y--)
            fprintf (file, ",%" PRId64, in->rev_fen [y]);
        for (int y = 2; y >= 0; y--)
            fprintf (file, ",%" PRId64, in->rd_fen [y]);
        for (int y = 2; y >= 0; y--)
            fprintf (file, ",%" PRId64, in->ocf_fen [y]);
        fprintf (file, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%s,%" PRId64 "\n",
                 in->roe_bp [1], in->roe_bp [0], in->rev_growth_t0_bp,
                 ipo_board_neeq_tier_name (in->neeq_tier),
                 in->neeq_listed_months);
    }
    fclose (file);
    file = fopen (path, "r");
    int64_t sum = 0;
    char error [256];
    start = s_now ();
    if (!file || kj_csv_read (file, s_csv_row, &sum, error, sizeof error)) {
        fprintf (stderr, "bench_ipo: cannot read %s back\n", path);
        return 1;
    }
    double parse = s_now () - start;
    fclose (file);
    s_sink = sum;
    double encode, decode;
    s_codec (firms, &encode, &decode);
    printf ("  %-40s %7.2f s  %10.0f firms/s\n"
            "  %-40s %7.2f s  %10.0f firms/s\n"
            "  %-40s %7.2f s  %10.0f firms/s\n",
            "stage: CSV cut into cells, parsed", parse, FIRMS / parse,
            "stage: pages encoded (protobuf-c)", encode, FIRMS / encode,
            "stage: pages decoded (protobuf-c)", decode, FIRMS / decode);
    fflush (stdout);
    snprintf (command, sizeof command,
              "%s ipo fit --csv %s --json "
              "> /dev/null",
              kj_test_bin ("kejin"), path);
    start = s_now ();
    int rc = system (command);
    double cli = s_now () - start;
    if (rc != 0) {
        fprintf (stderr, "bench_ipo: %s: exit %d\n", command, rc);
        return 1;
    }
    printf ("  %-40s %7.2f s  %10.0f firms/s  (%.1fx the bare fit)\n",
            "kejin ipo fit --csv --json (offline)", cli, FIRMS / cli,
            cli / bare);
    fflush (stdout);

    //  Through kejin-ipo: a broker, one daemon, a fresh database
    char *dsn = kj_test_db_new ("bench_ipo");
    kj_broker_t broker;
    if (kj_broker_start (&broker, 0,
                         (const char *[]){ "-s", "log/level=warn", NULL }))
        return 1;
    pid_t ipo = kj_daemon_start ("ipo", &broker, dsn,
                                 (const char *[]){ "-s", "ipo/relay=false",
                                                   "-s", "ipo/fit_interval_s=1",
                                                   "-s", "log/level=info",
                                                   NULL });
    if (ipo <= 0 || !kj_broker_wait_workers (broker.endpoint, "ipo", 2, 30000))
        return 1;
    kj_client_t *client = kj_client_new (broker.endpoint);
    kj_client_set_timeout (client, 600000);
    kj_db_t *db = kj_db_new (dsn, "ipo", 5000);
    if (!db)
        return 1;
    double first = s_upload (&broker, ipo, db, path, client, bare_all);
    double second = s_upload (&broker, ipo, db, path, client, bare_all);
    kj_db_destroy (&db);
    if (first < 0 || second < 0)
        return 1;
    printf ("  target (the service's batch fit of 1,000,000, end to end): "
            "<= 20 s\n");
    remove (path);
    free (firms);
    const char *registry_n = getenv ("KEJIN_BENCH_IPO_REGISTRY_N");
    int n = registry_n ? atoi (registry_n) : 20000;
    rc = n >= 100 ? s_registry (&broker, dsn, client, n, ipo) : 0;
    kj_client_destroy (&client);
    kj_test_kill (ipo, SIGTERM, 10000);
    kj_broker_stop (&broker, SIGTERM);
    free (dsn);
    return rc ? 1 : 0;
}
