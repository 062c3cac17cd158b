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
#include "ipo.pb-c.h"

static const char *s_usage =
    "Usage: kejin ipo pool admit FIRM --name NAME --city CODE [--sponsor S]\n"
    "                 [--auditor A] [--law-firm L] [--date YYYY-MM-DD]\n"
    "       kejin ipo pool review FIRM --level city|province [--refuse]\n"
    "                 [--date D] [--note TEXT]\n"
    "       kejin ipo pool show FIRM\n"
    "       kejin ipo pool refresh FIRM [--date D] [--sponsor S] [--auditor "
    "A]\n"
    "                 [--law-firm L]\n"
    "       kejin ipo stage FIRM STATE [--board MAIN|CHINEXT|STAR|BSE]\n"
    "                 [--date D] [--note TEXT]\n"
    "       kejin ipo claim FIRM STAGE [--date D]\n"
    "       kejin ipo approve CLAIM --level city|province [--refuse]\n"
    "                 [--note TEXT]\n"
    "       kejin ipo budget YEAR [--set YUAN]\n"
    "       kejin ipo report [--city CODE]\n"
    "The listing reserve pool in kejin-ipo (add --json for JSON lines).\n"
    "STATE: shareholding_reformed, tutoring_filed, tutoring_accepted,\n"
    "application_accepted, under_inquiry, committee_review,\n"
    "registration_submitted, registered, listed, withdrawn, terminated,\n"
    "rejected, neeq_basic, neeq_innovation. STAGE: REFORM, TUTORING,\n"
    "APPLICATION, REGISTRATION, TOP_UP, NEEQ_LISTING.\n";

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
}

//  Call kejin-ipo; print the reply as JSON, or with print for people
static int
s_call (cli_t *cli, const char *method, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *type, bool read_only,
        void (*print) (const ProtobufCMessage *reply))
{
    ProtobufCMessage *reply = NULL;
    int rc = cli_call (cli, "ipo", method, request, type, &reply, read_only);
    if (rc != CLI_OK)
        return rc;
    if (cli->json)
        cli_print_json (reply);
    else
        print (reply);
    protobuf_c_message_free_unpacked (reply, NULL);
    return CLI_OK;
}

static void
s_print_firm (const ProtobufCMessage *reply)
{
    s_print_file (((const Kj__IpoFirmReply *) reply)->firm);
}

static void
s_print_move (const ProtobufCMessage *reply)
{
    s_print_file (((const Kj__IpoMoveReply *) reply)->firm);
}

static void
s_print_claim (const ProtobufCMessage *reply)
{
    const Kj__IpoClaim *c = ((const Kj__IpoClaimReply *) reply)->claim;
    char yuan [48];
    printf (_ ("claim %lld  %s  %s %s on %s: %s\n"), (long long) c->id, c->firm,
            c->stage, cli_yuan (c->amount_fen, yuan, sizeof yuan), c->board,
            c->status);
}

static void
s_print_budget (const ProtobufCMessage *reply)
{
    const Kj__IpoBudget *b = ((const Kj__IpoBudgetReply *) reply)->budget;
    char v [4][48];
    printf (_ ("budget %d: %s, committed %s, paid %s, left %s\n"), b->year,
            cli_yuan (b->budget_fen, v [0], sizeof v [0]),
            cli_yuan (b->committed_fen, v [1], sizeof v [1]),
            cli_yuan (b->paid_fen, v [2], sizeof v [2]),
            cli_yuan (b->left_fen, v [3], sizeof v [3]));
}

static void
s_print_report (const ProtobufCMessage *reply)
{
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
        cli_table_row (table, f->city, n [0], n [1], n [2], n [3], n [4], n [5],
                       n [6], n [7], n [8], n [9]);
    }
    cli_table_print (table, stdout);
    cli_table_destroy (&table);
    char yuan [48];
    for (size_t i = 0; i < r->n_paid; i++)
        printf (_ ("paid %s %s: %s\n"), r->paid [i]->city, r->paid [i]->board,
                cli_yuan (r->paid [i]->paid_fen, yuan, sizeof yuan));
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

//  --sponsor, --auditor, --law-firm into advisers ("" where not given)
static void
s_advisers (cli_args_t *args, Kj__IpoAdvisers *advisers)
{
    kj__ipo_advisers__init (advisers);
    advisers->sponsor = cli_args_text (args, "sponsor");
    advisers->auditor = cli_args_text (args, "auditor");
    advisers->law_firm = cli_args_text (args, "law-firm");
}

//  --------------------------------------------------------------------------
//  kejin ipo pool admit|review|refresh|show FIRM ...
static int
s_pool (cli_t *cli, int argc, char **argv)
{
    if (argc < 3)
        return cli_usage (s_usage, true);
    const char *verb = argv [2];
    int rc = CLI_USAGE;
    if (streq (verb, "admit")) {
        cli_args_t *args =
            cli_args_verb (argc - 1, argv + 1,
                           "name= city= sponsor= auditor= law-firm= date=",
                           s_usage, 1, "name city", NULL);
        if (!args)
            return CLI_USAGE;
        Kj__IpoAdvisers advisers;
        s_advisers (args, &advisers);
        Kj__IpoAdmitRequest admit = KJ__IPO_ADMIT_REQUEST__INIT;
        admit.firm = (char *) cli_args_positional (args, 0);
        admit.name = cli_args_text (args, "name");
        admit.city = cli_args_text (args, "city");
        admit.date = cli_args_text (args, "date");
        admit.advisers = &advisers;
        rc = s_call (cli, "Admit", &admit.base, &kj__ipo_firm_reply__descriptor,
                     false, s_print_firm);
        cli_args_destroy (&args);
    }
    else if (streq (verb, "review")) {
        cli_args_t *args = cli_args_verb (argc - 1, argv + 1,
                                          "level= refuse! date= note=", s_usage,
                                          1, "level", NULL);
        if (!args)
            return CLI_USAGE;
        Kj__IpoReviewRequest review = KJ__IPO_REVIEW_REQUEST__INIT;
        review.firm = (char *) cli_args_positional (args, 0);
        review.approve = !cli_args_flag (args, "refuse");
        review.date = cli_args_text (args, "date");
        review.note = cli_args_text (args, "note");
        if (s_level (args, &review.level) == 0)
            rc = s_call (cli, "Review", &review.base,
                         &kj__ipo_move_reply__descriptor, false, s_print_move);
        cli_args_destroy (&args);
    }
    else if (streq (verb, "refresh")) {
        cli_args_t *args = cli_args_verb (argc - 1, argv + 1,
                                          "date= sponsor= auditor= law-firm=",
                                          s_usage, 1, NULL, NULL);
        if (!args)
            return CLI_USAGE;
        Kj__IpoAdvisers advisers;
        s_advisers (args, &advisers);
        Kj__IpoRefreshRequest refresh = KJ__IPO_REFRESH_REQUEST__INIT;
        refresh.firm = (char *) cli_args_positional (args, 0);
        refresh.date = cli_args_text (args, "date");
        refresh.advisers = &advisers;
        rc = s_call (cli, "Refresh", &refresh.base,
                     &kj__ipo_firm_reply__descriptor, false, s_print_firm);
        cli_args_destroy (&args);
    }
    else if (streq (verb, "show")) {
        cli_args_t *args = cli_args_verb (argc - 1, argv + 1, "", s_usage, 1,
                                          NULL, NULL);
        if (!args)
            return CLI_USAGE;
        Kj__IpoGetRequest get = KJ__IPO_GET_REQUEST__INIT;
        get.firm = (char *) cli_args_positional (args, 0);
        rc = s_call (cli, "Get", &get.base, &kj__ipo_firm_reply__descriptor,
                     true, s_print_firm);
        cli_args_destroy (&args);
    }
    else
        return cli_usage (s_usage, true);
    return rc;
}

//  kejin ipo stage FIRM STATE ...
static int
s_stage (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv, "board= date= note=", s_usage,
                                      2, NULL, NULL);
    if (!args)
        return CLI_USAGE;
    Kj__IpoMoveRequest move = KJ__IPO_MOVE_REQUEST__INIT;
    move.firm = (char *) cli_args_positional (args, 0);
    move.board = cli_args_text (args, "board");
    move.date = cli_args_text (args, "date");
    move.note = cli_args_text (args, "note");
    int to, rc = CLI_USAGE;
    if (cli_parse_enum ("STATE", cli_args_positional (args, 1),
                        &kj__ipo_state__descriptor, "IPO_", false, &to)
        == 0) {
        move.to = (Kj__IpoState) to;
        rc = s_call (cli, "Move", &move.base, &kj__ipo_move_reply__descriptor,
                     false, s_print_move);
    }
    cli_args_destroy (&args);
    return rc;
}

//  kejin ipo claim FIRM STAGE ...
static int
s_claim (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv, "date=", s_usage, 2, NULL,
                                      NULL);
    if (!args)
        return CLI_USAGE;
    Kj__IpoClaimRequest claim = KJ__IPO_CLAIM_REQUEST__INIT;
    claim.firm = (char *) cli_args_positional (args, 0);
    claim.stage = (char *) cli_args_positional (args, 1);
    claim.date = cli_args_text (args, "date");
    int rc = s_call (cli, "Claim", &claim.base,
                     &kj__ipo_claim_reply__descriptor, false, s_print_claim);
    cli_args_destroy (&args);
    return rc;
}

//  kejin ipo approve CLAIM ...
static int
s_approve (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv,
                                      "level= refuse! date= note=", s_usage, 1,
                                      "level", NULL);
    if (!args)
        return CLI_USAGE;
    Kj__IpoApproveRequest approve = KJ__IPO_APPROVE_REQUEST__INIT;
    approve.approve = !cli_args_flag (args, "refuse");
    approve.date = cli_args_text (args, "date");
    approve.note = cli_args_text (args, "note");
    int rc = CLI_USAGE;
    if (cli_parse_int ("CLAIM", cli_args_positional (args, 0), 1, INT64_MAX,
                       &approve.claim)
            == 0
        && s_level (args, &approve.level) == 0)
        rc = s_call (cli, "Approve", &approve.base,
                     &kj__ipo_claim_reply__descriptor, false, s_print_claim);
    cli_args_destroy (&args);
    return rc;
}

//  kejin ipo budget YEAR [--set YUAN]
static int
s_budget (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv, "set=", s_usage, 1, NULL,
                                      NULL);
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
                     &kj__ipo_budget_reply__descriptor, !set, s_print_budget);
    }
    cli_args_destroy (&args);
    return rc;
}

//  kejin ipo report [--city CODE]
static int
s_report (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv, "city=", s_usage, 0, NULL,
                                      NULL);
    if (!args)
        return CLI_USAGE;
    Kj__IpoReportRequest report = KJ__IPO_REPORT_REQUEST__INIT;
    report.city = cli_args_text (args, "city");
    int rc = s_call (cli, "Report", &report.base,
                     &kj__ipo_report_reply__descriptor, true, s_print_report);
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  kejin ipo VERB ... for the verbs of the service; CLI_USAGE after the
//  usage for any other
int
cli_ipo_pipeline (cli_t *cli, int argc, char **argv)
{
    const char *verb = argv [1];
    if (cli_wants_help (argc, argv))
        return cli_usage (s_usage, false);
    if (streq (verb, "pool"))
        return s_pool (cli, argc, argv);
    if (streq (verb, "stage"))
        return s_stage (cli, argc, argv);
    if (streq (verb, "claim"))
        return s_claim (cli, argc, argv);
    if (streq (verb, "approve"))
        return s_approve (cli, argc, argv);
    if (streq (verb, "budget"))
        return s_budget (cli, argc, argv);
    if (streq (verb, "report"))
        return s_report (cli, argc, argv);
    return cli_usage (s_usage, true);
}
