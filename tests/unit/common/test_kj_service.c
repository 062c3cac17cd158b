/*  =========================================================================
    test_kj_service - the daemon skeleton: its option table, its checks at
    start, its workers against a stand-in broker (a ROUTER socket of the
    test: READY, Health with the shared counters, DISCONNECT at stop), a
    job on its own connection, and the arena for jobs
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/wait.h>

//  --------------------------------------------------------------------------
//  A service for the tests: Diag's Echo, answered here

static int
s_echo (kj_call_t *call, const ProtobufCMessage *request,
        ProtobufCMessage *reply)
{
    const Kj__EchoRequest *in = (const Kj__EchoRequest *) request;
    if (in->fail)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "fail",
                             "failed as asked");
    ((Kj__EchoReply *) reply)->data = in->data;
    return 0;
}

static const kj_method_t s_methods [] = { { "Echo", s_echo, 0 }, { NULL } };

static const kj_serve_t s_services [] = {
    { "echo", &kj__diag__descriptor, s_methods }, { NULL }
};

static const kj_serve_t s_two_services [] = {
    { "svc", &kj__diag__descriptor, s_methods },
    { "svc.other", &kj__diag__descriptor, s_methods, .workers = "svc/others",
      .workers_default = "1", .workers_help = "others", .tag = "o" },
    { NULL }
};

static int s_job_runs;

static int
s_job (void *state, kj_db_t *db)
{
    PGresult *res = kj_db_exec (db, "SELECT 1", 0, NULL);
    if (res)
        s_job_runs++;
    PQclear (res);
    return res ? 1 : -1;
}

static const kj_job_t s_jobs [] = {
    { "tick", s_job, "svc/tick_s", "60", "seconds between ticks" }, { NULL }
};

static const kj_option_t s_own [] = { { "svc/colour", "blue", "a colour" },
                                      { NULL } };

//  Start a kj_service from a command line of "-s" settings (copies: the
//  parser writes into its arguments, as it may into a real argv)
static kj_service_t *
s_service (const kj_service_def_t *def, const char **sets)
{
    char *argv [32] = { strdup ("kejin-test") };
    int argc = 1;
    for (; sets && *sets && argc < 30; sets++) {
        argv [argc++] = strdup ("-s");
        argv [argc++] = strdup (*sets);
    }
    argv [argc] = NULL;
    kj_service_t *service = kj_service_new (def, argc, argv);
    for (int i = 0; i < argc; i++)
        free (argv [i]);
    return service;
}

//  --------------------------------------------------------------------------
//  The option table

static void
test_options_with_database (void **state)
{
    kj_service_def_t def = { .name = "svc",
                             .services = s_two_services,
                             .schema = "svc",
                             .outbox = true,
                             .jobs = s_jobs,
                             .options = s_own };
    kj_option_t *options = kj_service_options (&def);
    const char *paths [] = {
        "node/city",    "node/broker",    "node/pub",
        "node/sub",     "log/level",      "db/dsn",
        "db/admin_dsn", "svc/instance",   "svc/role",
        "svc/workers",  "svc/others",     "svc/tick_s",
        "svc/relay",    "svc/audit_seal", "svc/audit_anchor",
        "svc/copies",   "svc/colour",     NULL
    };
    size_t count = 0;
    for (; options [count].path; count++) {
        assert_non_null (paths [count]);
        assert_string_equal (options [count].path, paths [count]);
    }
    assert_null (paths [count]);
    assert_string_equal (options [9].dflt, "2");
    assert_string_equal (options [9].help,
                         "worker threads serving the MDP service \"svc\"");
    assert_string_equal (options [10].dflt, "1");
    assert_string_equal (options [11].dflt, "60");
    assert_string_equal (options [12].dflt, "true");
    assert_string_equal (options [13].dflt, "1");
    assert_int_equal (options [13].kind, KJ_KIND_INT);
    assert_string_equal (options [14].dflt, "false");
    assert_int_equal (options [14].kind, KJ_KIND_BOOL);
    assert_string_equal (options [16].dflt, "blue");
    //  The skeleton's options carry their kinds, for kj_config to check
    assert_int_equal (options [7].kind, KJ_KIND_TEXT);
    assert_int_equal (options [7].max, 63);
    assert_int_equal (options [9].kind, KJ_KIND_INT);
    assert_int_equal (options [9].max, 64);
    assert_int_equal (options [11].kind, KJ_KIND_INT);
    assert_int_equal (options [11].max, 604800);
    assert_int_equal (options [12].kind, KJ_KIND_BOOL);
    assert_string_equal (options [15].dflt, "1");
    kj_service_options_free (&options);
    assert_null (options);
}

//  A daemon that declares an option the skeleton makes (its whole table,
//  for `kejin config check`) wins: one entry, the daemon's
static void
test_options_daemon_declaration_wins (void **state)
{
    static const kj_option_t own [] = {
        { "echo/workers", "5", "its own help", KJ_INT (1, 8) },
        { "node/city", "210300", "Anshan", KJ_INT (210000, 219999) },
        { NULL }
    };
    kj_service_def_t def = { .name = "echo",
                             .services = s_services,
                             .options = own };
    kj_option_t *options = kj_service_options (&def);
    size_t count = 0, workers = 0, city = 0;
    for (; options [count].path; count++) {
        if (streq (options [count].path, "echo/workers")) {
            workers++;
            assert_string_equal (options [count].dflt, "5");
            assert_string_equal (options [count].help, "its own help");
            assert_int_equal (options [count].min, 1);
            assert_int_equal (options [count].max, 8);
        }
        if (streq (options [count].path, "node/city")) {
            city++;
            assert_string_equal (options [count].dflt, "210300");
        }
    }
    assert_int_equal (workers, 1);
    assert_int_equal (city, 1);
    assert_int_equal (count, 8);
    kj_service_options_free (&options);
}

static void
test_options_without_database (void **state)
{
    kj_service_def_t def = { .name = "echo", .services = s_services };
    kj_option_t *options = kj_service_options (&def);
    const char *paths [] = { "node/city",    "node/broker", "node/pub",
                             "node/sub",     "log/level",   "echo/instance",
                             "echo/workers", "echo/copies", NULL };
    size_t count = 0;
    for (; options [count].path; count++) {
        assert_non_null (paths [count]);
        assert_string_equal (options [count].path, paths [count]);
    }
    assert_null (paths [count]);
    kj_service_options_free (&options);
}

//  --------------------------------------------------------------------------
//  Checks at start

static void
test_bad_numbers_refused (void **state)
{
    kj_service_def_t def = { .name = "echo", .services = s_services };
    const char *cases [][2] = { { "echo/workers=65", NULL },
                                { "echo/workers=-1", NULL },
                                { "echo/workers=2x", NULL },
                                { "echo/workers=", NULL } };
    //  The option's kind refuses them as the config is read (kj_config
    //  exits 2, naming the option): each case in a child of its own
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        fflush (NULL);
        pid_t pid = fork ();
        assert_true (pid >= 0);
        if (pid == 0) {
            kj_service_t *service = s_service (&def, cases [i]);
            _exit (kj_service_start (service) == 2 ? 2 : 3);
        }
        int status;
        assert_int_equal (waitpid (pid, &status, 0), pid);
        assert_true (WIFEXITED (status));
        assert_int_equal (WEXITSTATUS (status), 2);
    }
}

static kj_status_t s_init_status;
static int s_destroyed;

static void *
s_init (kj_service_t *service, kj_db_t *db, kj_status_t *status)
{
    assert_null (db);  //  no schema, no connection
    if (s_init_status.code == KJ__CODE__OK)
        return (void *) kj_service_config (service);
    *status = s_init_status;
    return NULL;
}

static void
s_destroy (void *state)
{
    s_destroyed++;
}

static void
test_init_failure_exit_codes (void **state)
{
    kj_service_def_t def = { .name = "echo",
                             .services = s_services,
                             .init = s_init,
                             .destroy = s_destroy };
    const char *none [] = { "echo/workers=0", NULL };
    s_destroyed = 0;
    kj_status_set (&s_init_status, KJ__CODE__INVALID_ARGUMENT, "x", "bad");
    kj_service_t *service = s_service (&def, none);
    assert_int_equal (kj_service_start (service), 2);
    kj_service_destroy (&service);
    kj_status_set (&s_init_status, KJ__CODE__UNAVAILABLE, NULL, "down");
    service = s_service (&def, none);
    assert_int_equal (kj_service_start (service), 1);
    kj_service_destroy (&service);
    assert_int_equal (s_destroyed, 0);  //  nothing made, nothing freed

    kj_status_ok (&s_init_status);
    service = s_service (&def, none);
    assert_int_equal (kj_service_start (service), 0);
    assert_ptr_equal (kj_service_state (service), kj_service_config (service));
    kj_service_destroy (&service);
    assert_int_equal (s_destroyed, 1);
}

//  --------------------------------------------------------------------------
//  Workers against a stand-in broker

typedef struct {
    zframe_t *identity;
    int command;
    zmsg_t *rest;  //  frames after the command
} s_mdp_t;

static bool
s_recv (zsock_t *router, s_mdp_t *out)
{
    zsock_set_rcvtimeo (router, 5000);
    zmsg_t *msg = zmsg_recv (router);
    if (!msg)
        return false;
    out->identity = zmsg_pop (msg);
    zframe_t *empty = zmsg_pop (msg);
    char *protocol = zmsg_popstr (msg);
    zframe_t *command = zmsg_pop (msg);
    assert_non_null (command);
    assert_string_equal (protocol, KJ_MDPW);
    out->command = zframe_data (command) [0];
    out->rest = msg;
    zframe_destroy (&empty);
    zframe_destroy (&command);
    zstr_free (&protocol);
    return true;
}

static void
s_mdp_free (s_mdp_t *mdp)
{
    zframe_destroy (&mdp->identity);
    zmsg_destroy (&mdp->rest);
}

//  Send a Kejin request to the worker behind identity; return its reply
//  header's status code and the payload frame in *payload_p
static int
s_request (zsock_t *router, zframe_t *identity, const char *method,
           const ProtobufCMessage *body, zframe_t **payload_p)
{
    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    header.request_id = 7;
    header.method = (char *) method;
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *){ zframe_dup (identity) });
    zmsg_addmem (msg, NULL, 0);
    zmsg_addstr (msg, KJ_MDPW);
    zmsg_addmem (msg, &(byte){ KJ_MDPW_REQUEST }, 1);
    zmsg_addmem (msg, "addr", 4);
    zmsg_addmem (msg, NULL, 0);
    zmsg_append (msg, &(zframe_t *){ kj_proto_frame (&header.base, true) });
    zmsg_append (msg, &(zframe_t *){ kj_proto_frame (body, false) });
    assert_int_equal (zmsg_send (&msg, router), 0);

    s_mdp_t reply;
    while (s_recv (router, &reply) && reply.command != KJ_MDPW_REPLY)
        s_mdp_free (&reply);
    assert_int_equal (reply.command, KJ_MDPW_REPLY);
    zframe_t *address = zmsg_pop (reply.rest);
    assert_true (zframe_streq (address, "addr"));
    zframe_destroy (&address);
    zframe_t *empty = zmsg_pop (reply.rest);
    zframe_destroy (&empty);
    zframe_t *head = zmsg_pop (reply.rest);
    Kj__ReplyHeader *rh = kj_proto_reply_header (zframe_data (head),
                                                 zframe_size (head));
    assert_non_null (rh);
    int code = rh->status ? rh->status->code : 0;
    kj__reply_header__free_unpacked (rh, NULL);
    zframe_destroy (&head);
    *payload_p = zmsg_pop (reply.rest);
    s_mdp_free (&reply);
    return code;
}

static void
test_workers_health_and_stop (void **state)
{
    zsock_t *router = zsock_new_router ("@tcp://127.0.0.1:*");
    assert_non_null (router);
    char endpoint [128], broker [160];
    snprintf (endpoint, sizeof endpoint, "%s", zsock_endpoint (router));
    snprintf (broker, sizeof broker, "node/broker=%s", endpoint);
    kj_service_def_t def = { .name = "echo", .services = s_services };
    const char *sets [] = { broker, "echo/workers=2", "echo/instance=echo.t",
                            NULL };
    kj_service_t *service = s_service (&def, sets);
    assert_string_equal (kj_service_instance (service), "echo.t");
    assert_int_equal (kj_service_start (service), 0);

    //  Two workers say READY with the credit hello
    zframe_t *workers [2];
    for (int i = 0; i < 2; i++) {
        s_mdp_t ready;
        assert_true (s_recv (router, &ready));
        assert_int_equal (ready.command, KJ_MDPW_READY);
        char *name = zmsg_popstr (ready.rest);
        assert_string_equal (name, "echo");
        zstr_free (&name);
        workers [i] = zframe_dup (ready.identity);
        s_mdp_free (&ready);
    }

    //  Two Echos to the first, one refused; Health from the second sees
    //  them: the counters are the copy's, not the worker's
    Kj__EchoRequest echo = KJ__ECHO_REQUEST__INIT;
    zframe_t *payload = NULL;
    assert_int_equal (s_request (router, workers [0], "Echo", &echo.base,
                                 &payload),
                      KJ__CODE__OK);
    zframe_destroy (&payload);
    echo.fail = true;
    assert_int_equal (s_request (router, workers [0], "Echo", &echo.base,
                                 &payload),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_null (payload);
    Kj__HealthRequest ask = KJ__HEALTH_REQUEST__INIT;
    assert_int_equal (s_request (router, workers [1], "Health", &ask.base,
                                 &payload),
                      KJ__CODE__OK);
    Kj__Health *health = kj__health__unpack (NULL, zframe_size (payload),
                                             zframe_data (payload));
    assert_non_null (health);
    assert_string_equal (health->service, "echo");
    assert_string_equal (health->instance, "echo.t");
    assert_true (streq (health->worker, "echo.t.1")
                 || streq (health->worker, "echo.t.2"));
    assert_int_equal (health->pid, getpid ());
    assert_int_equal (health->workers, 2);
    assert_int_equal (health->n_methods, 2);
    assert_string_equal (health->methods [0]->method, "Echo");
    assert_int_equal (health->methods [0]->requests, 2);
    assert_int_equal (health->methods [0]->errors, 1);
    assert_true (health->methods [0]->p99_us >= health->methods [0]->p50_us);
    assert_string_equal (health->methods [1]->method, "Health");
    assert_int_equal (health->methods [1]->requests, 0);
    kj__health__free_unpacked (health, NULL);
    zframe_destroy (&payload);
    assert_int_equal (kj_service_workers (service, "echo"), 2);

    //  Stop: each worker says DISCONNECT
    kj_service_stop (service);
    for (int i = 0; i < 2; i++) {
        s_mdp_t bye;
        assert_true (s_recv (router, &bye));
        while (bye.command == KJ_MDPW_HEARTBEAT) {
            s_mdp_free (&bye);
            assert_true (s_recv (router, &bye));
        }
        assert_int_equal (bye.command, KJ_MDPW_DISCONNECT);
        s_mdp_free (&bye);
    }
    assert_int_equal (kj_service_workers (service, "echo"), 0);
    kj_service_destroy (&service);
    for (int i = 0; i < 2; i++)
        zframe_destroy (&workers [i]);
    zsock_destroy (&router);
}

//  --------------------------------------------------------------------------
//  A job runs on its own connection, at once and then every interval;
//  interval 0 turns it off

static void
test_job_runs (void **state)
{
    char *dsn = kj_test_db_new ("kj_service");
    char set_dsn [600];
    snprintf (set_dsn, sizeof set_dsn, "db/dsn=%s", dsn);
    kj_service_def_t def = {
        .name = "svc", .services = s_services, .schema = "svc", .jobs = s_jobs
    };
    //  s_services' thread count is "svc/workers" here: the daemon's name
    const char *on [] = { set_dsn, "svc/workers=0", NULL };
    s_job_runs = 0;
    kj_service_t *service = s_service (&def, on);
    assert_int_equal (kj_service_start (service), 0);
    for (int wait = 0; wait < 100 && s_job_runs == 0; wait++)
        zclock_sleep (50);
    kj_service_stop (service);
    assert_int_equal (s_job_runs, 1);  //  once, then not for 60 s
    kj_service_destroy (&service);

    const char *off [] = { set_dsn, "svc/workers=0", "svc/tick_s=0", NULL };
    s_job_runs = 0;
    service = s_service (&def, off);
    assert_int_equal (kj_service_start (service), 0);
    zclock_sleep (300);
    kj_service_destroy (&service);
    assert_int_equal (s_job_runs, 0);
    free (dsn);
}

//  --------------------------------------------------------------------------
//  The arena: zeroed blocks that protobuf-c can unpack into, all freed
//  at reset (valgrind in `make memcheck` sees none left)

static void
test_arena (void **state)
{
    kj_arena_t *arena = kj_arena_new ();
    ProtobufCAllocator *mem = kj_arena_allocator (arena);
    char *block = (char *) mem->alloc (mem->allocator_data, 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal (block [i], 0);
    Kj__EchoRequest request = KJ__ECHO_REQUEST__INIT;
    request.data.data = (uint8_t *) "abc";
    request.data.len = 3;
    uint8_t packed [32];
    size_t size = kj__echo_request__pack (&request, packed);
    Kj__EchoRequest *copy = kj__echo_request__unpack (mem, size, packed);
    assert_non_null (copy);
    assert_memory_equal (copy->data.data, "abc", 3);
    kj__echo_request__free_unpacked (copy, mem);  //  a no-op
    kj_arena_reset (arena);
    block = (char *) mem->alloc (mem->allocator_data, 0);
    assert_non_null (block);
    kj_arena_destroy (&arena);
    assert_null (arena);
}

int
main (void)
{
    kj_log_init ("test_kj_service", "error");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_options_with_database),
        cmocka_unit_test (test_options_without_database),
        cmocka_unit_test (test_options_daemon_declaration_wins),
        cmocka_unit_test (test_bad_numbers_refused),
        cmocka_unit_test (test_init_failure_exit_codes),
        cmocka_unit_test (test_workers_health_and_stop),
        cmocka_unit_test (test_job_runs),
        cmocka_unit_test (test_arena),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}
