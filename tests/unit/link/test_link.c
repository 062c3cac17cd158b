/*  =========================================================================
    test_link - kejin-link's routes: SERVICE=PEER against PEER=ENDPOINT,
    and every way they can be wrong, named
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "link.h"

static void
test_routes_parse (void **state)
{
    link_route_t list [4];
    char error [512];
    int n = link_routes_parse (" matching=shenyang  scoring=dalian ",
                               "shenyang=tcp://10.0.0.1:5555 "
                               "dalian=tcp://10.0.0.2:5555",
                               list, 4, error, sizeof error);
    assert_int_equal (n, 2);
    assert_string_equal (list [0].service, "matching");
    assert_string_equal (list [0].peer, "shenyang");
    assert_string_equal (list [0].endpoint, "tcp://10.0.0.1:5555");
    assert_string_equal (list [1].endpoint, "tcp://10.0.0.2:5555");
    assert_int_equal (link_routes_parse ("", "", list, 4, error, sizeof error),
                      0);

    assert_int_equal (link_routes_parse ("matching", "", list, 4, error,
                                         sizeof error),
                      -1);
    assert_non_null (strstr (error, "\"matching\" is not SERVICE=PEER"));
    assert_int_equal (link_routes_parse ("matching=hub", "shenyang=tcp://x:1",
                                         list, 4, error, sizeof error),
                      -1);
    assert_non_null (strstr (error, "peer hub, which link/peers"));
    assert_int_equal (link_routes_parse ("m=a m=a", "a=tcp://x:1", list, 4,
                                         error, sizeof error),
                      -1);
    assert_non_null (strstr (error, "m=a is given twice"));
    //  One service to two peers: two routes
    assert_int_equal (link_routes_parse ("m=a m=b", "a=tcp://x:1 b=tcp://y:2",
                                         list, 4, error, sizeof error),
                      2);
    assert_string_equal (list [1].endpoint, "tcp://y:2");
    assert_int_equal (link_routes_parse ("mmi.service=a", "a=tcp://x:1", list,
                                         4, error, sizeof error),
                      -1);
    assert_non_null (strstr (error, "answered by each broker itself"));
    assert_int_equal (link_routes_parse ("m=a", "a", list, 4, error,
                                         sizeof error),
                      -1);
    assert_non_null (strstr (error, "link/peers: \"a\" is not PEER=ENDPOINT"));
    assert_int_equal (link_routes_parse ("a=p b=p", "p=tcp://x:1", list, 1,
                                         error, sizeof error),
                      -1);
    assert_non_null (strstr (error, "more than 1 routes"));
}

int
main (void)
{
    kj_log_init ("test_link", "error");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_routes_parse),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
