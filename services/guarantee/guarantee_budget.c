/*  =========================================================================
    guarantee_budget - the provincial budget of kejin-guarantee: a year's
    allotment (a balanced ledger transaction and its event, in the call's
    transaction), the budgets read back, and the ledger check

    Payments take from the budget in guarantee_pay.c under the guard
    guarantee/budget_guard names (docs/rules/guarantee.md).
    =========================================================================
*/

#include "guarantee_server.h"
#include "guarantee_ledger.h"
#include "guarantee_store.h"

//  --------------------------------------------------------------------------
//  AllotBudget: add to a year's provincial budget (created on first use).

int
guarantee_allot_budget (kj_call_t *call, const ProtobufCMessage *request,
                        ProtobufCMessage *reply)
{
    const Kj__BudgetAllotRequest *in = (const Kj__BudgetAllotRequest *) request;
    kj_audit_object_n (call, "budget", in->year);
    if (guarantee_server_caller (call) == NULL)
        return -1;
    if (in->year < 2000 || in->year > 2100)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "year",
                             "year: %d; 2000 to 2100", in->year);
    if (in->amount_fen <= 0)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "amount_fen",
                             "amount_fen: %" PRId64 "; an allotment is above "
                             "0",
                             in->amount_fen);
    kj_db_t *db = kj_call_db (call);
    char year [16], amount [24];
    snprintf (year, sizeof year, "%d", in->year);
    snprintf (amount, sizeof amount, "%" PRId64, in->amount_fen);
    //  The year's lock before the first write: its events in order
    if (kj_db_lock_key (db, "guarantee.budget", year))
        return kj_call_fail_db (call);
    int64_t rows =
        kj_db_run (db,
                   "INSERT INTO budget AS b (year, total_fen, remaining_fen) "
                   "VALUES ($1::int, $2::bigint, $2::bigint) "
                   "ON CONFLICT (year) DO UPDATE SET"
                   " total_fen = b.total_fen + $2::bigint,"
                   " remaining_fen = b.remaining_fen + $2::bigint "
                   "WHERE b.total_fen <= 9223372036854775807 - $2::bigint",
                   2, (const char *[]){ year, amount });
    if (rows < 0)
        return kj_call_fail_db (call);
    if (rows == 0)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "amount_fen",
                             "amount_fen: %" PRId64 " more would pass the "
                             "largest budget a year can hold",
                             in->amount_fen);
    if (guarantee_ledger_post (db, "allot", 0, in->year,
                               kj_call_printf (call, "budget:%d", in->year),
                               kj_call_printf (call, "appropriation:%d",
                                               in->year),
                               in->amount_fen)
        || guarantee_store_budget (call, in->year, (Kj__Budget *) reply))
        return kj_call_fail_db (call);
    return guarantee_server_event (call, "guarantee.budget.allotted", year,
                                   reply);
}

//  --------------------------------------------------------------------------
//  The reads of budgets and the ledger

int
guarantee_get_budget (kj_call_t *call, const ProtobufCMessage *request,
                      ProtobufCMessage *reply)
{
    const Kj__BudgetGetRequest *in = (const Kj__BudgetGetRequest *) request;
    return guarantee_store_budget (call, in->year, (Kj__Budget *) reply);
}

int
guarantee_list_budgets (kj_call_t *call, const ProtobufCMessage *request,
                        ProtobufCMessage *reply)
{
    return guarantee_store_budgets (call, (Kj__BudgetList *) reply);
}

int
guarantee_ledger_check_handler (kj_call_t *call,
                                const ProtobufCMessage *request,
                                ProtobufCMessage *reply)
{
    return guarantee_ledger_check (call, (Kj__LedgerReport *) reply);
}
