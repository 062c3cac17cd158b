/*  =========================================================================
    bench_matching - one demand against 10,000 products: Match through the
    broker (kejin-matching deciding from its read model, filtering,
    ranking, recording the match) beside a plain loop of the same filters
    and ranking over the same products in this process, in one run; and
    first, with 2,000 of those products, a batch of 100,000 open demands
    matched by the daemon on 2 threads beside a plain one-thread loop here

    The targets: p99 of Match at most 2 ms; the batch in at most
    30 s. Beside each Match figure, the CPU per Match of the daemon and of
    its PostgreSQL sessions (/proc, load-proof). KJ_BENCH_MATCHING_OLD=
    path alternates this build's kejin-matching with that binary, 3 legs
    each, and prints the medians side by side.
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../system/registry_fixture.h"
#include "matching.pb-c.h"
#include "matching_rank.h"
#include "matching_model.h"
#include "matching_registry.h"

#define PRODUCTS       10000
#define BATCH_PRODUCTS 2000
#define ROUNDS         1000
#define IN_FLIGHT      50
#define WAN            INT64_C (1000000)

static const char *s_regions [] = { "210100",         "210200",   "210300",
                                    "SHENYANG_METRO", "PROVINCE", "210800" };
static const Kj__ProductType s_types [] = {
    KJ__PRODUCT_TYPE__PRODUCT_CREDIT,     KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN,
    KJ__PRODUCT_TYPE__PRODUCT_GUARANTEED, KJ__PRODUCT_TYPE__PRODUCT_IP_PLEDGE,
    KJ__PRODUCT_TYPE__PRODUCT_LEASING,    KJ__PRODUCT_TYPE__PRODUCT_EQUITY
};

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

//  Sorts us and prints its p50 and p99; *p50 and *p99 (may be NULL) in ms
static void
s_report_at (const char *what, int64_t *us, int n, double *p50, double *p99)
{
    qsort (us, (size_t) n, sizeof us [0], s_compare);
    printf ("  %-44s p50 %6.3f ms  p99 %6.3f ms\n", what, us [n / 2] / 1000.0,
            us [n * 99 / 100] / 1000.0);
    if (p50)
        *p50 = us [n / 2] / 1000.0;
    if (p99)
        *p99 = us [n * 99 / 100] / 1000.0;
}

static void
s_report (const char *what, int64_t *us, int n)
{
    s_report_at (what, us, n, NULL, NULL);
}

//  Add products from .. to - 1, IN_FLIGHT at a time
static void
s_products (rfx_t *fx, int from, int to)
{
    for (int base = from; base < to; base += IN_FLIGHT) {
        int n = 0;
        for (int i = base; i < base + IN_FLIGHT && i < to; i++) {
            char id [16], name [32];
            snprintf (id, sizeof id, "P%05d", i);
            snprintf (name, sizeof name, "产品%d", i);
            char *regions [] = { (char *) s_regions [i % 6],
                                 (char *) s_regions [(i / 6) % 6] };
            Kj__Product p = KJ__PRODUCT__INIT;
            p.id = id;
            p.institution_id = i % 2 ? "SYB" : "DLB";
            p.name = name;
            p.type = s_types [i % 6];
            p.min_amount_fen = (10 + i % 50) * WAN;
            p.max_amount_fen = (300 + i % 700) * WAN;
            p.min_term_months = 3 + i % 6;
            p.max_term_months = 12 + i % 25;
            p.rate_bp = 300 + i % 300;
            p.regions = regions;
            p.n_regions = 1 + i % 2;
            p.valid_from = "2020-01-01";
            Kj__AddProductRequest request = KJ__ADD_PRODUCT_REQUEST__INIT;
            request.product = &p;
            if (!kj_client_send (fx->client, "registry", "AddProduct",
                                 &request.base, NULL))
                exit (1);
            n++;
        }
        for (int i = 0; i < n; i++) {
            uint64_t id;
            kj_status_t status;
            int rc = kj_client_recv (fx->client, 30000, &id, NULL, NULL,
                                     &status);
            if (rc != 0) {
                fprintf (stderr, "bench_matching: AddProduct: %d %s\n", rc,
                         status.message);
                exit (1);
            }
        }
    }
}

//  An enterprise of region at stage; code written
static int
s_enterprise (rfx_t *fx, const char *region, unsigned number, Kj__Stage stage,
              char code [19])
{
    rfx_code (region, number, code);
    Kj__RegisterEnterpriseRequest reg = KJ__REGISTER_ENTERPRISE_REQUEST__INIT;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    char name [32];
    snprintf (name, sizeof name, "企业%u", number);
    e.code = code;
    e.name = name;
    e.founded_on = "2024-03-01";
    e.size_class = KJ__SIZE_CLASS__SIZE_SMALL;
    reg.enterprise = &e;
    Kj__EnterpriseReply *reply = NULL;
    if (rfx_call (fx, "RegisterEnterprise", &reg.base,
                  &kj__enterprise_reply__descriptor, &reply, NULL, NULL, false))
        return -1;
    kj__enterprise_reply__free_unpacked (reply, NULL);
    Kj__OverrideStageRequest override = KJ__OVERRIDE_STAGE_REQUEST__INIT;
    override.code = code;
    override.stage = stage;
    override.reason = "bench";
    if (rfx_call (fx, "OverrideStage", &override.base,
                  &kj__enterprise_reply__descriptor, &reply, NULL, NULL, false))
        return -1;
    kj__enterprise_reply__free_unpacked (reply, NULL);
    return 0;
}

//  The database of the old binary (KJ_BENCH_MATCHING_OLD): its own, so
//  that each side runs on the schema it migrates; made on first use
static char *s_old_dsn;

//  The old binary's database name ("" before it is made), for the
//  backends' CPU
static const char *
s_old_database (void)
{
    const char *name = s_old_dsn ? strstr (s_old_dsn, "dbname=") : NULL;
    return name ? name + strlen ("dbname=") : "";
}

//  kejin-matching from binary (NULL: this build's), batch job interval
//  and durability as given
static pid_t
s_matching_bin (rfx_t *fx, const char *binary, const char *interval,
                const char *durable)
{
    char pub [200], broker [256], dsn [600], log [512];
    snprintf (pub, sizeof pub, "node/pub=%s", fx->broker.pub);
    snprintf (broker, sizeof broker, "node/broker=%s", fx->broker.endpoint);
    if (binary && !s_old_dsn)
        s_old_dsn = kj_test_db_new ("bench_matching_old");
    snprintf (dsn, sizeof dsn, "db/dsn=%s", binary ? s_old_dsn : fx->dsn);
    //  KJ_BENCH_MATCHING_DEBUG=dir: the daemon logs each call's phases
    //  (worker.write, matching.match) in its log there, kept
    const char *debug = getenv ("KJ_BENCH_MATCHING_DEBUG");
    if (debug && !*debug)
        debug = NULL;
    static int started = 0;
    snprintf (log, sizeof log, "%s/kejin-matching-%d%s.log",
              debug ? debug : kj_test_tmpdir (), ++started,
              binary ? "-old" : "");
    const char *argv [] = { binary ? binary : kj_test_bin ("kejin-matching"),
                            "-s",
                            broker,
                            "-s",
                            dsn,
                            "-s",
                            "matching/relay=false",
                            "-s",
                            pub,
                            "-s",
                            interval,
                            "-s",
                            durable,
                            NULL,
                            NULL,
                            NULL };
    if (debug) {
        argv [13] = "-s";
        argv [14] = "log/level=debug";
    }
    pid_t matching = kj_test_spawn (argv, NULL, log);
    if (matching <= 0
        || !kj_broker_wait_workers (fx->broker.endpoint, "matching", 2, 20000))
        return -1;
    //  Its read model loaded before anything is asked or measured (a
    //  loaded machine takes more than the 10 s a call waits for it)
    kj_client_t *client = kj_client_new (fx->broker.endpoint);
    kj_call_opts_t opts = { .timeout_ms = 10000 };
    bool ready = false;
    int64_t until = kj_mono_us () + 120 * INT64_C (1000000);
    while (!ready && kj_mono_us () < until) {
        Kj__ModelRequest ask = KJ__MODEL_REQUEST__INIT;
        Kj__ModelReply *model = NULL;
        kj_status_t status;
        if (kj_client_call (client, "matching", "Model", &ask.base,
                            &kj__model_reply__descriptor,
                            (ProtobufCMessage **) &model, &status, &opts)
            == 0) {
            ready = model->ready;
            kj__model_reply__free_unpacked (model, NULL);
        }
        if (!ready)
            zclock_sleep (50);
    }
    kj_client_destroy (&client);
    if (!ready) {
        fprintf (stderr, "bench_matching: the read model did not load\n");
        return -1;
    }
    return matching;
}

static pid_t
s_matching (rfx_t *fx, const char *interval, const char *durable)
{
    return s_matching_bin (fx, NULL, interval, durable);
}

//  CPU time of a process so far, all its threads, in clock ticks
static int64_t
s_cpu_ticks (pid_t pid)
{
    return kj_test_proc_cpu_us (pid, NULL) * sysconf (_SC_CLK_TCK) / 1000000;
}

//  CPU ticks so far of the PostgreSQL sessions of kejin-matching
static int64_t
s_backend_ticks (rfx_t *fx)
{
    PGresult *res = kj_db_exec (fx->db,
                                "SELECT pid FROM pg_stat_activity WHERE "
                                "application_name = 'kejin-matching' "
                                "AND datname IN (current_database (), $1)",
                                1, (const char *[]){ s_old_database () });
    int64_t ticks = 0;
    for (int i = 0; res && i < PQntuples (res); i++)
        ticks += s_cpu_ticks (atoi (PQgetvalue (res, i, 0)));
    PQclear (res);
    return ticks;
}

//  The 1-minute load average, as /proc/loadavg has it
static double
s_load (void)
{
    double load = -1;
    FILE *file = fopen ("/proc/loadavg", "r");
    if (file) {
        if (fscanf (file, "%lf", &load) != 1)
            load = -1;
        fclose (file);
    }
    return load;
}

//  The batch: BATCH_DEMANDS open demands of ENTERPRISES enterprises (the
//  metro cities and Dalian, start-up and growth) against the products
//  held, by the daemon with 2 threads, beside a plain loop here
#define BATCH_DEMANDS 100000
#define ENTERPRISES   100

static int
s_batch (rfx_t *fx)
{
    static const char *cities [] = { "210100", "210300", "210400",
                                     "210500", "211200", "210200" };
    static char codes [ENTERPRISES][19];
    for (unsigned i = 0; i < ENTERPRISES; i++)
        if (s_enterprise (fx, cities [i % 6], 1000 + i,
                          i % 2 ? KJ__STAGE__STAGE_GROWTH
                                : KJ__STAGE__STAGE_STARTUP,
                          codes [i]))
            return -1;
    pid_t matching = s_matching (fx, "matching/batch_interval_s=1",
                                 "matching/match_durable=false");
    if (matching <= 0)
        return -1;
    //  The demands straight into matching's tables: 100,000 AddDemand
    //  calls would measure something else
    kj_db_t *db = kj_db_new (fx->dsn, "matching", 5000);
    char array [ENTERPRISES * 20 + 4] = "{";
    for (int i = 0; i < ENTERPRISES; i++)
        snprintf (array + strlen (array), sizeof array - strlen (array), "%s%s",
                  i ? "," : "", codes [i]);
    strcat (array, "}");
    int64_t start = kj_mono_us ();
    if (!db
        || kj_db_run (db,
                      "INSERT INTO demand (id, enterprise_code, amount_fen, "
                      "term_months, instrument, state) SELECT 'D' || lpad "
                      "(g::text, 6, '0'), ($1::text[]) [g % 100 + 1], "
                      "(50 + g % 500) * 1000000, 6 + g % 30, 1, 1 "
                      "FROM generate_series (1, 100000) g",
                      1, (const char *[]){ array })
               != BATCH_DEMANDS
        || kj_db_run (db, "SELECT setval ('demand_seq', 100000)", 0, NULL) < 0)
        return -1;
    kj_db_destroy (&db);
    printf ("  %d demands of %d enterprises stored in %.1f s\n", BATCH_DEMANDS,
            ENTERPRISES, (kj_mono_us () - start) / 1e6);

    kj_client_t *client = kj_client_new (fx->broker.endpoint);
    kj_call_opts_t opts = { .timeout_ms = 30000 };
    Kj__BatchRequest request = KJ__BATCH_REQUEST__INIT;
    Kj__Batch batch = KJ__BATCH__INIT;
    request.batch = &batch;
    Kj__BatchReply *reply = NULL;
    kj_status_t status;
    int64_t cpu = s_cpu_ticks (matching), db_cpu = s_backend_ticks (fx);
    start = kj_mono_us ();
    if (kj_client_call (client, "matching", "MatchBatch", &request.base,
                        &kj__batch_reply__descriptor,
                        (ProtobufCMessage **) &reply, &status, &opts))
        return -1;
    Kj__GetBatchRequest get = KJ__GET_BATCH_REQUEST__INIT;
    get.id = strdup (reply->batch->id);
    kj__batch_reply__free_unpacked (reply, NULL);
    reply = NULL;
    while (kj_mono_us () - start < 600 * INT64_C (1000000)) {
        if (kj_client_call (client, "matching", "GetBatch", &get.base,
                            &kj__batch_reply__descriptor,
                            (ProtobufCMessage **) &reply, &status, &opts))
            return -1;
        if (reply->batch->state == KJ__BATCH_STATE__BATCH_DONE)
            break;
        kj__batch_reply__free_unpacked (reply, NULL);
        reply = NULL;
        zclock_sleep (100);
    }
    if (!reply)
        return -1;
    double wall = (kj_mono_us () - start) / 1e6;
    printf ("  batch: %u demands, %u with a product, %" PRIu64 " proposals\n",
            reply->batch->demands, reply->batch->matched,
            reply->batch->proposals);
    printf ("  %-44s %6.1f s (matching %.1f s; asked to stored, 1 s "
            "job tick included)\n",
            "batch in kejin-matching, 2 threads", wall,
            reply->batch->ms / 1000.0);
    double tick_s = 1.0 / (double) sysconf (_SC_CLK_TCK);
    printf ("  %-44s %6.1f s daemon, %.1f s PostgreSQL; load %.1f\n",
            "  CPU of the batch",
            (double) (s_cpu_ticks (matching) - cpu) * tick_s,
            (double) (s_backend_ticks (fx) - db_cpu) * tick_s, s_load ());
    kj__batch_reply__free_unpacked (reply, NULL);
    free (get.id);
    kj_client_destroy (&client);
    kj_test_kill (matching, SIGTERM, 10000);

    //  The plain loop: every demand, every product, one thread
    matching_model_t *model = matching_model_new (fx->broker.endpoint,
                                                  fx->broker.pub, 10);
    matching_model_start (model);
    if (!matching_model_wait (model, 60000))
        return -1;
    matching_weights_t weights = { 3000, 2000, 2000, 2000, 1000 };
    matching_model_read (model);
    size_t count = matching_model_count (model);
    const matching_product_t *products = matching_model_products (model);
    matching_ranked_t *ranked = calloc (count + 1, sizeof *ranked);
    uint64_t proposals = 0;
    start = kj_mono_us ();
    for (int g = 1; g <= BATCH_DEMANDS; g++) {
        matching_enterprise_t profile;
        if (matching_model_profile (model, codes [g % 100], &profile, NULL))
            return -1;
        matching_demand_t view = { .amount_fen = (50 + g % 500) * WAN,
                                   .term_months = 6 + g % 30,
                                   .instrument = MATCHING_INSTRUMENT_LOAN,
                                   .on = 20261203 };
        size_t passed = 0;
        for (size_t p = 0; p < count; p++)
            if (matching_filter_check (&products [p], &profile, &view, NULL))
                ranked [passed++].product = &products [p];
        matching_rank_order (ranked, passed, &weights, view.amount_fen, 10);
        proposals += passed < 10 ? passed : 10;
    }
    printf ("  %-44s %6.1f s (%" PRIu64 " proposals)\n",
            "plain loop in process, 1 thread", (kj_mono_us () - start) / 1e6,
            proposals);
    printf ("  target (batch): <= 30 s\n");
    free (ranked);
    matching_model_done (model);
    matching_model_destroy (&model);
    return 0;
}

//  One run of Match rounds: wall clock, and CPU per Match of the daemon
//  and of its PostgreSQL sessions (load-proof), and the load
typedef struct {
    double p50, p99;  //  ms
    double cpu, db;   //  us per Match
    double load;      //  1-minute load average at the end
} s_leg_t;

//  Rounds of Match for one demand (added on the first call, *demand_p)
//  against the daemon `matching`, then (health) the same number of Health
//  calls to the same worker: the broker's round trip with nothing to do
static int
s_match_rounds (rfx_t *fx, pid_t matching, Kj__Demand *d, const char *what,
                bool health, int64_t *us, Kj__DemandReply **demand_p,
                s_leg_t *leg)
{
    kj_client_t *client = kj_client_new (fx->broker.endpoint);
    kj_call_opts_t opts = { .timeout_ms = 30000 };
    kj_status_t status;
    if (!*demand_p) {
        Kj__AddDemandRequest add = KJ__ADD_DEMAND_REQUEST__INIT;
        add.demand = d;
        if (kj_client_call (client, "matching", "AddDemand", &add.base,
                            &kj__demand_reply__descriptor,
                            (ProtobufCMessage **) demand_p, &status, &opts)) {
            fprintf (stderr, "bench_matching: AddDemand: %s\n", status.message);
            return -1;
        }
    }
    Kj__MatchRequest match = KJ__MATCH_REQUEST__INIT;
    match.demand_id = (*demand_p)->demand->id;
    size_t shown = 0;
    uint32_t candidates = 0;
    int64_t cpu = 0, db = 0;
    for (int i = -10; i < ROUNDS; i++) {
        if (i == 0) {
            cpu = s_cpu_ticks (matching);
            db = s_backend_ticks (fx);
        }
        Kj__MatchReply *reply = NULL;
        int64_t t0 = kj_mono_us ();
        if (kj_client_call (client, "matching", "Match", &match.base,
                            &kj__match_reply__descriptor,
                            (ProtobufCMessage **) &reply, &status, &opts)) {
            fprintf (stderr, "bench_matching: Match: %s\n", status.message);
            return -1;
        }
        if (i >= 0)
            us [i] = kj_mono_us () - t0;
        shown = reply->n_products;
        candidates = reply->candidates;
        kj__match_reply__free_unpacked (reply, NULL);
    }
    double tick_us = 1e6 / (double) sysconf (_SC_CLK_TCK);
    leg->cpu = (double) (s_cpu_ticks (matching) - cpu) * tick_us / ROUNDS;
    leg->db = (double) (s_backend_ticks (fx) - db) * tick_us / ROUNDS;
    leg->load = s_load ();
    if (health)
        printf ("  %u candidates, top %zu\n", candidates, shown);
    s_report_at (what, us, ROUNDS, &leg->p50, &leg->p99);
    printf ("  %-44s %6.0f us daemon, %6.0f us PostgreSQL; load %.1f\n",
            "  CPU per Match", leg->cpu, leg->db, leg->load);
    if (health) {
        for (int i = -10; i < ROUNDS; i++) {
            Kj__HealthRequest ask = KJ__HEALTH_REQUEST__INIT;
            Kj__Health *reply = NULL;
            int64_t t0 = kj_mono_us ();
            if (kj_client_call (client, "matching", "Health", &ask.base,
                                &kj__health__descriptor,
                                (ProtobufCMessage **) &reply, &status, &opts)) {
                fprintf (stderr, "bench_matching: Health: %s\n",
                         status.message);
                return -1;
            }
            if (i >= 0)
                us [i] = kj_mono_us () - t0;
            kj__health__free_unpacked (reply, NULL);
        }
        s_report ("empty round trip (Health) through the broker", us, ROUNDS);
    }
    kj_client_destroy (&client);
    return 0;
}

static int
s_compare_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

//  The median of n values (sorts them)
static double
s_median (double *values, int n)
{
    qsort (values, (size_t) n, sizeof values [0], s_compare_double);
    return n % 2 ? values [n / 2] : (values [n / 2 - 1] + values [n / 2]) / 2;
}

//  KJ_BENCH_MATCHING_OLD=path: legs of this build's kejin-matching and of
//  that binary, alternated, and the medians of each side;
//  KJ_BENCH_MATCHING_PAIRS legs of each (default 3, at most PAIRS_MAX)
#define PAIRS     3
#define PAIRS_MAX 9

static int
s_match_legs (rfx_t *fx, Kj__Demand *d, int64_t *us, Kj__DemandReply **demand_p)
{
    const char *old = getenv ("KJ_BENCH_MATCHING_OLD");
    if (old && !*old)
        old = NULL;
    const char *asked = getenv ("KJ_BENCH_MATCHING_PAIRS");
    int pairs = asked ? atoi (asked) : PAIRS;
    if (pairs < 1 || pairs > PAIRS_MAX)
        pairs = PAIRS;
    int legs = old ? 2 * pairs : 1;
    double figures [2][4][PAIRS_MAX];
    //  The old binary's demand, the same one added in its own database
    Kj__DemandReply *old_demand = NULL;
    for (int leg = 0; leg < legs; leg++) {
        //  new, old, old, new, new, old: each side first as often
        bool is_old = old && ((leg % 4 == 1) || (leg % 4 == 2));
        pid_t matching = s_matching_bin (fx, is_old ? old : NULL,
                                         "matching/batch_interval_s=0",
                                         "matching/match_durable=false");
        char what [64];
        snprintf (what, sizeof what, "Match through the broker%s",
                  !old     ? " (1 in flight)"
                  : is_old ? ", old"
                           : ", new");
        s_leg_t figure;
        if (matching <= 0
            || s_match_rounds (fx, matching, d, what, leg == 0, us,
                               is_old ? &old_demand : demand_p, &figure))
            return -1;
        kj_test_kill (matching, SIGTERM, 10000);
        if (old) {
            int side = is_old, at = leg / 2;
            figures [side][0][at] = figure.p50;
            figures [side][1][at] = figure.p99;
            figures [side][2][at] = figure.cpu;
            figures [side][3][at] = figure.db;
        }
    }
    if (old_demand)
        kj__demand_reply__free_unpacked (old_demand, NULL);
    if (old) {
        double m [2][4];
        for (int side = 0; side < 2; side++)
            for (int f = 0; f < 4; f++)
                m [side][f] = s_median (figures [side][f], pairs);
        printf ("  medians of %d legs each, new / old:\n", pairs);
        printf ("    p50 %.3f / %.3f ms (%.2fx), p99 %.3f / %.3f ms (%.2fx)\n",
                m [0][0], m [1][0], m [0][0] / m [1][0], m [0][1], m [1][1],
                m [0][1] / m [1][1]);
        printf ("    CPU per Match: daemon %.0f / %.0f us (%.2fx), "
                "PostgreSQL %.0f / %.0f us (%.2fx)\n",
                m [0][2], m [1][2], m [0][2] / m [1][2], m [0][3], m [1][3],
                m [0][3] / m [1][3]);
    }
    //  Then waiting for the WAL flush, this build only
    pid_t matching = s_matching (fx, "matching/batch_interval_s=0",
                                 "matching/match_durable=true");
    s_leg_t figure;
    if (matching <= 0
        || s_match_rounds (fx, matching, d,
                           "Match, waiting for the WAL flush (durable)", false,
                           us, demand_p, &figure))
        return -1;
    kj_test_kill (matching, SIGTERM, 10000);
    return 0;
}

int
main (void)
{
    rfx_t fx;
    const char *relay [] = { "-s", "registry/relay=true", NULL };
    rfx_start (&fx, "bench_matching", relay);
    if (rfx_events_start (&fx) <= 0)
        return 1;
    const char *names [][2] = { { "SYB", "沈阳银行" }, { "DLB", "大连银行" } };
    for (int i = 0; i < 2; i++) {
        Kj__AddInstitutionRequest request = KJ__ADD_INSTITUTION_REQUEST__INIT;
        Kj__Institution in = KJ__INSTITUTION__INIT;
        char *regions [] = { "PROVINCE" };
        in.id = (char *) names [i][0];
        in.name = (char *) names [i][1];
        in.type = KJ__INSTITUTION_TYPE__INSTITUTION_BANK;
        in.regions = regions;
        in.n_regions = 1;
        request.institution = &in;
        Kj__InstitutionReply *reply = NULL;
        if (rfx_call (&fx, "AddInstitution", &request.base,
                      &kj__institution_reply__descriptor, &reply, NULL, NULL,
                      false))
            return 1;
        kj__institution_reply__free_unpacked (reply, NULL);
    }
    int64_t start = kj_mono_us ();
    s_products (&fx, 0, BATCH_PRODUCTS);
    printf ("  %d products added in %.1f s\n", BATCH_PRODUCTS,
            (kj_mono_us () - start) / 1e6);
    printf ("\nbench_matching: %d open demands against %d products\n",
            BATCH_DEMANDS, BATCH_PRODUCTS);
    //  KJ_BENCH_NO_BATCH=1: the single demand only (a quicker run)
    const char *no_batch = getenv ("KJ_BENCH_NO_BATCH");
    if (no_batch && streq (no_batch, "1"))
        printf ("  skipped (KJ_BENCH_NO_BATCH=1)\n");
    else if (s_batch (&fx)) {
        fprintf (stderr, "bench_matching: the batch failed\n");
        return 1;
    }
    printf ("\nbench_matching: one demand against %d products, %d rounds\n",
            PRODUCTS, ROUNDS);
    start = kj_mono_us ();
    s_products (&fx, BATCH_PRODUCTS, PRODUCTS);
    printf ("  %d more products added in %.1f s\n", PRODUCTS - BATCH_PRODUCTS,
            (kj_mono_us () - start) / 1e6);

    char code [19];
    if (s_enterprise (&fx, "210300", 77, KJ__STAGE__STAGE_STARTUP, code))
        return 1;
    //  No batch job: one Match at a time is measured, nothing beside it;
    //  first as configured by default, then waiting for the WAL flush
    static int64_t us [ROUNDS];
    Kj__DemandReply *demand = NULL;
    Kj__Demand d = KJ__DEMAND__INIT;
    d.enterprise_code = code;
    d.amount_fen = 200 * WAN;
    d.term_months = 12;
    d.instrument = KJ__MATCHING_INSTRUMENT__MATCHING_LOAN;
    if (s_match_legs (&fx, &d, us, &demand))
        return 1;

    //  The same filters and ranking in a plain loop over the same products,
    //  loaded the same way (a read model in this process)
    matching_model_t *model = matching_model_new (fx.broker.endpoint,
                                                  fx.broker.pub, 10);
    matching_model_start (model);
    if (!matching_model_wait (model, 60000))
        return 1;
    matching_registry_t *registry = matching_registry_new (fx.broker.endpoint,
                                                           10);
    Kj__EnterpriseReply *enterprise = NULL;
    kj_status_t status;
    if (matching_registry_enterprise (registry, code, "code", &enterprise,
                                      &status))
        return 1;
    matching_enterprise_t profile;
    matching_registry_profile (enterprise->enterprise, &profile);
    matching_demand_t view = { .amount_fen = d.amount_fen,
                               .term_months = d.term_months,
                               .instrument = MATCHING_INSTRUMENT_LOAN,
                               .on = 20261203 };
    matching_weights_t weights = { 3000, 2000, 2000, 2000, 1000 };
    matching_model_read (model);
    size_t count = matching_model_count (model);
    const matching_product_t *products = matching_model_products (model);
    matching_ranked_t *ranked = calloc (count + 1, sizeof (matching_ranked_t));
    size_t passed = 0;
    for (int i = -10; i < ROUNDS; i++) {
        int64_t t0 = kj_mono_us ();
        passed = 0;
        for (size_t p = 0; p < count; p++)
            if (matching_filter_check (&products [p], &profile, &view, NULL))
                ranked [passed++].product = &products [p];
        matching_rank (ranked, passed, &weights, view.amount_fen, 10);
        if (i >= 0)
            us [i] = kj_mono_us () - t0;
    }
    printf ("  %zu of %zu pass the filters\n", passed, count);
    s_report ("plain loop: filters and ranking in process", us, ROUNDS);
    //  What Match does in process: the passing products (matching_filter_
    //  all's one loop), their candidates, a bounded heap; and, round by
    //  round beside it (which goes first alternates: the second finds the
    //  catalogue in the cache), the same with a call of matching_filter_
    //  check a product (Match before session 25)
    matching_candidate_t *passing = calloc (count + 1, sizeof *passing);
    uint32_t *index = calloc (count + 1, sizeof *index);
    int64_t *per_product = calloc (ROUNDS, sizeof *per_product);
    matching_ranked_t best [10], best_per_product [10];
    for (int i = -10; i < ROUNDS; i++) {
        for (int way = 0; way < 2; way++) {
            bool one_loop = (way + i) % 2 == 0;
            int64_t t0 = kj_mono_us ();
            if (one_loop) {
                passed = matching_filter_all (products, count, &profile, &view,
                                              index, NULL);
                matching_rank_candidates (passing, products, index, passed,
                                          &weights, view.amount_fen);
            }
            else {
                passed = 0;
                for (size_t p = 0; p < count; p++)
                    if (matching_filter_check (&products [p], &profile, &view,
                                               NULL))
                        matching_rank_candidate (&passing [passed++],
                                                 &products [p], &weights,
                                                 view.amount_fen);
            }
            matching_rank_best (passing, passed, &weights, view.amount_fen,
                                one_loop ? best : best_per_product, 10);
            if (i >= 0)
                (one_loop ? us : per_product) [i] = kj_mono_us () - t0;
        }
    }
    matching_model_done (model);
    for (int i = 0; i < 10; i++)
        if (best [i].product != ranked [i].product
            || best_per_product [i].product != ranked [i].product) {
            fprintf (stderr, "bench_matching: the heap's rank %d differs\n",
                     i + 1);
            return 1;
        }
    s_report ("filters and bounded heap (what Match runs)", us, ROUNDS);
    s_report ("  the same, a call of the filters a product", per_product,
              ROUNDS);
    free (per_product);
    free (index);
    free (passing);
    printf ("  target (Match through the broker): p99 <= 2 ms\n");
    free (ranked);
    kj__enterprise_reply__free_unpacked (enterprise, NULL);
    matching_registry_destroy (&registry);
    matching_model_destroy (&model);
    kj__demand_reply__free_unpacked (demand, NULL);
    zstr_free (&s_old_dsn);
    rfx_stop (&fx);
    return 0;
}
