/*  =========================================================================
    guarantee_follow - guarantees and default notices from matching's
    loan events; backings of applications, their expiry and their list

    Staff record that a guarantor backs an application (AddGuarantee with
    the application's id and neither amount nor loan date); the job
    "follow" reads matching.loan.disbursed and matching.loan.defaulted from
    the log with kj_subscriber: a disbursement makes the backed
    application's guarantee live with the disbursed amount and date, a
    default records a default notice. Each event is applied in one
    transaction with the follower's next offset (table follow), so a
    restart or kill -9 repeats nothing and loses nothing; two copies of the
    daemon take the offset row's lock and skip what the other applied.

    A disbursement of an application no guarantor backs yet is remembered
    (table disbursement, bounded by age and count), so that a backing
    recorded after it goes live at once. Either way the backing's product
    category is checked against the application's product (its type, from
    the registry). Their expiry and list: guarantee_backing.c.
    docs/rules/guarantee.md.
    =========================================================================
*/

#include "guarantee_server.h"
#include "kj_check.h"
#include "guarantee_store.h"
#include "kj_subscriber.h"
#include "matching.pb-c.h"
#include "registry.pb-c.h"

#define FOLLOW_STREAM  "matching.loan"
#define FOLLOW_POLL_MS 900
//  The registry's answer on a product, per attempt (ms)
#define FOLLOW_REGISTRY_MS 3000
//  The category a start-up product has
#define FOLLOW_STARTUP "创业类"

//  A disbursed loan: from matching's event, or remembered from it
typedef struct {
    const char *id;  //  the application's
    const char *enterprise;
    const char *product;
    int64_t amount_fen;
    char date [11];  //  of the disbursement, UTC
} s_loan_t;

//  What a backing says (a row of table backing, or a request)
typedef struct {
    const char *guarantor;
    const char *agreement;
    const char *category;
    int32_t guarantee_fee_bp;
    int32_t reguarantee_fee_bp;
    const char *city;
} s_backing_t;

//  --------------------------------------------------------------------------
//  guarantee/startup_product_types: registry product type names without
//  their PRODUCT_ prefix ("FIRST_LOAN GUARANTEED"), as bits.

int
guarantee_follow_types (const char *text, uint32_t *bits, kj_status_t *status)
{
    *bits = 0;
    char copy [256];
    kj_strlcpy (copy, text, sizeof copy);
    char *save = NULL;
    for (char *word = strtok_r (copy, " ,", &save); word;
         word = strtok_r (NULL, " ,", &save)) {
        char name [64];
        snprintf (name, sizeof name, "PRODUCT_%s", word);
        const ProtobufCEnumValue
            *value = protobuf_c_enum_descriptor_get_value_by_name (
                &kj__product_type__descriptor, name);
        if (!value || value->value <= 0 || value->value > 31)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  "guarantee/startup_product_types",
                                  "guarantee/startup_product_types: '%.40s' "
                                  "is not a product type (CREDIT, "
                                  "FIRST_LOAN, GUARANTEED, ...)",
                                  word);
        *bits |= 1u << value->value;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The backing's category against the application's product: a product
//  of a type guarantee/startup_product_types lists is 创业类, any other is
//  not, and the backing must say the same. 0; -1 with *status set when
//  they differ or the registry has no such product; -2 when the registry
//  did not answer (UNAVAILABLE in *status: try again).

static int
s_check_category (const guarantee_config_t *config, const s_backing_t *b,
                  const s_loan_t *loan, kj_status_t *status)
{
    if (!*loan->product)
        return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION,
                              "product_category",
                              "product_category: matching names no product "
                              "for application %s, so %s cannot be checked",
                              loan->id, b->category);
    kj_client_t *client = kj_client_new (config->broker);
    assert (client);
    Kj__GetProductRequest request = KJ__GET_PRODUCT_REQUEST__INIT;
    request.id = (char *) loan->product;
    Kj__ProductReply *reply = NULL;
    kj_status_t answer;
    kj_call_opts_t opts = { .timeout_ms = FOLLOW_REGISTRY_MS,
                            .retries = 1,
                            .read_only = true };
    int code = kj_client_call (client, "registry", "GetProduct", &request.base,
                               &kj__product_reply__descriptor,
                               (ProtobufCMessage **) &reply, &answer, &opts);
    kj_client_destroy (&client);
    if (code == KJ__CODE__NOT_FOUND)
        return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION,
                              "product_category",
                              "product_category: application %s is for "
                              "product %s, which the registry does not know",
                              loan->id, loan->product);
    if (code != KJ__CODE__OK || !reply->product) {
        if (reply)
            kj__product_reply__free_unpacked (reply, NULL);
        kj_status_set (status, KJ__CODE__UNAVAILABLE, "product_category",
                       "product_category: the registry did not say what "
                       "product %s is (%s); try again",
                       loan->product, kj_code_name (code));
        return -2;
    }
    int type = reply->product->type;
    kj__product_reply__free_unpacked (reply, NULL);
    bool startup = type > 0 && type < 32
                && (config->startup_types & (1u << type));
    if (startup == streq (b->category, FOLLOW_STARTUP))
        return 0;
    const ProtobufCEnumValue *value =
        protobuf_c_enum_descriptor_get_value (&kj__product_type__descriptor,
                                              type);
    const char *name = value ? value->name + strlen ("PRODUCT_") : "?";
    if (startup)
        return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION,
                              "product_category",
                              "product_category: %s given, but application "
                              "%s is for product %s of type %s, which is "
                              "创业类 (guarantee/startup_product_types)",
                              b->category, loan->id, loan->product, name);
    return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION,
                          "product_category",
                          "product_category: %s given, but application %s is "
                          "for product %s of type %s, which is not 创业类 "
                          "(guarantee/startup_product_types)",
                          b->category, loan->id, loan->product, name);
}

//  --------------------------------------------------------------------------
//  The guarantee of a backed, disbursed loan, checked as AddGuarantee
//  checks one entered by hand, with its event; *out and reason filled.
//  0; -1 with *status set when a rule refuses it; -2 when the database
//  failed; -3 when the registry did not answer.

static int
s_make_live (kj_db_t *db, const guarantee_config_t *config,
             const s_backing_t *b, const s_loan_t *loan, Kj__LoanGuarantee *out,
             char *reason, size_t reason_size, kj_status_t *status)
{
    guarantee_policy_t policy;
    int rc = guarantee_store_policy_db (db, &policy);
    if (rc == -2)
        return -2;
    if (rc == -1)
        return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, NULL,
                              "no guarantee policy is recorded");
    if (loan->amount_fen <= 0 || loan->amount_fen > policy.balance_cap_fen)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, "amount_fen",
                              "amount_fen: %" PRId64 " fen disbursed; a "
                              "guarantee is above 0 and at most %" PRId64
                              " fen",
                              loan->amount_fen, policy.balance_cap_fen);
    if (guarantee_fees_check (&policy, loan->amount_fen, b->guarantee_fee_bp,
                              b->reguarantee_fee_bp, status))
        return -1;
    rc = s_check_category (config, b, loan, status);
    if (rc)
        return rc == -2 ? -3 : -1;
    Kj__GuaranteeAddRequest in = KJ__GUARANTEE_ADD_REQUEST__INIT;
    in.loan_id = (char *) loan->id;
    in.guarantor_id = (char *) b->guarantor;
    in.agreement_id = (char *) b->agreement;
    in.enterprise = (char *) loan->enterprise;
    in.product_category = (char *) b->category;
    in.amount_fen = loan->amount_fen;
    in.loan_date = (char *) loan->date;
    in.guarantee_fee_bp = b->guarantee_fee_bp;
    in.reguarantee_fee_bp = b->reguarantee_fee_bp;
    in.city = (char *) b->city;
    return guarantee_parties_insert (db, &policy, &in, b->city, out, reason,
                                     reason_size, status);
}

//  The backing of an application into *b (strings in buf), locked; 1
//  when there is one in `state`, 0 when not, -1 (database, or a row the
//  schema rules out: logged).
static int
s_backing_row (kj_db_t *db, const char *id, const char *state, s_backing_t *b,
               char buf [4][128])
{
    PGresult *res = kj_db_exec (
        db,
        "SELECT guarantor_id, agreement_id, product_category, city, "
        "guarantee_fee_bp, reguarantee_fee_bp FROM backing "
        "WHERE application_id = $1 AND state = $2 FOR UPDATE",
        2, (const char *[]){ id, state });
    if (!res)
        return -1;
    int found = PQntuples (res);
    if (found) {
        static const char *const names [4] = { "guarantor_id", "agreement_id",
                                               "product_category", "city" };
        for (int i = 0; i < 4 && found == 1; i++) {
            const char *text = kj_sql_text (res, 0, names [i]);
            if (text)
                kj_strlcpy (buf [i], text, 128);
            else {
                kj_error ("sql.null", "backing %s: %s is missing or NULL", id,
                          names [i]);
                found = -1;
            }
        }
        int fee [2];
        if (found == 1
            && (kj_sql_int (res, 0, "guarantee_fee_bp", &fee [0])
                || kj_sql_int (res, 0, "reguarantee_fee_bp", &fee [1])))
            found = -1;
        if (found == 1)
            *b = (s_backing_t){ .guarantor = buf [0],
                                .agreement = buf [1],
                                .category = buf [2],
                                .city = buf [3],
                                .guarantee_fee_bp = fee [0],
                                .reguarantee_fee_bp = fee [1] };
    }
    PQclear (res);
    return found;
}

//  A backing's new state and reason. 0 or -1 (database).
static int
s_backing_set (kj_db_t *db, const char *id, const char *state,
               const char *reason)
{
    return kj_db_run (db,
                      "UPDATE backing SET state = $2, reason = $3 "
                      "WHERE application_id = $1",
                      3, (const char *[]){ id, state, reason })
                == 1
             ? 0
             : -1;
}

//  --------------------------------------------------------------------------
//  AddGuarantee for an application: the guarantor backs it. Before its
//  disbursement the guarantee waits (state PENDING in the reply); after
//  it, the guarantee is made now from the disbursement remembered.

int
guarantee_follow_back (kj_call_t *call, const guarantee_policy_t *policy,
                       const Kj__GuaranteeAddRequest *in, const char *city,
                       ProtobufCMessage *reply)
{
    kj_status_t status;
    const char *caller = guarantee_server_caller (call);
    if (!caller)
        return -1;
    //  The reguarantee fee's cap depends on the amount, known at
    //  disbursement: checked then against the larger cap here
    if (kj_check_id (in->loan_id, "loan_id", &status)
        || kj_check_id (in->guarantor_id, "guarantor_id", &status)
        || (*in->agreement_id
            && kj_check_id (in->agreement_id, "agreement_id", &status))
        || kj_check_text (in->enterprise, "enterprise", 64, false, &status)
        || kj_check_text (in->product_category, "product_category", 50, true,
                          &status)
        || kj_check_text (in->city, "city", 64, false, &status)
        || guarantee_fees_check (policy, policy->balance_cap_fen,
                                 in->guarantee_fee_bp, in->reguarantee_fee_bp,
                                 &status))
        return kj_call_fail_status (call, &status);
    const guarantee_config_t *config = kj_call_state (call);
    kj_db_t *db = kj_call_db (call);
    //  One writer of an application's backing at a time: the follower
    //  takes the same lock, so a disbursement is either seen here or
    //  finds the backing
    if (kj_db_lock_key (db, "guarantee.application", in->loan_id))
        return kj_call_fail_db (call);
    char fees [2][24], expire [24];
    snprintf (fees [0], 24, "%d", in->guarantee_fee_bp);
    snprintf (fees [1], 24, "%d", in->reguarantee_fee_bp);
    snprintf (expire, 24, "%" PRId64, config ? config->backing_expire_s : 0);
    //  A backing that expired may be recorded again
    const char *params [] = { in->loan_id,
                              in->guarantor_id,
                              in->agreement_id,
                              in->product_category,
                              fees [0],
                              fees [1],
                              city,
                              caller,
                              expire };
    const kj_db_query_t queries [] = {
        { "INSERT INTO backing AS b (application_id, guarantor_id, "
          "agreement_id, product_category, guarantee_fee_bp, "
          "reguarantee_fee_bp, city, backed_by) SELECT $1, $2, $3, $4, "
          "$5::int, $6::int, $7, $8 "
          "WHERE NOT EXISTS (SELECT 1 FROM guarantee WHERE loan_id = $1) "
          "ON CONFLICT (application_id) DO UPDATE SET "
          "guarantor_id = $2, agreement_id = $3, product_category = $4, "
          "guarantee_fee_bp = $5::int, reguarantee_fee_bp = $6::int, "
          "city = $7, backed_by = $8, state = 'PENDING', reason = '', "
          "created_at = now () WHERE b.state = 'EXPIRED' "
          "RETURNING to_char (created_at AT TIME ZONE 'UTC', "
          "'YYYY-MM-DD HH24:MI:SS') AS backed_at, to_char ((created_at + "
          "$9::bigint * interval '1 second') AT TIME ZONE 'UTC', "
          "'YYYY-MM-DD HH24:MI:SS') AS expires_at",
          9, params },
        { "SELECT enterprise, product_id, amount_fen, "
          "loan_date::text AS loan_date "
          "FROM disbursement WHERE application_id = $1",
          1, params }
    };
    PGresult *res [2];
    if (kj_db_exec_many (db, queries, 2, res))
        return kj_call_fail_db (call);
    bool added = PQntuples (res [0]) == 1;
    bool disbursed = PQntuples (res [1]) == 1;
    Kj__LoanGuarantee *out = (Kj__LoanGuarantee *) reply;
    out->loan_id = (char *) in->loan_id;
    out->guarantor_id = (char *) in->guarantor_id;
    out->agreement_id = (char *) in->agreement_id;
    out->product_category = (char *) in->product_category;
    out->guarantee_fee_bp = in->guarantee_fee_bp;
    out->reguarantee_fee_bp = in->reguarantee_fee_bp;
    out->city = (char *) city;
    out->policy_version = (int32_t) policy->version;
    out->backed_by = (char *) caller;
    //  Every column NOT NULL by the schema: NULL or missing is refused
    bool readable = true;
    if (added) {
        const char *at = kj_sql_text (res [0], 0, "backed_at");
        const char *expires = kj_sql_text (res [0], 0, "expires_at");
        readable = at && expires;
        out->backed_at = kj_call_strdup (call, at ? at : "");
        out->expires_at = kj_call_strdup (call, expires ? expires : "");
    }
    s_loan_t loan = { .id = in->loan_id };
    if (disbursed && readable) {
        const char *enterprise = kj_sql_text (res [1], 0, "enterprise");
        const char *product = kj_sql_text (res [1], 0, "product_id");
        const char *date = kj_sql_text (res [1], 0, "loan_date");
        readable = enterprise && product && date
                && kj_sql_int64 (res [1], 0, "amount_fen", &loan.amount_fen)
                       == 0;
        loan.enterprise = kj_call_strdup (call, enterprise ? enterprise : "");
        loan.product = kj_call_strdup (call, product ? product : "");
        kj_strlcpy (loan.date, date ? date : "", sizeof loan.date);
    }
    PQclear (res [0]);
    PQclear (res [1]);
    if (!readable) {
        kj_error ("sql.null",
                  "the backing or disbursement of application "
                  "%s has a NULL or missing column",
                  in->loan_id);
        return guarantee_store_bad_row (call);
    }
    if (!added)
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "loan_id",
                             "loan_id: application %s is already backed or "
                             "guaranteed",
                             in->loan_id);
    if (!disbursed) {
        out->state = "PENDING";
        out->reason = "waits for matching.loan.disbursed";
        return guarantee_server_event (call, "guarantee.backing.added",
                                       in->loan_id, reply);
    }
    //  Disbursed before it was backed: live now, or refused with nothing
    //  written (the whole call rolls back)
    s_backing_t b = { .guarantor = in->guarantor_id,
                      .agreement = in->agreement_id,
                      .category = in->product_category,
                      .guarantee_fee_bp = in->guarantee_fee_bp,
                      .reguarantee_fee_bp = in->reguarantee_fee_bp,
                      .city = city };
    char *reason = kj_call_alloc (call, 512);
    Kj__LoanGuarantee live = KJ__LOAN_GUARANTEE__INIT;
    int rc = s_make_live (db, config, &b, &loan, &live, reason, 512, &status);
    if (rc == -2)
        return kj_call_fail_db (call);
    if (rc)
        return kj_call_fail_status (call, &status);
    out->state = "LIVE";
    out->reason = reason;
    if (s_backing_set (db, in->loan_id, "LIVE", reason)
        || kj_db_run (db, "DELETE FROM disbursement WHERE application_id = $1",
                      1, (const char *[]){ in->loan_id })
               != 1)
        return kj_call_fail_db (call);
    if (guarantee_server_event (call, "guarantee.backing.added", in->loan_id,
                                reply))
        return -1;
    live.backed_by = out->backed_by;
    live.backed_at = out->backed_at;
    live.loan_date = kj_call_strdup (call, loan.date);
    *out = live;
    return 0;
}

//  --------------------------------------------------------------------------
//  An event for an application no guarantor backs: counted; logged the
//  first time only. 0 or -1 (database).

static int
s_skip (kj_db_t *db, const char *topic, const char *id, const char *why)
{
    PGresult *res = kj_db_exec (
        db,
        "INSERT INTO follow_skip (application_id, events) VALUES ($1, 1) "
        "ON CONFLICT (application_id) DO UPDATE "
        "SET events = follow_skip.events + 1 RETURNING events",
        1, (const char *[]){ id });
    if (!res)
        return -1;
    if (atoll (PQgetvalue (res, 0, 0)) == 1)
        kj_info ("guarantee.follow", "%s for application %s skipped: %s", topic,
                 id, why);
    PQclear (res);
    return 0;
}

//  The UTC date of a time in microseconds, as YYYY-MM-DD.
static void
s_date (int64_t us, char date [11])
{
    kj_date_t day = kj_check_date_from_days (us / 86400000000LL);
    kj_check_date_format (day, date);
}

//  A disbursement of an application no guarantor backs yet: remembered
//  for a backing recorded later (trimmed by the job "expire").
static int
s_remember (kj_db_t *db, const s_loan_t *loan, uint64_t offset)
{
    char amount [24], at [24];
    snprintf (amount, sizeof amount, "%" PRId64, loan->amount_fen);
    snprintf (at, sizeof at, "%" PRIu64, offset);
    if (kj_db_run (db,
                   "INSERT INTO disbursement (application_id, enterprise, "
                   "product_id, amount_fen, loan_date, event_offset) VALUES "
                   "($1, $2, $3, $4::bigint, $5::date, $6::bigint) "
                   "ON CONFLICT (application_id) DO NOTHING",
                   6,
                   (const char *[]){ loan->id, loan->enterprise, loan->product,
                                     amount, loan->date, at })
        < 0)
        return -1;
    return s_skip (db, "matching.loan.disbursed", loan->id,
                   "no guarantor backs it yet; remembered for a backing");
}

//  matching.loan.disbursed: the backed application's guarantee, live. 0;
//  -1 when the database failed or the registry did not answer (the event
//  is applied again).
static int
s_disbursed (kj_db_t *db, const guarantee_config_t *config,
             const Kj__Application *a, uint64_t offset, int64_t at_us)
{
    s_loan_t loan = { .id = a->id,
                      .enterprise = a->enterprise_code,
                      .product = a->product_id,
                      .amount_fen = a->amount_fen };
    s_date (at_us, loan.date);
    //  s_apply took the application's lock
    s_backing_t b;
    char buf [4][128];
    int found = s_backing_row (db, a->id, "PENDING", &b, buf);
    if (found <= 0)
        return found < 0 ? -1 : s_remember (db, &loan, offset);

    kj_status_t status = { 0 };
    char reason [512] = "";
    Kj__LoanGuarantee out = KJ__LOAN_GUARANTEE__INIT;
    int rc = s_make_live (db, config, &b, &loan, &out, reason, sizeof reason,
                          &status);
    if (rc == 0)
        return s_backing_set (db, a->id, "LIVE", reason);
    if (rc == -3)
        kj_warn ("guarantee.follow", "application %s disbursed: %s", a->id,
                 status.message);
    if (rc < -1)
        return -1;
    //  A rule refuses it: the backing says why, and so does its event
    kj_warn ("guarantee.follow",
             "application %s disbursed, its guarantee "
             "refused: %s",
             a->id, status.message);
    if (s_backing_set (db, a->id, "REFUSED", status.message))
        return -1;
    out.loan_id = a->id;
    out.guarantor_id = (char *) b.guarantor;
    out.agreement_id = (char *) b.agreement;
    out.enterprise = a->enterprise_code;
    out.product_category = (char *) b.category;
    out.amount_fen = a->amount_fen;
    out.loan_date = loan.date;
    out.state = "REFUSED";
    out.reason = status.message;
    out.city = (char *) b.city;
    return kj_outbox_add (db, "guarantee.backing.refused", a->id, &out.base);
}

//  matching.loan.defaulted: a default notice for the loan's guarantee.
static int
s_defaulted (kj_db_t *db, const Kj__Application *a, uint64_t offset,
             int64_t at_us)
{
    char date [11], offset_text [24];
    s_date (at_us, date);
    snprintf (offset_text, sizeof offset_text, "%" PRIu64, offset);
    PGresult *res = kj_db_exec (
        db,
        "WITH n AS (INSERT INTO default_notice (loan_id, source, "
        "event_offset, noticed_on) SELECT loan_id, 'matching', $2::bigint, "
        "$3::date FROM guarantee WHERE loan_id = $1 RETURNING loan_id) "
        "SELECT g.guarantor_id, coalesce (g.agreement_id, '') AS agreement_id,"
        " g.enterprise, g.product_category, g.amount_fen, g.loan_date::text"
        " AS loan_date, g.qualifies, g.state, g.city "
        "FROM guarantee g JOIN n USING (loan_id)",
        3, (const char *[]){ a->id, offset_text, date });
    if (!res)
        return -1;
    if (PQntuples (res) == 0) {
        PQclear (res);
        return s_skip (db, "matching.loan.defaulted", a->id,
                       "no guarantee of it");
    }
    //  Every column NOT NULL by the schema (coalesce: no agreement)
    Kj__LoanGuarantee out = KJ__LOAN_GUARANTEE__INIT;
    bool qualifies;
    out.loan_id = a->id;
    out.guarantor_id = (char *) kj_sql_text (res, 0, "guarantor_id");
    out.agreement_id = (char *) kj_sql_text (res, 0, "agreement_id");
    out.enterprise = (char *) kj_sql_text (res, 0, "enterprise");
    out.product_category = (char *) kj_sql_text (res, 0, "product_category");
    out.loan_date = (char *) kj_sql_text (res, 0, "loan_date");
    out.state = (char *) kj_sql_text (res, 0, "state");
    out.city = (char *) kj_sql_text (res, 0, "city");
    if (!out.guarantor_id || !out.agreement_id || !out.enterprise
        || !out.product_category || !out.loan_date || !out.state || !out.city
        || kj_sql_int64 (res, 0, "amount_fen", &out.amount_fen)
        || kj_sql_bool (res, 0, "qualifies", &qualifies)) {
        kj_error ("sql.null",
                  "the guarantee of loan %s has a NULL or "
                  "missing column",
                  a->id);
        PQclear (res);
        return -1;
    }
    out.qualifies = qualifies;
    char reason [80];
    snprintf (reason, sizeof reason, "default noticed on %s (event %s)", date,
              offset_text);
    out.reason = reason;
    int rc = kj_outbox_add (db, "guarantee.default.noticed", a->id, &out.base);
    PQclear (res);
    return rc;
}

//  --------------------------------------------------------------------------
//  One event, applied with the next offset in one transaction. Nonzero
//  stops the subscriber: the database failed, and the job starts again
//  from the stored offset.

struct _guarantee_follow_t {
    kj_subscriber_t *subscriber;
    guarantee_config_t *self;
    kj_db_t *db;  //  this run's connection
    int applied;  //  this run's events
    bool failed;
};
typedef struct _guarantee_follow_t s_follow_t;

static int
s_apply (const Kj__Envelope *event, void *arg)
{
    s_follow_t *follow = arg;
    kj_db_t *db = follow->db;
    char offset [24], next [24];
    snprintf (offset, sizeof offset, "%" PRIu64, event->offset);
    snprintf (next, sizeof next, "%" PRIu64, event->offset + 1);
    bool disbursed = streq (event->topic, "matching.loan.disbursed");
    bool defaulted = streq (event->topic, "matching.loan.defaulted");
    Kj__ApplicationChanged *changed = NULL;
    if (disbursed || defaulted) {
        changed = kj__application_changed__unpack (NULL, event->payload.len,
                                                   event->payload.data);
        if (!changed || !changed->application || !*changed->application->id) {
            kj_warn ("guarantee.follow",
                     "%s at offset %s: not an "
                     "ApplicationChanged with an application; skipped",
                     event->topic, offset);
            disbursed = defaulted = false;
        }
    }
    //  The application's lock (its events' order, kj_db_lock_key) before
    //  the stream's row lock, which gives the transaction its id
    if (kj_db_begin (db)
        || ((disbursed || defaulted)
            && kj_db_lock_key (db, "guarantee.application",
                               changed->application->id))) {
        if (changed)
            kj__application_changed__free_unpacked (changed, NULL);
        goto failed;
    }
    PGresult *res = kj_db_exec (db,
                                "SELECT next_offset FROM follow "
                                "WHERE stream = $1 FOR UPDATE",
                                1, (const char *[]){ FOLLOW_STREAM });
    bool done = res && PQntuples (res) == 1
             && (uint64_t) atoll (PQgetvalue (res, 0, 0)) > event->offset;
    if (res)
        PQclear (res);
    if (!res || done) {
        if (changed)
            kj__application_changed__free_unpacked (changed, NULL);
        if (!res)
            goto failed;
        kj_db_rollback (db);  //  another copy of the daemon applied it
        return 0;
    }
    int rc = 0;
    if (disbursed || defaulted) {
        const Kj__Application *a = changed->application;
        int64_t at_us = a->updated_at_us > 0 ? a->updated_at_us
                                             : event->occurred_at_us;
        rc = disbursed ? s_disbursed (db, follow->self, a, event->offset, at_us)
                       : s_defaulted (db, a, event->offset, at_us);
    }
    if (changed)
        kj__application_changed__free_unpacked (changed, NULL);
    if (rc
        || kj_db_run (db,
                      "INSERT INTO follow (stream, next_offset) VALUES "
                      "($1, $2::bigint) ON CONFLICT (stream) DO UPDATE "
                      "SET next_offset = excluded.next_offset",
                      2, (const char *[]){ FOLLOW_STREAM, next })
               != 1
        || kj_db_commit (db))
        goto failed;
    follow->applied++;
    return 0;
failed:
    kj_warn ("guarantee.follow",
             "event %s not applied: %s; again from the "
             "stored offset",
             offset, kj_db_error (db));
    kj_db_rollback (db);
    follow->failed = true;
    return 1;
}

//  --------------------------------------------------------------------------
//  The job: (re)subscribe from the stored offset, apply what arrives for
//  about a second. What it applied, or -1 when the database failed.

int
guarantee_follow_run (void *state, kj_db_t *db)
{
    guarantee_config_t *self = state;
    s_follow_t *follow = self->follow;
    if (!follow) {
        PGresult *res = kj_db_exec (db,
                                    "SELECT next_offset FROM follow "
                                    "WHERE stream = $1",
                                    1, (const char *[]){ FOLLOW_STREAM });
        if (!res)
            return -1;
        uint64_t from = PQntuples (res) == 1
                          ? (uint64_t) atoll (PQgetvalue (res, 0, 0))
                          : 0;
        PQclear (res);
        follow = calloc (1, sizeof *follow);
        assert (follow);
        follow->self = self;
        kj_subscriber_config_t config = {
            .broker = self->broker,
            .pub_endpoint = self->pub,
            .prefixes = (const char *[]){ FOLLOW_STREAM ".", NULL },
            .from = from,
            .callback = s_apply,
            .arg = follow,
            .name = "guarantee.follow"
        };
        follow->subscriber = kj_subscriber_new (&config);
        if (!follow->subscriber) {
            free (follow);
            return -1;
        }
        self->follow = follow;
    }
    follow->db = db;
    follow->applied = 0;
    follow->failed = false;
    int64_t end = kj_mono_us () + FOLLOW_POLL_MS * 1000;
    int rc = 0;
    while (rc == 0 && !follow->failed && kj_mono_us () < end)
        rc = kj_subscriber_poll (follow->subscriber, 100);
    int applied = follow->applied;
    bool failed = follow->failed;
    if (rc < 0)
        kj_warn ("guarantee.follow", "matching's events: %s",
                 kj_subscriber_error (follow->subscriber));
    if (rc != 0 || failed)  //  again from the stored offset next time
        guarantee_follow_stop (self);
    return failed ? -1 : applied;
}

void
guarantee_follow_stop (guarantee_config_t *self)
{
    if (self && self->follow) {
        kj_subscriber_destroy (&self->follow->subscriber);
        free (self->follow);
        self->follow = NULL;
    }
}
