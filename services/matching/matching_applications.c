/*  =========================================================================
    matching_applications - the application's life: Apply, Act (the moves of
    docs/rules/matching.md), GetApplication, and Link (investment-loan
    linkage)

    The state and helpers they share are in matching_handlers.h.
    =========================================================================
*/

#include "matching_handlers.h"

//  --------------------------------------------------------------------------
//  Applications

#define APPLICATION_COLUMNS                                                    \
    "id, demand_id, product_id, institution_id, enterprise_code, state, "      \
    "version, amount_fen, rate_bp, term_months, reason, "                      \
    "coalesce (renews_id, '') AS renews_id, product_version, rules_version, "  \
    "(extract (epoch FROM updated_at) * 1000000)::bigint AS updated_us, "      \
    "product_max_fen"

//  An application row (APPLICATION_COLUMNS, all NOT NULL by the schema)
//  into a message from the call; NULL after failing the call
static Kj__Application *
s_application_row (kj_call_t *call, PGresult *res, int row)
{
    Kj__Application *a = kj_call_alloc (call, sizeof *a);
    kj__application__init (a);
    int state, rate_bp, term_months;
    int64_t version, product_version;
    if (matching_server_text (call, res, row, "id", &a->id)
        || matching_server_text (call, res, row, "demand_id", &a->demand_id)
        || matching_server_text (call, res, row, "product_id", &a->product_id)
        || matching_server_text (call, res, row, "institution_id",
                                 &a->institution_id)
        || matching_server_text (call, res, row, "enterprise_code",
                                 &a->enterprise_code)
        || kj_sql_int (res, row, "state", &state)
        || kj_sql_int64 (res, row, "version", &version)
        || kj_sql_int64 (res, row, "amount_fen", &a->amount_fen)
        || kj_sql_int (res, row, "rate_bp", &rate_bp)
        || kj_sql_int (res, row, "term_months", &term_months)
        || matching_server_text (call, res, row, "reason", &a->reason)
        || matching_server_text (call, res, row, "renews_id", &a->renews_id)
        || kj_sql_int64 (res, row, "product_version", &product_version)
        || matching_server_text (call, res, row, "rules_version",
                                 &a->rules_version)
        || kj_sql_int64 (res, row, "updated_us", &a->updated_at_us)) {
        kj_call_fail_db (call);
        return NULL;
    }
    a->state = state;
    a->version = (uint64_t) version;
    a->rate_bp = rate_bp;
    a->term_months = term_months;
    a->product_version = (uint64_t) product_version;
    return a;
}

//  One application by id; NULL after failing the call. *max_fen (may be
//  NULL) receives the product's maximum at the time of applying.
static Kj__Application *
s_application_load (kj_call_t *call, const char *id, const char *field,
                    int64_t *max_fen)
{
    if (matching_server_check_text (call, id, field, ID_MAX, true))
        return NULL;
    PGresult *res = kj_db_exec (kj_call_db (call),
                                "SELECT " APPLICATION_COLUMNS
                                " FROM application WHERE id = $1",
                                1, (const char *[]){ id });
    if (!res) {
        kj_call_fail_db (call);
        return NULL;
    }
    if (PQntuples (res) != 1) {
        PQclear (res);
        kj_call_fail (call, KJ__CODE__NOT_FOUND, field, "%s: no application %s",
                      field, id);
        return NULL;
    }
    Kj__Application *a = s_application_row (call, res, 0);
    if (a && max_fen && kj_sql_int64 (res, 0, "product_max_fen", max_fen)) {
        kj_call_fail_db (call);
        a = NULL;
    }
    PQclear (res);
    return a;
}

//  The move's row and its events, in the call's transaction
static int
s_announce (kj_call_t *call, Kj__Application *a, Kj__ApplicationState from,
            const char *reason)
{
    kj_db_t *db = kj_call_db (call);
    const char *params [] = { a->id,
                              matching_server_i64 (call, (int64_t) a->version),
                              matching_server_i64 (call, from),
                              matching_server_i64 (call, a->state),
                              matching_server_caller (call),
                              reason ? reason : "" };
    PGresult *res = kj_db_exec (
        db,
        "INSERT INTO application_move (application_id, version, from_state, "
        "to_state, actor, reason) VALUES ($1, $2, $3, $4, $5, $6)",
        6, params);
    if (!res)
        return -1;
    PQclear (res);
    Kj__ApplicationChanged changed = KJ__APPLICATION_CHANGED__INIT;
    changed.application = a;
    changed.from = from;
    if (kj_outbox_add (db, "matching.application.changed", a->id,
                       &changed.base))
        return -1;
    if (a->state == A (ACTIVE) && from == A (APPROVED))
        return kj_outbox_add (db, "matching.loan.disbursed", a->id,
                              &changed.base);
    if (a->state == A (DEFAULTED))
        return kj_outbox_add (db, "matching.loan.defaulted", a->id,
                              &changed.base);
    return 0;
}

//  Apply: the product must pass the filters now; one open application per
//  demand and product
int
matching_applications_apply (kj_call_t *call, const ProtobufCMessage *request,
                             ProtobufCMessage *reply)
{
    const Kj__ApplyRequest *in = (const Kj__ApplyRequest *) request;
    kj_audit_object (call, "demand", in->demand_id);
    if (matching_server_check_text (call, in->product_id, "product_id", ID_MAX,
                                    true)
        || matching_server_check_text (call, in->renews_id, "renews_id", ID_MAX,
                                       false))
        return -1;
    Kj__Demand *demand = matching_server_demand_load (call, in->demand_id,
                                                      "demand_id");
    if (!demand)
        return -1;
    if (in->renews_id && in->renews_id [0]) {
        Kj__Application *old = s_application_load (call, in->renews_id,
                                                   "renews_id", NULL);
        if (!old)
            return -1;
        if (old->state != A (ACTIVE)
            || strcmp (old->enterprise_code, demand->enterprise_code) != 0
            || !demand->renewal)
            return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                                 "renews_id",
                                 "renews_id: a renewal renews an ACTIVE loan "
                                 "of the same enterprise from a renewal "
                                 "demand; %s is %s",
                                 old->id,
                                 matching_application_state_name (old->state));
    }
    //  Decided on the records as the registry has them now, not the model
    server_t *self = STATE (call);
    kj_status_t status;
    Kj__ProductReply *product = NULL;
    if (matching_registry_get_product (self->registry, in->product_id,
                                       "product_id", &product, &status))
        return kj_call_fail_status (call, &status);
    const Kj__Product *m = product->product;
    Kj__EnterpriseReply *enterprise = NULL;
    int64_t pledged = matching_server_ip_pledged (call,
                                                  demand->enterprise_code);
    if (pledged < 0
        || matching_server_enterprise_exact (call, demand->enterprise_code,
                                             "enterprise_code", &enterprise)) {
        kj__product_reply__free_unpacked (product, NULL);
        return pledged < 0 ? kj_call_fail_db (call) : -1;
    }
    matching_product_t view;
    matching_registry_product (m, 0, &view);
    matching_enterprise_t profile;
    matching_registry_profile (enterprise->enterprise, &profile);
    profile.grade = matching_model_grade (self->model, demand->enterprise_code);
    profile.ip_pledged_year_fen = pledged;
    matching_demand_t wanted;
    matching_server_demand_view (demand, &wanted);
    matching_verdict_t verdict;
    bool ok = matching_filter_check (&view, &profile, &wanted, &verdict);
    kj__enterprise_reply__free_unpacked (enterprise, NULL);
    //  Copies: the reply is freed below
    char *product_id = kj_call_strdup (call, m->id);
    const char *params [] = { demand->id,
                              product_id,
                              matching_server_i64 (call, m->type),
                              matching_server_i64 (call, (int64_t) m->version),
                              matching_server_i64 (call, m->max_amount_fen),
                              kj_call_strdup (call, m->institution_id),
                              demand->enterprise_code,
                              MATCHING_RULES_VERSION,
                              in->renews_id && in->renews_id [0] ? in->renews_id
                                                                 : NULL };
    kj__product_reply__free_unpacked (product, NULL);
    if (!ok)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "product_id",
                             "product_id: %s does not serve "
                             "this demand: %s",
                             product_id, verdict.reasons [0].text);
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "SELECT id FROM application WHERE demand_id = $1 AND product_id = $2 "
        "AND state NOT IN (6, 7, 8, 14, 15, 16)",
        2, (const char *[]){ demand->id, product_id });
    if (!res)
        return kj_call_fail_db (call);
    if (PQntuples (res) > 0) {
        char *open = kj_call_strdup (call, PQgetvalue (res, 0, 0));
        PQclear (res);
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "product_id",
                             "product_id: application %s for this demand "
                             "and product is still open",
                             open);
    }
    PQclear (res);
    res = kj_db_exec (
        kj_call_db (call),
        "INSERT INTO application (id, demand_id, product_id, product_type, "
        "product_version, product_max_fen, institution_id, enterprise_code, "
        "rules_version, state, renews_id) "
        "VALUES ('A' || lpad (nextval ('application_seq')::text, 6, '0'), "
        "$1, $2, $3, $4, $5, $6, $7, $8, 3, $9) RETURNING " APPLICATION_COLUMNS,
        9, params);
    if (!res)
        return kj_call_fail_db (call);
    Kj__Application *a = s_application_row (call, res, 0);
    PQclear (res);
    if (!a)
        return -1;
    ((Kj__ApplicationReply *) reply)->application = a;
    if (matching_server_lock (call, "matching.application", a->id))
        return -1;
    if (s_announce (call, a, A (MATCHED), NULL))
        return kj_call_fail_db (call);
    return 0;
}

//  Act: a legal move from the state the application is in, applied only
//  if nobody moved it since the version the actor saw
int
matching_applications_act (kj_call_t *call, const ProtobufCMessage *request,
                           ProtobufCMessage *reply)
{
    const Kj__ActRequest *in = (const Kj__ActRequest *) request;
    kj_audit_object (call, "application", in->id);
    if (matching_server_check_text (call, in->reason, "reason", PURPOSE_MAX,
                                    false))
        return -1;
    int64_t max_fen = 0;
    Kj__Application *a = s_application_load (call, in->id, "id", &max_fen);
    if (!a || matching_server_lock (call, "matching.application", a->id))
        return -1;
    if (in->expected_version && in->expected_version != a->version)
        return kj_call_fail (call, KJ__CODE__ABORTED, "expected_version",
                             "expected_version: application %s was moved "
                             "meanwhile; it is now %s (version %" PRIu64
                             "): read it again",
                             a->id, matching_application_state_name (a->state),
                             a->version);
    kj_status_t status;
    if (matching_application_check (a->state, in, max_fen, &status))
        return kj_call_fail_status (call, &status);

    bool approve = in->to == A (APPROVED);
    const char *params [] = {
        a->id,
        matching_server_i64 (call, (int64_t) a->version),
        matching_server_i64 (call, in->to),
        approve ? matching_server_i64 (call, in->amount_fen) : NULL,
        approve ? matching_server_i64 (call, in->rate_bp) : NULL,
        approve ? matching_server_i64 (call, in->term_months) : NULL,
        in->to == A (REJECTED) ? in->reason : NULL
    };
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "UPDATE application SET state = $3, version = version + 1, "
        "amount_fen = coalesce ($4::bigint, amount_fen), "
        "rate_bp = coalesce ($5::int, rate_bp), "
        "term_months = coalesce ($6::int, term_months), "
        "reason = coalesce ($7, reason), updated_at = now () "
        "WHERE id = $1 AND version = $2 RETURNING " APPLICATION_COLUMNS,
        7, params);
    if (!res)
        return kj_call_fail_db (call);
    if (PQntuples (res) == 0) {
        //  Another actor moved it between our read and our write
        PQclear (res);
        Kj__Application *now = s_application_load (call, in->id, "id", NULL);
        if (!now)
            return -1;
        return kj_call_fail (call, KJ__CODE__ABORTED, "expected_version",
                             "expected_version: application %s was moved "
                             "meanwhile; it is now %s (version %" PRIu64
                             "): read it again",
                             now->id,
                             matching_application_state_name (now->state),
                             now->version);
    }
    Kj__Application *moved = s_application_row (call, res, 0);
    PQclear (res);
    if (!moved)
        return -1;
    ((Kj__ApplicationReply *) reply)->application = moved;
    if (s_announce (call, moved, a->state, in->reason))
        return kj_call_fail_db (call);
    return 0;
}

int
matching_applications_get_application (kj_call_t *call,
                                       const ProtobufCMessage *request,
                                       ProtobufCMessage *reply)
{
    Kj__Application *a =
        s_application_load (call,
                            ((const Kj__GetApplicationRequest *) request)->id,
                            "id", NULL);
    if (!a)
        return -1;
    ((Kj__ApplicationReply *) reply)->application = a;
    return 0;
}

//  --------------------------------------------------------------------------
//  Link: an equity investor's offer bundled with a loan application

int
matching_applications_link (kj_call_t *call, const ProtobufCMessage *request,
                            ProtobufCMessage *reply)
{
    const Kj__Linkage *in = ((const Kj__LinkRequest *) request)->linkage;
    kj_audit_object (call, "application", in ? in->application_id : NULL);
    if (!in)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "linkage",
                             "linkage: required");
    if (matching_server_check_text (call, in->investor_id,
                                    "linkage.investor_id", ID_MAX, true)
        || matching_server_check_text (call, in->note, "linkage.note",
                                       PURPOSE_MAX, false))
        return -1;
    if (in->equity_fen <= 0 || in->equity_fen > AMOUNT_MAX_FEN)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "linkage.equity_fen",
                             "linkage.equity_fen: 1 to %" PRId64
                             " fen, not %" PRId64,
                             AMOUNT_MAX_FEN, in->equity_fen);
    if (in->stake_bp < 1 || in->stake_bp > 10000)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "linkage.stake_bp",
                             "linkage.stake_bp: 1 to 10000 basis points, "
                             "not %d",
                             in->stake_bp);
    Kj__Application *a = s_application_load (call, in->application_id,
                                             "linkage.application_id", NULL);
    if (!a)
        return -1;
    if (a->state < A (APPLIED) || a->state > A (APPROVED)
        || a->state == A (REJECTED))
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "linkage.application_id",
                             "linkage.application_id: %s is %s; an "
                             "investor joins a loan applied for, under "
                             "review or approved",
                             a->id, matching_application_state_name (a->state));
    Kj__Demand *demand = matching_server_demand_load (call, a->demand_id,
                                                      "linkage.application_id");
    if (!demand)
        return -1;
    if (!demand->linkage)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "linkage.application_id",
                             "linkage.application_id: demand %s does not "
                             "seek investment-loan linkage",
                             demand->id);
    //  The stage and the investor as the registry has them now
    server_t *self = STATE (call);
    Kj__EnterpriseReply *enterprise = NULL;
    if (matching_server_enterprise_exact (call, a->enterprise_code,
                                          "linkage.application_id",
                                          &enterprise))
        return -1;
    int stage = enterprise->enterprise->stage
                  ? (int) enterprise->enterprise->stage->stage
                  : 0;
    kj__enterprise_reply__free_unpacked (enterprise, NULL);
    if (stage != KJ__STAGE__STAGE_STARTUP && stage != KJ__STAGE__STAGE_GROWTH)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "linkage.application_id",
                             "linkage.application_id: linkage serves "
                             "start-up and growth enterprises (measure 1); "
                             "%s is not at either stage",
                             a->enterprise_code);
    Kj__InstitutionReply *investor = NULL;
    kj_status_t status;
    if (matching_registry_institution (self->registry, in->investor_id,
                                       "linkage.investor_id", &investor,
                                       &status))
        return kj_call_fail_status (call, &status);
    int type = investor->institution->type;
    bool listed = investor->institution->state
               == KJ__LISTING_STATE__LISTING_LISTED;
    kj__institution_reply__free_unpacked (investor, NULL);
    if (!listed
        || (type != KJ__INSTITUTION_TYPE__INSTITUTION_ANGEL_FUND
            && type != KJ__INSTITUTION_TYPE__INSTITUTION_VC
            && type != KJ__INSTITUTION_TYPE__INSTITUTION_PE))
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "linkage.investor_id",
                             "linkage.investor_id: %s is not a listed angel "
                             "fund, venture capital or private equity "
                             "investor",
                             in->investor_id);
    const char *params [] = { a->id,
                              in->investor_id,
                              matching_server_i64 (call, in->equity_fen),
                              matching_server_i64 (call, in->stake_bp),
                              in->note ? in->note : "",
                              a->enterprise_code,
                              matching_server_caller (call) };
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "INSERT INTO linkage (id, application_id, investor_id, equity_fen, "
        "stake_bp, note, enterprise_code, offered_by) VALUES ('L' || lpad "
        "(nextval ('linkage_seq')::text, 6, '0'), $1, $2, $3, $4, $5, $6, "
        "$7) ON CONFLICT (application_id, investor_id) DO NOTHING RETURNING "
        "id, (extract (epoch FROM created_at) * 1000000)::bigint AS "
        "created_us",
        7, params);
    if (!res)
        return kj_call_fail_db (call);
    if (PQntuples (res) == 0) {
        PQclear (res);
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS,
                             "linkage.investor_id",
                             "linkage.investor_id: %s has an offer on "
                             "application %s already",
                             in->investor_id, a->id);
    }
    Kj__Linkage *out = kj_call_alloc (call, sizeof *out);
    kj__linkage__init (out);
    if (matching_server_text (call, res, 0, "id", &out->id)
        || kj_sql_int64 (res, 0, "created_us", &out->created_at_us)) {
        PQclear (res);
        return kj_call_fail_db (call);
    }
    PQclear (res);
    out->application_id = a->id;
    out->investor_id = kj_call_strdup (call, in->investor_id);
    out->equity_fen = in->equity_fen;
    out->stake_bp = in->stake_bp;
    out->note = kj_call_strdup (call, in->note ? in->note : "");
    out->enterprise_code = a->enterprise_code;
    out->offered_by = (char *) matching_server_caller (call);
    ((Kj__LinkageReply *) reply)->linkage = out;
    if (matching_server_lock (call, "matching.linkage", out->id)
        || kj_outbox_add (kj_call_db (call), "matching.linkage.offered",
                          out->id, &out->base))
        return kj_call_fail_db (call);
    return 0;
}
