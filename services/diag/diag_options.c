/*  =========================================================================
    diag_options - every option of kejin-diag, with its kind and range

    In the library, not in main, so that `kejin config check` knows them
    and checks a node's whole file the way the daemon does.
    =========================================================================
*/

#include "diag.h"

const kj_option_t diag_options [] = {
    KJ_OPTIONS_NODE,
    KJ_OPTION_COPIES ("diag"),
    { "diag/instance", "",
      "name of this copy in logs and worker names (default diag-PID)",
      KJ_TEXT_MAX (63) },
    { "diag/workers", "2", "worker threads serving the MDP service \"diag\"",
      KJ_INT (0, 64) },
    { NULL }
};
