/*  =========================================================================
    scoring_options - every option of kejin-scoring, with its kind and
    range

    In the library, not in main, so that `kejin config check` knows them.
    =========================================================================
*/

#include "scoring_server.h"

const kj_option_t scoring_options [] = {
    KJ_OPTIONS_NODE,
    KJ_OPTIONS_DB,
    KJ_OPTIONS_SERVICE ("scoring", "2", 64),
    { "scoring/model", "most-2024",
      "the model used when a request names none (kejin score model list)",
      KJ_TEXT_MAX (47) },
    { "scoring/chunk", "5000", "enterprises a batch worker claims at a time",
      KJ_INT (1, 1000000) },
    { "scoring/page", "10000",
      "rows of each page fetched from the registry's export",
      KJ_INT (100, 100000) },
    { "scoring/fetchers", "1",
      "ranges of the registry's export a batch fetches at once (at most "
      "as many as the registry's bulk workers; 2 measured no faster)",
      KJ_INT (1, 8) },
    { "scoring/pause_ms", "0",
      "pause after each chunk, to leave the machine to others",
      KJ_INT (0, 60000) },
    { "scoring/batch_interval_s", "1",
      "how often this copy looks for batch work (0: never; it then only "
      "answers requests)",
      KJ_INT (0, 604800) },
    { NULL }
};
