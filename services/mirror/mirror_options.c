/*  =========================================================================
    mirror_options - every option of kejin-mirror, with its kind and range

    In the library, not in main, so that `kejin config check` knows them
    and checks a node's whole file the way the daemon does.
    =========================================================================
*/

#include "mirror.h"

const kj_option_t mirror_options [] = {
    KJ_OPTIONS_NODE,
    KJ_OPTIONS_DB,
    KJ_OPTIONS_SERVICE ("mirror", "1", 16),
    { "mirror/links", "",
      "the cities whose event logs this hub copies: city=CONNINFO;... with "
      "CONNINFO a libpq key=value string reaching the origin's database as "
      "its replication role (empty: this node mirrors nothing)",
      KJ_TEXT_MAX (8192) },
    { "mirror/publication", "kejin_events",
      "the publication of events.log each origin offers", KJ_TEXT_MAX (63) },
    { "mirror/readers", "events",
      "database roles that may read each copy (kejin-events serving the "
      "mirrored cities with events/follow), comma-separated; a role that "
      "does not exist is skipped",
      KJ_TEXT_MAX (255) },
    { "mirror/check_interval_s", "2",
      "how often each link is made where missing and looked at (0: never)",
      KJ_INT (0, 3600) },
    { NULL }
};
