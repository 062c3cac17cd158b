/*  =========================================================================
    cli_guarantee_node - the verbs of `kejin guarantee` that talk to
    kejin-guarantee on the node: guarantors, agreements, guarantees, 代偿
    (default), claims and their reviews, approval, payment, recoveries,
    budgets and the ledger check

    Every step of a claim is recorded with the operator who takes it:
    `--as NAME` (else $KEJIN_OPERATOR, else $USER) goes in the request
    header as the caller. Money is typed in yuan and shown in yuan;
    shares and rates are typed as percentages.
    =========================================================================
*/

#include "cli_reg.h"
#include "guarantee.pb-c.h"

static const char *s_usage = N_ (
    "Usage: kejin guarantee VERB ... [--as OPERATOR] [--json]\n"
    "  guarantor add ID --name NAME --yearly-cap YUAN [--qualified]\n"
    "  agreement add ID --guarantor G --bank BANK --bank-share PCT\n"
    "      --system-share PCT --national-share PCT --provincial-share PCT\n"
    "      --rate PCT --per-claim-cap YUAN\n"
    "      --from YYYY-MM-DD --to YYYY-MM-DD   (a new version if ID exists)\n"
    "  guarantee add LOAN --guarantor G [--agreement A] --enterprise USCC\n"
    "      --category 创业类 --amount YUAN --date YYYY-MM-DD\n"
    "      [--fee PCT] [--reguarantee-fee PCT] [--city CODE]\n"
    "  guarantee back APPLICATION --guarantor G [--agreement A]\n"
    "      --category 创业类 [--fee PCT] [--reguarantee-fee PCT]\n"
    "      (live when matching reports the loan disbursed, or at once if\n"
    "      it did before)\n"
    "  guarantee pending [--state PENDING|LIVE|REFUSED|EXPIRED]\n"
    "      [--after APPLICATION] [--limit N]   (backings waiting, or in S)\n"
    "  default LOAN --amount YUAN --paid-on YYYY-MM-DD   (the 代偿 paid)\n"
    "  claim submit DAICHANG_ID | claim show ID | claim list [--state S]\n"
    "      [--after ID] [--limit N]\n"
    "  claim review ID --level city|province [--reject --reason TEXT]\n"
    "  approve CLAIM_ID        (not by the operator who submitted it)\n"
    "  pay CLAIM_ID            (from the budget of the claim's year)\n"
    "  recover CLAIM_ID --net YUAN   (net recovery; the province's share\n"
    "      is refunded)\n"
    "  budget allot YEAR --amount YUAN | budget show YEAR | budget list\n"
    "  ledger check\n"
    "  report [YEAR]           (budget committed, paid and left by year,\n"
    "      city and guarantor; loss ratios; paid and recovered)\n"
    "  policy show | policy set [--bank-share-min PCT]\n"
    "      [--system-share-max PCT] [--national-share-max PCT]\n"
    "      [--provincial-share-min PCT] [--fee-max PCT]\n"
    "      [--reguarantee-fee-small-max PCT] [--reguarantee-fee-large-max "
    "PCT]\n"
    "      [--reguarantee-large-above YUAN] [--balance-cap YUAN]\n"
    "      (the next version; options not given keep their value)\n"
    "  calc --csv FILE [--json]   (offline: kejin guarantee calc --help)\n"
    "Steps are recorded with --as OPERATOR, else $KEJIN_OPERATOR, else\n"
    "$USER.\n");

//  --------------------------------------------------------------------------
//  The operator for the request header.

static void
s_operator (cli_t *cli, cli_args_t *args)
{
    const char *who = cli_args_get (args, "as");
    if (!who)
        who = getenv ("KEJIN_OPERATOR");
    if (!who)
        who = getenv ("USER");
    kj_client_t *client = cli_client (cli);
    if (client)
        kj_client_set_caller (client, who);
}

//  Call a write or read of the guarantee service as the operator.
static int
s_call (cli_t *cli, cli_args_t *args, const char *method,
        const ProtobufCMessage *request, const ProtobufCMessageDescriptor *type,
        ProtobufCMessage **reply_p)
{
    s_operator (cli, args);
    bool read = strncmp (method, "Get", 3) == 0
             || strncmp (method, "List", 4) == 0
             || streq (method, "LedgerCheck");
    return cli_call (cli, "guarantee", method, request, type, reply_p, read);
}

//  A claim or budget id given as the verb's one positional argument
static int
s_id (cli_args_t *args, const char *what, int64_t *id)
{
    return cli_parse_int (what, cli_args_positional (args, 0), 1, INT64_MAX,
                          id);
}

static void
s_print_claim (cli_t *cli, const Kj__Claim *c)
{
    if (cli->json) {
        cli_print_json (&c->base);
        return;
    }
    char a [64], b [64], d [64];
    printf (_ ("claim %" PRId64 "  %s\n"), c->id, c->state);
    printf (_ ("  代偿 %" PRId64 " on loan %s of guarantor %s: %s\n"),
            c->daichang_id, c->loan_id, c->guarantor_id,
            cli_yuan (c->daichang_fen, a, sizeof a));
    printf (_ ("  entitled %s at %s; payable at submission %s (binding:"),
            cli_yuan (c->entitled_fen, b, sizeof b),
            cli_percent (c->rate_bp, d, sizeof d),
            cli_yuan (c->payable_fen, a, sizeof a));
    for (size_t i = 0; i < c->n_binding; i++)
        printf (" %s", c->binding [i]);
    printf (_ (")\n  paid %s from the %d budget\n"),
            cli_yuan (c->paid_fen, a, sizeof a), c->budget_year);
    printf (_ ("  submitted by %s; city review %s (due %s); province review "
               "%s (due %s); approved by %s\n"),
            c->submitted_by, *c->city_reviewed_by ? c->city_reviewed_by : "-",
            c->city_due,
            *c->province_reviewed_by ? c->province_reviewed_by : "-",
            *c->province_due ? c->province_due : "-",
            *c->approved_by ? c->approved_by : "-");
    if (c->recovered_fen)
        printf (_ ("  recovered %s, refunded to the province %s\n"),
                cli_yuan (c->recovered_fen, a, sizeof a),
                cli_yuan (c->refunded_fen, b, sizeof b));
    if (*c->reason)
        printf ("  %s\n", c->reason);
}

static void
s_print_budget (cli_t *cli, const Kj__Budget *b)
{
    if (cli->json) {
        cli_print_json (&b->base);
        return;
    }
    char t [64], r [64], p [64], f [64], q [64];
    printf (_ ("budget %d: allotted %s, left %s, paid %s, refunded %s, "
               "queued for it %s\n"),
            b->year, cli_yuan (b->total_fen, t, 64),
            cli_yuan (b->remaining_fen, r, 64), cli_yuan (b->paid_fen, p, 64),
            cli_yuan (b->refunded_fen, f, 64), cli_yuan (b->queued_fen, q, 64));
}

//  --------------------------------------------------------------------------
//  guarantor add, agreement add, guarantee add, default

static int
s_guarantor (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args =
        cli_args_verb (argc - 1, argv + 1, "as= name= yearly-cap= qualified!",
                       s_usage, 1, "name yearly-cap",
                       N_ ("guarantor add needs ID --name NAME --yearly-cap "
                           "YUAN"));
    if (!args)
        return CLI_USAGE;
    Kj__GuarantorAddRequest request = KJ__GUARANTOR_ADD_REQUEST__INIT;
    request.id = (char *) cli_args_positional (args, 0);
    request.name = cli_args_text (args, "name");
    request.qualified = cli_args_flag (args, "qualified");
    Kj__Guarantor *reply = NULL;
    int rc = cli_parse_yuan ("--yearly-cap", cli_args_get (args, "yearly-cap"),
                             &request.yearly_cap_fen)
               ? CLI_USAGE
               : s_call (cli, args, "AddGuarantor", &request.base,
                         &kj__guarantor__descriptor,
                         (ProtobufCMessage **) &reply);
    if (rc == CLI_OK && cli->json)
        cli_print_json (&reply->base);
    else if (rc == CLI_OK)
        printf (reply->qualified ? _ ("guarantor %s added (qualified)\n")
                                 : _ ("guarantor %s added (not qualified)\n"),
                reply->id);
    if (reply)
        kj__guarantor__free_unpacked (reply, NULL);
    cli_args_destroy (&args);
    return rc;
}

static int
s_agreement (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (
        argc - 1, argv + 1,
        "as= guarantor= bank= bank-share= system-share= national-share= "
        "provincial-share= rate= per-claim-cap= from= to=",
        s_usage, 1,
        "guarantor bank bank-share system-share national-share "
        "provincial-share rate per-claim-cap from to",
        N_ ("agreement add needs ID and every option: kejin guarantee "
            "--help"));
    if (!args)
        return CLI_USAGE;
    Kj__AgreementAddRequest request = KJ__AGREEMENT_ADD_REQUEST__INIT;
    request.id = (char *) cli_args_positional (args, 0);
    request.guarantor_id = cli_args_text (args, "guarantor");
    request.bank = cli_args_text (args, "bank");
    request.valid_from = cli_args_text (args, "from");
    request.valid_to = cli_args_text (args, "to");
    Kj__Agreement *reply = NULL;
    int rc = cli_parse_percent ("--bank-share",
                                cli_args_get (args, "bank-share"),
                                &request.bank_share_bp)
                  || cli_parse_percent ("--system-share",
                                        cli_args_get (args, "system-share"),
                                        &request.system_share_bp)
                  || cli_parse_percent ("--national-share",
                                        cli_args_get (args, "national-share"),
                                        &request.national_share_bp)
                  || cli_parse_percent ("--provincial-share",
                                        cli_args_get (args, "provincial-share"),
                                        &request.provincial_share_bp)
                  || cli_parse_percent ("--rate", cli_args_get (args, "rate"),
                                        &request.rate_bp)
                  || cli_parse_yuan ("--per-claim-cap",
                                     cli_args_get (args, "per-claim-cap"),
                                     &request.per_claim_cap_fen)
               ? CLI_USAGE
               : s_call (cli, args, "AddAgreement", &request.base,
                         &kj__agreement__descriptor,
                         (ProtobufCMessage **) &reply);
    if (rc == CLI_OK && cli->json)
        cli_print_json (&reply->base);
    else if (rc == CLI_OK)
        printf (_ ("agreement %s version %d added\n"), reply->id,
                reply->version);
    if (reply)
        kj__agreement__free_unpacked (reply, NULL);
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  guarantee pending: the backings waiting for their disbursement (or in
//  the state --state names), a table for people, a line each under --json

static int
s_fill_operator (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    s_operator (cli, args);
    return 0;
}

static int
s_fill_pending (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    Kj__BackingListRequest *in = (Kj__BackingListRequest *) request;
    const char *after = cli_args_get (args, "after");
    const char *limit = cli_args_get (args, "limit");
    int64_t n = 0;
    if (limit && cli_parse_int ("--limit", limit, 1, 1000, &n))
        return -1;
    in->after_id = after ? (char *) after : "";
    in->limit = (uint32_t) n;
    return s_fill_operator (cli, args, request);
}

static int
s_show_pending (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    const Kj__BackingList *reply = (const Kj__BackingList *) message;
    if (cli->json) {
        for (size_t i = 0; i < reply->n_backings; i++)
            cli_print_json (&reply->backings [i]->base);
        return CLI_OK;
    }
    cli_table_t *table = cli_table_new (_ ("APPLICATION"), _ ("GUARANTOR"),
                                        _ ("AGREEMENT"), _ ("CATEGORY"),
                                        _ ("STATE"), _ ("BACKED BY"),
                                        _ ("BACKED AT (UTC)"),
                                        _ ("EXPIRES (UTC)"), _ ("REASON"),
                                        NULL);
    for (size_t i = 0; i < reply->n_backings; i++) {
        const Kj__LoanGuarantee *b = reply->backings [i];
        cli_table_row (table, b->loan_id, b->guarantor_id, b->agreement_id,
                       b->product_category, b->state, b->backed_by,
                       b->backed_at, *b->expires_at ? b->expires_at : "-",
                       b->reason);
    }
    cli_table_print (table, stdout);
    cli_table_destroy (&table);
    if (reply->n_backings == 0)
        printf (_ ("no backings\n"));
    return CLI_OK;
}

static const cli_call_verb_t s_pending = {
    .spec = "as= state= after= limit=",
    .complaint = N_ ("guarantee pending takes no arguments; kejin guarantee "
                     "--help"),
    .service = "guarantee",
    .method = "ListBackings",
    .request_type = &kj__backing_list_request__descriptor,
    .reply_type = &kj__backing_list__descriptor,
    .read_only = true,
    .fill = s_fill_pending,
    .show = s_show_pending,
};

//  guarantee add LOAN ...: a guarantee of a loan disbursed; guarantee
//  back APPLICATION ...: a guarantor backs a matching application, and
//  the guarantee goes live when matching's disbursement event comes.
static int
s_guarantee (cli_t *cli, int argc, char **argv)
{
    if (argc > 2 && streq (argv [2], "pending"))
        return cli_verb_call (cli, argc - 1, argv + 1, s_usage, &s_pending);
    bool back = argc > 2 && streq (argv [2], "back");
    if (argc < 3 || (!back && !streq (argv [2], "add"))) {
        fprintf (stderr, _ ("kejin: guarantee guarantee: the verb is add, "
                            "back or pending\n"));
        return CLI_USAGE;
    }
    cli_args_t *args =
        back ? cli_args_verb (argc - 1, argv + 1,
                              "as= guarantor= agreement= enterprise= "
                              "category= fee= reguarantee-fee= city=",
                              s_usage, 1, "guarantor category",
                              N_ ("guarantee back needs APPLICATION "
                                  "--guarantor --category"))
             : cli_args_verb (argc - 1, argv + 1,
                              "as= guarantor= agreement= enterprise= "
                              "category= amount= date= fee= "
                              "reguarantee-fee= city=",
                              s_usage, 1,
                              "guarantor enterprise category amount date",
                              N_ ("guarantee add needs LOAN --guarantor "
                                  "--enterprise --category --amount --date"));
    if (!args)
        return CLI_USAGE;
    Kj__GuaranteeAddRequest request = KJ__GUARANTEE_ADD_REQUEST__INIT;
    request.loan_id = (char *) cli_args_positional (args, 0);
    request.guarantor_id = cli_args_text (args, "guarantor");
    request.agreement_id = cli_args_text (args, "agreement");
    request.enterprise = cli_args_text (args, "enterprise");
    request.product_category = cli_args_text (args, "category");
    request.loan_date = cli_args_text (args, "date");
    request.city = cli_args_text (args, "city");
    Kj__LoanGuarantee *reply = NULL;
    const char *fee = cli_args_get (args, "fee");
    const char *refee = cli_args_get (args, "reguarantee-fee");
    int rc = (!back
              && cli_parse_yuan ("--amount", cli_args_get (args, "amount"),
                                 &request.amount_fen))
                  || (fee
                      && cli_parse_percent ("--fee", fee,
                                            &request.guarantee_fee_bp))
                  || (refee
                      && cli_parse_percent ("--reguarantee-fee", refee,
                                            &request.reguarantee_fee_bp))
               ? CLI_USAGE
               : s_call (cli, args, "AddGuarantee", &request.base,
                         &kj__loan_guarantee__descriptor,
                         (ProtobufCMessage **) &reply);
    if (rc == CLI_OK && cli->json)
        cli_print_json (&reply->base);
    else if (rc == CLI_OK && back && streq (reply->state, "PENDING"))
        printf (_ ("application %s backed: its guarantee goes live when "
                   "matching reports the loan disbursed (or expires at %s "
                   "UTC)\n"),
                reply->loan_id, reply->expires_at);
    else if (rc == CLI_OK && back)
        printf (_ ("application %s backed after its disbursement: the "
                   "guarantee is live: %s\n"),
                reply->loan_id, reply->reason);
    else if (rc == CLI_OK)
        printf (_ ("guarantee of loan %s added: %s\n"), reply->loan_id,
                reply->reason);
    if (reply)
        kj__loan_guarantee__free_unpacked (reply, NULL);
    cli_args_destroy (&args);
    return rc;
}

static int
s_default (cli_t *cli, int argc, char **argv)
{
    cli_args_t
        *args = cli_args_verb (argc, argv, "as= amount= paid-on=", s_usage, 1,
                               "amount paid-on",
                               N_ ("default needs LOAN --amount YUAN --paid-on "
                                   "YYYY-MM-DD"));
    if (!args)
        return CLI_USAGE;
    Kj__DaichangRecordRequest request = KJ__DAICHANG_RECORD_REQUEST__INIT;
    request.loan_id = (char *) cli_args_positional (args, 0);
    request.paid_on = cli_args_text (args, "paid-on");
    Kj__Daichang *reply = NULL;
    int rc = cli_parse_yuan ("--amount", cli_args_get (args, "amount"),
                             &request.amount_fen)
               ? CLI_USAGE
               : s_call (cli, args, "RecordDaichang", &request.base,
                         &kj__daichang__descriptor,
                         (ProtobufCMessage **) &reply);
    char yuan [64];
    if (rc == CLI_OK && cli->json)
        cli_print_json (&reply->base);
    else if (rc == CLI_OK) {
        char n [64], p [64], g [64];
        printf (_ ("代偿 %" PRId64 " of %s recorded on loan %s: national "
                   "fund %s, provincial re-guarantee %s, guarantor %s\n"),
                reply->id, cli_yuan (reply->amount_fen, yuan, sizeof yuan),
                reply->loan_id, cli_yuan (reply->national_fen, n, 64),
                cli_yuan (reply->provincial_fen, p, 64),
                cli_yuan (reply->guarantor_fen, g, 64));
    }
    if (reply)
        kj__daichang__free_unpacked (reply, NULL);
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  claim submit|show|list|review, approve, pay: each answers a claim

static int
s_claim_call (cli_t *cli, cli_args_t *args, const char *method,
              const ProtobufCMessage *request)
{
    Kj__Claim *reply = NULL;
    int rc = s_call (cli, args, method, request, &kj__claim__descriptor,
                     (ProtobufCMessage **) &reply);
    if (rc == CLI_OK)
        s_print_claim (cli, reply);
    if (reply)
        kj__claim__free_unpacked (reply, NULL);
    cli_args_destroy (&args);
    return rc;
}

static int
s_claim_list (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc - 1, argv + 1,
                                      "as= state= after= limit=", s_usage, 0,
                                      NULL,
                                      N_ ("claim list takes no arguments"));
    if (!args)
        return CLI_USAGE;
    Kj__ClaimListRequest request = KJ__CLAIM_LIST_REQUEST__INIT;
    request.state = cli_args_text (args, "state");
    int64_t after = 0, limit = 0;
    Kj__ClaimList *reply = NULL;
    int rc = (cli_args_get (args, "after")
              && cli_parse_int ("--after", cli_args_get (args, "after"), 0,
                                INT64_MAX, &after))
                  || (cli_args_get (args, "limit")
                      && cli_parse_int ("--limit", cli_args_get (args, "limit"),
                                        1, 1000, &limit))
               ? CLI_USAGE
               : CLI_OK;
    request.after_id = after;
    request.limit = (uint32_t) limit;
    if (rc == CLI_OK)
        rc = s_call (cli, args, "ListClaims", &request.base,
                     &kj__claim_list__descriptor, (ProtobufCMessage **) &reply);
    if (rc == CLI_OK && !cli->json) {
        cli_table_t *table = cli_table_new (_ ("CLAIM"), _ ("STATE"),
                                            _ ("LOAN"), _ ("GUARANTOR"),
                                            _ ("ENTITLED"), _ ("PAID"),
                                            _ ("YEAR"), NULL);
        for (size_t i = 0; i < reply->n_claims; i++) {
            const Kj__Claim *c = reply->claims [i];
            char id [24], year [16], e [64], p [64];
            snprintf (id, sizeof id, "%" PRId64, c->id);
            snprintf (year, sizeof year, "%d", c->budget_year);
            cli_table_row (table, id, c->state, c->loan_id, c->guarantor_id,
                           cli_yuan (c->entitled_fen, e, 64),
                           cli_yuan (c->paid_fen, p, 64), year);
        }
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
    else if (rc == CLI_OK)
        for (size_t i = 0; i < reply->n_claims; i++)
            cli_print_json (&reply->claims [i]->base);
    if (reply)
        kj__claim_list__free_unpacked (reply, NULL);
    cli_args_destroy (&args);
    return rc;
}

static int
s_claim (cli_t *cli, int argc, char **argv)
{
    const char *verb = argc >= 3 ? argv [2] : "";
    if (streq (verb, "list"))
        return s_claim_list (cli, argc, argv);
    const char *spec = streq (verb, "review") ? "as= level= reject! reason="
                                              : "as=";
    cli_args_t *args = cli_args_verb (argc - 1, argv + 1, spec, s_usage, 1,
                                      streq (verb, "review") ? "level" : NULL,
                                      N_ ("claim submit|show|review takes one "
                                          "id; kejin guarantee --help"));
    if (!args)
        return CLI_USAGE;
    int64_t id;
    if (s_id (args, streq (verb, "submit") ? "DAICHANG_ID" : "ID", &id)) {
        cli_args_destroy (&args);
        return CLI_USAGE;
    }
    if (streq (verb, "submit")) {
        Kj__ClaimSubmitRequest request = KJ__CLAIM_SUBMIT_REQUEST__INIT;
        request.daichang_id = id;
        return s_claim_call (cli, args, "SubmitClaim", &request.base);
    }
    if (streq (verb, "show")) {
        Kj__ClaimGetRequest request = KJ__CLAIM_GET_REQUEST__INIT;
        request.claim_id = id;
        return s_claim_call (cli, args, "GetClaim", &request.base);
    }
    if (streq (verb, "review")) {
        Kj__ClaimReviewRequest request = KJ__CLAIM_REVIEW_REQUEST__INIT;
        request.claim_id = id;
        request.level = cli_args_text (args, "level");
        request.reject = cli_args_flag (args, "reject");
        request.reason = cli_args_text (args, "reason");
        return s_claim_call (cli, args, "ReviewClaim", &request.base);
    }
    cli_args_destroy (&args);
    fprintf (stderr,
             _ ("kejin: claim %s: unknown; submit, show, list or "
                "review\n"),
             verb);
    return CLI_USAGE;
}

//  approve ID, pay ID
static int
s_approve_or_pay (cli_t *cli, int argc, char **argv)
{
    bool approve = streq (argv [1], "approve");
    cli_args_t *args = cli_args_verb (argc, argv, "as=", s_usage, 1, NULL,
                                      approve ? N_ ("approve takes a claim id")
                                              : N_ ("pay takes a claim id"));
    if (!args)
        return CLI_USAGE;
    int64_t id;
    if (s_id (args, "CLAIM_ID", &id)) {
        cli_args_destroy (&args);
        return CLI_USAGE;
    }
    Kj__ClaimApproveRequest approval = KJ__CLAIM_APPROVE_REQUEST__INIT;
    Kj__ClaimPayRequest payment = KJ__CLAIM_PAY_REQUEST__INIT;
    approval.claim_id = payment.claim_id = id;
    return s_claim_call (cli, args, approve ? "ApproveClaim" : "PayClaim",
                         approve ? &approval.base : &payment.base);
}

//  --------------------------------------------------------------------------
//  recover, budget, ledger

static int
s_recover (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv, "as= net=", s_usage, 1, "net",
                                      N_ ("recover needs CLAIM_ID --net "
                                          "YUAN"));
    if (!args)
        return CLI_USAGE;
    Kj__RecoverRequest request = KJ__RECOVER_REQUEST__INIT;
    Kj__Recovery *reply = NULL;
    int rc = s_id (args, "CLAIM_ID", &request.claim_id)
                  || cli_parse_yuan ("--net", cli_args_get (args, "net"),
                                     &request.net_recovery_fen)
               ? CLI_USAGE
               : s_call (cli, args, "Recover", &request.base,
                         &kj__recovery__descriptor,
                         (ProtobufCMessage **) &reply);
    char a [64], b [64], c [64];
    if (rc == CLI_OK && cli->json)
        cli_print_json (&reply->base);
    else if (rc == CLI_OK)
        printf (_ ("claim %" PRId64 ": recovered %s in all; refund to the "
                   "province now %s, %s in all\n"),
                reply->claim_id,
                cli_yuan (reply->cumulative_recovery_fen, a, 64),
                cli_yuan (reply->refund_fen, b, 64),
                cli_yuan (reply->cumulative_refund_fen, c, 64));
    if (reply)
        kj__recovery__free_unpacked (reply, NULL);
    cli_args_destroy (&args);
    return rc;
}

static int
s_budget (cli_t *cli, int argc, char **argv)
{
    const char *verb = argc >= 3 ? argv [2] : "";
    bool list = streq (verb, "list");
    bool allot = streq (verb, "allot");
    if (!list && !allot && !streq (verb, "show")) {
        fprintf (stderr, _ ("kejin: budget %s: unknown; allot, show or list\n"),
                 verb);
        return CLI_USAGE;
    }
    cli_args_t *args = cli_args_verb (argc - 1, argv + 1,
                                      "as= amount=", s_usage, list ? 0 : 1,
                                      allot ? "amount" : NULL,
                                      N_ ("budget allot YEAR --amount YUAN | "
                                          "budget show YEAR | budget list"));
    if (!args)
        return CLI_USAGE;
    int64_t year = 0;
    int rc = !list
                  && cli_parse_int ("YEAR", cli_args_positional (args, 0), 2000,
                                    2100, &year)
               ? CLI_USAGE
               : CLI_OK;
    if (rc == CLI_OK && list) {
        Kj__BudgetListRequest request = KJ__BUDGET_LIST_REQUEST__INIT;
        Kj__BudgetList *reply = NULL;
        rc = s_call (cli, args, "ListBudgets", &request.base,
                     &kj__budget_list__descriptor,
                     (ProtobufCMessage **) &reply);
        for (size_t i = 0; rc == CLI_OK && i < reply->n_budgets; i++)
            s_print_budget (cli, reply->budgets [i]);
        if (reply)
            kj__budget_list__free_unpacked (reply, NULL);
    }
    else if (rc == CLI_OK) {
        Kj__BudgetAllotRequest allotment = KJ__BUDGET_ALLOT_REQUEST__INIT;
        Kj__BudgetGetRequest get = KJ__BUDGET_GET_REQUEST__INIT;
        allotment.year = get.year = (int32_t) year;
        Kj__Budget *reply = NULL;
        if (allot
            && cli_parse_yuan ("--amount", cli_args_get (args, "amount"),
                               &allotment.amount_fen))
            rc = CLI_USAGE;
        else
            rc = s_call (cli, args, allot ? "AllotBudget" : "GetBudget",
                         allot ? &allotment.base : &get.base,
                         &kj__budget__descriptor, (ProtobufCMessage **) &reply);
        if (rc == CLI_OK)
            s_print_budget (cli, reply);
        if (reply)
            kj__budget__free_unpacked (reply, NULL);
    }
    cli_args_destroy (&args);
    return rc;
}

//  ledger check: exit 1 when it does not balance
static int
s_ledger (cli_t *cli, int argc, char **argv)
{
    if (argc < 3 || !streq (argv [2], "check")) {
        fprintf (stderr, _ ("kejin: ledger: the verb is check\n"));
        return CLI_USAGE;
    }
    cli_args_t *args = cli_args_verb (argc - 1, argv + 1, "as=", s_usage, 0,
                                      NULL,
                                      N_ ("ledger check takes no arguments"));
    if (!args)
        return CLI_USAGE;
    Kj__LedgerCheckRequest request = KJ__LEDGER_CHECK_REQUEST__INIT;
    Kj__LedgerReport *reply = NULL;
    int rc = s_call (cli, args, "LedgerCheck", &request.base,
                     &kj__ledger_report__descriptor,
                     (ProtobufCMessage **) &reply);
    if (rc == CLI_OK && cli->json)
        cli_print_json (&reply->base);
    else if (rc == CLI_OK) {
        printf (reply->balanced
                    ? _ ("ledger balanced: %" PRIu64 " transactions, %" PRIu64
                         " entries\n")
                    : _ ("ledger DOES NOT BALANCE: %" PRIu64 " transactions, "
                         "%" PRIu64 " entries\n"),
                reply->transactions, reply->entries);
        for (size_t i = 0; i < reply->n_problems; i++)
            printf ("  %s\n", reply->problems [i]);
    }
    if (rc == CLI_OK && !reply->balanced)
        rc = CLI_FAILED;
    if (reply)
        kj__ledger_report__free_unpacked (reply, NULL);
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  report [YEAR]: the budget by year, the year's claims by city and by
//  guarantor, loss ratios by bank, and the totals

static void
s_print_lines (const char *title, const char *key,
               Kj__GuaranteeReportLine **lines, size_t count, bool losses)
{
    if (count == 0)
        return;
    printf ("\n%s\n  %-20s %18s %18s %18s %18s %18s %7s %s\n", title, _ (key),
            _ ("allotted/cap"), _ ("committed"), _ ("paid"), _ ("left"),
            _ ("recovered"), _ ("claims"), losses ? _ ("loss ratio") : "");
    for (size_t i = 0; i < count; i++) {
        const Kj__GuaranteeReportLine *l = lines [i];
        char t [64], c [64], p [64], f [64], r [64], ratio [32] = "";
        if (losses)
            snprintf (ratio, sizeof ratio, "%s%s",
                      cli_percent (l->loss_ratio_bp, t, sizeof t),
                      l->suspended ? _ (" suspended") : "");
        printf ("  %-20s %18s %18s %18s %18s %18s %7u %s\n", l->key,
                cli_yuan (l->total_fen, t, 64),
                cli_yuan (l->committed_fen, c, 64),
                cli_yuan (l->paid_fen, p, 64), cli_yuan (l->left_fen, f, 64),
                cli_yuan (l->recovered_fen, r, 64), l->claims, ratio);
    }
}

static int
s_report (cli_t *cli, int argc, char **argv)
{
    //  YEAR is optional: this year's report without it
    bool year_given = argc >= 3 && argv [2][0] != '-';
    cli_args_t *args = cli_args_verb (argc, argv, "as=", s_usage,
                                      year_given ? 1 : 0, NULL,
                                      N_ ("report [YEAR]"));
    if (!args)
        return CLI_USAGE;
    Kj__GuaranteeReportRequest request = KJ__GUARANTEE_REPORT_REQUEST__INIT;
    int64_t year = 0;
    const char *text = cli_args_positional (args, 0);
    int rc = text && cli_parse_int ("YEAR", text, 2000, 2100, &year) ? CLI_USAGE
                                                                     : CLI_OK;
    request.year = (int32_t) year;
    Kj__GuaranteeReport *reply = NULL;
    if (rc == CLI_OK)
        rc = s_call (cli, args, "Report", &request.base,
                     &kj__guarantee_report__descriptor,
                     (ProtobufCMessage **) &reply);
    if (rc == CLI_OK && cli->json)
        cli_print_json (&reply->base);
    else if (rc == CLI_OK) {
        const Kj__GuaranteeReportLine *t = reply->total;
        char p [64], r [64], f [64], d [64];
        printf (_ ("compensation paid %s, net recoveries %s, refunded to "
                   "the province %s; 代偿 %s\n"),
                cli_yuan (t->paid_fen, p, 64),
                cli_yuan (t->recovered_fen, r, 64),
                cli_yuan (t->refunded_fen, f, 64),
                cli_yuan (t->daichang_fen, d, 64));
        s_print_lines (_ ("budget by year"), N_ ("year"), reply->years,
                       reply->n_years, false);
        char title [64];
        snprintf (title, sizeof title, _ ("claims on the %d budget by city"),
                  reply->year);
        s_print_lines (title, N_ ("city"), reply->cities, reply->n_cities,
                       false);
        snprintf (title, sizeof title,
                  _ ("claims on the %d budget by guarantor"), reply->year);
        s_print_lines (title, N_ ("guarantor"), reply->guarantors,
                       reply->n_guarantors, true);
        s_print_lines (_ ("loss ratios by bank"), N_ ("bank"), reply->banks,
                       reply->n_banks, true);
    }
    if (reply)
        kj__guarantee_report__free_unpacked (reply, NULL);
    cli_args_destroy (&args);
    return rc;
}

//  policy show | policy set: the limits in force, or their next version

static int
s_policy (cli_t *cli, int argc, char **argv)
{
    const char *verb = argc >= 3 ? argv [2] : "";
    bool set = streq (verb, "set");
    if (!set && !streq (verb, "show")) {
        fprintf (stderr, _ ("kejin: policy %s: unknown; show or set\n"), verb);
        return CLI_USAGE;
    }
    cli_args_t *args = cli_args_verb (
        argc - 1, argv + 1,
        "as= bank-share-min= system-share-max= national-share-max= "
        "provincial-share-min= fee-max= reguarantee-fee-small-max= "
        "reguarantee-fee-large-max= reguarantee-large-above= balance-cap=",
        s_usage, 0, NULL, N_ ("policy show | policy set [OPTIONS]"));
    if (!args)
        return CLI_USAGE;
    Kj__PolicyGetRequest get = KJ__POLICY_GET_REQUEST__INIT;
    Kj__Policy *policy = NULL;
    int rc = s_call (cli, args, "GetPolicy", &get.base, &kj__policy__descriptor,
                     (ProtobufCMessage **) &policy);
    if (rc == CLI_OK && set) {
        struct {
            const char *option;
            int32_t *bp;
        } shares [] = {
            { "bank-share-min", &policy->bank_share_min_bp },
            { "system-share-max", &policy->system_share_max_bp },
            { "national-share-max", &policy->national_share_max_bp },
            { "provincial-share-min", &policy->provincial_share_min_bp },
            { "fee-max", &policy->guarantee_fee_max_bp },
            { "reguarantee-fee-small-max",
              &policy->reguarantee_fee_small_max_bp },
            { "reguarantee-fee-large-max",
              &policy->reguarantee_fee_large_max_bp }
        };
        for (size_t i = 0; rc == CLI_OK && i < 7; i++) {
            const char *text = cli_args_get (args, shares [i].option);
            char option [48];
            snprintf (option, sizeof option, "--%s", shares [i].option);
            if (text && cli_parse_percent (option, text, shares [i].bp))
                rc = CLI_USAGE;
        }
        const char *above = cli_args_get (args, "reguarantee-large-above");
        const char *cap = cli_args_get (args, "balance-cap");
        if (rc == CLI_OK
            && ((above
                 && cli_parse_yuan ("--reguarantee-large-above", above,
                                    &policy->reguarantee_large_above_fen))
                || (cap
                    && cli_parse_yuan ("--balance-cap", cap,
                                       &policy->balance_cap_fen))))
            rc = CLI_USAGE;
        Kj__Policy *next = NULL;
        if (rc == CLI_OK)
            rc = s_call (cli, args, "SetPolicy", &policy->base,
                         &kj__policy__descriptor, (ProtobufCMessage **) &next);
        kj__policy__free_unpacked (policy, NULL);
        policy = next;
    }
    if (rc == CLI_OK && cli->json)
        cli_print_json (&policy->base);
    else if (rc == CLI_OK) {
        char a [32], b [32], c [32], d [32], e [32], f [32], g [32];
        char h [64], i [64];
        printf (_ ("policy %d (set by %s): bank share at least %s, guarantee "
                   "system at most %s, national fund at most %s, provincial "
                   "re-guarantee at least %s; guarantee fee at most %s a "
                   "year; re-guarantee fee at most %s, or %s above %s; an "
                   "enterprise's guaranteed balance at most %s\n"),
                policy->version, policy->set_by,
                cli_percent (policy->bank_share_min_bp, a, 32),
                cli_percent (policy->system_share_max_bp, b, 32),
                cli_percent (policy->national_share_max_bp, c, 32),
                cli_percent (policy->provincial_share_min_bp, d, 32),
                cli_percent (policy->guarantee_fee_max_bp, e, 32),
                cli_percent (policy->reguarantee_fee_small_max_bp, f, 32),
                cli_percent (policy->reguarantee_fee_large_max_bp, g, 32),
                cli_yuan (policy->reguarantee_large_above_fen, h, 64),
                cli_yuan (policy->balance_cap_fen, i, 64));
    }
    if (policy)
        kj__policy__free_unpacked (policy, NULL);
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------

int
cli_guarantee_node (cli_t *cli, int argc, char **argv)
{
    static const struct {
        const char *noun;
        const char *verb;  //  required second word, or NULL
        int (*run) (cli_t *cli, int argc, char **argv);
    } s_verbs [] = { { "guarantor", "add", s_guarantor },
                     { "agreement", "add", s_agreement },
                     { "guarantee", NULL, s_guarantee },
                     { "default", NULL, s_default },
                     { "claim", NULL, s_claim },
                     { "approve", NULL, s_approve_or_pay },
                     { "pay", NULL, s_approve_or_pay },
                     { "recover", NULL, s_recover },
                     { "budget", NULL, s_budget },
                     { "ledger", NULL, s_ledger },
                     { "report", NULL, s_report },
                     { "policy", NULL, s_policy },
                     { NULL } };
    //  argv [0] is "guarantee", argv [1] the noun or verb: a verb of one
    //  word parses its arguments from argv [2], of two from argv [3]
    if (argc < 2 || cli_wants_help (argc, argv))
        return cli_usage (s_usage, argc < 2);
    for (int i = 0; s_verbs [i].noun; i++)
        if (streq (argv [1], s_verbs [i].noun)) {
            if (s_verbs [i].verb
                && (argc < 3 || !streq (argv [2], s_verbs [i].verb))) {
                fprintf (stderr, _ ("kejin: guarantee %s: the verb is %s\n"),
                         argv [1], s_verbs [i].verb);
                return CLI_USAGE;
            }
            return s_verbs [i].run (cli, argc, argv);
        }
    fprintf (stderr, _ ("kejin: unknown guarantee command '%s'\n"), argv [1]);
    return cli_usage (s_usage, true);
}
