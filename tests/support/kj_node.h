/*  =========================================================================
    kj_node - start real Kejin daemons for system tests and benchmarks

    A broker on ports of its own choosing (or a given one, to restart it on
    the same port), waited for until it is up; stopped with a signal.
    =========================================================================
*/

#ifndef KJ_NODE_H_INCLUDED
#define KJ_NODE_H_INCLUDED

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    int port;             //  ROUTER port, to restart on the same one
    char endpoint [128];  //  ROUTER, for clients and workers
    char pub [128];       //  XPUB, for subscribers
    char sub [128];       //  XSUB, for kejin-events
    char file [512];      //  endpoints file it writes
    char log [512];       //  its stderr
} kj_broker_t;

//  Start bin/kejin-broker on 127.0.0.1: ROUTER on `port` (0: any free),
//  XPUB and XSUB on any free ports; `extra` is a NULL-terminated list of
//  more arguments ("-s", "broker/heartbeat_ms=500", ...) or NULL. Without
//  "broker/keys=DIR" among them it runs open (broker/insecure=true), as
//  tests of other things than keys want. Waits up to 5 s for it to bind.
//  0, or -1 (logged) if it did not come up.
int
    kj_broker_start (kj_broker_t *broker, int port, const char *const *extra);

//  Signal the broker and wait up to 10 s for it to exit (then SIGKILL).
//  Returns its exit status, or -1 if it had to be killed.
int
    kj_broker_stop (kj_broker_t *broker, int signal);

//  Wait up to timeout_ms until the broker at endpoint counts `workers`
//  workers on `service` (a service it does not list counts 0).
bool
    kj_broker_wait_workers (const char *endpoint, const char *service,
                            int workers, int timeout_ms);

//  Start bin/kejin-NAME (a kj_service daemon) with node/broker set to
//  broker's endpoint, db/dsn to dsn (unless NULL), and `extra` arguments
//  ("-s", "name/workers=3", ..., NULL-ended, or NULL); its log in the
//  test's folder. Returns its pid, or -1.
pid_t
    kj_daemon_start (const char *name, const kj_broker_t *broker,
                     const char *dsn, const char *const *extra);

//  Path of a test tool built from tests/tools/NAME.c
const char *
    kj_tool_path (const char *name);

//  Read one value from a key=value file such as the broker's endpoints
//  file into value; 0 or -1.
int
    kj_read_keyvalue (const char *path, const char *key, char *value,
                      size_t size);

#endif
