/*  =========================================================================
    test_diag - kejin-diag, the worked example of kj_service, against a
    real broker: Echo and the built-in Health through it, its counters,
    refusals with a status, a bad option refused at start, and SIGTERM:
    exit 0 and the broker sees every worker go at once (DISCONNECT, not
    the heartbeat running out)
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"
#include "kj_test.h"
#include "kj_node.h"

static pid_t
s_spawn_diag (const kj_broker_t *broker, const char *workers)
{
    char count [64];
    snprintf (count, sizeof count, "diag/workers=%s", workers);
    const char *extra [] = { "-s", count, "-s", "diag/instance=diag.test",
                             NULL };
    return kj_daemon_start ("diag", broker, NULL, extra);
}

//  One Echo; its status code, the reply (or NULL) in *reply_p
static int
s_echo (kj_client_t *client, const char *data, uint32_t sleep_ms, bool fail,
        Kj__EchoReply **reply_p, kj_status_t *status)
{
    Kj__EchoRequest request = KJ__ECHO_REQUEST__INIT;
    request.data.data = (uint8_t *) data;
    request.data.len = strlen (data);
    request.sleep_ms = sleep_ms;
    request.fail = fail;
    kj_call_opts_t opts = { .read_only = true, .retries = -1 };
    *reply_p = NULL;
    return kj_client_call (client, "diag", "Echo", &request.base,
                           &kj__echo_reply__descriptor,
                           (ProtobufCMessage **) reply_p, status, &opts);
}

static const Kj__MethodHealth *
s_method (const Kj__Health *health, const char *name)
{
    for (size_t i = 0; i < health->n_methods; i++)
        if (streq (health->methods [i]->method, name))
            return health->methods [i];
    return NULL;
}

//  --------------------------------------------------------------------------

static void
test_echo_health_and_sigterm (void **state)
{
    kj_broker_t broker;
    assert_int_equal (kj_broker_start (&broker, 0, NULL), 0);
    pid_t diag = s_spawn_diag (&broker, "3");
    assert_true (diag > 0);
    assert_true (kj_broker_wait_workers (broker.endpoint, "diag", 3, 10000));
    kj_client_t *client = kj_client_new (broker.endpoint);
    kj_client_set_timeout (client, 5000);

    //  Echo: the data back, named by the worker that served it
    Kj__EchoReply *reply;
    kj_status_t status;
    assert_int_equal (s_echo (client, "hello", 0, false, &reply, &status),
                      KJ__CODE__OK);
    assert_int_equal (reply->data.len, 5);
    assert_memory_equal (reply->data.data, "hello", 5);
    assert_true (strncmp (reply->served_by, "diag.test.", 10) == 0);
    kj__echo_reply__free_unpacked (reply, NULL);

    //  Refusals come back as statuses naming the field
    assert_int_equal (s_echo (client, "x", 0, true, &reply, &status),
                      KJ__CODE__INTERNAL);
    assert_null (reply);
    assert_int_equal (s_echo (client, "x", 60000, false, &reply, &status),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "sleep_ms");
    Kj__EchoRequest request = KJ__ECHO_REQUEST__INIT;
    kj_call_opts_t opts = { .read_only = true, .retries = -1 };
    assert_int_equal (kj_client_call (client, "diag", "Nope", &request.base,
                                      &kj__echo_reply__descriptor, NULL,
                                      &status, &opts),
                      KJ__CODE__UNIMPLEMENTED);

    //  Health, through the broker like any method: this copy, its
    //  workers, and the counters every worker of the copy adds to
    Kj__HealthRequest ask = KJ__HEALTH_REQUEST__INIT;
    Kj__Health *health = NULL;
    assert_int_equal (kj_client_call (client, "diag", "Health", &ask.base,
                                      &kj__health__descriptor,
                                      (ProtobufCMessage **) &health, &status,
                                      &opts),
                      KJ__CODE__OK);
    assert_string_equal (health->service, "diag");
    assert_string_equal (health->instance, "diag.test");
    assert_true (strncmp (health->worker, "diag.test.", 10) == 0);
    assert_int_equal (health->pid, diag);
    assert_int_equal (health->workers, 3);
    assert_string_equal (health->version, KEJIN_VERSION);
    assert_true (health->uptime_us > 0);
    assert_int_equal (health->n_methods, 2);
    const Kj__MethodHealth *echo = s_method (health, "Echo");
    assert_non_null (echo);
    assert_int_equal (echo->requests, 3);
    assert_int_equal (echo->errors, 2);
    assert_true (echo->p50_us > 0 && echo->p50_us <= echo->p99_us);
    assert_non_null (s_method (health, "Health"));
    kj__health__free_unpacked (health, NULL);

    //  SIGTERM: exit 0, and the broker loses the three workers well
    //  before a heartbeat could expire (3 x 2.5 s): they said DISCONNECT
    int64_t start = kj_mono_us ();
    assert_int_equal (kj_test_kill (diag, SIGTERM, 5000), 0);
    assert_true (kj_broker_wait_workers (broker.endpoint, "diag", 0, 2000));
    assert_true (kj_mono_us () - start < 5000000);

    kj_client_destroy (&client);
    assert_int_equal (kj_broker_stop (&broker, SIGTERM), 0);
}

//  A thread count out of range stops the daemon at start, exit 2
static void
test_bad_option_refused (void **state)
{
    kj_broker_t broker;
    assert_int_equal (kj_broker_start (&broker, 0, NULL), 0);
    pid_t diag = s_spawn_diag (&broker, "65");
    assert_true (diag > 0);
    assert_int_equal (kj_test_wait_exit (diag, 5000), 2);
    diag = s_spawn_diag (&broker, "two");
    assert_int_equal (kj_test_wait_exit (diag, 5000), 2);
    assert_int_equal (kj_broker_stop (&broker, SIGTERM), 0);
}

int
main (void)
{
    kj_log_init ("test_diag", "warn");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_echo_health_and_sigterm),
        cmocka_unit_test (test_bad_option_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
