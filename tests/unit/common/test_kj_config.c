/*  =========================================================================
    test_kj_config - the node config: ZPL reading, strict checks, the
    order of sources
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"
#include <sys/wait.h>

static const kj_option_t s_options [] = {
    KJ_OPTIONS_NODE,
    { "demo/relay", "true", "run the relay", KJ_BOOL },
    { "demo/queue_max", "100", "requests queued", KJ_INT (1, 1000) },
    { "demo/endpoint", "tcp://127.0.0.1:5555", "where", KJ_ENDPOINT },
    { "demo/pub", "", "where, or none", KJ_ENDPOINT_OR_NONE },
    { "demo/name", "", "a name", KJ_TEXT_MAX (8) },
    { "demo/note", "", "any text" },
    { NULL }
};

//  Write `text` to a file of its own; returns its path (static buffer).
static const char *
s_write (const char *text)
{
    static char path [64];
    snprintf (path, sizeof path, "/tmp/test_kj_config.%d.conf",
              (int) getpid ());
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
    return path;
}

//  Check a config; the problems printed go to `report`.
static int
s_check (kj_config_t *config, bool whole, char *report, size_t size)
{
    FILE *out = fmemopen (report, size, "w");
    assert_non_null (out);
    int problems = kj_config_check (config, whole, out);
    fclose (out);
    return problems;
}

static void
test_values_from_file (void **state)
{
    kj_config_t *config =
        kj_config_new (s_write ("#  a comment\n"
                                "demo\n"
                                "    relay = off        # trailing comment\n"
                                "    queue_max = 1000\n"
                                "    endpoint = \"ipc:///tmp/x.sock\"\n"
                                "    note = 'a # b'\n"
                                "other\n"
                                "    anything = at all\n"),
                       s_options);
    assert_non_null (config);
    char report [1024] = "";
    assert_int_equal (s_check (config, false, report, sizeof report), 0);
    assert_string_equal (report, "");
    assert_false (kj_config_bool (config, "demo/relay"));
    assert_int_equal (kj_config_int (config, "demo/queue_max"), 1000);
    assert_string_equal (kj_config_get (config, "demo/endpoint"),
                         "ipc:///tmp/x.sock");
    assert_string_equal (kj_config_get (config, "demo/note"), "a # b");
    assert_string_equal (kj_config_get (config, "node/city"), "210100");
    kj_config_destroy (&config);
}

//  Old code: relay=ture read as false without a word. Now refused.
static void
test_bad_boolean_refused (void **state)
{
    kj_config_t *config = kj_config_new (s_write ("demo\n"
                                                  "    relay = ture\n"),
                                         s_options);
    assert_non_null (config);
    char report [1024] = "";
    assert_int_equal (s_check (config, false, report, sizeof report), 1);
    char *expected;
    assert_true (asprintf (&expected,
                           "%s:2: demo/relay = \"ture\": expected "
                           "true, false, yes, no, on, off, 1 or 0\n",
                           s_write (""))
                 > 0);
    assert_string_equal (report, expected);
    free (expected);
    kj_config_destroy (&config);

    const char *words [] = { "true", "false", "yes", "no", "on",
                             "off",  "1",     "0",   NULL };
    const bool truth [] = { 1, 0, 1, 0, 1, 0, 1, 0 };
    for (int i = 0; words [i]; i++) {
        assert_true (kj_config_valid (&s_options [5], words [i]));
        config = kj_config_new (NULL, s_options);
        kj_config_set (config, "demo/relay", words [i]);
        assert_int_equal (kj_config_bool (config, "demo/relay"), truth [i]);
        kj_config_destroy (&config);
    }
    assert_false (kj_config_valid (&s_options [5], "TRUE"));
    assert_false (kj_config_valid (&s_options [5], ""));
    assert_false (kj_config_valid (&s_options [5], "y"));
}

//  Old code: queue_max=-1 became a huge size_t (unbounded). Now refused.
static void
test_number_out_of_range_refused (void **state)
{
    kj_config_t *config = kj_config_new (s_write ("demo\n"
                                                  "    queue_max = -1\n"),
                                         s_options);
    char report [1024] = "";
    assert_int_equal (s_check (config, false, report, sizeof report), 1);
    assert_non_null (strstr (report, ":2: demo/queue_max = \"-1\": expected "
                                     "a whole number from 1 to 1000\n"));
    kj_config_destroy (&config);

    const kj_option_t *queue = &s_options [6];
    assert_true (kj_config_valid (queue, "1"));
    assert_true (kj_config_valid (queue, "1000"));
    assert_false (kj_config_valid (queue, "0"));
    assert_false (kj_config_valid (queue, "1001"));
    assert_false (kj_config_valid (queue, "+5"));
    assert_false (kj_config_valid (queue, " 5"));
    assert_false (kj_config_valid (queue, "5 "));
    assert_false (kj_config_valid (queue, "0x10"));
    assert_false (kj_config_valid (queue, "1e2"));
    assert_false (kj_config_valid (queue, ""));
    assert_false (kj_config_valid (queue, "99999999999999999999999"));
}

static void
test_endpoints (void **state)
{
    const kj_option_t *endpoint = &s_options [7];
    const kj_option_t *pub = &s_options [8];
    const char *good [] = { "tcp://127.0.0.1:5555",
                            "tcp://*:5555",
                            "tcp://127.0.0.1:*",
                            "tcp://db-1.example.com:65535",
                            "tcp://[::1]:80",
                            "ipc:///run/kejin/broker.sock",
                            "inproc://kejin-broker-proxy",
                            NULL };
    const char *bad [] = { "",
                           "tcp://127.0.0.1",
                           "tcp://127.0.0.1:0",
                           "tcp://127.0.0.1:65536",
                           "tcp://:5555",
                           "tcp://host:55x",
                           "tcp://ho st:5555",
                           "udp://127.0.0.1:5555",
                           "127.0.0.1:5555",
                           "ipc://",
                           "inproc://",
                           "tcp://[::1:80",
                           NULL };
    for (int i = 0; good [i]; i++)
        assert_true (kj_config_valid (endpoint, good [i]));
    for (int i = 0; bad [i]; i++) {
        assert_false (kj_config_valid (endpoint, bad [i]));
        if (*bad [i])
            assert_false (kj_config_valid (pub, bad [i]));
    }
    assert_true (kj_config_valid (pub, ""));
}

static void
test_choice_and_text (void **state)
{
    const kj_option_t *level = &s_options [4];
    assert_string_equal (level->path, "log/level");
    assert_true (kj_config_valid (level, "debug"));
    assert_true (kj_config_valid (level, "error"));
    assert_false (kj_config_valid (level, "err"));
    assert_false (kj_config_valid (level, "info warn"));
    assert_false (kj_config_valid (level, ""));
    const kj_option_t *name = &s_options [9];
    assert_true (kj_config_valid (name, "12345678"));
    assert_false (kj_config_valid (name, "123456789"));
    char allowed [160];
    assert_string_equal (kj_config_allowed (name, allowed, sizeof allowed),
                         "text of at most 8 bytes");
    assert_string_equal (kj_config_allowed (&s_options [10], allowed,
                                            sizeof allowed),
                         "");
}

//  Unknown keys: refused in the daemon's own sections and in the node-wide
//  ones, left alone in other daemons' sections (unless whole).
static void
test_unknown_keys (void **state)
{
    kj_config_t *config = kj_config_new (s_write ("demo\n"
                                                  "    relai = true\n"
                                                  "db\n"
                                                  "    dns = \"host=x\"\n"
                                                  "registry\n"
                                                  "    workers = 2\n"
                                                  "launcher\n"),
                                         s_options);
    char report [2048] = "";
    assert_int_equal (s_check (config, false, report, sizeof report), 2);
    assert_non_null (strstr (
        report,
        ":2: demo/relai: no such option; "
        "section \"demo\" allows: relay, queue_max, endpoint, pub, name, "
        "note\n"));
    assert_non_null (strstr (report,
                             ":4: db/dns: no such option; "
                             "section \"db\" allows: dsn, admin_dsn\n"));
    assert_null (strstr (report, "registry"));
    //  Whole: every section must be known
    //  (an unknown section once, at its line, not once per key)
    assert_int_equal (s_check (config, true, report, sizeof report), 4);
    assert_non_null (strstr (report, ":5: no section \"registry\""));
    assert_non_null (strstr (report, ":7: no section \"launcher\""));
    kj_config_destroy (&config);
}

static void
test_twice_and_no_value (void **state)
{
    kj_config_t *config = kj_config_new (s_write ("demo\n"
                                                  "    queue_max = 5\n"
                                                  "    relay\n"
                                                  "    queue_max = 6\n"),
                                         s_options);
    char report [1024] = "";
    assert_int_equal (s_check (config, false, report, sizeof report), 2);
    assert_non_null (strstr (report, ":3: demo/relay: no value; write "
                                     "relay = VALUE\n"));
    assert_non_null (strstr (report, ":4: demo/queue_max is set twice "
                                     "(first on line 2)\n"));
    kj_config_destroy (&config);
}

//  Not ZPL: refused at load, naming the line
static void
test_not_zpl (void **state)
{
    const char *files [] = { "demo\n\trelay = true\n",
                             "demo\n  relay = true\n",
                             "demo\n        relay = true\n",
                             "demo\n    relay true\n",
                             "demo\n    note = \"open\n",
                             "demo\n    note = \"a\" b\n",
                             "demo\n    = 5\n",
                             NULL };
    for (int i = 0; files [i]; i++)
        assert_null (kj_config_new (s_write (files [i]), s_options));
    assert_null (kj_config_new ("/nonexistent/kejin.conf", s_options));
    assert_null (kj_config_new ("/tmp", s_options));
    //  Larger than 1 MiB: refused before it is read
    char *big = (char *) malloc (1024 * 1024 + 2);
    memset (big, '#', 1024 * 1024 + 1);
    big [1024 * 1024 + 1] = 0;
    assert_null (kj_config_new (s_write (big), s_options));
    free (big);
}

//  The environment, then --set, then the file, then the default; each
//  source is checked and named.
static void
test_sources_in_order (void **state)
{
    kj_config_t *config = kj_config_new (s_write ("demo\n"
                                                  "    queue_max = 7\n"),
                                         s_options);
    assert_int_equal (kj_config_int (config, "demo/queue_max"), 7);
    assert_int_equal (kj_config_set (config, "demo/queue_max", "8"), 0);
    assert_int_equal (kj_config_set (config, "demo/nope", "8"), -1);
    assert_int_equal (kj_config_int (config, "demo/queue_max"), 8);
    setenv ("KEJIN_DEMO_QUEUE_MAX", "9", 1);
    assert_int_equal (kj_config_int (config, "demo/queue_max"), 9);

    char report [1024] = "";
    setenv ("KEJIN_DEMO_QUEUE_MAX", "-1", 1);
    kj_config_set (config, "demo/queue_max", "0");
    assert_int_equal (s_check (config, false, report, sizeof report), 2);
    assert_non_null (strstr (report, "--set demo/queue_max: demo/queue_max "
                                     "= \"0\": expected"));
    assert_non_null (strstr (report, "environment KEJIN_DEMO_QUEUE_MAX: "
                                     "demo/queue_max = \"-1\": expected"));
    unsetenv ("KEJIN_DEMO_QUEUE_MAX");
    //  A KEJIN_ variable that names no option is not refused (the
    //  environment is the node's); in a section of the daemon's own, it
    //  gets a warning, in a node-wide one or another's, not even that
    setenv ("KEJIN_DEMO_NOPE", "x", 1);
    setenv ("KEJIN_NODE_RUN", "x", 1);
    setenv ("KEJIN_REGISTRY_WORKERS", "x", 1);
    kj_config_set (config, "demo/queue_max", "10");
    assert_int_equal (s_check (config, false, report, sizeof report), 0);
    assert_string_equal (report, "warning: environment KEJIN_DEMO_NOPE "
                                 "names no option; ignored\n");
    unsetenv ("KEJIN_DEMO_NOPE");
    unsetenv ("KEJIN_NODE_RUN");
    unsetenv ("KEJIN_REGISTRY_WORKERS");
    kj_config_destroy (&config);
}

//  A bad default is a mistake in the table, and is reported too
static void
test_bad_default_reported (void **state)
{
    static const kj_option_t options [] = {
        { "demo/count", "-1", "count", KJ_INT (0, 10) }, { NULL }
    };
    kj_config_t *config = kj_config_new (NULL, options);
    char report [512] = "";
    assert_int_equal (s_check (config, false, report, sizeof report), 1);
    assert_non_null (strstr (report, "default of demo/count: "));
    kj_config_destroy (&config);
}

//  What a daemon does at start: kj_config_from_args exits 2 on a config
//  it refuses. Returns the exit code of a child that tried `file`.
static int
s_daemon_exit (const char *file)
{
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        int null = open ("/dev/null", O_WRONLY);
        dup2 (null, 2);
        char *argv [] = { "test", "-c", (char *) file, NULL };
        kj_config_t *config = kj_config_from_args (3, argv, "test", "",
                                                   s_options);
        //  Old code got here: relay off, queue unbounded
        int rc = config && kj_config_bool (config, "demo/relay") ? 0 : 1;
        kj_config_destroy (&config);
        _exit (rc);
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status));
    return WEXITSTATUS (status);
}

static void
test_daemon_stops_at_start (void **state)
{
    assert_int_equal (s_daemon_exit (s_write ("demo\n    relay = ture\n")), 2);
    assert_int_equal (s_daemon_exit (s_write ("demo\n    queue_max = -1\n")),
                      2);
    assert_int_equal (s_daemon_exit (s_write ("demo\n    relay = yes\n")), 0);
}

static int
s_teardown (void **state)
{
    unlink (s_write (""));
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_values_from_file),
        cmocka_unit_test (test_bad_boolean_refused),
        cmocka_unit_test (test_number_out_of_range_refused),
        cmocka_unit_test (test_endpoints),
        cmocka_unit_test (test_choice_and_text),
        cmocka_unit_test (test_unknown_keys),
        cmocka_unit_test (test_twice_and_no_value),
        cmocka_unit_test (test_not_zpl),
        cmocka_unit_test (test_sources_in_order),
        cmocka_unit_test (test_bad_default_reported),
        cmocka_unit_test (test_daemon_stops_at_start),
    };
    return cmocka_run_group_tests (tests, NULL, s_teardown);
}
