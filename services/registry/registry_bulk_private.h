/*  =========================================================================
    registry_bulk_private - what registry_bulk.c and registry_bulk_commit.c
    share: the service's helpers and ImportCommit
    =========================================================================
*/

#ifndef REGISTRY_BULK_PRIVATE_H_INCLUDED
#define REGISTRY_BULK_PRIVATE_H_INCLUDED

#include "registry_bulk.h"
#include "registry_bulk_store.h"
#include "registry_check.h"
#include "registry_csv.h"
#include "registry_server.h"
#include "registry_store.h"
#include "registry_uscc.h"
#include "registry_stage.h"
#include "registry_techsme.h"

//  Keep the broker sure that a worker busy with a long statement is alive
//  (arg: the call).
void
    registry_bulk_tick (void *arg);

//  The import id of a request, or fail the call.
int
    registry_bulk_import_id (kj_call_t *call, const char *text, int64_t *id);

//  Load an import, or fail the call: NOT_FOUND "no import ID" and hint.
int
    registry_bulk_load_import (kj_call_t *call, int64_t id, bool for_update,
                               const char *hint,
                               registry_bulk_import_t *import);

//  A problem of a row as the reply lists it, in the call's memory.
Kj__BulkRowError *
    registry_bulk_row_error (kj_call_t *call,
                             const registry_csv_error_t *error);

//  The stage of an enterprise from the facts a bulk import has at hand:
//  the latest year of figures and the two before it, unexpired
//  qualifications, the latest round. registry_check_stage classifies, as
//  for every other change.
typedef struct {
    kj_date_t founded_on;  //  as read once (year 0: not known)
    kj_date_t today;
    const Kj__YearFigures *latest;  //  NULL: no figures
    int64_t revenue_prev, net_profit_prev, revenue_prev2;
    bool has_prev, has_prev2;  //  a year not reported is unknown, not 0
    unsigned not_reported;     //  and so is a figure a year left out
    bool high_tech, srdi, little_giant, incubator_resident;
    bool listing_tutoring, board_standard;
    int round;
} registry_bulk_stage_facts_t;

void
    registry_bulk_classify (const registry_stage_rules_t *rules,
                            const registry_bulk_stage_facts_t *facts,
                            registry_stage_result_t *result);

//  ImportCommit (registry_bulk_commit.c).
int
    registry_bulk_import_commit (kj_call_t *call, const ProtobufCMessage *input,
                                 ProtobufCMessage *output);

#endif
