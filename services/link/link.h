/*  =========================================================================
    link - a city's requests to the services of other cities

    kejin-link carries a service that the local node does not serve to a
    peer city that does (docs/federation.md, "Requests: broker links").
    For each route SERVICE=PEER it is a client of the peer's broker, with a
    peer key that broker issued, and asks it each heartbeat whether it has
    workers for SERVICE (MMI mmi.service). While it has, the link is a
    worker for SERVICE at the local broker, with its local peer key, so
    that the local broker uses it only when no local worker serves SERVICE.
    A request it gets goes to the peer unchanged but for its hop count
    (raised by one) and its request id (the link's own, put back in the
    answer); the caller the local broker stamped travels in the header.
    A peer silent for link/liveness heartbeats is dead: the link answers
    what it holds with UNAVAILABLE and leaves the local broker until the
    peer answers again.
    =========================================================================
*/

#ifndef LINK_H_INCLUDED
#define LINK_H_INCLUDED

#include "kejin.h"

//  Every option of kejin-link (link_options.c), { NULL } ended.
extern const kj_option_t link_options [];

//  One route of link/routes, with its peer's endpoint from link/peers.
typedef struct {
    char service [256];
    char peer [64];
    char endpoint [256];
} link_route_t;

//  Parse link/routes ("SERVICE=PEER ...") against link/peers ("PEER=
//  ENDPOINT ..."), both space-separated, into routes (at most max).
//  Returns how many, or -1 with a message for people in error (naming the
//  option and the item): a malformed item, an unknown peer, a route
//  given twice, a name the broker answers itself (mmi.*, kejin.*). A
//  service may go to two peers: two routes, two workers.
int
    link_routes_parse (const char *routes, const char *peers,
                       link_route_t *list, int max, char *error, size_t size);

typedef struct _link_t link_t;

typedef struct {
    const char *broker;  //  the local broker's endpoint
    const link_route_t *routes;
    int nroutes;
    const char *keys;         //  folder of the peers' keys ("" none)
    const char *status_file;  //  written every heartbeat ("" none)
    int heartbeat_ms;
    int liveness;
    int broker_silence_ms;      //  the local broker silent this long is gone
    int credit;                 //  requests one route holds at once
    const char *stats_service;  //  Link.Stats served as this ("" none)
    const char *instance;       //  this copy, in Stats and logs
} link_config_t;

//  NULL (logged) when a peer's keys cannot be read.
link_t *
    link_new (const link_config_t *config);

void
    link_destroy (link_t **self_p);

//  Serve until kj_stopping (); then leave the local broker. 0.
int
    link_run (link_t *self);

#endif
