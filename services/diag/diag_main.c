/*  =========================================================================
    kejin-diag - the Diag service of a Kejin city node: Echo, to check the
    node end to end (`Echo` through the broker) and to measure it
    =========================================================================
*/

#include "diag.h"

static const kj_serve_t s_services [] = {
    { "diag", &kj__diag__descriptor, diag_methods }, { NULL }
};

static const kj_service_def_t s_def = {
    .name = "diag",
    .summary = "The Diag service: Echo, to check a node end to end through "
               "the broker.\nServes the MDP service \"diag\".",
    .options = diag_options,  //  diag_options.c
    .services = s_services
};

int
main (int argc, char **argv)
{
    return kj_service_main (&s_def, argc, argv);
}
