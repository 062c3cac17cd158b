/*  =========================================================================
    matching_options - every option of kejin-matching, with its kind and
    range

    In the library, not in main, so that `kejin config check` knows them.
    =========================================================================
*/

#include "matching_server.h"

const kj_option_t matching_options [] = {
    KJ_OPTIONS_NODE,
    KJ_OPTIONS_DB,
    KJ_OPTIONS_SERVICE ("matching", "2", 64),
    { "matching/model_wait_ms", "10000",
      "how long a request waits for the first load of products and "
      "enterprises before answering UNAVAILABLE",
      KJ_INT (0, 600000) },
    { "matching/match_durable", "false",
      "Match waits for its record to be flushed to disk before answering "
      "(false: committed, flushed by PostgreSQL within a fraction of a "
      "second; see docs/rules/matching.md)",
      KJ_BOOL },
    { "matching/batch_threads", "2",
      "threads matching the demands of one batch", KJ_INT (1, 16) },
    { "matching/sla_days", "10",
      "institutions' decision target in days, for ranking", KJ_INT (0, 365) },
    { "matching/weight_rate", "3000",
      "ranking weight of the rate advantage (basis points)",
      KJ_INT (0, 10000) },
    { "matching/weight_amount", "2000",
      "ranking weight of amount coverage (basis points)", KJ_INT (0, 10000) },
    { "matching/weight_collateral", "2000",
      "ranking weight of needing no collateral (basis points)",
      KJ_INT (0, 10000) },
    { "matching/weight_policy", "2000",
      "ranking weight of policy support: guarantee plan, risk compensation "
      "(basis points)",
      KJ_INT (0, 10000) },
    { "matching/weight_sla", "1000",
      "ranking weight of the institution's decision target (basis points)",
      KJ_INT (0, 10000) },
    { NULL }
};
