/*  =========================================================================
    mirror - a hub's links to other cities' event logs

    Each link copies one city's events.log into a database of its own at
    the hub (kejin_mirror_<city>) by PostgreSQL logical replication, with
    the origin's offsets: nothing hand-written moves a row, and the
    replication origin keeps the cursor in the transaction that applies
    the rows. kejin-mirror makes each link (database, the event log's own
    migrations, subscription), looks at it every few seconds, records what
    it saw in its schema with an event on every change of state, and
    stops a link whose origin dropped rows it had not copied (the gap
    alarm) instead of letting it skip. docs/federation.md says why.

    mirror_link: the rules (which links, what state), no I/O.
    mirror_server: the job that makes and watches links, and ListLinks.
    =========================================================================
*/

#ifndef MIRROR_H_INCLUDED
#define MIRROR_H_INCLUDED

#include "kejin.h"
#include "mirror.pb-c.h"

#define MIRROR_CITY_MAX  31  //  bytes of a city name in mirror/links
#define MIRROR_LINKS_MAX 32  //  links one hub may hold

typedef struct {
    char city [MIRROR_CITY_MAX + 1];  //  [a-z][a-z0-9_]*
    char *conninfo;                   //  libpq key=value string to the origin
} mirror_peer_t;

//  Parse mirror/links: "city=CONNINFO;city=CONNINFO", CONNINFO a libpq
//  key=value string that reaches the origin's database as its replication
//  role. Fills peers [0..*count); 0, or -1 with status naming the link.
int
    mirror_links_parse (const char *text, mirror_peer_t *peers, int *count,
                        kj_status_t *status);

void
    mirror_links_free (mirror_peer_t *peers, int count);

//  What was seen of one link, and the state it puts the link in.
typedef struct {
    Kj__LinkState previous;  //  as recorded (LINK_UNKNOWN: never seen)
    bool origin_reached;     //  the origin's database answered
    const char *origin_error;
    bool slot_found;  //  the subscription's slot exists at the origin
    bool slot_lost;   //  ... and PostgreSQL gave up its WAL (lost)
    bool running;     //  the subscription's apply worker runs
    uint64_t hub_head;
    uint64_t origin_head;
} mirror_seen_t;

//  The state and, for DOWN and GAP, the reason (static text, English; the
//  caller translates). GAP is kept until an operator re-seeds the link.
Kj__LinkState
    mirror_link_state (const mirror_seen_t *seen, const char **reason);

//  The event topic of a state: "mirror.link.ok", ...
const char *
    mirror_link_topic (Kj__LinkState state);

//  The methods of the service "mirror" and the job (mirror_server.c).
extern const kj_method_t mirror_methods [];
extern const kj_option_t mirror_options [];

void *
    mirror_server_new (kj_service_t *service, kj_db_t *db, kj_status_t *status);
void
    mirror_server_destroy (void *state);
int
    mirror_server_check (void *state, kj_db_t *db);

#endif
