/*  =========================================================================
    test_guarantee_follow - kejin-guarantee follows matching's loan events

    A real broker, kejin-events and kejin-guarantee on one database;
    matching's events appended to the log through events.writer Append, as
    kejin-matching's relay would. A backed application disbursed: its
    guarantee live once; defaulted: one default notice; an application no
    guarantor backs: skipped and counted; kill -9 in the middle of 200
    events: each applied once after the restart. A backing recorded after
    its disbursement: live at once from the disbursement remembered (also
    across a kill -9). A pending backing expires, with its event, and
    `kejin guarantee guarantee pending` lists what waits. A backing's
    category against the product's type, as a stand-in registry in this
    process tells it (P1 担保贷: 创业类; P2 信用贷: not; others unknown).
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "events_fixture.h"
#include "guarantee_fixture.h"
#include "matching.pb-c.h"
#include "registry.pb-c.h"
#include <pthread.h>

typedef struct {
    fx_t log;               //  broker, kejin-events, the database
    gfx_t g;                //  kejin-guarantee's clients and its schema
    uint64_t txid;          //  the fake matching relay's cursor
    kj_worker_t *registry;  //  the stand-in registry
    pthread_t registry_thread;
    const char *product;  //  of the applications appended; NULL: P1
} s_t;

//  --------------------------------------------------------------------------
//  The stand-in registry: GetProduct knows P1 (担保贷) and P2 (信用贷);
//  every other method is not implemented.

static int
s_registry_call (kj_call_t *call, const ProtobufCMessage *request,
                 ProtobufCMessage *reply)
{
    if (request->descriptor != &kj__get_product_request__descriptor)
        return kj_call_fail (call, KJ__CODE__UNIMPLEMENTED, NULL,
                             "not in the stand-in");
    const char *id = ((const Kj__GetProductRequest *) request)->id;
    if (!streq (id, "P1") && !streq (id, "P2"))
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "id", "no product %s",
                             id);
    Kj__Product *product = kj_call_alloc (call, sizeof *product);
    kj__product__init (product);
    product->id = kj_call_strdup (call, id);
    product->type = streq (id, "P1") ? KJ__PRODUCT_TYPE__PRODUCT_GUARANTEED
                                     : KJ__PRODUCT_TYPE__PRODUCT_CREDIT;
    ((Kj__ProductReply *) reply)->product = product;
    return 0;
}

static void *
s_registry_run (void *arg)
{
    kj_worker_run (arg);
    return NULL;
}

static void
s_registry_start (s_t *s)
{
    static kj_method_t methods [200];
    const ProtobufCServiceDescriptor *d = &kj__registry__descriptor;
    assert_true (d->n_methods < 200);
    for (unsigned i = 0; i < d->n_methods; i++)
        methods [i] = (kj_method_t){ d->methods [i].name, s_registry_call, 0 };
    methods [d->n_methods] = (kj_method_t){ NULL };
    kj_worker_config_t config = { .endpoint = s->log.broker.endpoint,
                                  .service = "registry",
                                  .descriptor = d,
                                  .methods = methods,
                                  .instance = "registry.stand-in" };
    s->registry = kj_worker_new (&config);
    assert_int_equal (pthread_create (&s->registry_thread, NULL, s_registry_run,
                                      s->registry),
                      0);
    assert_true (
        kj_broker_wait_workers (s->log.broker.endpoint, "registry", 1, 20000));
}

static void
s_registry_stop (s_t *s)
{
    if (!s->registry)
        return;
    kj_worker_stop (s->registry);
    pthread_join (s->registry_thread, NULL);
    kj_worker_destroy (&s->registry);
}

//  Start kejin-guarantee on the log's broker and database (its own events
//  stay in kj_outbox); backings expire after `expire_s`, checked every
//  second.
static pid_t
s_guarantee_start_expiring (s_t *s, int expire_s)
{
    char pub [160], expire [64];
    snprintf (pub, sizeof pub, "node/pub=%s", s->log.broker.pub);
    snprintf (expire, sizeof expire, "guarantee/backing_expire_s=%d", expire_s);
    const char *extra [] = { "-s", "guarantee/relay=false",
                             "-s", "guarantee/workers=2",
                             "-s", pub,
                             "-s", expire,
                             "-s", "guarantee/expire_interval_s=1",
                             NULL };
    pid_t pid = kj_daemon_start ("guarantee", &s->log.broker, s->log.dsn,
                                 extra);
    assert_true (pid > 0);
    assert_true (
        kj_broker_wait_workers (s->log.broker.endpoint, "guarantee", 2, 20000));
    return pid;
}

static pid_t
s_guarantee_start (s_t *s)
{
    return s_guarantee_start_expiring (s, 3600);
}

static void
s_start (s_t *s)
{
    memset (s, 0, sizeof *s);
    fx_start (&s->log, "guarantee_follow", 1, NULL);
    s_registry_start (s);
    s->g.broker = s->log.broker;
    s->g.daemon [0] = s_guarantee_start (s);
    s->g.db = kj_db_new (s->log.dsn, "guarantee", 5000);
    assert_non_null (s->g.db);
    s->g.carol = kj_client_new (s->log.broker.endpoint);
    kj_client_set_caller (s->g.carol, "carol");
    gfx_parties (&s->g);
}

static void
s_stop (s_t *s)
{
    kj_client_destroy (&s->g.carol);
    kj_db_destroy (&s->g.db);
    if (s->g.daemon [0] > 0)
        assert_int_equal (kj_test_kill (s->g.daemon [0], SIGTERM, 10000), 0);
    s_registry_stop (s);
    fx_stop (&s->log);
}

//  Staff: guarantor G1 backs application `id` under agreement A1.
static void
s_back (s_t *s, const char *id)
{
    Kj__GuaranteeAddRequest request = KJ__GUARANTEE_ADD_REQUEST__INIT;
    request.loan_id = (char *) id;
    request.guarantor_id = "G1";
    request.agreement_id = "A1";
    request.product_category = "创业类";
    request.guarantee_fee_bp = 100;
    request.reguarantee_fee_bp = 30;
    Kj__LoanGuarantee *reply = gfx_ok (s->g.carol, "AddGuarantee", &request,
                                       &kj__loan_guarantee__descriptor);
    assert_string_equal (reply->state, "PENDING");
    kj__loan_guarantee__free_unpacked (reply, NULL);
}

//  Append n of matching's loan events (topic[i], application ids[i]) as
//  kejin-matching's relay would; the first offset.
static uint64_t
s_append (s_t *s, int n, const char *const *topics, char *const *ids)
{
    Kj__OutboxEvent rows [n], *row_p [n];
    Kj__Envelope envelopes [n];
    Kj__Application applications [n];
    Kj__ApplicationChanged changes [n];
    uint8_t *buffers [n];
    for (int i = 0; i < n; i++) {
        Kj__Application *a = &applications [i];
        kj__application__init (a);
        a->id = ids [i];
        a->enterprise_code = "91210100MA0000001X";
        a->product_id = s->product ? (char *) s->product : "P1";
        a->institution_id = "I1";
        a->amount_fen = 1000000;
        a->updated_at_us = (int64_t) time (NULL) * 1000000;
        kj__application_changed__init (&changes [i]);
        changes [i].application = a;
        size_t size = kj__application_changed__get_packed_size (&changes [i]);
        buffers [i] = malloc (size ? size : 1);
        kj__application_changed__pack (&changes [i], buffers [i]);
        kj__envelope__init (&envelopes [i]);
        envelopes [i].topic = (char *) topics [i];
        envelopes [i].key = ids [i];
        envelopes [i].producer = "matching";
        envelopes [i].payload_type = "kj.ApplicationChanged";
        envelopes [i].payload.data = buffers [i];
        envelopes [i].payload.len = size;
        envelopes [i].occurred_at_us = a->updated_at_us;
        kj__outbox_event__init (&rows [i]);
        rows [i].txid = ++s->txid;
        rows [i].id = s->txid;
        rows [i].event = &envelopes [i];
        row_p [i] = &rows [i];
    }
    Kj__AppendRequest request = KJ__APPEND_REQUEST__INIT;
    request.producer = "matching";
    request.events = row_p;
    request.n_events = n;
    Kj__AppendReply *reply = NULL;
    kj_status_t status;
    assert_int_equal (kj_client_call (s->log.client, "events.writer", "Append",
                                      &request.base,
                                      &kj__append_reply__descriptor,
                                      (ProtobufCMessage **) &reply, &status,
                                      NULL),
                      KJ__CODE__OK);
    assert_int_equal (reply->appended, n);
    uint64_t first = reply->first_offset;
    kj__append_reply__free_unpacked (reply, NULL);
    for (int i = 0; i < n; i++)
        free (buffers [i]);
    return first;
}

//  The follower's next offset (0: none stored yet).
static int64_t
s_next (s_t *s)
{
    return gfx_count (&s->g, "SELECT coalesce (max (next_offset), 0) "
                             "FROM follow");
}

//  Wait up to 30 s until the follower has applied everything up to last.
static void
s_wait (s_t *s, uint64_t last)
{
    int64_t end = kj_mono_us () + 30000000;
    while (s_next (s) <= (int64_t) last && kj_mono_us () < end)
        zclock_sleep (50);
    assert_int_equal (s_next (s), (int64_t) last + 1);
}

//  --------------------------------------------------------------------------
//  Disbursed: live once; defaulted: one notice; unbacked: skipped, counted;
//  a restart repeats nothing.

static void
test_follow_once (void **state)
{
    s_t s;
    s_start (&s);
    //  As staff would: the backing through the CLI
    char command [1024];
    snprintf (command, sizeof command,
              "%s --broker %s guarantee guarantee back APP1 --as carol "
              "--guarantor G1 "
              "--agreement A1 --category 创业类 --fee 1 --reguarantee-fee 0.3 "
              "> %s/back.out 2>&1",
              kj_test_bin ("kejin"), s.log.broker.endpoint, kj_test_tmpdir ());
    assert_int_equal (system (command), 0);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM backing "
                                       "WHERE application_id = 'APP1' AND "
                                       "state = 'PENDING'"),
                      1);
    const char *topics [] = { "matching.loan.disbursed",
                              "matching.loan.disbursed",
                              "matching.loan.defaulted",
                              "matching.loan.defaulted" };
    char *ids [] = { "APP1", "APP9", "APP1", "APP9" };
    uint64_t first = s_append (&s, 4, topics, ids);
    s_wait (&s, first + 3);
    for (int round = 0; round < 2; round++) {
        assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM guarantee "
                                           "WHERE loan_id = 'APP1' AND "
                                           "amount_fen = 1000000 AND "
                                           "qualifies AND state = 'ACTIVE' "
                                           "AND guarantor_id = 'G1'"),
                          1);
        assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM guarantee"),
                          1);
        assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM backing "
                                           "WHERE state = 'LIVE'"),
                          1);
        assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM "
                                           "default_notice WHERE loan_id = "
                                           "'APP1'"),
                          1);
        assert_int_equal (gfx_count (&s.g, "SELECT events FROM follow_skip "
                                           "WHERE application_id = 'APP9'"),
                          2);
        assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM kj_outbox "
                                           "WHERE topic = "
                                           "'guarantee.guarantee.added'"),
                          1);
        assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM kj_outbox "
                                           "WHERE topic = "
                                           "'guarantee.default.noticed'"),
                          1);
        if (round == 0) {  //  a restart reads from the stored offset
            assert_int_equal (kj_test_kill (s.g.daemon [0], SIGTERM, 10000), 0);
            s.g.daemon [0] = s_guarantee_start (&s);
            zclock_sleep (2500);
            assert_int_equal (s_next (&s), (int64_t) first + 4);
        }
    }
    //  Backed twice: refused, naming the field
    Kj__GuaranteeAddRequest again = KJ__GUARANTEE_ADD_REQUEST__INIT;
    again.loan_id = "APP1";
    again.guarantor_id = "G1";
    again.product_category = "创业类";
    kj_status_t status;
    Kj__LoanGuarantee *reply = NULL;
    assert_int_equal (gfx_call (s.g.carol, "AddGuarantee", &again,
                                &kj__loan_guarantee__descriptor, &reply,
                                &status, NULL),
                      KJ__CODE__ALREADY_EXISTS);
    assert_string_equal (status.field, "loan_id");
    s_stop (&s);
}

//  --------------------------------------------------------------------------
//  200 events (100 disbursements, 100 defaults) in chunks; kill -9 of
//  kejin-guarantee while it applies them, more appended while it is down:
//  after the restart each is applied exactly once.

static void
test_follow_kill (void **state)
{
    s_t s;
    s_start (&s);
    enum { LOANS = 100, CHUNK = 20 };
    char names [LOANS][8];
    char *ids [LOANS * 2];
    const char *topics [LOANS * 2];
    for (int i = 0; i < LOANS; i++) {
        snprintf (names [i], sizeof names [i], "K%03d", i);
        ids [i] = ids [LOANS + i] = names [i];
        topics [i] = "matching.loan.disbursed";
        topics [LOANS + i] = "matching.loan.defaulted";
        s_back (&s, ids [i]);
    }
    uint64_t first = 0, last = 0;
    for (int c = 0; c < LOANS * 2 / CHUNK; c++) {
        uint64_t at = s_append (&s, CHUNK, topics + c * CHUNK, ids + c * CHUNK);
        if (!first)
            first = at;
        last = at + CHUNK - 1;
        if (c == 4) {  //  in the middle of applying them
            int64_t end = kj_mono_us () + 10000000;
            while (s_next (&s) <= (int64_t) first + 10 && kj_mono_us () < end)
                zclock_sleep (1);
            int64_t at_kill = s_next (&s);
            assert_int_equal (kj_test_kill (s.g.daemon [0], SIGKILL, 10000),
                              128 + SIGKILL);
            s.g.daemon [0] = -1;
            print_message ("kill -9 with next offset %" PRId64 " of %" PRIu64
                           "..%" PRIu64 "\n",
                           at_kill, first, last);
        }
        if (c == 6)
            s.g.daemon [0] = s_guarantee_start (&s);
    }
    s_wait (&s, last);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM guarantee"),
                      LOANS);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM backing "
                                       "WHERE state = 'LIVE'"),
                      LOANS);
    assert_int_equal (gfx_count (&s.g, "SELECT count (DISTINCT loan_id) FROM "
                                       "default_notice"),
                      LOANS);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM default_notice"),
                      LOANS);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM kj_outbox "
                                       "WHERE topic = "
                                       "'guarantee.guarantee.added'"),
                      LOANS);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM kj_outbox "
                                       "WHERE topic = "
                                       "'guarantee.default.noticed'"),
                      LOANS);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM follow_skip"), 0);
    s_stop (&s);
}

//  --------------------------------------------------------------------------
//  Staff: G1 backs application `id` with `category`; the call's code, the
//  reply's state (PENDING, or ACTIVE when it went live at once) in *state.

static int
s_back_as (s_t *s, const char *id, const char *category, char state [16],
           kj_status_t *status)
{
    Kj__GuaranteeAddRequest request = KJ__GUARANTEE_ADD_REQUEST__INIT;
    request.loan_id = (char *) id;
    request.guarantor_id = "G1";
    request.agreement_id = "A1";
    request.product_category = (char *) category;
    request.guarantee_fee_bp = 100;
    request.reguarantee_fee_bp = 30;
    Kj__LoanGuarantee *reply = NULL;
    int code = gfx_call (s->g.carol, "AddGuarantee", &request,
                         &kj__loan_guarantee__descriptor, &reply, status, NULL);
    snprintf (state, 16, "%s", reply ? reply->state : "");
    if (reply)
        kj__loan_guarantee__free_unpacked (reply, NULL);
    return code;
}

//  Append one event for application `id` of `product`; wait until applied.
static void
s_event (s_t *s, const char *topic, const char *id, const char *product)
{
    s->product = product;
    char *ids [] = { (char *) id };
    uint64_t at = s_append (s, 1, &topic, ids);
    s->product = NULL;
    s_wait (s, at);
}

//  --------------------------------------------------------------------------
//  A backing recorded after the disbursement: live at once, from the
//  disbursement remembered, also after a kill -9 between the two; the
//  category is checked against the product's type either way.

static void
test_follow_late (void **state)
{
    s_t s;
    s_start (&s);
    s_event (&s, "matching.loan.disbursed", "LATE1", "P1");
    s_event (&s, "matching.loan.disbursed", "LATE2", "P2");
    s_event (&s, "matching.loan.disbursed", "LATE3", "P7");
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM disbursement"),
                      3);
    //  kill -9: what was remembered is in the database
    assert_int_equal (kj_test_kill (s.g.daemon [0], SIGKILL, 10000),
                      128 + SIGKILL);
    s.g.daemon [0] = s_guarantee_start (&s);

    char got [16];
    kj_status_t status;
    assert_int_equal (s_back_as (&s, "LATE1", "创业类", got, &status),
                      KJ__CODE__OK);
    assert_string_equal (got, "ACTIVE");
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM guarantee "
                                       "WHERE loan_id = 'LATE1' AND "
                                       "amount_fen = 1000000 AND qualifies "
                                       "AND enterprise = "
                                       "'91210100MA0000001X'"),
                      1);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM backing WHERE "
                                       "application_id = 'LATE1' AND "
                                       "state = 'LIVE'"),
                      1);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM disbursement "
                                       "WHERE application_id = 'LATE1'"),
                      0);
    //  A credit product is not 创业类: refused, naming the field; nothing
    //  written, so the backing may be recorded right
    assert_int_equal (s_back_as (&s, "LATE2", "创业类", got, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "product_category");
    assert_non_null (strstr (status.message, "type CREDIT, which is not"));
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM backing WHERE "
                                       "application_id = 'LATE2'"),
                      0);
    assert_int_equal (s_back_as (&s, "LATE2", "科技贷", got, &status),
                      KJ__CODE__OK);
    assert_string_equal (got, "ACTIVE");
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM guarantee "
                                       "WHERE loan_id = 'LATE2' AND NOT "
                                       "qualifies"),
                      1);
    //  A product the registry does not know
    assert_int_equal (s_back_as (&s, "LATE3", "创业类", got, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "product_category");
    assert_non_null (strstr (status.message, "does not know"));
    //  Backed first, then disbursed on a product of another category:
    //  refused by the follower, with its event
    assert_int_equal (s_back_as (&s, "LATE4", "创业类", got, &status),
                      KJ__CODE__OK);
    assert_string_equal (got, "PENDING");
    s_event (&s, "matching.loan.disbursed", "LATE4", "P2");
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM backing WHERE "
                                       "application_id = 'LATE4' AND state "
                                       "= 'REFUSED' AND reason LIKE "
                                       "'product_category: %'"),
                      1);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM kj_outbox "
                                       "WHERE topic = "
                                       "'guarantee.backing.refused'"),
                      1);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM guarantee"), 2);
    s_stop (&s);
}

//  Run the CLI against the node; its exit code, its output in out.
static int
s_cli (s_t *s, const char *env, const char *args, char *out, size_t size)
{
    char command [1024];
    snprintf (command, sizeof command, "%s %s --broker %s %s 2>&1", env,
              kj_test_bin ("kejin"), s->log.broker.endpoint, args);
    FILE *pipe = popen (command, "r");
    assert_non_null (pipe);
    size_t length = fread (out, 1, size - 1, pipe);
    out [length] = 0;
    int status = pclose (pipe);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

//  --------------------------------------------------------------------------
//  A backing with no disbursement expires (here after 3 s), with its
//  event; `guarantee pending` lists it until then; it may be backed again,
//  and goes live at once when its disbursement came meanwhile.

static void
test_follow_expire (void **state)
{
    s_t s;
    s_start (&s);
    assert_int_equal (kj_test_kill (s.g.daemon [0], SIGTERM, 10000), 0);
    s.g.daemon [0] = s_guarantee_start_expiring (&s, 3);
    char got [16], out [4096];
    kj_status_t status;
    assert_int_equal (s_back_as (&s, "EXP1", "创业类", got, &status),
                      KJ__CODE__OK);
    assert_int_equal (s_cli (&s, "", "guarantee guarantee pending", out,
                             sizeof out),
                      0);
    assert_non_null (strstr (out, "EXP1"));
    assert_non_null (strstr (out, "PENDING"));
    assert_non_null (strstr (out, "carol"));
    assert_int_equal (s_cli (&s, "LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8",
                             "guarantee guarantee pending", out, sizeof out),
                      0);
    assert_non_null (strstr (out, "申请"));
    assert_null (strstr (out, "APPLICATION"));
    assert_int_equal (s_cli (&s, "", "guarantee guarantee pending --json", out,
                             sizeof out),
                      0);
    assert_non_null (strstr (out, "\"loan_id\":\"EXP1\""));
    assert_int_equal (s_cli (&s, "", "guarantee guarantee pending --state X",
                             out, sizeof out),
                      2);
    assert_non_null (strstr (out, "(state)"));
    //  Expired within a few seconds, once, with its event
    int64_t end = kj_mono_us () + 20000000;
    while (gfx_count (&s.g, "SELECT count (*) FROM backing WHERE state = "
                            "'EXPIRED'")
               == 0
           && kj_mono_us () < end)
        zclock_sleep (100);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM backing WHERE "
                                       "application_id = 'EXP1' AND state = "
                                       "'EXPIRED' AND reason LIKE "
                                       "'%guarantee/backing_expire_s%'"),
                      1);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM kj_outbox "
                                       "WHERE topic = "
                                       "'guarantee.backing.expired'"),
                      1);
    assert_int_equal (s_cli (&s, "", "guarantee guarantee pending", out,
                             sizeof out),
                      0);
    assert_null (strstr (out, "EXP1"));
    //  Disbursed after it expired: remembered; backed again: live at once
    s_event (&s, "matching.loan.disbursed", "EXP1", "P1");
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM guarantee"), 0);
    assert_int_equal (s_back_as (&s, "EXP1", "创业类", got, &status),
                      KJ__CODE__OK);
    assert_string_equal (got, "ACTIVE");
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM guarantee "
                                       "WHERE loan_id = 'EXP1'"),
                      1);
    assert_int_equal (gfx_count (&s.g, "SELECT count (*) FROM kj_outbox "
                                       "WHERE topic = "
                                       "'guarantee.backing.expired'"),
                      1);
    s_stop (&s);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_follow_once),
        cmocka_unit_test (test_follow_kill),
        cmocka_unit_test (test_follow_late),
        cmocka_unit_test (test_follow_expire),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
