/*  =========================================================================
    test_registry_events - the registry's events reach the log: with
    kejin-events running and the registry's relay on, a registration and a
    stage change appear in the log, in order, once, and replay decodes them
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "registry_fixture.h"
#include <pthread.h>

//  Every registry.* event in the log so far, oldest first (caller frees
//  the reply holding them).
static Kj__ReplayReply *
s_replay (rfx_t *fx)
{
    Kj__ReplayRequest request = KJ__REPLAY_REQUEST__INIT;
    char *prefixes [] = { "registry." };
    request.prefixes = prefixes;
    request.n_prefixes = 1;
    request.max_events = 10000;
    Kj__ReplayReply *reply = NULL;
    kj_status_t status;
    kj_call_opts_t opts = { .read_only = true, .timeout_ms = 3000 };
    if (kj_client_call (fx->client, "events", "Replay", &request.base,
                        &kj__replay_reply__descriptor,
                        (ProtobufCMessage **) &reply, &status, &opts))
        return NULL;
    return reply;
}

//  Wait until the log holds `count` events with topic and key.
static bool
s_wait_logged (rfx_t *fx, const char *topic, const char *key, size_t count,
               int timeout_ms)
{
    int64_t end = kj_mono_us () + (int64_t) timeout_ms * 1000;
    while (kj_mono_us () < end) {
        Kj__ReplayReply *reply = s_replay (fx);
        size_t found = 0;
        for (size_t i = 0; reply && i < reply->n_events; i++)
            if (streq (reply->events [i]->topic, topic)
                && streq (reply->events [i]->key, key))
                found++;
        if (reply)
            kj__replay_reply__free_unpacked (reply, NULL);
        if (found >= count)
            return found == count;
        zclock_sleep (50);
    }
    return false;
}

static void
test_stage_change_in_log (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_log",
               (const char *[]){ "-s", "registry/relay=true", NULL });
    assert_true (rfx_events_start (&fx) > 0);

    char code [19];
    rfx_code ("210100", 2468, code);
    Kj__EnterpriseReply *reply = rfx_register (&fx, code, "日志测试有限公司",
                                               "2015-01-01");
    kj__enterprise_reply__free_unpacked (reply, NULL);
    //  New figures: unknown (no figures) to growth
    int year = rfx_year (&fx) - 1;
    Kj__YearFigures f [3];
    Kj__YearFigures *list [3];
    int64_t wan [3] = { 1000, 1500, 2500 };
    for (int i = 0; i < 3; i++) {
        kj__year_figures__init (&f [i]);
        f [i].year = year - 2 + i;
        f [i].revenue_fen = wan [i] * 1000000;
        list [i] = &f [i];
    }
    Kj__SetFiguresRequest request = KJ__SET_FIGURES_REQUEST__INIT;
    request.code = code;
    request.figures = list;
    request.n_figures = 3;
    kj_status_t status;
    assert_int_equal (rfx_call (&fx, "SetFigures", &request.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      0);
    assert_int_equal (reply->enterprise->stage->stage, KJ__STAGE__STAGE_GROWTH);
    kj__enterprise_reply__free_unpacked (reply, NULL);

    //  In the log, once each, within a few seconds
    assert_true (
        s_wait_logged (&fx, "registry.enterprise.registered", code, 1, 20000));
    assert_true (s_wait_logged (&fx, "registry.enterprise.stage_changed", code,
                                1, 20000));
    Kj__ReplayReply *log = s_replay (&fx);
    assert_non_null (log);
    int step = 0;
    uint64_t last = 0;
    for (size_t i = 0; i < log->n_events; i++) {
        const Kj__Envelope *event = log->events [i];
        if (!streq (event->key, code))
            continue;
        assert_true (event->offset > last);
        last = event->offset;
        assert_string_equal (event->producer, "registry");
        //  Registered (no stage without figures), the update, the stage
        //  change
        if (step == 0)
            assert_string_equal (event->topic,
                                 "registry.enterprise.registered");
        if (streq (event->topic, "registry.enterprise.stage_changed")
            && step > 1) {
            assert_string_equal (event->payload_type, "kj.StageChanged");
            Kj__StageChanged
                *change = kj__stage_changed__unpack (NULL, event->payload.len,
                                                     event->payload.data);
            assert_non_null (change);
            assert_int_equal (change->from, KJ__STAGE__STAGE_UNKNOWN);
            assert_int_equal (change->to, KJ__STAGE__STAGE_GROWTH);
            assert_string_equal (change->rule, "growth.cagr");
            assert_string_equal (change->code, code);
            kj__stage_changed__free_unpacked (change, NULL);
        }
        step++;
    }
    assert_int_equal (step, 3);
    kj__replay_reply__free_unpacked (log, NULL);

    //  The relay emptied the outbox behind it
    int64_t end = kj_mono_us () + 10000000;
    while (kj_mono_us () < end
           && rfx_outbox_count (&fx, "registry.enterprise.stage_changed", code))
        zclock_sleep (100);
    assert_int_equal (rfx_outbox_count (&fx,
                                        "registry.enterprise."
                                        "stage_changed",
                                        code),
                      0);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Per-key order under concurrency: writers updating one enterprise at once
//  from several clients (each write with its own idempotency key, as
//  kj_client sends them). The relay reads the outbox in (txid, id) order:
//  that order must be the order of the changes, which the enterprise's
//  version counts.

typedef struct {
    const char *endpoint;
    const char *code;
    int updates;
    int failed;
} s_writer_t;

static void *
s_writer (void *arg)
{
    s_writer_t *w = (s_writer_t *) arg;
    kj_client_t *client = kj_client_new (w->endpoint);
    for (int i = 0; i < w->updates; i++) {
        Kj__UpdateEnterpriseRequest request =
            KJ__UPDATE_ENTERPRISE_REQUEST__INIT;
        Kj__Enterprise e = KJ__ENTERPRISE__INIT;
        e.code = (char *) w->code;
        char industry [32];
        snprintf (industry, sizeof industry, "软件 %d", i);
        e.industry = industry;
        request.enterprise = &e;
        char *mask [] = { "industry" };
        request.update_mask = mask;
        request.n_update_mask = 1;
        kj_status_t status;
        kj_call_opts_t opts = { .timeout_ms = 10000 };
        if (kj_client_call (client, "registry", "UpdateEnterprise",
                            &request.base, &kj__enterprise_reply__descriptor,
                            NULL, &status, &opts))
            w->failed++;
    }
    kj_client_destroy (&client);
    return NULL;
}

static void
test_concurrent_updates_in_version_order (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_order",
               (const char *[]){ "-s", "registry/workers=4", NULL });
    char code [19];
    rfx_code ("210200", 1357, code);
    Kj__EnterpriseReply *reply = rfx_register (&fx, code, "次序测试有限公司",
                                               "2018-06-01");
    kj__enterprise_reply__free_unpacked (reply, NULL);

    enum { WRITERS = 4, UPDATES = 25 };
    pthread_t threads [WRITERS];
    s_writer_t writers [WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        writers [i] = (s_writer_t){ fx.broker.endpoint, code, UPDATES, 0 };
        pthread_create (&threads [i], NULL, s_writer, &writers [i]);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join (threads [i], NULL);
        assert_int_equal (writers [i].failed, 0);
    }
    size_t n;
    ProtobufCMessage *
        *payloads = rfx_outbox_payloads (&fx, "registry.enterprise.updated",
                                         code, &kj__enterprise__descriptor, &n);
    assert_int_equal (n, WRITERS * UPDATES);
    uint64_t last = 0;
    for (size_t i = 0; i < n; i++) {
        const Kj__Enterprise *e = (const Kj__Enterprise *) payloads [i];
        assert_true (e->version > last);
        last = e->version;
    }
    rfx_payloads_free (payloads, n);
    rfx_stop (&fx);
}

int
main (void)
{
    kj_log_init ("test_registry_events", getenv ("KEJIN_LOG_LEVEL"));
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_stage_change_in_log),
        cmocka_unit_test (test_concurrent_updates_in_version_order),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
