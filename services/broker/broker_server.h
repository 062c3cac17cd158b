/*  =========================================================================
    broker_server - the broker's sockets and loop around broker_core

    One ROUTER socket for MDP clients and workers, and an XSUB/XPUB pair
    that carries kejin-events' live stream out to subscribers.
    =========================================================================
*/

#ifndef BROKER_SERVER_H_INCLUDED
#define BROKER_SERVER_H_INCLUDED

#include <czmq.h>
#include "broker_core.h"

typedef struct {
    const char *endpoint;        //  ROUTER, e.g. tcp://127.0.0.1:5555
    const char *pub_endpoint;    //  XPUB for subscribers ("" for none)
    const char *sub_endpoint;    //  XSUB where publishers connect ("" none)
    const char *endpoints_file;  //  write the bound endpoints here ("" none)
    const char *city;
    int sndhwm;           //  messages queued per ROUTER peer
    int pub_hwm;          //  messages queued per subscriber
    int64_t max_message;  //  ZMQ_MAXMSGSIZE, bytes
    int drain_ms;         //  on SIGTERM, time given to pending requests
    broker_limits_t limits;
    zcert_t *cert;             //  CURVE on every socket, or NULL (insecure)
    const char *keys;          //  the key directory (with cert)
    const char *rights;        //  broker/rights rules
    const char *read_methods;  //  broker/read_methods prefixes
    int max_hops;              //  federation/max_hops
    const char *carry;         //  federation/carry rules
} broker_config_t;

typedef struct _broker_server_t broker_server_t;

//  Bind every endpoint; NULL (logged) if one cannot be bound.
broker_server_t *
    broker_server_new (const broker_config_t *config);

void
    broker_server_destroy (broker_server_t **self_p);

//  Serve until kj_stopping (); then refuse new work, give pending requests
//  up to drain_ms, fail what is left, say DISCONNECT to the workers.
int
    broker_server_run (broker_server_t *self);

//  Every option of kejin-broker (broker_options.c), { NULL } ended; the
//  CLI's `kejin config` knows it too.
extern const kj_option_t broker_options [];

#endif
