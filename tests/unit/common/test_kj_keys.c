/*  =========================================================================
    test_kj_keys - the key directory and the ZAP handler, over real
    CURVE sockets on loopback

    X1 an unknown key is refused; X2 with no ZAP handler the self-test
    fails (a daemon would not start); X3 NULL, PLAIN and a wrong server key
    are refused; a known key gets in with its name, role and city on every
    message; revocation refuses the next handshake; bad names, roles and
    rights are refused naming the field.
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>

static char s_dir [512];
static kj_keys_t *s_keys;
static zactor_t *s_zap;
static zcert_t *s_server;  //  the server's own key

static int
s_setup (void **state)
{
    snprintf (s_dir, sizeof s_dir, "%s/keys", kj_test_tmpdir ());
    s_keys = kj_keys_new (s_dir);
    assert_non_null (s_keys);
    kj_key_info_t info = { .name = "broker",
                           .role = "service",
                           .services = "kejin.broker" };
    kj_status_t status;
    assert_int_equal (kj_keys_issue (s_keys, &info, NULL, &status), 0);
    s_server = kj_keys_secret (s_keys, "broker");
    assert_non_null (s_server);
    s_zap = kj_keys_zap_new (s_dir);
    assert_non_null (s_zap);
    return 0;
}

static int
s_teardown (void **state)
{
    zactor_destroy (&s_zap);
    zcert_destroy (&s_server);
    kj_keys_destroy (&s_keys);
    return 0;
}

//  A CURVE server on a free loopback port; *port gets it
static zsock_t *
s_server_socket (int *port)
{
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    assert_int_equal (kj_keys_server (server, s_server), 0);
    *port = zsock_bind (server, "tcp://127.0.0.1:*");
    assert_true (*port > 0);
    zsock_set_rcvtimeo (server, 1500);
    return server;
}

//  Does a message from client reach server within the timeout? Returns
//  the message (caller destroys) or NULL.
static zmsg_t *
s_try (zsock_t *server, zsock_t *client, int port)
{
    assert_int_equal (zsock_connect (client, "tcp://127.0.0.1:%d", port), 0);
    zsock_set_sndtimeo (client, 0);
    zstr_send (client, "hello");
    return zmsg_recv (server);
}

static uint64_t
s_refusals (void)
{
    zstr_send (s_zap, "$COUNT");
    char *count = zstr_recv (s_zap);
    uint64_t value = strtoull (count, NULL, 10);
    zstr_free (&count);
    return value;
}

//  --------------------------------------------------------------------------

static void
test_issue_known_key_gets_in_with_role (void **state)
{
    kj_key_info_t info = { .name = "bank-1",
                           .role = "integrator",
                           .city = "210100",
                           .topics = "registry." };
    kj_status_t status;
    char secret [600];
    snprintf (secret, sizeof secret, "%s/bank-1.key_secret", kj_test_tmpdir ());
    assert_int_equal (kj_keys_issue (s_keys, &info, secret, &status), 0);
    assert_int_equal (strlen (info.key), 40);
    struct stat st;
    assert_int_equal (stat (secret, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);

    int port;
    zsock_t *server = s_server_socket (&port);
    zsock_t *client = zsock_new (ZMQ_DEALER);
    zcert_t *cert = zcert_load (secret);
    assert_non_null (cert);
    assert_int_equal (kj_keys_client (client, cert,
                                      zcert_public_txt (s_server)),
                      0);
    zmsg_t *msg = s_try (server, client, port);
    assert_non_null (msg);
    zframe_t *identity = zmsg_first (msg);
    assert_string_equal (zframe_meta (identity, "User-Id"), "bank-1");
    assert_string_equal (zframe_meta (identity, "kj-role"), "integrator");
    assert_string_equal (zframe_meta (identity, "kj-city"), "210100");
    assert_string_equal (zframe_meta (identity, "kj-topics"), "registry.");
    assert_string_equal (zframe_meta (identity, "kj-name"), "bank-1");
    zmsg_destroy (&msg);
    zcert_destroy (&cert);
    zsock_destroy (&client);
    zsock_destroy (&server);
}

static void
test_x1_unknown_key_refused (void **state)
{
    uint64_t before = s_refusals ();
    int port;
    zsock_t *server = s_server_socket (&port);
    zsock_t *client = zsock_new (ZMQ_DEALER);
    zcert_t *stranger = zcert_new ();
    kj_keys_client (client, stranger, zcert_public_txt (s_server));
    assert_null (s_try (server, client, port));
    assert_true (s_refusals () > before);
    zcert_destroy (&stranger);
    zsock_destroy (&client);
    zsock_destroy (&server);
}

static void
test_x3_null_plain_and_wrong_server_key_refused (void **state)
{
    int port;
    zsock_t *server = s_server_socket (&port);
    //  NULL: no security at all
    zsock_t *client = zsock_new (ZMQ_DEALER);
    assert_null (s_try (server, client, port));
    zsock_destroy (&client);
    //  PLAIN with any user and password
    client = zsock_new (ZMQ_DEALER);
    zsock_set_plain_username (client, "admin");
    zsock_set_plain_password (client, "admin");
    assert_null (s_try (server, client, port));
    zsock_destroy (&client);
    //  A known client key, but the wrong server key: no handshake
    kj_key_info_t info = { .name = "ops-1", .role = "operator" };
    kj_status_t status;
    assert_int_equal (kj_keys_issue (s_keys, &info, NULL, &status), 0);
    zcert_t *cert = kj_keys_secret (s_keys, "ops-1");
    zcert_t *other = zcert_new ();
    client = zsock_new (ZMQ_DEALER);
    kj_keys_client (client, cert, zcert_public_txt (other));
    assert_null (s_try (server, client, port));
    zsock_destroy (&client);
    //  The same key with the right server key gets in (the test bites)
    client = zsock_new (ZMQ_DEALER);
    kj_keys_client (client, cert, zcert_public_txt (s_server));
    zmsg_t *msg = s_try (server, client, port);
    assert_non_null (msg);
    assert_string_equal (zframe_meta (zmsg_first (msg), "kj-role"), "operator");
    zmsg_destroy (&msg);
    zsock_destroy (&client);
    zcert_destroy (&other);
    zcert_destroy (&cert);
    zsock_destroy (&server);
}

static void
test_x5_revoked_key_refused_at_next_handshake (void **state)
{
    kj_key_info_t info = { .name = "bank-2", .role = "integrator" };
    kj_status_t status;
    assert_int_equal (kj_keys_issue (s_keys, &info, NULL, &status), 0);
    assert_string_equal (info.topics, "*");
    zcert_t *cert = kj_keys_secret (s_keys, "bank-2");
    int port;
    zsock_t *server = s_server_socket (&port);
    zsock_t *client = zsock_new (ZMQ_DEALER);
    kj_keys_client (client, cert, zcert_public_txt (s_server));
    zmsg_t *msg = s_try (server, client, port);
    assert_non_null (msg);
    zmsg_destroy (&msg);
    zsock_destroy (&client);

    assert_int_equal (kj_keys_revoke (s_keys, "bank-2", &status), 0);
    kj_key_info_t found;
    assert_int_equal (kj_keys_find (s_keys, "bank-2", &found), -1);
    client = zsock_new (ZMQ_DEALER);
    kj_keys_client (client, cert, zcert_public_txt (s_server));
    assert_null (s_try (server, client, port));
    zsock_destroy (&client);
    //  Twice, and an unknown name: clear refusals
    assert_int_equal (kj_keys_revoke (s_keys, "bank-2", &status), -1);
    assert_int_equal (status.code, KJ__CODE__FAILED_PRECONDITION);
    assert_int_equal (kj_keys_revoke (s_keys, "nobody", &status), -1);
    assert_int_equal (status.code, KJ__CODE__NOT_FOUND);
    //  The name stays taken: a revoked key is not issued again
    kj_key_info_t again = { .name = "bank-2", .role = "integrator" };
    assert_int_equal (kj_keys_issue (s_keys, &again, NULL, &status), -1);
    assert_int_equal (status.code, KJ__CODE__ALREADY_EXISTS);
    zcert_destroy (&cert);
    zsock_destroy (&server);
}

static void
test_x2_selftest (void **state)
{
    //  With our handler: the probe key is refused, the daemon may start
    assert_int_equal (kj_keys_selftest (s_server, s_zap), 0);
    //  No handler given: refuse to start
    assert_int_equal (kj_keys_selftest (s_server, NULL), -1);
    //  A second handler in one process is refused
    assert_null (kj_keys_zap_new (s_dir));
}

static void
test_enforced_domain_without_handler_lets_nobody_in (void **state)
{
    //  Fail closed: with the handler gone, even a valid key is refused
    zactor_destroy (&s_zap);
    zcert_t *cert = kj_keys_secret (s_keys, "ops-1");
    assert_non_null (cert);
    int port;
    zsock_t *server = s_server_socket (&port);
    zsock_t *client = zsock_new (ZMQ_DEALER);
    kj_keys_client (client, cert, zcert_public_txt (s_server));
    assert_null (s_try (server, client, port));
    zsock_destroy (&client);
    zsock_destroy (&server);
    zcert_destroy (&cert);
    s_zap = kj_keys_zap_new (s_dir);
    assert_non_null (s_zap);
}

static void
test_issue_refuses_bad_fields (void **state)
{
    kj_status_t status;
    struct {
        kj_key_info_t info;
        const char *field;
    } cases [] = {
        { { .name = "", .role = "operator" }, "name" },
        { { .name = "Bad Name", .role = "operator" }, "name" },
        { { .name = "../etc", .role = "operator" }, "name" },
        { { .name = "-x", .role = "operator" }, "name" },
        { { .name = "x1", .role = "admin" }, "role" },
        { { .name = "x2", .role = "operator", .city = "2101" }, "city" },
        { { .name = "x3", .role = "service" }, "services" },
        { { .name = "x4", .role = "service", .services = "a,,b" }, "services" },
        { { .name = "x5", .role = "operator", .services = "registry" },
          "services" },
        { { .name = "x6", .role = "operator", .topics = "registry." },
          "topics" },
        { { .name = "x7", .role = "integrator", .topics = "a b" }, "topics" },
        { { .name = "x8", .role = "integrator", .topics = "a/b/c" }, "topics" },
        { { .name = "x9", .role = "integrator", .topics = "/registry." },
          "topics" },
        { { .name = "x10", .role = "integrator", .topics = "An/registry." },
          "topics" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        assert_int_equal (kj_keys_issue (s_keys, &cases [i].info, NULL,
                                         &status),
                          -1);
        assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
        assert_string_equal (status.field, cases [i].field);
    }
}

//  A mirrored city's topics (anshan/registry.x, at a hub): a plain prefix
//  allows them in every city, a city's prefix in that city only; a key
//  may name them.
static void
test_city_topics (void **state)
{
#define ALLOWED(topics, topic)                                                 \
    kj_keys_topic_allowed (topics, topic, strlen (topic))
    assert_int_equal (kj_keys_topic_city ("anshan/registry.x", 17), 7);
    assert_int_equal (kj_keys_topic_city ("registry.x", 10), 0);
    assert_int_equal (kj_keys_topic_city ("Anshan/x", 8), 0);
    assert_int_equal (kj_keys_topic_city ("anshan", 6), 0);
    assert_int_equal (kj_keys_topic_city ("an.shan/x", 9), 0);
    assert_true (ALLOWED ("registry.", "anshan/registry.enterprise"));
    assert_true (ALLOWED ("registry.", "registry.enterprise"));
    assert_false (ALLOWED ("guarantee.", "anshan/registry.enterprise"));
    assert_true (ALLOWED ("anshan/registry.", "anshan/registry.x"));
    assert_false (ALLOWED ("anshan/registry.", "dalian/registry.x"));
    assert_false (ALLOWED ("anshan/registry.", "registry.x"));
    assert_true (ALLOWED ("dalian/,anshan/", "anshan/guarantee.x"));
    assert_false (ALLOWED ("dalian/", "anshan/"));
    assert_true (ALLOWED ("*", "anshan/registry.x"));
#undef ALLOWED
    kj_status_t status;
    kj_key_info_t info = { .name = "hub-bank",
                           .role = "integrator",
                           .topics = "anshan/,dalian/registry.,guarantee." };
    assert_int_equal (kj_keys_issue (s_keys, &info, NULL, &status), 0);
}

static void
s_collect (const kj_key_info_t *info, bool revoked, void *arg)
{
    char *out = (char *) arg;
    char line [128];
    snprintf (line, sizeof line, "%s:%s%s ", info->name, info->role,
              revoked ? ":revoked" : "");
    strcat (out, line);
}

static void
test_list_sorted_with_revoked (void **state)
{
    char out [1024] = "";
    kj_keys_list (s_keys, s_collect, out);
    assert_string_equal (out, "bank-1:integrator bank-2:integrator:revoked "
                              "broker:service ops-1:operator ");
}

//  --------------------------------------------------------------------------
//  kj_keys_client_env: nothing without KEJIN_NODE_KEYS; the key named
//  (KEJIN_KEY, else the default) and the broker's public key from the
//  directory; a missing key is an error

static void
test_client_env (void **state)
{
    unsetenv ("KEJIN_NODE_KEYS");
    unsetenv ("KEJIN_KEY");
    zsock_t *client = zsock_new (ZMQ_DEALER);
    assert_int_equal (kj_keys_client_env (client, "ops-env"), 1);
    setenv ("KEJIN_NODE_KEYS", s_dir, 1);
    assert_int_equal (kj_keys_client_env (client, "nobody"), -1);
    kj_key_info_t info = { .name = "ops-env", .role = "operator" };
    kj_status_t status;
    assert_int_equal (kj_keys_issue (s_keys, &info, NULL, &status), 0);
    setenv ("KEJIN_KEY", "nobody", 1);
    assert_int_equal (kj_keys_client_env (client, "ops-env"), -1);
    unsetenv ("KEJIN_KEY");
    assert_int_equal (kj_keys_client_env (client, "ops-env"), 0);
    int port;
    zsock_t *server = s_server_socket (&port);
    zmsg_t *msg = s_try (server, client, port);
    assert_non_null (msg);
    assert_string_equal (zframe_meta (zmsg_first (msg), "User-Id"), "ops-env");
    zmsg_destroy (&msg);
    zsock_destroy (&client);
    zsock_destroy (&server);
    unsetenv ("KEJIN_NODE_KEYS");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_issue_known_key_gets_in_with_role),
        cmocka_unit_test (test_x1_unknown_key_refused),
        cmocka_unit_test (test_x3_null_plain_and_wrong_server_key_refused),
        cmocka_unit_test (test_x5_revoked_key_refused_at_next_handshake),
        cmocka_unit_test (test_x2_selftest),
        cmocka_unit_test (test_enforced_domain_without_handler_lets_nobody_in),
        cmocka_unit_test (test_issue_refuses_bad_fields),
        cmocka_unit_test (test_list_sorted_with_revoked),
        cmocka_unit_test (test_client_env),
        cmocka_unit_test (test_city_topics),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
