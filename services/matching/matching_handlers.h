/*  =========================================================================
    matching_handlers - what the Matching service's handler files share

    Private to services/matching: the state every handler reads, the
    limits of the request fields, the helpers of more than one file, and
    the handlers the method table (matching_server.c) names. The handlers
    live by concern: demands and Match (matching_demands.c), applications
    and linkage (matching_applications.c), roadshows
    (matching_roadshows.c), the model, batches and reports
    (matching_reports.c).
    =========================================================================
*/

#ifndef MATCHING_HANDLERS_H_INCLUDED
#define MATCHING_HANDLERS_H_INCLUDED

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "matching_application.h"
#include "matching_batch_job.h"
#include "matching_model.h"
#include "matching_rank.h"
#include "matching_registry.h"
#include "matching_server.h"

//  Largest amount a demand may name: 100 billion yuan.
#define AMOUNT_MAX_FEN INT64_C (10000000000000)
#define PURPOSE_MAX    200
#define CODE_MAX       40
#define ID_MAX         40
#define LIMIT_DEFAULT  10
#define LIMIT_MAX      MATCHING_RANK_TOP_MAX

typedef struct {
    matching_registry_t *registry;  //  exact reads for AddDemand, Apply
    matching_model_t *model;        //  what Match reads
    int model_wait_ms;
    matching_changes_t *changes;  //  for re-matching, from the model
    int batch_threads;
    int sla_days;
    matching_weights_t weights;
    char weights_text [80];
    bool match_durable;  //  Match waits for the WAL flush
} server_t;

#define STATE(call) ((server_t *) kj_call_state (call))
#define A(name)     KJ__APPLICATION_STATE__APP_##name

//  The columns of a demand row, as matching_server_demand_row reads them
//  by name (matching_demand_column_t)
#define DEMAND_COLUMNS                                                         \
    "id, enterprise_code, amount_fen, term_months, purpose, instrument, "      \
    "collateral, linkage, renewal, "                                           \
    "coalesce (renews_matures_on::text, '') AS renews_matures_on, "            \
    "renews_arrears, state, version, "                                         \
    "(extract (epoch FROM created_at) * 1000000)::bigint AS created_us, "      \
    "entered_by"

//  A demand row's columns, indexes into what matching_server_demand_columns
//  resolves once per result
typedef enum {
    DEMAND_ID,
    DEMAND_ENTERPRISE_CODE,
    DEMAND_AMOUNT_FEN,
    DEMAND_TERM_MONTHS,
    DEMAND_PURPOSE,
    DEMAND_INSTRUMENT,
    DEMAND_COLLATERAL,
    DEMAND_LINKAGE,
    DEMAND_RENEWAL,
    DEMAND_RENEWS_MATURES_ON,
    DEMAND_RENEWS_ARREARS,
    DEMAND_STATE,
    DEMAND_VERSION,
    DEMAND_CREATED_US,
    DEMAND_ENTERED_BY,
    DEMAND_COLUMN_COUNT
} matching_demand_column_t;

//  IP pledge loans of the enterprise `code` (an SQL expression) approved
//  or drawn this year, in fen
#define IP_PLEDGED_SQL(code)                                                   \
    "SELECT coalesce (sum (a.amount_fen), 0) FROM application a "              \
    "WHERE a.enterprise_code = " code " AND " MATCHING_IP_PLEDGED_WHERE

//  matching_server.c
const char *
    matching_server_caller (kj_call_t *call);
int
    matching_server_check_text (kj_call_t *call, const char *text,
                                const char *field, size_t max, bool required);
Kj__Demand *
    matching_server_demand_load (kj_call_t *call, const char *id,
                                 const char *field);
int
    matching_server_demand_columns (kj_call_t *call, const PGresult *res,
                                    int columns [DEMAND_COLUMN_COUNT]);
Kj__Demand *
    matching_server_demand_row (kj_call_t *call, const PGresult *res,
                                const int columns [DEMAND_COLUMN_COUNT],
                                int row);
void
    matching_server_demand_view (const Kj__Demand *d, matching_demand_t *view);
int
    matching_server_enterprise_exact (kj_call_t *call, const char *code,
                                      const char *field,
                                      Kj__EnterpriseReply **reply_p);
char *
    matching_server_i64 (kj_call_t *call, int64_t value);
int64_t
    matching_server_ip_pledged (kj_call_t *call, const char *code);
int
    matching_server_lock (kj_call_t *call, const char *kind, const char *id);
int
    matching_server_model_ready (kj_call_t *call);
int
    matching_server_text (kj_call_t *call, const PGresult *res, int row,
                          const char *name, char **text);

//  matching_demands.c
int
    matching_demands_add_demand (kj_call_t *call,
                                 const ProtobufCMessage *request,
                                 ProtobufCMessage *reply);
int
    matching_demands_get_demand (kj_call_t *call,
                                 const ProtobufCMessage *request,
                                 ProtobufCMessage *reply);
int
    matching_demands_list_demands (kj_call_t *call,
                                   const ProtobufCMessage *request,
                                   ProtobufCMessage *reply);
int
    matching_demands_match (kj_call_t *call, const ProtobufCMessage *request,
                            ProtobufCMessage *reply);

//  matching_applications.c
int
    matching_applications_act (kj_call_t *call, const ProtobufCMessage *request,
                               ProtobufCMessage *reply);
int
    matching_applications_apply (kj_call_t *call,
                                 const ProtobufCMessage *request,
                                 ProtobufCMessage *reply);
int
    matching_applications_get_application (kj_call_t *call,
                                           const ProtobufCMessage *request,
                                           ProtobufCMessage *reply);
int
    matching_applications_link (kj_call_t *call,
                                const ProtobufCMessage *request,
                                ProtobufCMessage *reply);

//  matching_roadshows.c
int
    matching_roadshows_add_roadshow (kj_call_t *call,
                                     const ProtobufCMessage *request,
                                     ProtobufCMessage *reply);
int
    matching_roadshows_get_roadshow (kj_call_t *call,
                                     const ProtobufCMessage *request,
                                     ProtobufCMessage *reply);
int
    matching_roadshows_respond (kj_call_t *call,
                                const ProtobufCMessage *request,
                                ProtobufCMessage *reply);

//  matching_reports.c
int
    matching_reports_get_batch (kj_call_t *call,
                                const ProtobufCMessage *request,
                                ProtobufCMessage *reply);
int
    matching_reports_match_batch (kj_call_t *call,
                                  const ProtobufCMessage *request,
                                  ProtobufCMessage *reply);
int
    matching_reports_model (kj_call_t *call, const ProtobufCMessage *request,
                            ProtobufCMessage *reply);
int
    matching_reports_report (kj_call_t *call, const ProtobufCMessage *request,
                             ProtobufCMessage *reply);

#endif
