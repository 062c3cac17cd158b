/*  =========================================================================
    matching_application - the state machine of a financing application
    (domain §3.3, docs/rules/matching.md §5)

    Pure rules, no I/O. Which moves are legal from each state, what each
    move must carry (approval: amount, rate and term; rejection: a reason),
    and a refusal that names the states allowed from here. The store
    applies a move only if the version the actor saw is still current,
    so of two actors at once one wins and the other is told why.
    =========================================================================
*/

#ifndef MATCHING_APPLICATION_H_INCLUDED
#define MATCHING_APPLICATION_H_INCLUDED

#include <stdbool.h>

#include "kj_proto.h"
#include "matching.pb-c.h"

//  --------------------------------------------------------------------------
//  True if an application may move from `from` to `to`.

bool
    matching_application_allowed (Kj__ApplicationState from,
                                  Kj__ApplicationState to);

//  --------------------------------------------------------------------------
//  True if no move leaves state.

bool
    matching_application_final (Kj__ApplicationState state);

//  --------------------------------------------------------------------------
//  Name of a state: "APPLIED", "OVERDUE_31_60"; "?" if none.

const char *
    matching_application_state_name (Kj__ApplicationState state);

//  --------------------------------------------------------------------------
//  State by its name (with or without "APP_", any case); 0 if none.

Kj__ApplicationState
    matching_application_state (const char *name);

//  --------------------------------------------------------------------------
//  Write the states allowed from `from`, comma-separated, to buf ("none"
//  for a final state). Returns buf.

char *
    matching_application_next (Kj__ApplicationState from, char *buf,
                               size_t size);

//  --------------------------------------------------------------------------
//  Check a move of an application now in `from` (field names as in
//  ActRequest): the move legal (FAILED_PRECONDITION naming the states
//  allowed), an approval with amount 1..max_amount_fen, rate 1..10000 bp
//  and term 1..360 months, a rejection with a reason of 1..200 bytes.
//  Returns 0 or -1 with status set.

int
    matching_application_check (Kj__ApplicationState from,
                                const Kj__ActRequest *act,
                                int64_t max_amount_fen, kj_status_t *status);

#endif
