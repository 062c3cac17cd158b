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

#include "cli_guarantee.h"

const char *cli_guarantee_usage = N_ (
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
    "Each step is recorded under its operator. On a node with keys (make\n"
    "up's) that is the name of the caller's key, whatever --as says: one\n"
    "key per operator (kejin keys new NAME --role operator), then\n"
    "KEJIN_KEY=NAME kejin guarantee ... On a node without keys: --as\n"
    "OPERATOR, else $KEJIN_OPERATOR, else $USER.\n");

//  --------------------------------------------------------------------------
//  The operator for the request header.

void
cli_guarantee_operator (cli_t *cli, cli_args_t *args)
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
//  Each verb is one call (cli_verb_call): its fill parses what is not
//  text (yuan, percentages, ids) and names the operator; its show prints
//  the reply for people, or as JSON under --json.

//  The operator for the request header, and nothing more to fill.
int
cli_guarantee_fill_operator (cli_t *cli, cli_args_t *args,
                             ProtobufCMessage *request)
{
    cli_guarantee_operator (cli, args);
    return 0;
}

//  True when the reply went out as JSON (--json)
bool
cli_guarantee_json (cli_t *cli, const ProtobufCMessage *reply)
{
    if (cli->json)
        cli_print_json (reply);
    return cli->json;
}

//  guarantor add ID --name NAME --yearly-cap YUAN [--qualified]

static int
s_fill_guarantor (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    Kj__GuarantorAddRequest *in = (Kj__GuarantorAddRequest *) request;
    in->qualified = cli_args_flag (args, "qualified");
    if (cli_parse_yuan ("--yearly-cap", cli_args_get (args, "yearly-cap"),
                        &in->yearly_cap_fen))
        return -1;
    return cli_guarantee_fill_operator (cli, args, request);
}

static int
s_show_guarantor (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    const Kj__Guarantor *reply = (const Kj__Guarantor *) message;
    if (!cli_guarantee_json (cli, message))
        printf (reply->qualified ? _ ("guarantor %s added (qualified)\n")
                                 : _ ("guarantor %s added (not qualified)\n"),
                reply->id);
    return CLI_OK;
}

static const cli_call_verb_t s_guarantor_add = {
    .spec = "as= name= yearly-cap= qualified!",
    .positional = 1,
    .required = "name yearly-cap",
    .complaint = N_ ("guarantor add needs ID --name NAME --yearly-cap YUAN"),
    CLI_GUARANTEE_CALL ("AddGuarantor", kj__guarantor_add_request,
                        kj__guarantor, s_fill_guarantor, s_show_guarantor),
};

//  agreement add ID --guarantor G --bank BANK ... (every option)

static int
s_fill_agreement (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    Kj__AgreementAddRequest *in = (Kj__AgreementAddRequest *) request;
    in->guarantor_id = cli_args_text (args, "guarantor");
    in->valid_from = cli_args_text (args, "from");
    in->valid_to = cli_args_text (args, "to");
    const struct {
        const char *option;
        int32_t *bp;
    } shares [] = { { "bank-share", &in->bank_share_bp },
                    { "system-share", &in->system_share_bp },
                    { "national-share", &in->national_share_bp },
                    { "provincial-share", &in->provincial_share_bp },
                    { "rate", &in->rate_bp } };
    for (size_t i = 0; i < sizeof shares / sizeof shares [0]; i++) {
        char option [48];
        snprintf (option, sizeof option, "--%s", shares [i].option);
        if (cli_parse_percent (option, cli_args_get (args, shares [i].option),
                               shares [i].bp))
            return -1;
    }
    if (cli_parse_yuan ("--per-claim-cap", cli_args_get (args, "per-claim-cap"),
                        &in->per_claim_cap_fen))
        return -1;
    return cli_guarantee_fill_operator (cli, args, request);
}

static int
s_show_agreement (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    const Kj__Agreement *reply = (const Kj__Agreement *) message;
    if (!cli_guarantee_json (cli, message))
        printf (_ ("agreement %s version %d added\n"), reply->id,
                reply->version);
    return CLI_OK;
}

static const cli_call_verb_t s_agreement_add = {
    .spec = "as= guarantor= bank= bank-share= system-share= national-share= "
            "provincial-share= rate= per-claim-cap= from= to=",
    .positional = 1,
    .required = "guarantor bank bank-share system-share national-share "
                "provincial-share rate per-claim-cap from to",
    .complaint = N_ ("agreement add needs ID and every option: kejin "
                     "guarantee --help"),
    CLI_GUARANTEE_CALL ("AddAgreement", kj__agreement_add_request,
                        kj__agreement, s_fill_agreement, s_show_agreement),
};

//  guarantee add LOAN ...: a guarantee of a loan disbursed; guarantee
//  back APPLICATION ...: a guarantor backs a matching application, and
//  the guarantee goes live when matching's disbursement event comes (at
//  once when it came before).

static int
s_fill_guarantee (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    Kj__GuaranteeAddRequest *in = (Kj__GuaranteeAddRequest *) request;
    in->guarantor_id = cli_args_text (args, "guarantor");
    in->agreement_id = cli_args_text (args, "agreement");
    in->product_category = cli_args_text (args, "category");
    in->loan_date = cli_args_text (args, "date");
    const char *amount = cli_args_get (args, "amount");
    const char *fee = cli_args_get (args, "fee");
    const char *refee = cli_args_get (args, "reguarantee-fee");
    if ((amount && cli_parse_yuan ("--amount", amount, &in->amount_fen))
        || (fee && cli_parse_percent ("--fee", fee, &in->guarantee_fee_bp))
        || (refee
            && cli_parse_percent ("--reguarantee-fee", refee,
                                  &in->reguarantee_fee_bp)))
        return -1;
    return cli_guarantee_fill_operator (cli, args, request);
}

static int
s_show_guarantee (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    const Kj__LoanGuarantee *reply = (const Kj__LoanGuarantee *) message;
    if (cli_guarantee_json (cli, message))
        return CLI_OK;
    if (streq (reply->state, "PENDING"))
        printf (_ ("application %s backed: its guarantee goes live when "
                   "matching reports the loan disbursed (or expires at %s "
                   "UTC)\n"),
                reply->loan_id, reply->expires_at);
    else if (*reply->backed_by)
        printf (_ ("application %s backed after its disbursement: the "
                   "guarantee is live: %s\n"),
                reply->loan_id, reply->reason);
    else
        printf (_ ("guarantee of loan %s added: %s\n"), reply->loan_id,
                reply->reason);
    return CLI_OK;
}

static const cli_call_verb_t s_guarantee_add = {
    .spec = "as= guarantor= agreement= enterprise= category= amount= date= "
            "fee= reguarantee-fee= city=",
    .positional = 1,
    .required = "guarantor enterprise category amount date",
    .complaint = N_ ("guarantee add needs LOAN --guarantor --enterprise "
                     "--category --amount --date"),
    CLI_GUARANTEE_CALL ("AddGuarantee", kj__guarantee_add_request,
                        kj__loan_guarantee, s_fill_guarantee, s_show_guarantee),
};

static const cli_call_verb_t s_guarantee_back = {
    .spec = "as= guarantor= agreement= enterprise= category= fee= "
            "reguarantee-fee= city=",
    .positional = 1,
    .required = "guarantor category",
    .complaint = N_ ("guarantee back needs APPLICATION --guarantor "
                     "--category"),
    CLI_GUARANTEE_CALL ("AddGuarantee", kj__guarantee_add_request,
                        kj__loan_guarantee, s_fill_guarantee, s_show_guarantee),
};

//  guarantee pending: the backings waiting for their disbursement (or in
//  the state --state names), a table for people, a line each under --json

static int
s_fill_pending (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    Kj__BackingListRequest *in = (Kj__BackingListRequest *) request;
    const char *limit = cli_args_get (args, "limit");
    int64_t n = 0;
    if (limit && cli_parse_int ("--limit", limit, 1, 1000, &n))
        return -1;
    in->after_id = cli_args_text (args, "after");
    in->limit = (uint32_t) n;
    return cli_guarantee_fill_operator (cli, args, request);
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

static const cli_call_verb_t s_guarantee_pending = {
    .spec = "as= state= after= limit=",
    .complaint = N_ ("guarantee pending takes no arguments; kejin guarantee "
                     "--help"),
    .read_only = true,
    CLI_GUARANTEE_CALL ("ListBackings", kj__backing_list_request,
                        kj__backing_list, s_fill_pending, s_show_pending),
};

//  default LOAN --amount YUAN --paid-on YYYY-MM-DD: the 代偿 paid

static int
s_fill_default (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    Kj__DaichangRecordRequest *in = (Kj__DaichangRecordRequest *) request;
    if (cli_parse_yuan ("--amount", cli_args_get (args, "amount"),
                        &in->amount_fen))
        return -1;
    return cli_guarantee_fill_operator (cli, args, request);
}

static int
s_show_default (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    const Kj__Daichang *reply = (const Kj__Daichang *) message;
    if (cli_guarantee_json (cli, message))
        return CLI_OK;
    char yuan [64], n [64], p [64], g [64];
    printf (_ ("代偿 %" PRId64 " of %s recorded on loan %s: national "
               "fund %s, provincial re-guarantee %s, guarantor %s\n"),
            reply->id, cli_yuan (reply->amount_fen, yuan, sizeof yuan),
            reply->loan_id, cli_yuan (reply->national_fen, n, 64),
            cli_yuan (reply->provincial_fen, p, 64),
            cli_yuan (reply->guarantor_fen, g, 64));
    return CLI_OK;
}

static const cli_call_verb_t s_default = {
    .spec = "as= amount= paid-on=",
    .positional = 1,
    .required = "amount paid-on",
    .complaint = N_ ("default needs LOAN --amount YUAN --paid-on "
                     "YYYY-MM-DD"),
    CLI_GUARANTEE_CALL ("RecordDaichang", kj__daichang_record_request,
                        kj__daichang, s_fill_default, s_show_default),
};

//  --------------------------------------------------------------------------
//  claim submit|show|review, approve, pay: each answers a claim; the id is
//  the verb's one positional argument, into the request's first field

static int
s_fill_claim_id (cli_t *cli, cli_args_t *args, ProtobufCMessage *request,
                 const char *what)
{
    int64_t *id = (int64_t *) ((char *) request
                               + request->descriptor->fields [0].offset);
    if (s_id (args, what, id))
        return -1;
    return cli_guarantee_fill_operator (cli, args, request);
}

static int
s_fill_daichang (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    return s_fill_claim_id (cli, args, request, "DAICHANG_ID");
}

static int
s_fill_id (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    return s_fill_claim_id (cli, args, request, "ID");
}

static int
s_fill_claim (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    return s_fill_claim_id (cli, args, request, "CLAIM_ID");
}

static int
s_fill_review (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    ((Kj__ClaimReviewRequest *) request)->reject = cli_args_flag (args,
                                                                  "reject");
    return s_fill_id (cli, args, request);
}

static int
s_show_claim (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    s_print_claim (cli, (const Kj__Claim *) message);
    return CLI_OK;
}

static const cli_call_verb_t s_claim_submit = {
    .spec = "as=",
    .positional = 1,
    .complaint = N_ ("claim submit|show|review takes one id; kejin guarantee "
                     "--help"),
    CLI_GUARANTEE_CALL ("SubmitClaim", kj__claim_submit_request, kj__claim,
                        s_fill_daichang, s_show_claim),
};
static const cli_call_verb_t s_claim_show = {
    .spec = "as=",
    .positional = 1,
    .complaint = N_ ("claim submit|show|review takes one id; kejin guarantee "
                     "--help"),
    .read_only = true,
    CLI_GUARANTEE_CALL ("GetClaim", kj__claim_get_request, kj__claim, s_fill_id,
                        s_show_claim),
};
static const cli_call_verb_t s_claim_review = {
    .spec = "as= level= reject! reason=",
    .positional = 1,
    .required = "level",
    .complaint = N_ ("claim submit|show|review takes one id; kejin guarantee "
                     "--help"),
    CLI_GUARANTEE_CALL ("ReviewClaim", kj__claim_review_request, kj__claim,
                        s_fill_review, s_show_claim),
};
static const cli_call_verb_t s_approve = {
    .spec = "as=",
    .positional = 1,
    .complaint = N_ ("approve takes a claim id"),
    CLI_GUARANTEE_CALL ("ApproveClaim", kj__claim_approve_request, kj__claim,
                        s_fill_claim, s_show_claim),
};
static const cli_call_verb_t s_pay = {
    .spec = "as=",
    .positional = 1,
    .complaint = N_ ("pay takes a claim id"),
    CLI_GUARANTEE_CALL ("PayClaim", kj__claim_pay_request, kj__claim,
                        s_fill_claim, s_show_claim),
};

//  claim list [--state S] [--after ID] [--limit N]

static int
s_fill_claim_list (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    Kj__ClaimListRequest *in = (Kj__ClaimListRequest *) request;
    const char *after = cli_args_get (args, "after");
    const char *limit = cli_args_get (args, "limit");
    int64_t n = 0;
    if ((after && cli_parse_int ("--after", after, 0, INT64_MAX, &in->after_id))
        || (limit && cli_parse_int ("--limit", limit, 1, 1000, &n)))
        return -1;
    in->limit = (uint32_t) n;
    return cli_guarantee_fill_operator (cli, args, request);
}

static int
s_show_claim_list (cli_t *cli, cli_args_t *args,
                   const ProtobufCMessage *message)
{
    const Kj__ClaimList *reply = (const Kj__ClaimList *) message;
    if (cli->json) {
        for (size_t i = 0; i < reply->n_claims; i++)
            cli_print_json (&reply->claims [i]->base);
        return CLI_OK;
    }
    cli_table_t *table = cli_table_new (_ ("CLAIM"), _ ("STATE"), _ ("LOAN"),
                                        _ ("GUARANTOR"), _ ("ENTITLED"),
                                        _ ("PAID"), _ ("YEAR"), NULL);
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
    return CLI_OK;
}

static const cli_call_verb_t s_claim_list = {
    .spec = "as= state= after= limit=",
    .complaint = N_ ("claim list takes no arguments"),
    .read_only = true,
    CLI_GUARANTEE_CALL ("ListClaims", kj__claim_list_request, kj__claim_list,
                        s_fill_claim_list, s_show_claim_list),
};

//  recover CLAIM_ID --net YUAN

static int
s_fill_recover (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    Kj__RecoverRequest *in = (Kj__RecoverRequest *) request;
    if (cli_parse_yuan ("--net", cli_args_get (args, "net"),
                        &in->net_recovery_fen))
        return -1;
    return s_fill_claim (cli, args, request);
}

static int
s_show_recover (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    const Kj__Recovery *reply = (const Kj__Recovery *) message;
    char a [64], b [64], c [64];
    if (!cli_guarantee_json (cli, message))
        printf (_ ("claim %" PRId64 ": recovered %s in all; refund to the "
                   "province now %s, %s in all\n"),
                reply->claim_id,
                cli_yuan (reply->cumulative_recovery_fen, a, 64),
                cli_yuan (reply->refund_fen, b, 64),
                cli_yuan (reply->cumulative_refund_fen, c, 64));
    return CLI_OK;
}

static const cli_call_verb_t s_recover = {
    .spec = "as= net=",
    .positional = 1,
    .required = "net",
    .complaint = N_ ("recover needs CLAIM_ID --net YUAN"),
    CLI_GUARANTEE_CALL ("Recover", kj__recover_request, kj__recovery,
                        s_fill_recover, s_show_recover),
};

//  --------------------------------------------------------------------------
//  budget allot YEAR --amount YUAN | budget show YEAR | budget list

int
cli_guarantee_fill_year (cli_t *cli, cli_args_t *args,
                         ProtobufCMessage *request)
{
    //  The year is the first field of BudgetAllotRequest and BudgetGetRequest
    int64_t year;
    if (cli_parse_int ("YEAR", cli_args_positional (args, 0), 2000, 2100,
                       &year))
        return -1;
    *(int32_t *) ((char *) request
                  + request->descriptor->fields [0].offset) = (int32_t) year;
    return cli_guarantee_fill_operator (cli, args, request);
}

static int
s_fill_allot (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    if (cli_parse_yuan ("--amount", cli_args_get (args, "amount"),
                        &((Kj__BudgetAllotRequest *) request)->amount_fen))
        return -1;
    return cli_guarantee_fill_year (cli, args, request);
}

static int
s_show_budget (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    s_print_budget (cli, (const Kj__Budget *) message);
    return CLI_OK;
}

static int
s_show_budgets (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    const Kj__BudgetList *reply = (const Kj__BudgetList *) message;
    for (size_t i = 0; i < reply->n_budgets; i++)
        s_print_budget (cli, reply->budgets [i]);
    return CLI_OK;
}

static const cli_call_verb_t s_budget_allot = {
    .spec = "as= amount=",
    .positional = 1,
    .required = "amount",
    .complaint = N_ ("budget allot YEAR --amount YUAN | budget show YEAR | "
                     "budget list"),
    CLI_GUARANTEE_CALL ("AllotBudget", kj__budget_allot_request, kj__budget,
                        s_fill_allot, s_show_budget),
};
static const cli_call_verb_t s_budget_show = {
    .spec = "as=",
    .positional = 1,
    .complaint = N_ ("budget allot YEAR --amount YUAN | budget show YEAR | "
                     "budget list"),
    .read_only = true,
    CLI_GUARANTEE_CALL ("GetBudget", kj__budget_get_request, kj__budget,
                        cli_guarantee_fill_year, s_show_budget),
};
static const cli_call_verb_t s_budget_list = {
    .spec = "as=",
    .complaint = N_ ("budget allot YEAR --amount YUAN | budget show YEAR | "
                     "budget list"),
    .read_only = true,
    CLI_GUARANTEE_CALL ("ListBudgets", kj__budget_list_request, kj__budget_list,
                        cli_guarantee_fill_operator, s_show_budgets),
};

//  ledger check: exit 1 when it does not balance

static int
s_show_ledger (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    const Kj__LedgerReport *reply = (const Kj__LedgerReport *) message;
    if (!cli_guarantee_json (cli, message)) {
        printf (reply->balanced
                    ? _ ("ledger balanced: %" PRIu64 " transactions, %" PRIu64
                         " entries\n")
                    : _ ("ledger DOES NOT BALANCE: %" PRIu64 " transactions, "
                         "%" PRIu64 " entries\n"),
                reply->transactions, reply->entries);
        for (size_t i = 0; i < reply->n_problems; i++)
            printf ("  %s\n", reply->problems [i]);
    }
    return reply->balanced ? CLI_OK : CLI_FAILED;
}

static const cli_call_verb_t s_ledger_check = {
    .spec = "as=",
    .complaint = N_ ("ledger check takes no arguments"),
    .read_only = true,
    CLI_GUARANTEE_CALL ("LedgerCheck", kj__ledger_check_request,
                        kj__ledger_report, cli_guarantee_fill_operator,
                        s_show_ledger),
};

//  --------------------------------------------------------------------------

//  The verbs: NOUN VERB (argv [1], argv [2]) or a VERB of one word
//  (argv [1]), each one call, but policy's (a read, then a write)
typedef struct {
    const char *noun;
    const char *verb;  //  the second word, or NULL
    const cli_call_verb_t *call;
    int (*run) (cli_t *cli, int argc, char **argv);
} s_verb_t;

static const s_verb_t s_verbs [] = {
    { "guarantor", "add", &s_guarantor_add },
    { "agreement", "add", &s_agreement_add },
    { "guarantee", "add", &s_guarantee_add },
    { "guarantee", "back", &s_guarantee_back },
    { "guarantee", "pending", &s_guarantee_pending },
    { "default", NULL, &s_default },
    { "claim", "submit", &s_claim_submit },
    { "claim", "show", &s_claim_show },
    { "claim", "list", &s_claim_list },
    { "claim", "review", &s_claim_review },
    { "approve", NULL, &s_approve },
    { "pay", NULL, &s_pay },
    { "recover", NULL, &s_recover },
    { "budget", "allot", &s_budget_allot },
    { "budget", "show", &s_budget_show },
    { "budget", "list", &s_budget_list },
    { "ledger", "check", &s_ledger_check },
    { "report", NULL, &cli_guarantee_report },
    { "policy", "show", NULL, cli_guarantee_policy },
    { "policy", "set", NULL, cli_guarantee_policy },
    { NULL }
};

int
cli_guarantee_node (cli_t *cli, int argc, char **argv)
{
    //  argv [0] is "guarantee", argv [1] the noun or verb: a verb of one
    //  word parses its arguments from argv [2], of two from argv [3]
    if (argc < 2 || cli_wants_help (argc, argv))
        return cli_usage (cli_guarantee_usage, argc < 2);
    const char *word = argc >= 3 ? argv [2] : "";
    char verbs [128] = "";
    for (const s_verb_t *v = s_verbs; v->noun; v++) {
        if (!streq (argv [1], v->noun))
            continue;
        if (v->verb && !streq (word, v->verb)) {
            snprintf (verbs + strlen (verbs), sizeof verbs - strlen (verbs),
                      "%s%s", *verbs ? ", " : "", v->verb);
            continue;
        }
        if (v->run)
            return v->run (cli, argc, argv);
        //  report YEAR: the year's report
        const cli_call_verb_t *call = v->call == &cli_guarantee_report && *word
                                           && *word != '-'
                                        ? &cli_guarantee_report_year
                                        : v->call;
        return v->verb
                 ? cli_verb_call (cli, argc - 1, argv + 1, cli_guarantee_usage,
                                  call)
                 : cli_verb_call (cli, argc, argv, cli_guarantee_usage, call);
    }
    if (*verbs) {
        fprintf (stderr,
                 _ ("kejin: guarantee %s: no verb '%s'; the verbs are %s\n"),
                 argv [1], word, verbs);
        return CLI_USAGE;
    }
    fprintf (stderr, _ ("kejin: unknown guarantee command '%s'\n"), argv [1]);
    return cli_usage (cli_guarantee_usage, true);
}
