/*  =========================================================================
    ipo_server - the MDP service "ipo" of kejin-ipo: the reserve pool, each
    firm's pipeline and file, board fit, subsidy claims and the budget

    The handlers check input, run the rules classes (ipo_pipeline,
    ipo_subsidy, ipo_board) and keep their state through ipo_store; every
    change is an event in the handler's transaction. docs/rules/ipo.md
    says the rules. They live by concern: ipo_pool.c (the pool, moves,
    files, the sweep), ipo_claims.c (claims, budget, report),
    ipo_fit_firm.c (Fit) and ipo_fit.c (batch fit); ipo_server.c holds the
    state, the checks they share and the table of methods.
    =========================================================================
*/

#ifndef IPO_SERVER_H_INCLUDED
#define IPO_SERVER_H_INCLUDED

#include "kejin.h"
#include "ipo.pb-c.h"
#include "ipo_board.h"
#include "ipo_fit.h"
#include "ipo_pipeline.h"
#include "ipo_store.h"
#include "ipo_subsidy.h"

//  The daemon's state, made from its options (kj_call_state)
typedef struct _ipo_server_t {
    int32_t today;  //  fixed by ipo/today; 0: the clock
    int warn_days;
    int64_t city_pool_max, province_pool_max, city_pool_target;
    char broker [256];  //  for the registry's figures
    const ipo_subsidy_table_t *subsidy;
    const ipo_board_rules_t *board;
    ipo_pipeline_tiers_t tiers;  //  ipo/tiers
    ipo_fit_config_t fit;        //  for batch fit (ipo_fit)
} ipo_server_t;

//  Longest note a person may add to a move, a review or an approval
#define IPO_NOTE_MAX 500

//  The methods of the service "ipo" (proto/ipo.proto).
extern const kj_method_t ipo_methods [];

//  Every option of kejin-ipo (ipo_options.c).
extern const kj_option_t ipo_options [];

//  kj_service's init and destroy: the options read and checked.
void *
    ipo_server_new (kj_service_t *service, kj_db_t *db, kj_status_t *status);

void
    ipo_server_destroy (void *self);

//  The job "sweep" (ipo_pool.c): lapse tutoring letters and
//  registrations, raise alerts, each firm in a transaction of its own. Returns the lapses and
//  alerts made, or -1 when the database failed.
int
    ipo_server_sweep (void *self, kj_db_t *db);

//  --------------------------------------------------------------------------
//  What the handlers share

//  Today as YYYYMMDD: ipo/today, else the date in China Standard Time.
int32_t
    ipo_server_today (void *state);

//  The caller, as the request header names it ("operator" when none).
const char *
    ipo_server_who (kj_call_t *call);

//  Check a text field: min to max bytes of UTF-8 without control
//  characters. 0, or -1 after failing the call INVALID_ARGUMENT naming
//  field (call NULL: -1 alone, for a caller that names the field only
//  when it must).
int
    ipo_server_text (kj_call_t *call, const char *field, const char *text,
                     size_t min, size_t max);

//  A date of a request into *date: empty is today; never after today.
//  0, or -1 after failing the call INVALID_ARGUMENT naming "date".
int
    ipo_server_date (kj_call_t *call, const char *text, int32_t *date);

//  Load a firm of the pool (locked with lock) into *firm; 0, or -1 after
//  failing the call (NOT_FOUND, or the code not text).
int
    ipo_server_firm (kj_call_t *call, const char *code, bool lock,
                     ipo_store_firm_t *firm);

//  A board's code ("STAR"), "" for none.
const char *
    ipo_server_board_code (int board);

//  The subsidy stages a claim names, and the event that reaches each (0:
//  a stage no single event reaches); ends with a NULL name.
typedef struct {
    const char *name;
    int event;
} ipo_server_stage_t;

extern const ipo_server_stage_t ipo_server_stages [];

//  --------------------------------------------------------------------------
//  The handlers (kj_handler_fn), by file

//  ipo_pool.c: Admit, Review, Move, Raise, Refresh, Get, List, Sweep
int
    ipo_pool_admit (kj_call_t *call, const ProtobufCMessage *request,
                    ProtobufCMessage *reply);
int
    ipo_pool_review (kj_call_t *call, const ProtobufCMessage *request,
                     ProtobufCMessage *reply);
int
    ipo_pool_move (kj_call_t *call, const ProtobufCMessage *request,
                   ProtobufCMessage *reply);
int
    ipo_pool_raise (kj_call_t *call, const ProtobufCMessage *request,
                    ProtobufCMessage *reply);
int
    ipo_pool_refresh (kj_call_t *call, const ProtobufCMessage *request,
                      ProtobufCMessage *reply);
int
    ipo_pool_get (kj_call_t *call, const ProtobufCMessage *request,
                  ProtobufCMessage *reply);
int
    ipo_pool_list (kj_call_t *call, const ProtobufCMessage *request,
                   ProtobufCMessage *reply);
int
    ipo_pool_sweep (kj_call_t *call, const ProtobufCMessage *request,
                    ProtobufCMessage *reply);

//  ipo_claims.c: Claim, Approve, SetBudget, Budget, Report
int
    ipo_claims_claim (kj_call_t *call, const ProtobufCMessage *request,
                      ProtobufCMessage *reply);
int
    ipo_claims_approve (kj_call_t *call, const ProtobufCMessage *request,
                        ProtobufCMessage *reply);
int
    ipo_claims_set_budget (kj_call_t *call, const ProtobufCMessage *request,
                           ProtobufCMessage *reply);
int
    ipo_claims_budget (kj_call_t *call, const ProtobufCMessage *request,
                       ProtobufCMessage *reply);
int
    ipo_claims_report (kj_call_t *call, const ProtobufCMessage *request,
                       ProtobufCMessage *reply);

//  ipo_fit_firm.c: Fit
int
    ipo_fit_firm (kj_call_t *call, const ProtobufCMessage *request,
                  ProtobufCMessage *reply);

#endif
