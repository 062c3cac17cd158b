/*  =========================================================================
    ipo_options - every option of kejin-ipo, with its kind and range

    In the library, not in main, so that `kejin config check` knows them
    and checks a node's whole file the way the daemon does.
    =========================================================================
*/

#include "ipo_server.h"
#include "ipo_pipeline.h"

const kj_option_t ipo_options [] = {
    KJ_OPTIONS_NODE,
    KJ_OPTIONS_DB,
    KJ_OPTIONS_SERVICE ("ipo", "2", 64),
    { "ipo/today", "",
      "today's date as YYYY-MM-DD for drills and tests; empty: the clock "
      "(China Standard Time)",
      KJ_TEXT_MAX (10) },
    { "ipo/tiers", IPO_TIERS_DEFAULT,
      "the tiers (梯度) firms are placed in by their state: "
      "name=STATE,STATE;name=... with every state in one tier" },
    { "ipo/warn_days", "30",
      "days ahead an alert warns of a tutoring letter or registration "
      "running out",
      KJ_INT (1, 365) },
    { "ipo/city_pool_max", "100",
      "most firms in one city's pool (the province asks for 30-100)",
      KJ_INT (1, 100000) },
    { "ipo/province_pool_max", "300", "most firms in the provincial pool",
      KJ_INT (1, 100000) },
    { "ipo/city_pool_target", "30",
      "firms each city's pool should hold, for the report",
      KJ_INT (0, 100000) },
    { "ipo/sweep_interval_s", "3600",
      "how often letters, registrations and stuck firms are looked at "
      "(0: never)",
      KJ_INT (0, 604800) },
    { "ipo/fit_page", "5000",
      "rows per page of the registry's export read by a batch fit",
      KJ_INT (100, 100000) },
    { "ipo/fit_interval_s", "2",
      "how often this copy looks for a batch fit of the registry to fetch "
      "(0: never)",
      KJ_INT (0, 86400) },
    { NULL }
};
