/*  =========================================================================
    cli_matching - `kejin demand`, `kejin match` and `kejin application`:
    financing demands, their ranked products with reasons, and the
    application that follows (kejin-matching, docs/rules/matching.md)
    =========================================================================
*/

#include "cli_reg.h"
#include "matching.pb-c.h"

static const char *s_demand_usage = N_ (
    "Usage: kejin demand VERB [ARGS] [--json]\n\n"
    "  add --enterprise CODE --amount YUAN --term MONTHS [--instrument I]\n"
    "      [--purpose TEXT] [--collateral C1,C2] [--linkage]\n"
    "      [--renews-matures YYYY-MM-DD] [--arrears]\n"
    "        post a financing demand; --renews-matures makes it a renewal\n"
    "        (无还本续贷) of a loan maturing then\n"
    "  show ID\n"
    "  list [--enterprise CODE] [--limit N] [--after CURSOR]\n\n"
    "Instruments: loan (default), equity, leasing, factoring, guarantee,\n"
    "insurance, bond. Collateral: ip, receivables, guarantee, real_estate.\n");

static const char *s_match_usage = N_ (
    "Usage: kejin match DEMAND [--why-not PRODUCT] [--limit N] [--json]\n"
    "       kejin match batch [REGION] [--top N]   |   batch --show ID\n"
    "       kejin match report [--by city|stage|institution] [--from DATE]\n"
    "                          [--to DATE]\n"
    "       kejin match model\n\n"
    "Rank the products that may serve the demand, best first, with the\n"
    "reasons of each score; --why-not names every reason a product is\n"
    "excluded. batch matches every open demand of REGION (a city code,\n"
    "SFDZ, SHENYANG_METRO; none: every city) in the background; report\n"
    "counts matches, applications, approvals, first loans and decision\n"
    "times; model says how fresh the products and enterprises matched\n"
    "against are.\n");

static const char *s_roadshow_usage = N_ (
    "Usage: kejin roadshow VERB [ARGS] [--json]\n\n"
    "  add DEMAND --on YYYY-MM-DD --institutions ID1,ID2\n"
    "        put a demand before institutions on a date (融资路演)\n"
    "  respond ROADSHOW INSTITUTION interested|needs_info|declined\n"
    "          [--note TEXT]\n"
    "  show ROADSHOW\n");

static const char *s_application_usage = N_ (
    "Usage: kejin application VERB [ARGS] [--json]\n\n"
    "  apply DEMAND PRODUCT [--renews APPLICATION]\n"
    "  show ID\n"
    "  move ID STATE [--version N] [--amount YUAN] [--rate PERCENT]\n"
    "       [--term MONTHS] [--reason TEXT]\n"
    "        approved needs --amount, --rate and --term; rejected needs\n"
    "        --reason; --version: the version you saw (a move by someone\n"
    "        else meanwhile is then refused)\n"
    "  link ID --investor INSTITUTION --equity YUAN --stake PERCENT\n"
    "       [--note TEXT]\n"
    "        investment-loan linkage (投贷联动): an angel, VC or PE\n"
    "        investor's offer bundled with this loan\n\n"
    "States: under_review, approved, rejected, withdrawn, expired, active,\n"
    "overdue_1_30, overdue_31_60, overdue_61_90, overdue_90_plus, renewed,\n"
    "closed, defaulted.\n");

static void
s_demand_print (const Kj__Demand *d)
{
    char money [32], when [32];
    printf ("%s  %s\n", d->id, d->enterprise_code);
    printf (_ ("  amount      %s over %d months\n"),
            cli_yuan (d->amount_fen, money, sizeof money), d->term_months);
    printf (_ ("  instrument  %s\n"),
            cli_enum_label (&kj__matching_instrument__descriptor, "MATCHING_",
                            d->instrument));
    if (*d->purpose)
        printf (_ ("  purpose     %s\n"), d->purpose);
    if (d->renewal)
        printf (_ ("  renews      a loan maturing %s\n"), d->renews_matures_on);
    printf (_ ("  state       %s, version %" PRIu64 ", posted %s\n"),
            cli_enum_label (&kj__application_state__descriptor, "APP_",
                            d->state),
            d->version, cli_time (d->created_at_us, when, sizeof when));
}

static void
s_application_print (const Kj__Application *a)
{
    char money [32], rate [16];
    printf ("%s  %s -> %s (%s)\n", a->id, a->demand_id, a->product_id,
            a->institution_id);
    printf (_ ("  state       %s, version %" PRIu64 "\n"),
            cli_enum_label (&kj__application_state__descriptor, "APP_",
                            a->state),
            a->version);
    if (a->amount_fen)
        printf (_ ("  approved    %s at %s over %d months\n"),
                cli_yuan (a->amount_fen, money, sizeof money),
                cli_percent (a->rate_bp, rate, sizeof rate), a->term_months);
    if (*a->reason)
        printf (_ ("  reason      %s\n"), a->reason);
    if (*a->renews_id)
        printf (_ ("  renews      %s\n"), a->renews_id);
    printf (_ ("  relied on   product version %" PRIu64 ", rules %s\n"),
            a->product_version, a->rules_version);
}

//  --------------------------------------------------------------------------
//  kejin demand

static int
s_demand_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply);

static int
s_demand_reply (cli_t *cli, const char *method, const ProtobufCMessage *request,
                bool read_only)
{
    Kj__DemandReply *reply = NULL;
    int rc = cli_call (cli, "matching", method, request,
                       &kj__demand_reply__descriptor,
                       (ProtobufCMessage **) &reply, read_only);
    if (rc != CLI_OK)
        return rc;
    rc = s_demand_shown (cli, NULL, &reply->base);
    kj__demand_reply__free_unpacked (reply, NULL);
    return rc;
}

static int
s_demand_add (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (
        argc, argv,
        "enterprise= amount= term= instrument= purpose= collateral= "
        "linkage! renews-matures= arrears!",
        s_demand_usage, 0, "enterprise amount term",
        "demand add needs --enterprise, --amount "
        "and --term, e.g.\n  kejin demand add --enterprise CODE --amount "
        "200万 --term 12");
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    Kj__Demand d = KJ__DEMAND__INIT;
    int64_t term = 0;
    int instrument = KJ__MATCHING_INSTRUMENT__MATCHING_LOAN;
    int *collateral = NULL;
    const char *value;
    d.enterprise_code = cli_args_text (args, "enterprise");
    d.purpose = cli_args_text (args, "purpose");
    d.linkage = cli_args_flag (args, "linkage");
    d.renews_arrears = cli_args_flag (args, "arrears");
    d.renews_matures_on = cli_args_text (args, "renews-matures");
    d.renewal = *d.renews_matures_on != 0;
    if (cli_parse_yuan ("--amount", cli_args_get (args, "amount"),
                        &d.amount_fen)
        || cli_parse_int ("--term", cli_args_get (args, "term"), 1, 360, &term)
        || ((value = cli_args_get (args, "instrument"))
            && cli_parse_enum ("--instrument", value,
                               &kj__matching_instrument__descriptor,
                               "MATCHING_", false, &instrument))
        || ((value = cli_args_get (args, "collateral"))
            && cli_parse_enums ("--collateral", value,
                                &kj__collateral__descriptor, "COLLATERAL_",
                                &collateral, &d.n_collateral)))
        goto done;
    d.term_months = (int32_t) term;
    d.instrument = (Kj__MatchingInstrument) instrument;
    d.collateral = (Kj__Collateral *) collateral;
    Kj__AddDemandRequest request = KJ__ADD_DEMAND_REQUEST__INIT;
    request.demand = &d;
    rc = s_demand_reply (cli, "AddDemand", &request.base, false);
done:
    free (collateral);
    cli_args_destroy (&args);
    return rc;
}

static int
s_demand_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    (void) args;
    const Kj__Demand *d = ((const Kj__DemandReply *) reply)->demand;
    if (!d) {
        fprintf (stderr, _ ("%s: the service answered without the demand\n"),
                 cli->prog);
        return CLI_FAILED;
    }
    if (cli->json)
        cli_print_json (&d->base);
    else
        s_demand_print (d);
    return CLI_OK;
}

static const cli_call_verb_t s_demand_show = {
    .positional = 1,
    .complaint = N_ ("demand show takes one id"),
    .service = "matching",
    .method = "GetDemand",
    .request_type = &kj__get_demand_request__descriptor,
    .reply_type = &kj__demand_reply__descriptor,
    .read_only = true,
    .show = s_demand_shown,
};

static int
s_demand_list (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv, "enterprise= limit= after=",
                                      s_demand_usage, 0, NULL, NULL);
    if (!args)
        return CLI_USAGE;
    Kj__Page page = KJ__PAGE__INIT;
    Kj__ListDemandsRequest request = KJ__LIST_DEMANDS_REQUEST__INIT;
    request.page = &page;
    request.enterprise_code = cli_args_text (args, "enterprise");
    int rc = CLI_USAGE;
    if (cli_page_options (args, &page) == 0) {
        Kj__ListDemandsReply *reply = NULL;
        rc = cli_call (cli, "matching", "ListDemands", &request.base,
                       &kj__list_demands_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
        if (rc == CLI_OK && cli->json)
            for (size_t i = 0; i < reply->n_demands; i++)
                cli_print_json (&reply->demands [i]->base);
        else if (rc == CLI_OK) {
            cli_table_t *table = cli_table_new (_ ("ID"), _ ("ENTERPRISE"),
                                                _ ("AMOUNT"), _ ("TERM"),
                                                _ ("STATE"), NULL);
            for (size_t i = 0; i < reply->n_demands; i++) {
                const Kj__Demand *d = reply->demands [i];
                char money [32], term [16];
                snprintf (term, sizeof term, "%d", d->term_months);
                cli_table_row (
                    table, d->id, d->enterprise_code,
                    cli_yuan (d->amount_fen, money, sizeof money), term,
                    cli_enum_label (&kj__application_state__descriptor, "APP_",
                                    d->state));
            }
            cli_page_print (&table, reply->n_demands, _ ("No demands."),
                            reply->page_info);
        }
        if (reply)
            kj__list_demands_reply__free_unpacked (reply, NULL);
    }
    cli_args_destroy (&args);
    return rc;
}

int
cli_demand (cli_t *cli, int argc, char **argv)
{
    static const cli_verb_t verbs [] = { { "add", s_demand_add },
                                         { "show", NULL, &s_demand_show },
                                         { "list", s_demand_list },
                                         { NULL } };
    return cli_reg_run (cli, argc, argv, "demand", s_demand_usage, verbs);
}

//  --------------------------------------------------------------------------
//  kejin match

static int
s_match_batch (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_new (argc, argv, 2,
                                     "top= show=", s_match_usage);
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    int64_t top = 0;
    const char *value = cli_args_get (args, "top");
    if (cli_args_count (args) > 1
        || (value && cli_parse_int ("--top", value, 1, 20, &top)))
        goto done;
    Kj__BatchReply *reply = NULL;
    if (cli_args_get (args, "show")) {
        Kj__GetBatchRequest request = KJ__GET_BATCH_REQUEST__INIT;
        request.id = cli_args_text (args, "show");
        rc = cli_call (cli, "matching", "GetBatch", &request.base,
                       &kj__batch_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
    }
    else {
        Kj__BatchRequest request = KJ__BATCH_REQUEST__INIT;
        Kj__Batch batch = KJ__BATCH__INIT;
        batch.region = cli_args_count (args)
                         ? (char *) cli_args_positional (args, 0)
                         : "";
        batch.top = (uint32_t) top;
        request.batch = &batch;
        rc = cli_call (cli, "matching", "MatchBatch", &request.base,
                       &kj__batch_reply__descriptor,
                       (ProtobufCMessage **) &reply, false);
    }
    if (rc != CLI_OK)
        goto done;
    if (cli->json)
        cli_print_json (&reply->batch->base);
    else {
        const Kj__Batch *b = reply->batch;
        printf (_ ("Batch %s of %s: %s\n"), b->id,
                *b->region ? b->region : _ ("every city"),
                cli_enum_label (&kj__batch_state__descriptor, "BATCH_",
                                b->state));
        if (b->state == KJ__BATCH_STATE__BATCH_DONE)
            printf (_ ("  %u open demands, %u with a product, %" PRIu64
                       " proposals kept, matched in %" PRId64 " ms\n"),
                    b->demands, b->matched, b->proposals, b->ms);
    }
    kj__batch_reply__free_unpacked (reply, NULL);
done:
    cli_args_destroy (&args);
    return rc;
}

static int
s_match_report (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv,
                                      "by= from= to=", s_match_usage, 0, NULL,
                                      "match report takes options only");
    if (!args)
        return CLI_USAGE;
    Kj__MatchingReportRequest request = KJ__MATCHING_REPORT_REQUEST__INIT;
    request.by = cli_args_text (args, "by");
    request.from = cli_args_text (args, "from");
    request.to = cli_args_text (args, "to");
    Kj__MatchingReportReply *reply = NULL;
    int rc = cli_call (cli, "matching", "Report", &request.base,
                       &kj__matching_report_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
    cli_args_destroy (&args);
    if (rc != CLI_OK)
        return rc;
    if (cli->json) {
        cli_print_json (&reply->base);
        kj__matching_report_reply__free_unpacked (reply, NULL);
        return CLI_OK;
    }
    cli_table_t *table = cli_table_new (reply->by, _ ("matches"),
                                        _ ("intercity"), _ ("applications"),
                                        _ ("approvals"), _ ("disbursed"),
                                        _ ("first loans"), _ ("decided"),
                                        _ ("hours to decision"),
                                        _ ("within target"), NULL);
    for (size_t i = 0; i <= reply->n_rows; i++) {
        const Kj__MatchingReportRow *r = i < reply->n_rows ? reply->rows [i]
                                                           : reply->total;
        char cells [9][32];
        snprintf (cells [0], 32, "%" PRIu64, r->matches);
        snprintf (cells [1], 32, "%" PRIu64 " (%d.%02d%%)", r->intercity,
                  r->intercity_bp / 100, r->intercity_bp % 100);
        snprintf (cells [2], 32, "%" PRIu64, r->applications);
        snprintf (cells [3], 32, "%" PRIu64, r->approvals);
        snprintf (cells [4], 32, "%" PRIu64, r->disbursed);
        snprintf (cells [5], 32, "%" PRIu64 " (%d.%02d%%)", r->first_loans,
                  r->first_loan_bp / 100, r->first_loan_bp % 100);
        snprintf (cells [6], 32, "%" PRIu64, r->decisions);
        snprintf (cells [7], 32, "%" PRId64, r->decision_hours);
        snprintf (cells [8], 32, "%" PRIu64, r->within_sla);
        cli_table_row (table, i < reply->n_rows ? r->key : _ ("total"),
                       cells [0], cells [1], cells [2], cells [3], cells [4],
                       cells [5], cells [6], cells [7], cells [8]);
    }
    cli_table_print (table, stdout);
    printf (_ ("Decision target: %d days.\n"), reply->sla_days);
    cli_table_destroy (&table);
    kj__matching_report_reply__free_unpacked (reply, NULL);
    return CLI_OK;
}

static int
s_match_model (cli_t *cli)
{
    Kj__ModelRequest request = KJ__MODEL_REQUEST__INIT;
    Kj__ModelReply *reply = NULL;
    int rc = cli_call (cli, "matching", "Model", &request.base,
                       &kj__model_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
    if (rc != CLI_OK)
        return rc;
    if (cli->json)
        cli_print_json (&reply->base);
    else {
        char loaded [32], last [32];
        printf (_ ("Read model of one kejin-matching copy: %s\n"),
                reply->ready ? _ ("loaded") : _ ("loading"));
        printf (_ ("  %" PRIu64 " products, %" PRIu64 " enterprises, %" PRIu64
                   " grades; loaded %s\n"),
                reply->products, reply->enterprises, reply->grades,
                cli_time (reply->loaded_at_us, loaded, sizeof loaded));
        printf (_ ("  %" PRIu64 " events applied, the last at %s, %" PRId64
                   " ms after it happened; next offsets %" PRIu64
                   " (registry), %" PRIu64 " (scoring)\n"),
                reply->events,
                reply->event_at_us
                    ? cli_time (reply->event_at_us, last, sizeof last)
                    : "-",
                reply->lag_us / 1000, reply->registry_next,
                reply->scoring_next);
        printf (_ ("  %" PRIu64 " records read again, %" PRIu64
                   " gaps repaired, %" PRIu64 " changes waiting to "
                   "re-match\n"),
                reply->refetches, reply->gaps_repaired, reply->rematch_pending);
    }
    kj__model_reply__free_unpacked (reply, NULL);
    return CLI_OK;
}

int
cli_match (cli_t *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help (argc, argv))
        return cli_usage (s_match_usage, argc < 2);
    if (strcmp (argv [1], "batch") == 0)
        return s_match_batch (cli, argc, argv);
    if (strcmp (argv [1], "report") == 0)
        return s_match_report (cli, argc, argv);
    if (strcmp (argv [1], "model") == 0 && argc == 2)
        return s_match_model (cli);
    cli_args_t *args = cli_args_new (argc, argv, 1,
                                     "why-not= limit=", s_match_usage);
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    int64_t limit = 0;
    const char *value = cli_args_get (args, "limit");
    if (cli_args_count (args) != 1) {
        fprintf (stderr, _ ("kejin: match takes one demand id\n"));
        goto done;
    }
    if (value && cli_parse_int ("--limit", value, 1, 100, &limit))
        goto done;
    Kj__MatchRequest request = KJ__MATCH_REQUEST__INIT;
    request.demand_id = (char *) cli_args_positional (args, 0);
    request.why_not = cli_args_text (args, "why-not");
    request.limit = (uint32_t) limit;
    Kj__MatchReply *reply = NULL;
    rc = cli_call (cli, "matching", "Match", &request.base,
                   &kj__match_reply__descriptor, (ProtobufCMessage **) &reply,
                   false);
    if (rc != CLI_OK)
        goto done;
    if (cli->json)
        cli_print_json (&reply->base);
    else {
        printf (_ ("Match %s for demand %s: %zu of %u products (rules %s)\n\n"),
                reply->match_id, reply->demand_id, reply->n_products,
                reply->candidates, reply->rules_version);
        for (size_t i = 0; i < reply->n_products; i++) {
            const Kj__MatchedProduct *p = reply->products [i];
            char rate [16];
            printf ("%2zu. %s  %s  %s (%s)  %s  %s %" PRId64 "\n", i + 1,
                    p->product_id, p->product_name, p->institution_name,
                    p->institution_id,
                    cli_percent (p->rate_bp, rate, sizeof rate), _ ("score"),
                    p->score);
            printf ("    %s\n", p->explanation);
        }
        if (*reply->why_not) {
            printf ("\n");
            if (reply->why_not_eligible)
                printf (_ ("%s passes every filter; it ranks below those "
                           "shown or was cut by --limit.\n"),
                        reply->why_not);
            else
                printf (_ ("Why not %s:\n"), reply->why_not);
            for (size_t i = 0; i < reply->n_why_not_reasons; i++)
                printf ("  - %s (%s)\n", reply->why_not_reasons [i]->text,
                        reply->why_not_reasons [i]->code);
        }
    }
    kj__match_reply__free_unpacked (reply, NULL);
done:
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  kejin application

static int
s_application_shown (cli_t *cli, cli_args_t *args,
                     const ProtobufCMessage *reply)
{
    (void) args;
    const Kj__Application *a = ((const Kj__ApplicationReply *) reply)
                                   ->application;
    if (cli->json)
        cli_print_json (&a->base);
    else
        s_application_print (a);
    return CLI_OK;
}

static int
s_application_apply_fill (cli_t *cli, cli_args_t *args,
                          ProtobufCMessage *request)
{
    (void) cli;
    ((Kj__ApplyRequest *) request)->renews_id = cli_args_text (args, "renews");
    return 0;
}

static const cli_call_verb_t s_application_apply = {
    .spec = "renews=",
    .positional = 2,
    .complaint = N_ ("application apply takes a demand id and a product id"),
    .service = "matching",
    .method = "Apply",
    .request_type = &kj__apply_request__descriptor,
    .reply_type = &kj__application_reply__descriptor,
    .fill = s_application_apply_fill,
    .show = s_application_shown,
};

static const cli_call_verb_t s_application_show = {
    .positional = 1,
    .complaint = N_ ("application show takes one id"),
    .service = "matching",
    .method = "GetApplication",
    .request_type = &kj__get_application_request__descriptor,
    .reply_type = &kj__application_reply__descriptor,
    .read_only = true,
    .show = s_application_shown,
};

//  The state, version and terms of a move (id and --reason are strings)
static int
s_application_move_fill (cli_t *cli, cli_args_t *args,
                         ProtobufCMessage *message)
{
    (void) cli;
    Kj__ActRequest *request = (Kj__ActRequest *) message;
    int to;
    int64_t version = 0, term = 0;
    const char *value;
    if (cli_parse_enum ("STATE", cli_args_positional (args, 1),
                        &kj__application_state__descriptor, "APP_", false, &to)
        || cli_args_version (args, &version) < 0
        || ((value = cli_args_get (args, "amount"))
            && cli_parse_yuan ("--amount", value, &request->amount_fen))
        || ((value = cli_args_get (args, "rate"))
            && cli_parse_percent ("--rate", value, &request->rate_bp))
        || ((value = cli_args_get (args, "term"))
            && cli_parse_int ("--term", value, 1, 360, &term)))
        return -1;
    request->to = (Kj__ApplicationState) to;
    request->expected_version = (uint64_t) version;
    request->term_months = (int32_t) term;
    return 0;
}

static const cli_call_verb_t s_application_move = {
    .spec = "version= amount= rate= term= reason=",
    .positional = 2,
    .complaint = N_ ("application move takes an id and a state"),
    .service = "matching",
    .method = "Act",
    .request_type = &kj__act_request__descriptor,
    .reply_type = &kj__application_reply__descriptor,
    .fill = s_application_move_fill,
    .show = s_application_shown,
};

static int
s_application_link (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv,
                                      "investor= equity= stake= note=",
                                      s_application_usage, 1,
                                      "investor equity stake",
                                      "application link takes one id");
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    Kj__LinkRequest request = KJ__LINK_REQUEST__INIT;
    Kj__Linkage linkage = KJ__LINKAGE__INIT;
    linkage.application_id = (char *) cli_args_positional (args, 0);
    linkage.investor_id = cli_args_text (args, "investor");
    linkage.note = cli_args_text (args, "note");
    if (cli_parse_yuan ("--equity", cli_args_get (args, "equity"),
                        &linkage.equity_fen)
        || cli_parse_percent ("--stake", cli_args_get (args, "stake"),
                              &linkage.stake_bp))
        goto done;
    request.linkage = &linkage;
    Kj__LinkageReply *reply = NULL;
    rc = cli_call (cli, "matching", "Link", &request.base,
                   &kj__linkage_reply__descriptor, (ProtobufCMessage **) &reply,
                   false);
    if (rc != CLI_OK)
        goto done;
    if (cli->json)
        cli_print_json (&reply->linkage->base);
    else {
        char money [32], stake [16];
        const Kj__Linkage *l = reply->linkage;
        printf (_ ("%s: %s invests %s for %s of %s, with loan %s\n"), l->id,
                l->investor_id, cli_yuan (l->equity_fen, money, sizeof money),
                cli_percent (l->stake_bp, stake, sizeof stake),
                l->enterprise_code, l->application_id);
    }
    kj__linkage_reply__free_unpacked (reply, NULL);
done:
    cli_args_destroy (&args);
    return rc;
}

int
cli_application (cli_t *cli, int argc, char **argv)
{
    static const cli_verb_t verbs [] = { { "apply", NULL,
                                           &s_application_apply },
                                         { "show", NULL, &s_application_show },
                                         { "move", NULL, &s_application_move },
                                         { "link", s_application_link },
                                         { NULL } };
    return cli_reg_run (cli, argc, argv, "application", s_application_usage,
                        verbs);
}

//  --------------------------------------------------------------------------
//  kejin roadshow

static int
s_roadshow_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    (void) args;
    const Kj__Roadshow *r = ((const Kj__RoadshowReply *) reply)->roadshow;
    if (cli->json) {
        cli_print_json (&r->base);
        return CLI_OK;
    }
    printf (_ ("%s: demand %s before %zu institutions on %s\n"), r->id,
            r->demand_id, r->n_invitees, r->on_date);
    for (size_t i = 0; i < r->n_invitees; i++) {
        const Kj__RoadshowInvitee *v = r->invitees [i];
        char when [32];
        printf ("  %-12s %-12s", v->institution_id,
                v->response
                    ? cli_enum_label (&kj__roadshow_response__descriptor,
                                      "ROADSHOW_", v->response)
                    : _ ("no answer"));
        if (v->responded_at_us)
            printf ("  %s  %s",
                    cli_time (v->responded_at_us, when, sizeof when), v->note);
        printf ("\n");
    }
    return CLI_OK;
}

static int
s_roadshow_add (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv,
                                      "on= institutions=", s_roadshow_usage, 1,
                                      "on institutions",
                                      "roadshow add takes one demand id");
    if (!args)
        return CLI_USAGE;
    //  Institutions comma-separated, at most 50 (more: the daemon says so)
    char *list = strdup (cli_args_get (args, "institutions"));
    Kj__RoadshowInvitee invitees [51];
    Kj__RoadshowInvitee *pointers [51];
    size_t n = 0;
    for (char *save = NULL, *id = strtok_r (list, ",", &save); id && n < 51;
         id = strtok_r (NULL, ",", &save)) {
        kj__roadshow_invitee__init (&invitees [n]);
        invitees [n].institution_id = id;
        pointers [n] = &invitees [n];
        n++;
    }
    Kj__AddRoadshowRequest request = KJ__ADD_ROADSHOW_REQUEST__INIT;
    Kj__Roadshow roadshow = KJ__ROADSHOW__INIT;
    roadshow.demand_id = (char *) cli_args_positional (args, 0);
    roadshow.on_date = cli_args_text (args, "on");
    roadshow.invitees = pointers;
    roadshow.n_invitees = n;
    request.roadshow = &roadshow;
    Kj__RoadshowReply *reply = NULL;
    int rc = cli_call (cli, "matching", "AddRoadshow", &request.base,
                       &kj__roadshow_reply__descriptor,
                       (ProtobufCMessage **) &reply, false);
    if (rc == CLI_OK)
        rc = s_roadshow_shown (cli, args, &reply->base);
    if (reply)
        kj__roadshow_reply__free_unpacked (reply, NULL);
    free (list);
    cli_args_destroy (&args);
    return rc;
}

//  The response (roadshow, institution and --note are strings)
static int
s_roadshow_respond_fill (cli_t *cli, cli_args_t *args,
                         ProtobufCMessage *message)
{
    (void) cli;
    int response;
    if (cli_parse_enum ("RESPONSE", cli_args_positional (args, 2),
                        &kj__roadshow_response__descriptor, "ROADSHOW_", false,
                        &response))
        return -1;
    ((Kj__RespondRequest *) message)->response = (Kj__RoadshowResponse)
        response;
    return 0;
}

static const cli_call_verb_t s_roadshow_respond = {
    .spec = "note=",
    .positional = 3,
    .complaint = N_ ("roadshow respond takes a roadshow, an institution and a "
                     "response"),
    .service = "matching",
    .method = "Respond",
    .request_type = &kj__respond_request__descriptor,
    .reply_type = &kj__roadshow_reply__descriptor,
    .fill = s_roadshow_respond_fill,
    .show = s_roadshow_shown,
};

static const cli_call_verb_t s_roadshow_show = {
    .positional = 1,
    .complaint = N_ ("roadshow show takes one id"),
    .service = "matching",
    .method = "GetRoadshow",
    .request_type = &kj__get_roadshow_request__descriptor,
    .reply_type = &kj__roadshow_reply__descriptor,
    .read_only = true,
    .show = s_roadshow_shown,
};

int
cli_roadshow (cli_t *cli, int argc, char **argv)
{
    static const cli_verb_t verbs [] = { { "add", s_roadshow_add },
                                         { "respond", NULL,
                                           &s_roadshow_respond },
                                         { "show", NULL, &s_roadshow_show },
                                         { NULL } };
    return cli_reg_run (cli, argc, argv, "roadshow", s_roadshow_usage, verbs);
}
