/*  =========================================================================
    registry_options - every option of kejin-registry, with its kind and
    range

    In the library, not in main, so that `kejin config check` knows them
    and checks a node's whole file the way the daemon does.
    =========================================================================
*/

#include "registry_server.h"

const kj_option_t registry_options [] = {
    KJ_OPTIONS_NODE,
    KJ_OPTIONS_DB,
    KJ_OPTIONS_SERVICE ("registry", "2", 64),
    { "registry/bulk_workers", "2",
      "worker threads serving the MDP service \"registry.bulk\" (CSV import "
      "and export)",
      KJ_INT (0, 64) },
    { "registry/allow_outside", "false",
      "register enterprises whose credit code is not from Liaoning", KJ_BOOL },
    { "registry/catalogue_check", "false",
      "run the search statement beside every SearchProducts answered from "
      "the kept catalogue, and fail the call if they differ (tests)",
      KJ_BOOL },
    { "registry/allow_authorities", "",
      "register codes of these registration authorities besides 9 (market "
      "regulation, enterprises): characters of 1-8, A, N, Y, "
      "comma-separated (e.g. 1,5: public institutions, social "
      "organisations); empty: enterprises only",
      KJ_TEXT_MAX (31) },
    { "registry/uscc_exceptions", "",
      "early pilot credit codes that skip the organisation-code check, "
      "comma-separated" },
    { "registry/stage_rules_file", "",
      "file of stage rules (key = value lines, see docs/registry.md); "
      "empty: the built-in rule set 2023.1" },
    { "registry/stage_rules", "",
      "stage rules inline, lines separated by ';' (used when no file)" },
    { "registry/expiry_interval_s", "3600",
      "how often expired qualifications are looked for (0: never)",
      KJ_INT (0, 604800) },
    { "registry/restage_interval_s", "5",
      "how often enterprises whose stage was computed by older stage rules "
      "are looked for and recomputed (0: never)",
      KJ_INT (0, 604800) },
    { NULL }
};
