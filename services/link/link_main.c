/*  =========================================================================
    kejin-link - carries the requests of this city's node to the services
    of peer cities (docs/federation.md)
    =========================================================================
*/

#include "link.h"

#define MAX_ROUTES 64

int
main (int argc, char **argv)
{
    kj_config_t *config = kj_config_from_args (
        argc, argv, "kejin-link",
        "Carries requests for services this node has no worker for to the "
        "peer city\nthat serves them (link/routes), as a worker at the local "
        "broker while the\npeer has workers.",
        link_options);
    kj_signals_init ();
    kj_config_log (config);
    link_route_t routes [MAX_ROUTES];
    char error [512];
    int nroutes = link_routes_parse (kj_config_get (config, "link/routes"),
                                     kj_config_get (config, "link/peers"),
                                     routes, MAX_ROUTES, error, sizeof error);
    if (nroutes < 0) {
        fprintf (stderr, "kejin-link: %s\n", error);
        kj_config_destroy (&config);
        return 2;
    }
    if (nroutes == 0)
        kj_warn ("link.no_routes", "reason=\"link/routes is empty: nothing "
                                   "to carry\"");
    char instance [64];
    snprintf (instance, sizeof instance, "link-%d", (int) getpid ());
    link_config_t lc = {
        .broker = kj_config_get (config, "node/broker"),
        .routes = routes,
        .nroutes = nroutes,
        .keys = kj_config_get (config, "link/keys"),
        .status_file = kj_config_get (config, "link/status_file"),
        .heartbeat_ms = (int) kj_config_int (config, "link/heartbeat_ms"),
        .liveness = (int) kj_config_int (config, "link/liveness"),
        .broker_silence_ms = (int) kj_config_int (config,
                                                  "link/broker_silence_ms"),
        .credit = (int) kj_config_int (config, "link/credit"),
        .stats_service = kj_config_get (config, "link/stats_service"),
        .instance = instance
    };
    link_t *link = link_new (&lc);
    if (!link) {
        kj_config_destroy (&config);
        return 2;
    }
    link_run (link);
    link_destroy (&link);
    kj_config_destroy (&config);
    zsys_shutdown ();
    return 0;
}
