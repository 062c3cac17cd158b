/*  =========================================================================
    guarantee_options - the options of kejin-guarantee of its own, beside
    those kj_service declares for every daemon

    In the library, not in main, so that other code (a configuration
    check) can know them.
    =========================================================================
*/

#include "guarantee_server.h"

const kj_option_t guarantee_options [] = {
    { "guarantee/suspend_loss_ratio_bp", "0",
      "suspend a guarantor or bank from new claims when its 代偿 pass this "
      "share of what it guaranteed, in basis points (500 = 5%; 0: never)" },
    { NULL }
};
