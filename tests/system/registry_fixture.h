/*  =========================================================================
    registry_fixture - what the registry's system tests share: a fresh
    database, a broker, kejin-registry (and kejin-events when asked),
    calls, valid credit codes, and a look into the outbox

    Static functions in a header: included by test_registry*.c only.
    =========================================================================
*/

#ifndef REGISTRY_FIXTURE_H_INCLUDED
#define REGISTRY_FIXTURE_H_INCLUDED

#include "kejin.h"
#include "kj_test.h"
#include "kj_node.h"
#include "registry.pb-c.h"

typedef struct {
    char *dsn;  //  the test's own database
    kj_broker_t broker;
    pid_t registry;
    pid_t events;  //  0 unless started
    kj_client_t *client;
    kj_db_t *db;  //  on schema registry, for looking in
} rfx_t;

//  Daemons started by this test process, for log names
static int rfx_spawned;

//  A protobuf allocator on malloc, for the registry_store_* reads that
//  take one: what they return is freed with <message>__free_unpacked
//  (msg, rfx_mem ()).
static inline void *
    rfx_alloc (void *data, size_t size)
{
    (void) data;
    return malloc (size);
}

static inline void
    rfx_free (void *data, void *pointer)
{
    (void) data;
    free (pointer);
}

static inline ProtobufCAllocator *
    rfx_mem (void)
{
    static ProtobufCAllocator mem = { rfx_alloc, rfx_free, NULL };
    return &mem;
}

//  --------------------------------------------------------------------------
//  Valid credit codes, computed here independently of registry_uscc:
//  "91" + region + an 8-digit organisation number + both check characters.

static const char rfx_charset [] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static inline void
    rfx_code (const char *region, unsigned number, char out [19])
{
    snprintf (out, 19, "91%.6s%08u", region, number % 100000000u);
    static const int org_weights [8] = { 3, 7, 9, 10, 5, 8, 4, 2 };
    int sum = 0;
    for (int i = 0; i < 8; i++)
        sum += (out [8 + i] - '0') * org_weights [i];
    int check = 11 - sum % 11;
    out [16] = check == 10 ? 'X' : check == 11 ? '0' : (char) ('0' + check);
    sum = 0;
    int weight = 1;
    for (int i = 0; i < 17; i++) {
        sum += (int) (strchr (rfx_charset, out [i]) - rfx_charset) * weight;
        weight = weight * 3 % 31;
    }
    out [17] = rfx_charset [(31 - sum % 31) % 31];
    out [18] = 0;
}

//  --------------------------------------------------------------------------
//  Daemons

//  Start kejin-registry with more "-s" "path=value" arguments.
static inline pid_t
    rfx_registry_start (rfx_t *fx, const char *const *extra)
{
    char log [512], broker [256], dsn [600];
    snprintf (log, sizeof log, "%s/registry-%d.log", kj_test_tmpdir (),
              rfx_spawned++);
    snprintf (broker, sizeof broker, "node/broker=%s", fx->broker.endpoint);
    snprintf (dsn, sizeof dsn, "db/dsn=%s", fx->dsn);
    const char *argv [40] = {
        kj_test_bin ("kejin-registry"), "-s", broker,          "-s", dsn, "-s",
        "registry/workers=4",           "-s", "log/level=info"
    };
    int argc = 9;
    for (int i = 0; extra && extra [i] && argc < 39; i++)
        argv [argc++] = extra [i];
    argv [argc] = NULL;
    fx->registry = kj_test_spawn (argv, NULL, log);
    return fx->registry;
}

//  True once the registry answers.
static inline bool
    rfx_registry_up (rfx_t *fx, int timeout_ms)
{
    int64_t end = kj_mono_us () + (int64_t) timeout_ms * 1000;
    while (kj_mono_us () < end) {
        Kj__CheckCodeRequest request = KJ__CHECK_CODE_REQUEST__INIT;
        request.code = "91210100MA0QEK7B6N";
        Kj__CheckCodeReply *reply = NULL;
        kj_status_t status;
        kj_call_opts_t opts = { .read_only = true,
                                .timeout_ms = 500,
                                .retries = -1 };
        if (kj_client_call (fx->client, "registry", "CheckCode", &request.base,
                            &kj__check_code_reply__descriptor,
                            (ProtobufCMessage **) &reply, &status, &opts)
            == 0) {
            kj__check_code_reply__free_unpacked (reply, NULL);
            return true;
        }
        zclock_sleep (50);
    }
    return false;
}

//  Start kejin-events on the same database and broker.
static inline pid_t
    rfx_events_start (rfx_t *fx)
{
    char log [512], broker [256], publish [256], dsn [600];
    snprintf (log, sizeof log, "%s/events-%d.log", kj_test_tmpdir (),
              rfx_spawned++);
    snprintf (broker, sizeof broker, "node/broker=%s", fx->broker.endpoint);
    snprintf (publish, sizeof publish, "node/sub=%s", fx->broker.sub);
    snprintf (dsn, sizeof dsn, "db/dsn=%s", fx->dsn);
    const char *argv [] = { kj_test_bin ("kejin-events"),
                            "-s",
                            broker,
                            "-s",
                            publish,
                            "-s",
                            dsn,
                            "-s",
                            "events/instance=events.test",
                            "-s",
                            "events/lock_retry_ms=200",
                            NULL };
    fx->events = kj_test_spawn (argv, NULL, log);
    return fx->events;
}

//  A database, a broker and kejin-registry (relay off unless extra says
//  otherwise, so that events stay in the outbox to be looked at).
static inline void
    rfx_start (rfx_t *fx, const char *name, const char *const *extra)
{
    memset (fx, 0, sizeof *fx);
    fx->dsn = kj_test_db_new (name);
    assert_int_equal (kj_broker_start (&fx->broker, 0, NULL), 0);
    fx->client = kj_client_new (fx->broker.endpoint);
    kj_client_set_timeout (fx->client, 10000);
    const char *args [40] = { "-s", "registry/relay=false" };
    int argc = 2;
    for (int i = 0; extra && extra [i] && argc < 39; i++)
        args [argc++] = extra [i];
    args [argc] = NULL;
    assert_true (rfx_registry_start (fx, args) > 0);
    assert_true (rfx_registry_up (fx, 20000));
    fx->db = kj_db_new (fx->dsn, "registry", 5000);
    assert_non_null (fx->db);
}

static inline void
    rfx_stop (rfx_t *fx)
{
    kj_db_destroy (&fx->db);
    if (fx->registry > 0)
        assert_int_equal (kj_test_kill (fx->registry, SIGTERM, 10000), 0);
    if (fx->events > 0)
        kj_test_kill (fx->events, SIGTERM, 10000);
    kj_client_destroy (&fx->client);
    kj_broker_stop (&fx->broker, SIGTERM);
    free (fx->dsn);
}

//  --------------------------------------------------------------------------
//  The compact export of session 22 (with_figures_of), computed from the
//  tables each page: the reference the export of the cells stored at
//  write time must give byte for byte (test_registry_read), and the
//  before of bench_registry ($1 after, $2 region, $3 stage, $4 limit, $5
//  the year)
static const char rfx_facts_of_tables [] =
    "WITH e AS MATERIALIZED (SELECT code, region, status, stage, "
    "dishonest, abnormal, tax_grade, invention_patents FROM enterprise "
    "WHERE code > $1 AND ($2 = '' OR region = $2) AND ($3 = '' OR stage = "
    "$3) ORDER BY code LIMIT $4), span AS (SELECT min (code) AS lo, max "
    "(code) AS hi FROM e), q AS (SELECT q.code, string_agg (q.kind || ':' "
    "|| to_char (q.expires_on, 'YYYY-MM-DD'), '|' ORDER BY q.kind) AS "
    "kinds FROM qualification q WHERE q.code BETWEEN (SELECT lo FROM "
    "span) AND (SELECT hi FROM span) GROUP BY q.code), r AS (SELECT "
    "DISTINCT ON (x.code) x.code, x.amount_fen FROM equity_round x WHERE "
    "x.code BETWEEN (SELECT lo FROM span) AND (SELECT hi FROM span) ORDER "
    "BY x.code, array_position (ARRAY['seed', 'angel', 'a', 'b', "
    "'c_plus', 'pre_ipo'], x.round) DESC, x.closed_on DESC), f AS (SELECT "
    "* FROM figures WHERE code BETWEEN (SELECT lo FROM span) AND (SELECT "
    "hi FROM span) AND year IN ($5::int, $5::int - 1)) SELECT e.code || "
    "',' || e.region || ',' || e.status || ',' || coalesce (e.stage, '') "
    "|| ',' || e.dishonest || ',' || e.abnormal || ',' || coalesce "
    "(e.tax_grade, '') || ',' || e.invention_patents || ',' || coalesce "
    "(r.amount_fen::text, '') || ',' || coalesce (q.kinds, '') || ',' || "
    "coalesce (f0.year || ',' || CASE WHEN 'revenue' = ANY "
    "(f0.not_reported) THEN '' ELSE f0.revenue_fen::text END || ',' || "
    "CASE WHEN 'rnd' = ANY (f0.not_reported) THEN '' ELSE "
    "f0.rnd_fen::text END || ',' || CASE WHEN 'net-profit' = ANY "
    "(f0.not_reported) THEN '' ELSE f0.net_profit_fen::text END || ',' || "
    "CASE WHEN 'assets' = ANY (f0.not_reported) THEN '' ELSE "
    "f0.total_assets_fen::text END || ',' || CASE WHEN "
    "'high-tech-revenue' = ANY (f0.not_reported) THEN '' ELSE "
    "f0.high_tech_revenue_fen::text END || ',' || CASE WHEN 'cost' = ANY "
    "(f0.not_reported) THEN '' ELSE f0.total_cost_fen::text END || ',' || "
    "CASE WHEN 'staff' = ANY (f0.not_reported) THEN '' ELSE "
    "f0.staff::text END || ',' || CASE WHEN 'tech-staff' = ANY "
    "(f0.not_reported) THEN '' ELSE f0.tech_staff::text END, ',,,,,,,,') "
    "|| ',' || coalesce (f1.year || ',' || CASE WHEN 'revenue' = ANY "
    "(f1.not_reported) THEN '' ELSE f1.revenue_fen::text END || ',' || "
    "CASE WHEN 'rnd' = ANY (f1.not_reported) THEN '' ELSE "
    "f1.rnd_fen::text END || ',' || CASE WHEN 'net-profit' = ANY "
    "(f1.not_reported) THEN '' ELSE f1.net_profit_fen::text END || ',' || "
    "CASE WHEN 'assets' = ANY (f1.not_reported) THEN '' ELSE "
    "f1.total_assets_fen::text END || ',' || CASE WHEN "
    "'high-tech-revenue' = ANY (f1.not_reported) THEN '' ELSE "
    "f1.high_tech_revenue_fen::text END || ',' || CASE WHEN 'cost' = ANY "
    "(f1.not_reported) THEN '' ELSE f1.total_cost_fen::text END || ',' || "
    "CASE WHEN 'staff' = ANY (f1.not_reported) THEN '' ELSE "
    "f1.staff::text END || ',' || CASE WHEN 'tech-staff' = ANY "
    "(f1.not_reported) THEN '' ELSE f1.tech_staff::text END, ',,,,,,,,'), "
    "e.code FROM e LEFT JOIN q ON q.code = e.code LEFT JOIN r ON r.code = "
    "e.code LEFT JOIN f f0 ON f0.code = e.code AND f0.year = $5::int LEFT "
    "JOIN f f1 ON f1.code = e.code AND f1.year = $5::int - 1 ORDER BY "
    "e.code";

//  --------------------------------------------------------------------------
//  Calls

//  Call registry.method; returns the status code. key: the idempotency
//  key of a write (NULL: a fresh one); read: a read.
static inline int
    rfx_call (rfx_t *fx, const char *method, const ProtobufCMessage *request,
              const ProtobufCMessageDescriptor *reply_type, void *reply_p,
              kj_status_t *status, const char *key, bool read)
{
    kj_call_opts_t opts = { .timeout_ms = 10000,
                            .idempotency_key = key,
                            .read_only = read };
    kj_status_t scratch;
    return kj_client_call (fx->client, "registry", method, request, reply_type,
                           (ProtobufCMessage **) reply_p,
                           status ? status : &scratch, &opts);
}

//  Register code (a draft) founded on `founded` with name; the reply's
//  enterprise, which the caller frees with kj__enterprise_reply__free_unpacked.
static inline Kj__EnterpriseReply *
    rfx_register (rfx_t *fx, const char *code, const char *name,
                  const char *founded)
{
    Kj__RegisterEnterpriseRequest request =
        KJ__REGISTER_ENTERPRISE_REQUEST__INIT;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    e.code = (char *) code;
    e.name = (char *) name;
    e.founded_on = (char *) founded;
    request.enterprise = &e;
    Kj__EnterpriseReply *reply = NULL;
    kj_status_t status;
    int code_rc = rfx_call (fx, "RegisterEnterprise", &request.base,
                            &kj__enterprise_reply__descriptor, &reply, &status,
                            NULL, false);
    if (code_rc)
        fail_msg ("register %s: %s %s", code, kj_code_name (code_rc),
                  status.message);
    return reply;
}

static inline Kj__Enterprise *
    rfx_get (rfx_t *fx, const char *code, Kj__EnterpriseReply **holder)
{
    Kj__GetEnterpriseRequest request = KJ__GET_ENTERPRISE_REQUEST__INIT;
    request.code = (char *) code;
    kj_status_t status;
    int rc = rfx_call (fx, "GetEnterprise", &request.base,
                       &kj__enterprise_reply__descriptor, holder, &status, NULL,
                       true);
    if (rc)
        fail_msg ("get %s: %s %s", code, kj_code_name (rc), status.message);
    return (*holder)->enterprise;
}

//  Qualify code with kind (at level, 0 for none) until expires; returns
//  the status code. The reply goes to *reply, or is freed if reply is NULL.
static inline int
    rfx_qualify (rfx_t *fx, const char *code, Kj__QualificationKind kind,
                 Kj__Level level, const char *expires, kj_status_t *status,
                 Kj__EnterpriseReply **reply)
{
    Kj__QualifyRequest request = KJ__QUALIFY_REQUEST__INIT;
    Kj__Qualification q = KJ__QUALIFICATION__INIT;
    q.kind = kind;
    q.level = level;
    q.expires_on = (char *) expires;
    request.code = (char *) code;
    request.qualification = &q;
    Kj__EnterpriseReply *answer = NULL;
    int rc = rfx_call (fx, "Qualify", &request.base,
                       &kj__enterprise_reply__descriptor, &answer, status, NULL,
                       false);
    if (reply)
        *reply = answer;
    else if (answer)
        kj__enterprise_reply__free_unpacked (answer, NULL);
    return rc;
}

//  The current year, as the database sees it.
static inline int
    rfx_year (rfx_t *fx)
{
    PGresult *res = kj_db_exec (fx->db,
                                "SELECT extract (year FROM current_date)::int",
                                0, NULL);
    assert_non_null (res);
    int year = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return year;
}

//  --------------------------------------------------------------------------
//  The outbox (relay off: every event stays there)

static inline int
    rfx_outbox_count (rfx_t *fx, const char *topic, const char *key)
{
    const char *params [] = { topic, key };
    PGresult *res = kj_db_exec (
        fx->db, "SELECT count (*) FROM kj_outbox WHERE topic = $1 AND key = $2",
        2, params);
    assert_non_null (res);
    int count = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return count;
}

//  The payloads of topic for key (NULL: any key), oldest first, unpacked as
//  type; n set.
//  Free each with protobuf_c_message_free_unpacked, then the array.
static inline ProtobufCMessage **
    rfx_outbox_payloads (rfx_t *fx, const char *topic, const char *key,
                         const ProtobufCMessageDescriptor *type, size_t *n)
{
    const char *params [] = { topic, key };
    PGresult *res = kj_db_exec (
        fx->db,
        "SELECT payload_type, payload FROM kj_outbox WHERE topic = $1 "
        "AND ($2::text IS NULL OR key = $2) ORDER BY txid, id",
        2, params);
    assert_non_null (res);
    *n = (size_t) PQntuples (res);
    ProtobufCMessage **out = (ProtobufCMessage **) zmalloc ((*n + 1)
                                                            * sizeof (void *));
    for (size_t row = 0; row < *n; row++) {
        assert_string_equal (PQgetvalue (res, (int) row, 0), type->name);
        size_t size;
        unsigned char *bytes = PQunescapeBytea ((const unsigned char *)
                                                    PQgetvalue (res, (int) row,
                                                                1),
                                                &size);
        out [row] = protobuf_c_message_unpack (type, NULL, size, bytes);
        assert_non_null (out [row]);
        PQfreemem (bytes);
    }
    PQclear (res);
    return out;
}

static inline void
    rfx_payloads_free (ProtobufCMessage **payloads, size_t n)
{
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked (payloads [i], NULL);
    free (payloads);
}

#endif
