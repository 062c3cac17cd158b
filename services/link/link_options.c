/*  =========================================================================
    link_options - every option of kejin-link, with its kind and range

    In the library, not in main, so that `kejin config check` knows them
    and checks a node's whole file the way the daemon does.
    =========================================================================
*/

#include "link.h"

const kj_option_t link_options [] = {
    KJ_OPTIONS_NODE,
    //  A node runs a link only where the cities are set up to
    //  (deploy/kejin-cities): none by default
    { "link/copies", "0",
      "copies of kejin-link deploy/kejin-node runs (read by the launcher)",
      KJ_INT (0, 1) },
    { "link/routes", "",
      "SERVICE=PEER, space-separated: each service this node has no worker "
      "for, and the peer city that serves it (matching=shenyang)" },
    { "link/peers", "",
      "PEER=ENDPOINT, space-separated: each peer city's broker" },
    { "link/keys", "",
      "folder of the peers' keys: PEER.key and PEER.key_secret (ours, "
      "issued by the peer with role peer), PEER.broker.key (its broker's "
      "public certificate); empty: no CURVE to the peers" },
    { "link/heartbeat_ms", "1000",
      "how often each peer is asked whether it serves the route",
      KJ_INT (50, 60000) },
    { "link/liveness", "3",
      "heartbeats without an answer before a peer is dead", KJ_INT (1, 100) },
    { "link/broker_silence_ms", "10000",
      "the local broker silent this long (it heartbeats every "
      "broker/heartbeat_ms) is gone: the link says READY again",
      KJ_INT (100, 600000) },
    { "link/credit", "100", "requests one route holds at once",
      KJ_INT (1, 10000) },
    { "link/stats_service", "link",
      "the MDP service this link's counts are served as, for `kejin "
      "status` (Link.Stats; the link's local key must name it); empty: "
      "none",
      KJ_TEXT_MAX (63) },
    { "link/status_file", "",
      "written every heartbeat: one line per route (alive, registered, "
      "counts); empty: none" },
    { NULL }
};
