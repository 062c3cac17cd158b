/*  =========================================================================
    cli_ipo_pipeline - `kejin ipo pool|stage|claim|approve|budget|report`:
    the reserve pool and each firm's pipeline in kejin-ipo, through the
    broker

    The offline checks (`kejin ipo fit`, `kejin ipo subsidy replay`) are in
    cli_ipo.c, which hands these verbs here.
    =========================================================================
*/

#include "cli.h"
#include "cli_reg.h"
#include "cli_ipo.h"
#include "ipo.pb-c.h"

static const char *s_usage = N_ (
    "Usage: kejin ipo pool admit FIRM --name NAME --city CODE [--sponsor S]\n"
    "                 [--auditor A] [--law-firm L] [--date YYYY-MM-DD]\n"
    "       kejin ipo pool review FIRM --level city|province [--refuse]\n"
    "                 [--date D] [--note TEXT]\n"
    "       kejin ipo pool show FIRM\n"
    "       kejin ipo pool list [--city CODE] [--state STATE] [--after FIRM]\n"
    "                 [--limit N]\n"
    "       kejin ipo pool refresh FIRM [--date D] [--sponsor S] [--auditor "
    "A]\n"
    "                 [--law-firm L]\n"
    "       kejin ipo stage FIRM STATE [--board MAIN|CHINEXT|STAR|BSE]\n"
    "                 [--date D] [--note TEXT]\n"
    "       kejin ipo raise FIRM YUAN [--date D] [--note TEXT]\n"
    "       kejin ipo claim FIRM STAGE [--move ID] [--date D]\n"
    "       kejin ipo approve CLAIM --level city|province [--refuse]\n"
    "                 [--note TEXT]\n"
    "       kejin ipo budget YEAR [--set YUAN]\n"
    "       kejin ipo report [--city CODE]\n"
    "       kejin ipo demo [--if-empty]   a demo reserve pool from the\n"
    "                 registry's enterprises (what `make up` loads)\n"
    "       kejin ipo fit                  the latest batch fit\n"
    "       kejin ipo fit run [--csv FILE [--page N]] a batch fit of the\n"
    "                 registry (or of the firms of FILE, as `kejin ipo fit\n"
    "                 --csv` reads it, sent N firms a call: 1 to 25,000,\n"
    "                 the most and the default)\n"
    "       kejin ipo fit show [BATCH] [--all] [--after FIRM] [--limit N]\n"
    "       kejin ipo fit firm CODE [--market-cap YUAN] [--toward BOARD]\n"
    "The listing reserve pool in kejin-ipo (add --json for JSON lines).\n"
    "STATE: shareholding_reformed, tutoring_filed, tutoring_accepted,\n"
    "application_accepted, under_inquiry, committee_review,\n"
    "registration_submitted, registered, listed, withdrawn, terminated,\n"
    "rejected, neeq_basic, neeq_innovation. STAGE: REFORM, TUTORING,\n"
    "APPLICATION, REGISTRATION, TOP_UP, NEEQ_LISTING, EQUITY (with --move,\n"
    "the raise's move in the firm's file). raise: equity raised on the NEEQ.\n"
    "fit firm: the firm's yearly figures from the registry, the market cap\n"
    "as given; --toward STAR also says what it lacks for that board.\n");

//  --------------------------------------------------------------------------
//  Print a firm's file for people
static void
s_print_file (const Kj__IpoFirm *f)
{
    char yuan [48];
    printf ("%s  %s  (%s)\n", f->firm, f->name, f->city);
    printf (_ ("  state    %s since %s, board %s, tier %s\n"),
            cli_enum_name (&kj__ipo_state__descriptor, "IPO_", f->state),
            f->since, *f->board ? f->board : "-", f->tier);
    printf (_ ("  file     refreshed %s%s\n"), f->refreshed,
            f->stale ? _ (", stale: due for its yearly refresh") : "");
    if (*f->letter_expires)
        printf (_ ("  tutoring letter expires %s\n"), f->letter_expires);
    if (*f->registration_lapses)
        printf (_ ("  registration lapses %s\n"), f->registration_lapses);
    printf (_ ("  advisers sponsor %s, auditor %s, law firm %s\n"),
            f->advisers ? f->advisers->sponsor : "",
            f->advisers ? f->advisers->auditor : "",
            f->advisers ? f->advisers->law_firm : "");
    cli_table_t *table = cli_table_new (N_ ("DATE"), N_ ("FROM"), N_ ("TO"),
                                        N_ ("BOARD"), N_ ("BY"), N_ ("DUE"),
                                        NULL);
    for (size_t i = 0; i < f->n_moves; i++) {
        const Kj__IpoMove *m = f->moves [i];
        char from [48];
        snprintf (from, sizeof from, "%s",
                  cli_enum_name (&kj__ipo_state__descriptor, "IPO_", m->from));
        cli_table_row (table, m->date, from,
                       cli_enum_name (&kj__ipo_state__descriptor, "IPO_",
                                      m->to),
                       *m->board ? m->board : "-", m->by,
                       m->due_fen ? cli_yuan (m->due_fen, yuan, sizeof yuan)
                                  : "-");
    }
    cli_table_print (table, stdout);
    cli_table_destroy (&table);
    for (size_t i = 0; i < f->n_claims; i++) {
        const Kj__IpoClaim *c = f->claims [i];
        printf (_ ("  claim %lld  %s %s  %s\n"), (long long) c->id, c->stage,
                cli_yuan (c->amount_fen, yuan, sizeof yuan), c->status);
    }
    for (size_t i = 0; i < f->n_moves; i++)
        if (f->moves [i]->amount_raised_fen)
            printf (_ ("  raise %lld on %s: %s raised\n"),
                    (long long) f->moves [i]->id, f->moves [i]->date,
                    cli_yuan (f->moves [i]->amount_raised_fen, yuan,
                              sizeof yuan));
}

//  Show a reply as JSON under --json (true), else leave it to the caller
static bool
s_json (cli_t *cli, const ProtobufCMessage *reply)
{
    if (cli->json)
        cli_print_json (reply);
    return cli->json;
}

//  A verb's show (cli_call_verb_t) for each kind of reply: JSON under
//  --json, else for people

static int
s_firm_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    if (!s_json (cli, reply))
        s_print_file (((const Kj__IpoFirmReply *) reply)->firm);
    return CLI_OK;
}

static int
s_move_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    if (!s_json (cli, reply))
        s_print_file (((const Kj__IpoMoveReply *) reply)->firm);
    return CLI_OK;
}

static int
s_claim_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    if (s_json (cli, reply))
        return CLI_OK;
    const Kj__IpoClaim *c = ((const Kj__IpoClaimReply *) reply)->claim;
    char yuan [48];
    printf (_ ("claim %lld  %s  %s %s on %s: %s\n"), (long long) c->id, c->firm,
            c->stage, cli_yuan (c->amount_fen, yuan, sizeof yuan), c->board,
            c->status);
    return CLI_OK;
}

static int
s_budget_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    if (s_json (cli, reply))
        return CLI_OK;
    const Kj__IpoBudget *b = ((const Kj__IpoBudgetReply *) reply)->budget;
    char v [4][48];
    printf (_ ("budget %d: %s, committed %s, paid %s, left %s\n"), b->year,
            cli_yuan (b->budget_fen, v [0], sizeof v [0]),
            cli_yuan (b->committed_fen, v [1], sizeof v [1]),
            cli_yuan (b->paid_fen, v [2], sizeof v [2]),
            cli_yuan (b->left_fen, v [3], sizeof v [3]));
    return CLI_OK;
}

static int
s_report_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    if (s_json (cli, reply))
        return CLI_OK;
    const Kj__IpoReportReply *r = (const Kj__IpoReportReply *) reply;
    cli_table_t *table = cli_table_new (N_ ("CITY"), N_ ("CANDIDATES"),
                                        N_ ("POOL"), N_ ("TARGET"),
                                        N_ ("PROVINCE"), N_ ("TUTORING"),
                                        N_ ("FILED"), N_ ("REGISTERED"),
                                        N_ ("LISTED"), N_ ("DAYS IN STAGE"),
                                        N_ ("STALE"), NULL);
    for (size_t i = 0; i < r->n_funnel; i++) {
        const Kj__IpoFunnel *f = r->funnel [i];
        char n [10][24];
        snprintf (n [0], 24, "%u", f->candidates);
        snprintf (n [1], 24, "%u", f->pool);
        snprintf (n [2], 24, "%u", f->pool_target);
        snprintf (n [3], 24, "%u", f->province_pool);
        snprintf (n [4], 24, "%u", f->tutoring);
        snprintf (n [5], 24, "%u", f->filed);
        snprintf (n [6], 24, "%u", f->registered);
        snprintf (n [7], 24, "%u", f->listed);
        snprintf (n [8], 24, "%lld", (long long) f->avg_days_in_stage);
        snprintf (n [9], 24, "%u", f->stale);
        char city [64];
        cli_table_row (table, cli_city_label (f->city, city, sizeof city),
                       n [0], n [1], n [2], n [3], n [4], n [5], n [6], n [7],
                       n [8], n [9]);
    }
    cli_table_print (table, stdout);
    cli_table_destroy (&table);
    char yuan [48], city [64];
    for (size_t i = 0; i < r->n_paid; i++)
        printf (_ ("paid %s %s: %s\n"),
                cli_city_label (r->paid [i]->city, city, sizeof city),
                r->paid [i]->board,
                cli_yuan (r->paid [i]->paid_fen, yuan, sizeof yuan));
    return CLI_OK;
}

static int
s_list_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    if (s_json (cli, reply))
        return CLI_OK;
    const Kj__IpoListReply *r = (const Kj__IpoListReply *) reply;
    cli_table_t *table = cli_table_new (N_ ("FIRM"), N_ ("NAME"), N_ ("CITY"),
                                        N_ ("STATE"), N_ ("BOARD"), N_ ("TIER"),
                                        N_ ("SINCE"), NULL);
    for (size_t i = 0; i < r->n_firms; i++) {
        const Kj__IpoFirm *f = r->firms [i];
        cli_table_row (table, f->firm, f->name, f->city,
                       cli_enum_name (&kj__ipo_state__descriptor, "IPO_",
                                      f->state),
                       *f->board ? f->board : "-", f->tier, f->since);
    }
    cli_table_print (table, stdout);
    cli_table_destroy (&table);
    if (*r->next)
        printf (_ ("more: --after %s\n"), r->next);
    return CLI_OK;
}

//  Call kejin-ipo and show the reply with show, for the verbs that are
//  not one row of a table (the method depends on the options)
static int
s_call (cli_t *cli, const char *method, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *type, bool read_only,
        int (*show) (cli_t *, cli_args_t *, const ProtobufCMessage *))
{
    ProtobufCMessage *reply = NULL;
    int rc = cli_call (cli, "ipo", method, request, type, &reply, read_only);
    if (rc == CLI_OK)
        rc = show (cli, NULL, reply);
    if (reply)
        protobuf_c_message_free_unpacked (reply, NULL);
    return rc;
}

//  --level city|province into *level
static int
s_level (cli_args_t *args, Kj__IpoLevel *level)
{
    const char *text = cli_args_get (args, "level");
    if (text && streq (text, "city"))
        *level = KJ__IPO_LEVEL__IPO_CITY;
    else if (text && streq (text, "province"))
        *level = KJ__IPO_LEVEL__IPO_PROVINCE;
    else {
        fprintf (stderr, _ ("kejin: --level: city or province\n"));
        return -1;
    }
    return 0;
}

//  --sponsor, --auditor, --law-firm as the request's advisers ("" where
//  not given); the message is the command's, kept until it exits (the
//  request is freed without its sub-messages)
static Kj__IpoAdvisers *
s_advisers (cli_args_t *args)
{
    static Kj__IpoAdvisers advisers;
    kj__ipo_advisers__init (&advisers);
    advisers.sponsor = cli_args_text (args, "sponsor");
    advisers.auditor = cli_args_text (args, "auditor");
    advisers.law_firm = cli_args_text (args, "law-firm");
    return &advisers;
}

//  --------------------------------------------------------------------------
//  kejin ipo pool admit|review|refresh|show|list ...: each verb one call

static int
s_admit_fill (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    ((Kj__IpoAdmitRequest *) request)->advisers = s_advisers (args);
    return 0;
}

static const cli_call_verb_t s_pool_admit = {
    .complaint = N_ ("pool admit takes one FIRM, with --name and --city"),
    .spec = "name= city= sponsor= auditor= law-firm= date=",
    .positional = 1,
    .required = "name city",
    .service = "ipo",
    .method = "Admit",
    .request_type = &kj__ipo_admit_request__descriptor,
    .reply_type = &kj__ipo_firm_reply__descriptor,
    .fill = s_admit_fill,
    .show = s_firm_shown,
};

static int
s_review_fill (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    Kj__IpoReviewRequest *review = (Kj__IpoReviewRequest *) request;
    review->approve = !cli_args_flag (args, "refuse");
    return s_level (args, &review->level);
}

static const cli_call_verb_t s_pool_review = {
    .complaint = N_ ("pool review takes one FIRM, with --level"),
    .spec = "level= refuse! date= note=",
    .positional = 1,
    .required = "level",
    .service = "ipo",
    .method = "Review",
    .request_type = &kj__ipo_review_request__descriptor,
    .reply_type = &kj__ipo_move_reply__descriptor,
    .fill = s_review_fill,
    .show = s_move_shown,
};

static int
s_refresh_fill (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    ((Kj__IpoRefreshRequest *) request)->advisers = s_advisers (args);
    return 0;
}

static const cli_call_verb_t s_pool_refresh = {
    .complaint = N_ ("pool refresh takes one FIRM"),
    .spec = "date= sponsor= auditor= law-firm=",
    .positional = 1,
    .service = "ipo",
    .method = "Refresh",
    .request_type = &kj__ipo_refresh_request__descriptor,
    .reply_type = &kj__ipo_firm_reply__descriptor,
    .fill = s_refresh_fill,
    .show = s_firm_shown,
};

static const cli_call_verb_t s_pool_show = {
    .complaint = N_ ("pool show takes one FIRM"),
    .positional = 1,
    .service = "ipo",
    .method = "Get",
    .request_type = &kj__ipo_get_request__descriptor,
    .reply_type = &kj__ipo_firm_reply__descriptor,
    .read_only = true,
    .show = s_firm_shown,
};

static int
s_list_fill (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    Kj__IpoListRequest *list = (Kj__IpoListRequest *) request;
    const char *state = cli_args_get (args, "state");
    const char *limit = cli_args_get (args, "limit");
    int value = 0;
    int64_t count = 100;
    if ((state
         && cli_parse_enum ("state", state, &kj__ipo_state__descriptor, "IPO_",
                            false, &value))
        || (limit && cli_parse_int ("limit", limit, 1, 1000, &count)))
        return -1;
    list->state = (Kj__IpoState) value;
    list->limit = (uint32_t) count;
    return 0;
}

static const cli_call_verb_t s_pool_list = {
    .complaint = N_ ("pool list takes options only"),
    .spec = "city= state= after= limit=",
    .service = "ipo",
    .method = "List",
    .request_type = &kj__ipo_list_request__descriptor,
    .reply_type = &kj__ipo_list_reply__descriptor,
    .read_only = true,
    .fill = s_list_fill,
    .show = s_list_shown,
};

//  --------------------------------------------------------------------------
//  kejin ipo stage|claim|raise|approve|report ...: each verb one call

//  kejin ipo stage FIRM STATE ...
static int
s_stage_fill (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    int to;
    if (cli_parse_enum ("STATE", cli_args_positional (args, 1),
                        &kj__ipo_state__descriptor, "IPO_", false, &to))
        return -1;
    ((Kj__IpoMoveRequest *) request)->to = (Kj__IpoState) to;
    return 0;
}

static const cli_call_verb_t s_stage = {
    .complaint = N_ ("stage takes a FIRM and a STATE"),
    .spec = "board= date= note=",
    .positional = 2,
    .service = "ipo",
    .method = "Move",
    .request_type = &kj__ipo_move_request__descriptor,
    .reply_type = &kj__ipo_move_reply__descriptor,
    .fill = s_stage_fill,
    .show = s_move_shown,
};

//  kejin ipo claim FIRM STAGE [--move ID] ...
static int
s_claim_fill (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    const char *move = cli_args_get (args, "move");
    return move ? cli_parse_int ("move", move, 1, INT64_MAX,
                                 &((Kj__IpoClaimRequest *) request)->move)
                : 0;
}

static const cli_call_verb_t s_claim = {
    .complaint = N_ ("claim takes a FIRM and a STAGE"),
    .spec = "date= move=",
    .positional = 2,
    .service = "ipo",
    .method = "Claim",
    .request_type = &kj__ipo_claim_request__descriptor,
    .reply_type = &kj__ipo_claim_reply__descriptor,
    .fill = s_claim_fill,
    .show = s_claim_shown,
};

//  kejin ipo raise FIRM YUAN ...: equity raised on the NEEQ
static int
s_raise_fill (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    return cli_parse_yuan ("YUAN", cli_args_positional (args, 1),
                           &((Kj__IpoRaiseRequest *) request)
                                ->amount_raised_fen);
}

static const cli_call_verb_t s_raise = {
    .complaint = N_ ("raise takes a FIRM and an amount in YUAN"),
    .spec = "date= note=",
    .positional = 2,
    .service = "ipo",
    .method = "Raise",
    .request_type = &kj__ipo_raise_request__descriptor,
    .reply_type = &kj__ipo_move_reply__descriptor,
    .fill = s_raise_fill,
    .show = s_move_shown,
};

//  kejin ipo approve CLAIM --level city|province ...
static int
s_approve_fill (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    Kj__IpoApproveRequest *approve = (Kj__IpoApproveRequest *) request;
    approve->approve = !cli_args_flag (args, "refuse");
    if (cli_parse_int ("CLAIM", cli_args_positional (args, 0), 1, INT64_MAX,
                       &approve->claim))
        return -1;
    return s_level (args, &approve->level);
}

static const cli_call_verb_t s_approve = {
    .complaint = N_ ("approve takes one CLAIM, with --level"),
    .spec = "level= refuse! date= note=",
    .positional = 1,
    .required = "level",
    .service = "ipo",
    .method = "Approve",
    .request_type = &kj__ipo_approve_request__descriptor,
    .reply_type = &kj__ipo_claim_reply__descriptor,
    .fill = s_approve_fill,
    .show = s_claim_shown,
};

//  kejin ipo report [--city CODE]
static const cli_call_verb_t s_report = {
    .complaint = N_ ("report takes options only"),
    .spec = "city=",
    .service = "ipo",
    .method = "Report",
    .request_type = &kj__ipo_report_request__descriptor,
    .reply_type = &kj__ipo_report_reply__descriptor,
    .read_only = true,
    .show = s_report_shown,
};

//  Run the verb argv [1] of verbs: its function, or cli_verb_call of its
//  row; the usage for a verb not there
static int
s_run (cli_t *cli, int argc, char **argv, const cli_verb_t *verbs)
{
    for (const cli_verb_t *v = verbs; argc > 1 && v->verb; v++)
        if (streq (v->verb, argv [1]))
            return v->call ? cli_verb_call (cli, argc, argv, s_usage, v->call)
                           : v->run (cli, argc, argv);
    return cli_usage (s_usage, true);
}

//  kejin ipo pool admit|review|refresh|show|list ...
static int
s_pool (cli_t *cli, int argc, char **argv)
{
    static const cli_verb_t verbs [] = { { "admit", NULL, &s_pool_admit },
                                         { "review", NULL, &s_pool_review },
                                         { "refresh", NULL, &s_pool_refresh },
                                         { "show", NULL, &s_pool_show },
                                         { "list", NULL, &s_pool_list },
                                         { NULL } };
    return s_run (cli, argc - 1, argv + 1, verbs);
}

//  kejin ipo budget YEAR [--set YUAN]: Budget, or SetBudget with --set
static int
s_budget (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv, "set=", s_usage, 1, NULL,
                                      N_ ("budget takes one YEAR"));
    if (!args)
        return CLI_USAGE;
    Kj__IpoBudgetRequest budget = KJ__IPO_BUDGET_REQUEST__INIT;
    int64_t year;
    const char *set = cli_args_get (args, "set");
    int rc = CLI_USAGE;
    if (cli_parse_int ("YEAR", cli_args_positional (args, 0), 2000, 2099, &year)
            == 0
        && (!set || cli_parse_yuan ("set", set, &budget.budget_fen) == 0)) {
        budget.year = (int32_t) year;
        rc = s_call (cli, set ? "SetBudget" : "Budget", &budget.base,
                     &kj__ipo_budget_reply__descriptor, !set, s_budget_shown);
    }
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  Batch fit

//  A batch for people: one line
static void
s_print_batch (const Kj__IpoFitBatch *b)
{
    printf (_ ("batch %llu (%s, standards %s) %s: %llu firms fitted, %llu "
               "meet a standard, %llu newly"),
            (unsigned long long) b->id, b->source, b->version, b->state,
            (unsigned long long) b->firms, (unsigned long long) b->meeting,
            (unsigned long long) b->newly);
    if (b->previous)
        printf (_ (" (against batch %llu)"), (unsigned long long) b->previous);
    printf ("\n");
    if (*b->error)
        printf (_ ("  failed: %s\n"), b->error);
}

//  A list of names as "A, B"
static const char *
s_list (char **names, size_t count, char *buf, size_t size)
{
    *buf = 0;
    for (size_t i = 0; i < count; i++)
        snprintf (buf + strlen (buf), size - strlen (buf), "%s%s",
                  i ? ", " : "", names [i]);
    return buf;
}

static void
s_print_show (const ProtobufCMessage *reply)
{
    const Kj__IpoFitShowReply *r = (const Kj__IpoFitShowReply *) reply;
    s_print_batch (r->batch);
    if (r->n_firms == 0)
        return;
    cli_table_t *table = cli_table_new (N_ ("FIRM"), N_ ("CITY"), N_ ("MEETS"),
                                        N_ ("NEWLY MEETS"), NULL);
    char meets [512], newly [512];
    for (size_t i = 0; i < r->n_firms; i++) {
        const Kj__IpoFitNew *f = r->firms [i];
        cli_table_row (table, f->firm, *f->city ? f->city : "-",
                       s_list (f->meets, f->n_meets, meets, sizeof meets),
                       s_list (f->newly, f->n_newly, newly, sizeof newly));
    }
    cli_table_print (table, stdout);
    cli_table_destroy (&table);
    if (*r->next)
        printf (_ ("more: --after %s\n"), r->next);
}

static int
s_show_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    if (!s_json (cli, reply))
        s_print_show (reply);
    return CLI_OK;
}

//  Show a batch, following it while it is fetched; see the header
int
cli_ipo_fit_follow (cli_t *cli, uint64_t batch)
{
    Kj__IpoFitShowRequest show = KJ__IPO_FIT_SHOW_REQUEST__INIT;
    show.batch = batch;
    uint64_t shown = UINT64_MAX;
    while (true) {
        Kj__IpoFitShowReply *reply = NULL;
        int rc = cli_call (cli, "ipo", "FitShow", &show.base,
                           &kj__ipo_fit_show_reply__descriptor,
                           (ProtobufCMessage **) &reply, true);
        if (rc != CLI_OK)
            return rc;
        if (!streq (reply->batch->state, "FETCHING")) {
            if (shown != UINT64_MAX && !cli->json)
                fprintf (stderr, "\n");
            s_show_shown (cli, NULL, &reply->base);
            kj__ipo_fit_show_reply__free_unpacked (reply, NULL);
            return CLI_OK;
        }
        if (reply->batch->firms != shown && !cli->json) {
            shown = reply->batch->firms;
            fprintf (stderr, "\r");
            fprintf (stderr,
                     _ ("batch %llu: fetching the registry, %llu firms "
                        "fitted"),
                     (unsigned long long) reply->batch->id,
                     (unsigned long long) shown);
        }
        show.batch = reply->batch->id;
        kj__ipo_fit_show_reply__free_unpacked (reply, NULL);
        zclock_sleep (500);
    }
}

//  kejin ipo fit firm CODE [--market-cap YUAN] [--toward BOARD]
static void
s_print_fit (const ProtobufCMessage *reply)
{
    const Kj__IpoFitReply *r = (const Kj__IpoFitReply *) reply;
    char list [512], text [160];
    printf (_ ("meets: %s (standards %s)\n"),
            r->n_meets ? s_list (r->meets, r->n_meets, list, sizeof list)
                       : _ ("none"),
            r->version);
    const char *what [2] = { r->nearest, r->toward_nearest };
    Kj__IpoShort **shorts [2] = { r->shorts, r->toward_shorts };
    size_t counts [2] = { r->n_shorts, r->n_toward_shorts };
    for (int k = 0; k < 2; k++) {
        if (!*what [k])
            continue;
        *list = 0;
        for (size_t i = 0; i < counts [k]; i++) {
            if (shorts [k][i]->missing)
                snprintf (text, sizeof text, _ ("%s not reported"),
                          shorts [k][i]->figure);
            else
                cli_ipo_short_text (shorts [k][i]->figure, shorts [k][i]->have,
                                    shorts [k][i]->need, text, sizeof text);
            snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s",
                      i ? "; " : "", text);
        }
        printf (k == 0 ? _ ("nearest missed: %s, short by %s\n")
                       : _ ("nearest on the board asked: %s, short by %s\n"),
                what [k], list);
    }
}

static int
s_fit_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    if (!s_json (cli, reply))
        s_print_fit (reply);
    return CLI_OK;
}

//  The figures from the registry, the market cap as given (the message is
//  the command's, kept until it exits)
static int
s_fit_fill (cli_t *cli, cli_args_t *args, ProtobufCMessage *request)
{
    static Kj__IpoFigures figures;
    kj__ipo_figures__init (&figures);
    Kj__IpoFitRequest *fit = (Kj__IpoFitRequest *) request;
    fit->figures = &figures;
    fit->from_registry = true;
    const char *cap = cli_args_get (args, "market-cap");
    return cap ? cli_parse_yuan ("market-cap", cap, &figures.market_cap_fen)
               : 0;
}

static const cli_call_verb_t s_fit_firm = {
    .spec = "market-cap= toward=",
    .positional = 1,
    .complaint = N_ ("ipo fit firm needs one CODE"),
    .service = "ipo",
    .method = "Fit",
    .request_type = &kj__ipo_fit_request__descriptor,
    .reply_type = &kj__ipo_fit_reply__descriptor,
    .read_only = true,
    .fill = s_fit_fill,
    .show = s_fit_shown,
};

//  kejin ipo fit show [BATCH] [--all] [--after FIRM] [--limit N]
static int
s_fit_show (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_new (argc, argv, 3,
                                     "all! after= limit=", s_usage);
    if (!args)
        return CLI_USAGE;
    Kj__IpoFitShowRequest show = KJ__IPO_FIT_SHOW_REQUEST__INIT;
    show.all = cli_args_flag (args, "all");
    show.after = cli_args_text (args, "after");
    int64_t batch = 0, limit = 100;
    const char *text = cli_args_get (args, "limit");
    int rc = CLI_USAGE;
    if (cli_args_count (args) > 1)
        fprintf (stderr, _ ("kejin: ipo fit show takes one BATCH at most\n"));
    else if ((cli_args_count (args) == 0
              || cli_parse_int ("BATCH", cli_args_positional (args, 0), 1,
                                INT64_MAX, &batch)
                     == 0)
             && (!text
                 || cli_parse_int ("limit", text, 1, 10000, &limit) == 0)) {
        show.batch = (uint64_t) batch;
        show.limit = (uint32_t) limit;
        rc = s_call (cli, "FitShow", &show.base,
                     &kj__ipo_fit_show_reply__descriptor, true, s_show_shown);
    }
    cli_args_destroy (&args);
    return rc;
}

//  kejin ipo fit [run|show|firm] ... through kejin-ipo; see the header
int
cli_ipo_fit_service (cli_t *cli, int argc, char **argv)
{
    if (argc == 2)
        return cli_ipo_fit_follow (cli, 0);
    if (streq (argv [2], "show"))
        return s_fit_show (cli, argc, argv);
    if (streq (argv [2], "firm"))
        return cli_verb_call (cli, argc - 1, argv + 1, s_usage, &s_fit_firm);
    cli_args_t *args = cli_args_new (argc, argv, 3, "", s_usage);
    if (!args)
        return CLI_USAGE;
    bool extra = cli_args_count (args) > 0;
    cli_args_destroy (&args);
    if (extra)
        return cli_usage (s_usage, true);
    Kj__IpoFitBatchRequest start = KJ__IPO_FIT_BATCH_REQUEST__INIT;
    start.from_registry = true;
    Kj__IpoFitBatchReply *reply = NULL;
    int rc = cli_call (cli, "ipo", "FitBatch", &start.base,
                       &kj__ipo_fit_batch_reply__descriptor,
                       (ProtobufCMessage **) &reply, false);
    if (rc != CLI_OK)
        return rc;
    uint64_t batch = reply->batch->id;
    kj__ipo_fit_batch_reply__free_unpacked (reply, NULL);
    return cli_ipo_fit_follow (cli, batch);
}

//  kejin ipo demo (cli_ipo_demo.c)
static int
s_demo (cli_t *cli, int argc, char **argv)
{
    return cli_ipo_demo (cli, argc, argv, s_usage);
}

//  --------------------------------------------------------------------------
//  kejin ipo VERB ... for the verbs of the service; CLI_USAGE after the
//  usage for any other
int
cli_ipo_pipeline (cli_t *cli, int argc, char **argv)
{
    static const cli_verb_t verbs [] = { { "stage", NULL, &s_stage },
                                         { "claim", NULL, &s_claim },
                                         { "raise", NULL, &s_raise },
                                         { "approve", NULL, &s_approve },
                                         { "report", NULL, &s_report },
                                         { "budget", s_budget },
                                         { "demo", s_demo },
                                         { "pool", s_pool },
                                         { NULL } };
    if (cli_wants_help (argc, argv))
        return cli_usage (s_usage, false);
    return s_run (cli, argc, argv, verbs);
}
