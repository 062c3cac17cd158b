/*  =========================================================================
    ipo_server - the MDP service "ipo" of kejin-ipo: the reserve pool, each
    firm's pipeline and file, board fit, subsidy claims and the budget

    The handlers check input, run the rules classes (ipo_pipeline,
    ipo_subsidy, ipo_board) and keep their state through ipo_store; every
    change is an event in the handler's transaction. docs/rules/ipo.md
    says the rules.
    =========================================================================
*/

#ifndef IPO_SERVER_H_INCLUDED
#define IPO_SERVER_H_INCLUDED

#include "kejin.h"
#include "ipo.pb-c.h"

typedef struct _ipo_server_t ipo_server_t;

//  The methods of the service "ipo" (proto/ipo.proto).
extern const kj_method_t ipo_methods [];

//  Every option of kejin-ipo (ipo_options.c).
extern const kj_option_t ipo_options [];

//  kj_service's init and destroy: the options read and checked.
void *
    ipo_server_new (kj_service_t *service, kj_db_t *db, kj_status_t *status);

void
    ipo_server_destroy (void *self);

//  The job "sweep": lapse tutoring letters and registrations, raise
//  alerts, each firm in a transaction of its own. Returns the lapses and
//  alerts made, or -1 when the database failed.
int
    ipo_server_sweep (void *self, kj_db_t *db);

//  --------------------------------------------------------------------------
//  For the service's other handlers (ipo_fit)

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

#endif
