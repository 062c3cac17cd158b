/*  =========================================================================
    matching_server - the Matching service's handlers and state: demands,
    matches, applications (proto/matching.proto)

    Input is checked here, decisions are the rules classes'
    (matching_filter, matching_rank, matching_application), enterprises and
    products come from matching_registry, and every change is written with
    its event in the call's transaction. Applications move under an
    optimistic version check: of two actors at once, one wins and the
    other gets ABORTED naming the state the application is in now.
    =========================================================================
*/

#ifndef MATCHING_SERVER_H_INCLUDED
#define MATCHING_SERVER_H_INCLUDED

#include "kejin.h"
#include "matching.pb-c.h"

//  Options of kejin-matching (matching_options.c).
extern const kj_option_t matching_options [];

//  The methods of the MDP service "matching".
extern const kj_method_t matching_methods [];

//  kj_service's init and destroy.
void *
    matching_server_new (kj_service_t *service, kj_db_t *db,
                         kj_status_t *status);

void
    matching_server_destroy (void *state);

//  The "batch" job (kj_job_fn): queued batches, then re-matching.
int
    matching_server_batch_work (void *state, kj_db_t *db);

#endif
