/*  =========================================================================
    cli_enterprise - `kejin enterprise`: the enterprises of the life-cycle
    financial service library (全生命周期金融服务库)

    add, show, list, update, stage, transition, figures, qualify talk to
    the Registry service; import and export belong to the bulk commands
    (cli_bulk.c). Money is typed and shown in yuan, sent in fen.
    =========================================================================
*/

#include "cli_reg.h"

static const char *s_usage = N_ (
    "Usage: kejin enterprise VERB [ARGS] [--json]\n\n"
    "  add CODE --name NAME [--region R] [--industry I]\n"
    "      [--founded DATE] [--size micro|small|medium|large]\n"
    "      [--tutoring] [--board-standard] [--chain-leader]\n"
    "      [--dishonest] [--abnormal] [--tax-grade A|B|M|C|D]\n"
    "      [--invention-patents N] [--class2-ip N] [--pledged-ip N]\n"
    "        register an enterprise as a draft entry. The region comes\n"
    "        from the code; give --region SFDZ for 沈抚示范区.\n"
    "  show CODE [--history]\n"
    "        the enterprise with its figures, lists and stage;\n"
    "        --history adds its audit trail\n"
    "  list [--region R | --city R]... [--stage S]... [--status S]...\n"
    "       [--qualification K]... [--name TEXT] [--industry I]\n"
    "       [--limit N] [--after CURSOR]\n"
    "        regions: a city code, SFDZ, SHENYANG_METRO or PROVINCE\n"
    "  update CODE [--name] [--region] [--industry] [--founded]\n"
    "       [--size] [--tutoring yes|no] [--board-standard yes|no]\n"
    "       [--chain-leader yes|no] [--dishonest yes|no]\n"
    "       [--abnormal yes|no] [--tax-grade G]\n"
    "       [--invention-patents N] [--class2-ip N] [--pledged-ip N]\n"
    "       [--award NAME:LEVEL:YEAR[:RANK]]...\n"
    "       [--round ROUND:YUAN:DATE[:INVESTORS]]...\n"
    "       [--loan LENDER:YUAN:DRAWN[:MATURES[:repaid]]]...\n"
    "       [--link LEADER[:CHAIN]]... [--clear-awards]\n"
    "       [--clear-rounds] [--clear-loans] [--clear-links]\n"
    "       [--version N]\n"
    "        change what is given; --award, --round, --loan and --link\n"
    "        add to the lists, --clear-* empties one first\n"
    "  stage CODE [--set STAGE --reason TEXT | --clear --reason TEXT\n"
    "       | --recompute]\n"
    "        show the stage and the rule that fired; set it by hand\n"
    "        (audited), hand it back to the rules, or recompute it now\n"
    "  transition CODE ACTION [--reason TEXT] [--version N]\n"
    "        actions: submit, city_approve, province_approve,\n"
    "        publicity_pass, publicity_objection, return, reject,\n"
    "        suspend, reinstate, remove\n"
    "  figures CODE [--year Y [--revenue YUAN] [--rnd YUAN]\n"
    "       [--net-profit YUAN] [--assets YUAN] [--cash-flow YUAN]\n"
    "       [--high-tech-revenue YUAN] [--cost YUAN] [--staff N]\n"
    "       [--tech-staff N]]\n"
    "        show the yearly figures, or set those of one year (what\n"
    "        is not given keeps its value); the stage is recomputed\n"
    "  qualify CODE KIND --expires DATE [--granted DATE] [--level L]\n"
    "       [--certificate TEXT]    add or renew a qualification\n"
    "  qualify CODE KIND --revoke   remove it\n"
    "        kinds: high_tech, tech_sme, innovative_sme, srdi,\n"
    "        little_giant, eaglet, gazelle, unicorn,\n"
    "        incubator_resident, listing_reserve\n"
    "  import ..., export ...\n"
    "        bulk CSV (see `kejin enterprise import --help`)\n\n"
    "Amounts are in yuan: 1234.56, 1,200,000, 300万, 2亿.\n"
    "Dates are YYYY-MM-DD.\n");

//  --------------------------------------------------------------------------
//  Showing an enterprise

static const char *
s_yes (bool value)
{
    return value ? _ ("yes") : _ ("no");
}

static void
s_print_stage (const Kj__Enterprise *e)
{
    const Kj__StageInfo *s = e->stage;
    if (!s)
        return;
    printf (_ ("  stage       %s"),
            cli_enum_label (&kj__stage__descriptor, "STAGE_", s->stage));
    printf (_ ("  rule %s, rules %s%s\n"), s->rule, s->version,
            s->needs_review ? _ (", needs review") : "");
    char reason [1024];
    printf ("              %s\n",
            cli_reason (s->reason, reason, sizeof reason));
    if (s->overridden)
        printf (_ ("              set by hand (%s); the rules say %s\n"),
                s->override_reason,
                cli_enum_label (&kj__stage__descriptor, "STAGE_", s->computed));
}

//  The figures of docs/cli.md, by name, with their fields.
#define S_FIGURES 9
static const char *s_figure_names [S_FIGURES] = {
    "revenue",           "rnd",  "net-profit", "assets",    "cash-flow",
    "high-tech-revenue", "cost", "staff",      "tech-staff"
};

static bool
s_reported (const Kj__YearFigures *f, const char *name)
{
    for (size_t i = 0; i < f->n_not_reported; i++)
        if (streq (f->not_reported [i], name))
            return false;
    return true;
}

//  A figure as shown: "not reported" when it has no value, else yuan, or
//  a count given as -1 - count. buf holds 64 bytes.
static const char *
s_figure (const Kj__YearFigures *f, const char *name, int64_t value, char *buf)
{
    if (!s_reported (f, name))
        return _ ("not reported");
    if (value < 0 && (streq (name, "staff") || streq (name, "tech-staff")))
        snprintf (buf, 64, "%" PRId64, -1 - value);
    else
        cli_yuan (value, buf, 64);
    return buf;
}

static void
s_print_enterprise (const Kj__Enterprise *e)
{
    char a [64], b [64], c [64], d [64];
    printf ("%s  %s\n", e->code, e->name);
    printf (_ ("  region      %s %s\n"), e->region,
            cli_region_name (e->region));
    //  What was never given is not reported, not a value
    const char *none = _ ("not reported");
    printf (_ ("  industry    %s\n"), *e->industry ? e->industry : none);
    printf (_ ("  founded     %s   size %s\n"),
            *e->founded_on ? e->founded_on : none,
            e->size_class ? cli_enum_label (&kj__size_class__descriptor,
                                            "SIZE_", e->size_class)
                          : none);
    printf (_ ("  status      %s\n"),
            cli_enum_label (&kj__entry_status__descriptor, "ENTRY_",
                            e->status));
    s_print_stage (e);
    if (e->credit)
        printf (_ ("  credit      严重失信 %s, 经营异常 %s, tax grade %s\n"),
                s_yes (e->credit->dishonest), s_yes (e->credit->abnormal),
                *e->credit->tax_grade ? e->credit->tax_grade : none);
    if (e->ip)
        printf (
            _ ("  IP          invention patents %d, class-II %d, pledged %d\n"),
            e->ip->invention_patents, e->ip->class2_ip, e->ip->pledged_ip);
    printf (_ ("  flags       listing tutoring %s, board standard %s, chain "
               "leader %s, first loan %s\n"),
            s_yes (e->listing_tutoring), s_yes (e->board_standard),
            s_yes (e->chain_leader), s_yes (e->first_loan));
    if (e->techsme) {
        const Kj__TechSmeScore *t = e->techsme;
        printf (_ ("  tech-SME    %d: %d/100 (科技人员 %d, 研发投入 %d, "
                   "科技成果 %d), %s\n"),
                t->year, t->total, t->tech_staff_score, t->rnd_score,
                t->ip_score,
                t->eligible    ? _ ("eligible")
                : t->undecided ? _ ("not judged")
                               : _ ("not eligible"));
        char reason [1024];
        if (!t->eligible && *t->reason)
            printf ("              %s\n",
                    cli_reason (t->reason, reason, sizeof reason));
    }
    printf (_ ("  version     %" PRIu64 ", updated %s\n"), e->version,
            cli_time (e->updated_at_us, a, sizeof a));

    if (e->n_figures == 0)
        printf (_ ("  figures     %s\n"), _ ("not reported"));
    else {
        printf (_ ("\nFigures (yuan)\n"));
        cli_table_t *table = cli_table_new (N_ ("YEAR"), N_ ("REVENUE"), "R&D",
                                            N_ ("NET PROFIT"), N_ ("ASSETS"),
                                            N_ ("CASH FLOW"), N_ ("HIGH-TECH"),
                                            N_ ("COST"), N_ ("STAFF"),
                                            N_ ("TECH"), NULL);
        for (size_t i = 0; i < e->n_figures; i++) {
            const Kj__YearFigures *f = e->figures [i];
            char year [16], staff [64], tech [64], e1 [64], e2 [64], e3 [64];
            snprintf (year, sizeof year, "%d", f->year);
            cli_table_row (table, year,
                           s_figure (f, "revenue", f->revenue_fen, a),
                           s_figure (f, "rnd", f->rnd_fen, b),
                           s_figure (f, "net-profit", f->net_profit_fen, c),
                           s_figure (f, "assets", f->total_assets_fen, d),
                           s_figure (f, "cash-flow", f->operating_cash_flow_fen,
                                     e1),
                           s_figure (f, "high-tech-revenue",
                                     f->high_tech_revenue_fen, e2),
                           s_figure (f, "cost", f->total_cost_fen, e3),
                           s_figure (f, "staff", -1 - f->staff, staff),
                           s_figure (f, "tech-staff", -1 - f->tech_staff,
                                     tech));
        }
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
    if (e->n_qualifications) {
        printf (_ ("\nQualifications\n"));
        cli_table_t *table = cli_table_new (N_ ("KIND"), N_ ("LEVEL"),
                                            N_ ("CERTIFICATE"), N_ ("GRANTED"),
                                            N_ ("EXPIRES"), "", NULL);
        for (size_t i = 0; i < e->n_qualifications; i++) {
            const Kj__Qualification *q = e->qualifications [i];
            cli_table_row (table,
                           cli_enum_label (&kj__qualification_kind__descriptor,
                                           "QUAL_", q->kind),
                           q->level ? cli_enum_label (&kj__level__descriptor,
                                                      "LEVEL_", q->level)
                                    : "-",
                           q->certificate, q->granted_on, q->expires_on,
                           q->expired ? _ ("expired") : "");
        }
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
    if (e->n_awards) {
        printf (_ ("\nAwards\n"));
        cli_table_t *table = cli_table_new (N_ ("NAME"), N_ ("LEVEL"),
                                            N_ ("YEAR"), N_ ("RANK"), NULL);
        for (size_t i = 0; i < e->n_awards; i++) {
            char year [16];
            snprintf (year, sizeof year, "%d", e->awards [i]->year);
            cli_table_row (table, e->awards [i]->name,
                           cli_enum_label (&kj__level__descriptor, "LEVEL_",
                                           e->awards [i]->level),
                           year, e->awards [i]->rank);
        }
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
    if (e->n_rounds) {
        printf (_ ("\nEquity rounds\n"));
        cli_table_t *table = cli_table_new (N_ ("ROUND"), N_ ("AMOUNT"),
                                            N_ ("CLOSED"), N_ ("INVESTORS"),
                                            NULL);
        for (size_t i = 0; i < e->n_rounds; i++)
            cli_table_row (table,
                           cli_enum_label (&kj__round__descriptor, "ROUND_",
                                           e->rounds [i]->round),
                           cli_yuan (e->rounds [i]->amount_fen, a, 64),
                           e->rounds [i]->closed_on, e->rounds [i]->investors);
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
    if (e->n_loans) {
        printf (_ ("\nBank loans\n"));
        cli_table_t *table = cli_table_new (N_ ("LENDER"), N_ ("AMOUNT"),
                                            N_ ("DRAWN"), N_ ("MATURES"),
                                            N_ ("OUTSTANDING"), NULL);
        for (size_t i = 0; i < e->n_loans; i++)
            cli_table_row (table, e->loans [i]->lender,
                           cli_yuan (e->loans [i]->amount_fen, a, 64),
                           e->loans [i]->drawn_on, e->loans [i]->matures_on,
                           s_yes (e->loans [i]->outstanding));
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
    if (e->n_chain_links) {
        printf (_ ("\nChain leaders\n"));
        cli_table_t *table = cli_table_new (N_ ("LEADER"), N_ ("CHAIN"), NULL);
        for (size_t i = 0; i < e->n_chain_links; i++)
            cli_table_row (table, e->chain_links [i]->leader_code,
                           e->chain_links [i]->chain);
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
}

//  A message as a JSON value.
static json_t *
s_json (const ProtobufCMessage *message)
{
    char *text = kj_json_string (message, false);
    json_t *value = json_loads (text, 0, NULL);
    free (text);
    return value ? value : json_null ();
}

//  --json of a part of an enterprise: {"code": CODE, "<key>": value}, the
//  code under the name every command gives it (docs/cli.md).
static void
s_print_coded (const char *code, const char *key, json_t *value)
{
    json_t *object = json_object ();
    json_object_set_new (object, "code", json_string (code));
    json_object_set_new (object, key, value);
    cli_print_object (object);
}

//  Print a reply's enterprise as JSON or for people, under the line
//  `what` (N_ () text, where %s stands for the code); free the reply.
static int
s_done (cli_t *cli, Kj__EnterpriseReply *reply, const char *what)
{
    if (cli->json)
        cli_print_json (&reply->enterprise->base);
    else {
        if (what) {
            //  what is marked N_ (); its %s, if any, is the code
            printf (_ (what), reply->enterprise->code);
            printf ("\n\n");
        }
        s_print_enterprise (reply->enterprise);
    }
    kj__enterprise_reply__free_unpacked (reply, NULL);
    return CLI_OK;
}

//  Call a method of the registry that changes an enterprise and answers
//  with it; print it under the line `what` (s_done).
static int
s_call (cli_t *cli, const char *method, const ProtobufCMessage *request,
        const char *what)
{
    Kj__EnterpriseReply *reply = NULL;
    int rc = cli_call (cli, "registry", method, request,
                       &kj__enterprise_reply__descriptor,
                       (ProtobufCMessage **) &reply, false);
    return rc == CLI_OK ? s_done (cli, reply, what) : rc;
}

static int
s_get (cli_t *cli, const char *code, Kj__EnterpriseReply **reply)
{
    Kj__GetEnterpriseRequest request = KJ__GET_ENTERPRISE_REQUEST__INIT;
    request.code = (char *) code;
    return cli_call (cli, "registry", "GetEnterprise", &request.base,
                     &kj__enterprise_reply__descriptor,
                     (ProtobufCMessage **) reply, true);
}

//  --------------------------------------------------------------------------
//  Options shared by add and update: the enterprise's own fields. Sets
//  what is given in e (strings point into args) and names it in mask.

static int
s_own_fields (cli_args_t *args, Kj__Enterprise *e, Kj__CreditFlags *credit,
              Kj__IpAssets *ip, cli_mask_t *mask, bool flags_are_switches)
{
    const char *value;
    cli_mask_text (mask, args, "name", &e->name, "name");
    cli_mask_text (mask, args, "region", &e->region, "region");
    cli_mask_text (mask, args, "industry", &e->industry, "industry");
    cli_mask_text (mask, args, "founded", &e->founded_on, "founded_on");
    if ((value = cli_args_get (args, "size"))) {
        int size;
        if (cli_parse_enum ("--size", value, &kj__size_class__descriptor,
                            "SIZE_", true, &size))
            return -1;
        e->size_class = (Kj__SizeClass) size;
        cli_mask_add (mask, "size_class");
    }
    struct {
        const char *option, *field;
        protobuf_c_boolean *target;
    } bools [] = {
        { "tutoring", "listing_tutoring", &e->listing_tutoring },
        { "board-standard", "board_standard", &e->board_standard },
        { "chain-leader", "chain_leader", &e->chain_leader },
        { "dishonest", "credit.dishonest", &credit->dishonest },
        { "abnormal", "credit.abnormal", &credit->abnormal },
    };
    for (size_t i = 0; i < sizeof bools / sizeof bools [0]; i++) {
        if (!cli_args_flag (args, bools [i].option))
            continue;
        bool yes = true;
        char option [40];
        snprintf (option, sizeof option, "--%s", bools [i].option);
        if (!flags_are_switches
            && cli_parse_bool (option, cli_args_get (args, bools [i].option),
                               &yes))
            return -1;
        *bools [i].target = yes;
        cli_mask_add (mask, bools [i].field);
    }
    cli_mask_text (mask, args, "tax-grade", &credit->tax_grade,
                   "credit.tax_grade");
    struct {
        const char *option, *field;
        int32_t *target;
    } counts [] = {
        { "invention-patents", "ip.invention_patents", &ip->invention_patents },
        { "class2-ip", "ip.class2_ip", &ip->class2_ip },
        { "pledged-ip", "ip.pledged_ip", &ip->pledged_ip },
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts [0]; i++) {
        if (!(value = cli_args_get (args, counts [i].option)))
            continue;
        int64_t count;
        char option [40];
        snprintf (option, sizeof option, "--%s", counts [i].option);
        if (cli_parse_int (option, value, 0, 1000000, &count))
            return -1;
        *counts [i].target = (int32_t) count;
        cli_mask_add (mask, counts [i].field);
    }
    e->credit = credit;
    e->ip = ip;
    return 0;
}

//  --------------------------------------------------------------------------
//  add

static int
s_add (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (
        argc, argv,
        "name= region= industry= founded= size= tutoring! board-standard! "
        "chain-leader! dishonest! abnormal! tax-grade= invention-patents= "
        "class2-ip= pledged-ip=",
        s_usage, 1, "name",
        "enterprise add takes a credit code and --name, e.g.\n  kejin "
        "enterprise add 91210100MA0QEK7B6N --name 沈阳新松科技有限公司 "
        "--founded 2018-03-15");
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    Kj__CreditFlags credit = KJ__CREDIT_FLAGS__INIT;
    Kj__IpAssets ip = KJ__IP_ASSETS__INIT;
    cli_mask_t mask = { .count = 0 };
    e.code = (char *) cli_args_positional (args, 0);
    if (s_own_fields (args, &e, &credit, &ip, &mask, true) == 0) {
        Kj__RegisterEnterpriseRequest request =
            KJ__REGISTER_ENTERPRISE_REQUEST__INIT;
        request.enterprise = &e;
        rc = s_call (cli, "RegisterEnterprise", &request.base,
                     N_ ("Registered (draft entry; `kejin enterprise "
                         "transition %s submit` submits it):"));
    }
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  show

static int
s_history (cli_t *cli, const char *kind, const char *subject)
{
    Kj__HistoryReply *reply = NULL;
    int rc = cli_reg_history_call (cli, kind, subject, 1000, &reply);
    if (rc != CLI_OK)
        return rc;
    if (cli->json)
        cli_print_json (&reply->base);
    else {
        printf (_ ("\nAudit trail\n"));
        cli_table_t *table = cli_table_new (N_ ("WHEN"), N_ ("WHO"),
                                            N_ ("ACTION"), N_ ("BEFORE"),
                                            N_ ("AFTER"), N_ ("REASON"), NULL);
        for (size_t i = 0; i < reply->n_entries; i++) {
            const Kj__AuditEntry *a = reply->entries [i];
            char when [32];
            cli_table_row (table, cli_time (a->at_us, when, sizeof when),
                           a->who, a->action, a->before, a->after, a->reason);
        }
        if (reply->n_entries)
            cli_table_print (table, stdout);
        else
            printf (_ ("(nothing recorded yet)\n"));
        cli_table_destroy (&table);
    }
    kj__history_reply__free_unpacked (reply, NULL);
    return CLI_OK;
}

//  show CODE [--history]
static int
s_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    const Kj__EnterpriseReply *reply = (const Kj__EnterpriseReply *) message;
    if (cli->json)
        cli_print_json (&reply->enterprise->base);
    else
        s_print_enterprise (reply->enterprise);
    return cli_args_flag (args, "history")
             ? s_history (cli, "enterprise", reply->enterprise->code)
             : CLI_OK;
}

static const cli_call_verb_t s_show = {
    .spec = "history!",
    .positional = 1,
    .complaint = N_ ("enterprise show takes one credit code"),
    .service = "registry",
    .method = "GetEnterprise",
    .request_type = &kj__get_enterprise_request__descriptor,
    .reply_type = &kj__enterprise_reply__descriptor,
    .read_only = true,
    .show = s_shown,
};

//  --------------------------------------------------------------------------
//  list

//  Every value of a repeated, maybe comma-separated option as enum values.
static int
s_enum_list (cli_args_t *args, const char *name,
             const ProtobufCEnumDescriptor *descriptor, const char *prefix,
             bool zero_ok, int **values, size_t *n)
{
    *values = NULL;
    *n = 0;
    zlist_t *all = cli_args_all (args, name);
    if (!all)
        return 0;
    *values = (int *) zmalloc (64 * sizeof (int));
    char option [40];
    snprintf (option, sizeof option, "--%s", name);
    for (const char *value = (const char *) zlist_first (all); value;
         value = (const char *) zlist_next (all)) {
        size_t count;
        char **items = cli_split (value, &count);
        for (size_t i = 0; i < count && *n < 64; i++)
            if (cli_parse_enum (option, items [i], descriptor, prefix, zero_ok,
                                &(*values) [(*n)++])) {
                cli_strings_free (items);
                return -1;
            }
        cli_strings_free (items);
    }
    return 0;
}

static int
s_list (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (
        argc, argv,
        "region= city= stage= status= qualification= name= industry= limit= "
        "after=",
        s_usage, 0, NULL,
        "enterprise list takes options only; "
        "`kejin enterprise show CODE` shows one");
    if (!args)
        return CLI_USAGE;
    Kj__ListEnterprisesRequest request = KJ__LIST_ENTERPRISES_REQUEST__INIT;
    Kj__Page page = KJ__PAGE__INIT;
    request.page = &page;
    int *stages = NULL, *statuses = NULL, *quals = NULL;
    char *regions [64];
    int rc = CLI_USAGE;
    if (cli_page_options (args, &page) == 0
        && s_enum_list (args, "stage", &kj__stage__descriptor, "STAGE_", true,
                        &stages, &request.n_stages)
               == 0
        && s_enum_list (args, "status", &kj__entry_status__descriptor, "ENTRY_",
                        true, &statuses, &request.n_statuses)
               == 0
        && s_enum_list (args, "qualification",
                        &kj__qualification_kind__descriptor, "QUAL_", false,
                        &quals, &request.n_qualifications)
               == 0) {
        request.stages = (Kj__Stage *) stages;
        request.statuses = (Kj__EntryStatus *) statuses;
        request.qualifications = (Kj__QualificationKind *) quals;
        //  --city is --region by another name: people say "city"
        const char *names [] = { "region", "city" };
        for (int n = 0; n < 2; n++) {
            zlist_t *all = cli_args_all (args, names [n]);
            for (const char *r = all ? (const char *) zlist_first (all) : NULL;
                 r && request.n_regions < 64;
                 r = (const char *) zlist_next (all))
                regions [request.n_regions++] = (char *) r;
        }
        request.regions = regions;
        request.name_contains = cli_args_text (args, "name");
        request.industry = cli_args_text (args, "industry");
        Kj__ListEnterprisesReply *reply = NULL;
        rc = cli_call (cli, "registry", "ListEnterprises", &request.base,
                       &kj__list_enterprises_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
        if (rc == CLI_OK) {
            if (cli->json)
                cli_print_json (&reply->base);
            else {
                cli_table_t *table = cli_table_new (N_ ("CODE"), N_ ("NAME"),
                                                    N_ ("REGION"), N_ ("STAGE"),
                                                    N_ ("STATUS"),
                                                    N_ ("INDUSTRY"),
                                                    N_ ("VERSION"), NULL);
                for (size_t i = 0; i < reply->n_enterprises; i++) {
                    const Kj__Enterprise *e = reply->enterprises [i];
                    char region [64], version [24];
                    snprintf (region, sizeof region, "%s %s", e->region,
                              cli_region_name (e->region));
                    snprintf (version, sizeof version, "%" PRIu64, e->version);
                    cli_table_row (
                        table, e->code, e->name, region,
                        cli_enum_label (&kj__stage__descriptor, "STAGE_",
                                        e->stage ? e->stage->stage : 0),
                        cli_enum_label (&kj__entry_status__descriptor, "ENTRY_",
                                        e->status),
                        e->industry, version);
                }
                cli_page_print (&table, reply->n_enterprises,
                                N_ ("no enterprise matches"), reply->page_info);
            }
            kj__list_enterprises_reply__free_unpacked (reply, NULL);
        }
    }
    free (stages);
    free (statuses);
    free (quals);
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  update

//  Split "a:b:c" into at most max fields (the last takes the rest).
static size_t
s_fields (const char *text, char **fields, size_t max, char *buffer,
          size_t size)
{
    snprintf (buffer, size, "%s", text);
    size_t n = 0;
    char *at = buffer;
    while (n < max) {
        fields [n++] = at;
        char *colon = n < max ? strchr (at, ':') : NULL;
        if (!colon)
            break;
        *colon = 0;
        at = colon + 1;
    }
    return n;
}

//  Lists: current items (unless cleared) plus those given. Each new item
//  is allocated; s_free_items frees them by the count of current ones.
static int
s_awards (cli_args_t *args, Kj__Enterprise *current, Kj__Enterprise *e,
          cli_mask_t *mask)
{
    zlist_t *all = cli_args_all (args, "award");
    bool clear = cli_args_flag (args, "clear-awards");
    if (!all && !clear)
        return 0;
    size_t keep = clear ? 0 : current->n_awards;
    size_t added = all ? zlist_size (all) : 0;
    e->awards = (Kj__Award **) zmalloc ((keep + added + 1) * sizeof (void *));
    for (size_t i = 0; i < keep; i++)
        e->awards [e->n_awards++] = current->awards [i];
    for (const char *v = all ? (const char *) zlist_first (all) : NULL; v;
         v = (const char *) zlist_next (all)) {
        char buffer [512], *f [4];
        size_t n = s_fields (v, f, 4, buffer, sizeof buffer);
        int level;
        int64_t year;
        if (n < 3
            || cli_parse_enum ("--award LEVEL", f [1], &kj__level__descriptor,
                               "LEVEL_", false, &level)
            || cli_parse_int ("--award YEAR", f [2], 1900, 2200, &year)) {
            fprintf (stderr,
                     _ ("kejin: --award takes NAME:LEVEL:YEAR[:RANK], "
                        "e.g. 中国创新创业大赛:national:2023:一等奖\n"));
            return -1;
        }
        Kj__Award *a = (Kj__Award *) zmalloc (sizeof (Kj__Award));
        kj__award__init (a);
        a->name = strdup (f [0]);
        a->level = (Kj__Level) level;
        a->year = (int32_t) year;
        a->rank = strdup (n > 3 ? f [3] : "");
        e->awards [e->n_awards++] = a;
    }
    cli_mask_add (mask, "awards");
    return 0;
}

static int
s_rounds (cli_args_t *args, Kj__Enterprise *current, Kj__Enterprise *e,
          cli_mask_t *mask)
{
    zlist_t *all = cli_args_all (args, "round");
    bool clear = cli_args_flag (args, "clear-rounds");
    if (!all && !clear)
        return 0;
    size_t keep = clear ? 0 : current->n_rounds;
    size_t added = all ? zlist_size (all) : 0;
    e->rounds = (Kj__EquityRound **) zmalloc ((keep + added + 1)
                                              * sizeof (void *));
    for (size_t i = 0; i < keep; i++)
        e->rounds [e->n_rounds++] = current->rounds [i];
    for (const char *v = all ? (const char *) zlist_first (all) : NULL; v;
         v = (const char *) zlist_next (all)) {
        char buffer [512], *f [4];
        size_t n = s_fields (v, f, 4, buffer, sizeof buffer);
        int round;
        int64_t fen;
        if (n < 3
            || cli_parse_enum ("--round ROUND", f [0], &kj__round__descriptor,
                               "ROUND_", false, &round)
            || cli_parse_yuan ("--round YUAN", f [1], &fen)) {
            fprintf (stderr,
                     _ ("kejin: --round takes ROUND:YUAN:DATE"
                        "[:INVESTORS], e.g. a:3000万:2023-06-30:某创投\n"));
            return -1;
        }
        Kj__EquityRound *r = (Kj__EquityRound *) zmalloc (
            sizeof (Kj__EquityRound));
        kj__equity_round__init (r);
        r->round = (Kj__Round) round;
        r->amount_fen = fen;
        r->closed_on = strdup (f [2]);
        r->investors = strdup (n > 3 ? f [3] : "");
        e->rounds [e->n_rounds++] = r;
    }
    cli_mask_add (mask, "rounds");
    return 0;
}

static int
s_loans (cli_args_t *args, Kj__Enterprise *current, Kj__Enterprise *e,
         cli_mask_t *mask)
{
    zlist_t *all = cli_args_all (args, "loan");
    bool clear = cli_args_flag (args, "clear-loans");
    if (!all && !clear)
        return 0;
    size_t keep = clear ? 0 : current->n_loans;
    size_t added = all ? zlist_size (all) : 0;
    e->loans = (Kj__BankLoan **) zmalloc ((keep + added + 1) * sizeof (void *));
    for (size_t i = 0; i < keep; i++)
        e->loans [e->n_loans++] = current->loans [i];
    for (const char *v = all ? (const char *) zlist_first (all) : NULL; v;
         v = (const char *) zlist_next (all)) {
        char buffer [512], *f [5];
        size_t n = s_fields (v, f, 5, buffer, sizeof buffer);
        int64_t fen;
        if (n < 3 || cli_parse_yuan ("--loan YUAN", f [1], &fen)
            || (n > 4 && !streq (f [4], "repaid"))) {
            fprintf (stderr,
                     _ ("kejin: --loan takes LENDER:YUAN:DRAWN"
                        "[:MATURES[:repaid]], e.g. 中国银行:500万:2024-01-15:"
                        "2025-01-14\n"));
            return -1;
        }
        Kj__BankLoan *l = (Kj__BankLoan *) zmalloc (sizeof (Kj__BankLoan));
        kj__bank_loan__init (l);
        l->lender = strdup (f [0]);
        l->amount_fen = fen;
        l->drawn_on = strdup (f [2]);
        l->matures_on = strdup (n > 3 ? f [3] : "");
        l->outstanding = n <= 4;
        e->loans [e->n_loans++] = l;
    }
    cli_mask_add (mask, "loans");
    return 0;
}

static int
s_links (cli_args_t *args, Kj__Enterprise *current, Kj__Enterprise *e,
         cli_mask_t *mask)
{
    zlist_t *all = cli_args_all (args, "link");
    bool clear = cli_args_flag (args, "clear-links");
    if (!all && !clear)
        return 0;
    size_t keep = clear ? 0 : current->n_chain_links;
    size_t added = all ? zlist_size (all) : 0;
    e->chain_links = (Kj__ChainLink **) zmalloc ((keep + added + 1)
                                                 * sizeof (void *));
    for (size_t i = 0; i < keep; i++)
        e->chain_links [e->n_chain_links++] = current->chain_links [i];
    for (const char *v = all ? (const char *) zlist_first (all) : NULL; v;
         v = (const char *) zlist_next (all)) {
        char buffer [512], *f [2];
        size_t n = s_fields (v, f, 2, buffer, sizeof buffer);
        Kj__ChainLink *c = (Kj__ChainLink *) zmalloc (sizeof (Kj__ChainLink));
        kj__chain_link__init (c);
        c->leader_code = strdup (f [0]);
        c->chain = strdup (n > 1 ? f [1] : "");
        e->chain_links [e->n_chain_links++] = c;
    }
    cli_mask_add (mask, "chain_links");
    return 0;
}

//  Free the items s_awards etc. added (those after the kept ones).
static void
s_free_added (Kj__Enterprise *current, Kj__Enterprise *e, cli_args_t *args)
{
    size_t keep = cli_args_flag (args, "clear-awards") ? 0 : current->n_awards;
    for (size_t i = keep; e->awards && i < e->n_awards; i++) {
        free (e->awards [i]->name);
        free (e->awards [i]->rank);
        free (e->awards [i]);
    }
    keep = cli_args_flag (args, "clear-rounds") ? 0 : current->n_rounds;
    for (size_t i = keep; e->rounds && i < e->n_rounds; i++) {
        free (e->rounds [i]->closed_on);
        free (e->rounds [i]->investors);
        free (e->rounds [i]);
    }
    keep = cli_args_flag (args, "clear-loans") ? 0 : current->n_loans;
    for (size_t i = keep; e->loans && i < e->n_loans; i++) {
        free (e->loans [i]->lender);
        free (e->loans [i]->drawn_on);
        free (e->loans [i]->matures_on);
        free (e->loans [i]);
    }
    keep = cli_args_flag (args, "clear-links") ? 0 : current->n_chain_links;
    for (size_t i = keep; e->chain_links && i < e->n_chain_links; i++) {
        free (e->chain_links [i]->leader_code);
        free (e->chain_links [i]->chain);
        free (e->chain_links [i]);
    }
    free (e->awards);
    free (e->rounds);
    free (e->loans);
    free (e->chain_links);
}

static int
s_update (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (
        argc, argv,
        "name= region= industry= founded= size= tutoring= board-standard= "
        "chain-leader= dishonest= abnormal= tax-grade= invention-patents= "
        "class2-ip= pledged-ip= award= round= loan= link= clear-awards! "
        "clear-rounds! clear-loans! clear-links! version=",
        s_usage, 1, NULL,
        "enterprise update takes one credit code and the fields to change, "
        "e.g.\n  kejin enterprise update 91210100MA0QEK7B6N --tax-grade A "
        "--dishonest no");
    if (!args)
        return CLI_USAGE;
    const char *code = cli_args_positional (args, 0);
    Kj__UpdateEnterpriseRequest request = KJ__UPDATE_ENTERPRISE_REQUEST__INIT;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    Kj__CreditFlags credit = KJ__CREDIT_FLAGS__INIT;
    Kj__IpAssets ip = KJ__IP_ASSETS__INIT;
    cli_mask_t mask = { .count = 0 };
    e.code = (char *) code;
    int rc = CLI_USAGE;
    int64_t expected;
    if (cli_args_version (args, &expected)) {
        cli_args_destroy (&args);
        return CLI_USAGE;
    }
    //  The lists add to what is there: read it first, and make the update
    //  conditional on that version so that nothing added meanwhile is lost
    Kj__EnterpriseReply *current = NULL;
    Kj__Enterprise none = KJ__ENTERPRISE__INIT;
    bool lists = cli_args_flag (args, "award") || cli_args_flag (args, "round")
              || cli_args_flag (args, "loan") || cli_args_flag (args, "link")
              || cli_args_flag (args, "clear-awards")
              || cli_args_flag (args, "clear-rounds")
              || cli_args_flag (args, "clear-loans")
              || cli_args_flag (args, "clear-links");
    if (lists) {
        rc = s_get (cli, code, &current);
        if (rc != CLI_OK) {
            cli_args_destroy (&args);
            return rc;
        }
        if (!expected)
            expected = (int64_t) current->enterprise->version;
    }
    Kj__Enterprise *base = current ? current->enterprise : &none;
    if (s_own_fields (args, &e, &credit, &ip, &mask, false) == 0
        && s_awards (args, base, &e, &mask) == 0
        && s_rounds (args, base, &e, &mask) == 0
        && s_loans (args, base, &e, &mask) == 0
        && s_links (args, base, &e, &mask) == 0) {
        if (mask.count == 0)
            fprintf (stderr, _ ("kejin: nothing to change: give at least one "
                                "field (see `kejin enterprise --help`)\n"));
        else {
            request.enterprise = &e;
            request.update_mask = (char **) mask.names;
            request.n_update_mask = mask.count;
            request.expected_version = (uint64_t) expected;
            rc = s_call (cli, "UpdateEnterprise", &request.base,
                         N_ ("Updated:"));
        }
    }
    s_free_added (base, &e, args);
    if (current)
        kj__enterprise_reply__free_unpacked (current, NULL);
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  stage

static int
s_stage (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_new (argc, argv, 2,
                                     "set= clear! reason= recompute!", s_usage);
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    const char *set = cli_args_get (args, "set");
    bool clear = cli_args_flag (args, "clear");
    bool recompute = cli_args_flag (args, "recompute");
    const char *reason = cli_args_get (args, "reason");
    if (cli_args_count (args) != 1 || (set && clear)
        || (recompute && (set || clear))) {
        fprintf (stderr,
                 _ ("kejin: enterprise stage takes one credit code and "
                    "at most one of --set STAGE, --clear, --recompute\n"));
        cli_args_destroy (&args);
        return CLI_USAGE;
    }
    if (cli_args_needs (args, "reason", "set clear",
                        N_ ("a reason goes with a stage set by hand"))) {
        cli_args_destroy (&args);
        return CLI_USAGE;
    }
    if ((set || clear) && (!reason || !*reason)) {
        fprintf (stderr, _ ("kejin: a stage set by hand needs --reason TEXT "
                            "(it is kept in the audit trail)\n"));
        cli_args_destroy (&args);
        return CLI_USAGE;
    }
    const char *code = cli_args_positional (args, 0);
    Kj__EnterpriseReply *reply = NULL;
    if (set || clear) {
        Kj__OverrideStageRequest request = KJ__OVERRIDE_STAGE_REQUEST__INIT;
        request.code = (char *) code;
        request.reason = (char *) reason;
        request.clear = clear;
        int stage = 0;
        if (set
            && cli_parse_enum ("--set", set, &kj__stage__descriptor, "STAGE_",
                               false, &stage)) {
            cli_args_destroy (&args);
            return CLI_USAGE;
        }
        request.stage = (Kj__Stage) stage;
        rc = cli_call (cli, "registry", "OverrideStage", &request.base,
                       &kj__enterprise_reply__descriptor,
                       (ProtobufCMessage **) &reply, false);
    }
    else if (recompute) {
        Kj__RecomputeStageRequest request = KJ__RECOMPUTE_STAGE_REQUEST__INIT;
        request.code = (char *) code;
        rc = cli_call (cli, "registry", "RecomputeStage", &request.base,
                       &kj__enterprise_reply__descriptor,
                       (ProtobufCMessage **) &reply, false);
    }
    else
        rc = s_get (cli, code, &reply);
    if (rc == CLI_OK) {
        if (cli->json)
            s_print_coded (reply->enterprise->code, "stage",
                           s_json (&reply->enterprise->stage->base));
        else {
            printf ("%s  %s\n", reply->enterprise->code,
                    reply->enterprise->name);
            s_print_stage (reply->enterprise);
        }
        kj__enterprise_reply__free_unpacked (reply, NULL);
    }
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  transition

static int
s_transition_fill (cli_t *cli, cli_args_t *args, ProtobufCMessage *message)
{
    Kj__TransitionRequest *request = (Kj__TransitionRequest *) message;
    int action;
    int64_t version;
    if (cli_parse_enum ("ACTION", cli_args_positional (args, 1),
                        &kj__entry_action__descriptor, "ACTION_", false,
                        &action)
        || cli_args_version (args, &version))
        return -1;
    request->action = (Kj__EntryAction) action;
    request->expected_version = (uint64_t) version;
    return 0;
}

static int
s_transitioned (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    const Kj__Enterprise *e = ((const Kj__EnterpriseReply *) message)
                                  ->enterprise;
    if (cli->json)
        cli_print_json (&e->base);
    else
        printf (_ ("%s  %s: now %s\n"), e->code, e->name,
                cli_enum_label (&kj__entry_status__descriptor, "ENTRY_",
                                e->status));
    return CLI_OK;
}

static const cli_call_verb_t s_transition = {
    .spec = "reason= version=",
    .positional = 2,
    .complaint = N_ ("enterprise transition takes a credit code and an "
                     "action, e.g.\n  kejin enterprise transition "
                     "91210100MA0QEK7B6N submit"),
    .service = "registry",
    .method = "Transition",
    .request_type = &kj__transition_request__descriptor,
    .reply_type = &kj__enterprise_reply__descriptor,
    .fill = s_transition_fill,
    .show = s_transitioned,
};

//  --------------------------------------------------------------------------
//  figures

static int
s_figures (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (
        argc, argv,
        "year= revenue= rnd= net-profit= assets= cash-flow= "
        "high-tech-revenue= cost= staff= tech-staff=",
        s_usage, 1, NULL,
        "enterprise figures takes one credit code, and --year Y with the "
        "figures to set");
    if (!args)
        return CLI_USAGE;
    //  Figures belong to a year: without it nothing could be stored
    if (cli_args_needs (args,
                        "revenue rnd net-profit assets cash-flow "
                        "high-tech-revenue cost staff tech-staff",
                        "year",
                        N_ ("give the year the figures are for, e.g. "
                            "--year 2024"))) {
        cli_args_destroy (&args);
        return CLI_USAGE;
    }
    //  and a year alone would store a year of nothing
    bool some = false;
    for (size_t i = 0; i < S_FIGURES; i++)
        some = some || cli_args_get (args, s_figure_names [i]);
    if (cli_args_get (args, "year") && !some) {
        fprintf (stderr,
                 _ ("kejin: --year %s sets nothing: give the figures of that "
                    "year too (--revenue YUAN, --staff N, ...); `kejin "
                    "enterprise figures CODE` shows them\n"),
                 cli_args_get (args, "year"));
        cli_args_destroy (&args);
        return CLI_USAGE;
    }
    const char *code = cli_args_positional (args, 0);
    Kj__EnterpriseReply *current = NULL;
    int rc = s_get (cli, code, &current);
    if (rc != CLI_OK) {
        cli_args_destroy (&args);
        return rc;
    }
    const char *year_text = cli_args_get (args, "year");
    if (!year_text) {
        //  Show only
        if (cli->json) {
            json_t *figures = json_array ();
            for (size_t i = 0; i < current->enterprise->n_figures; i++)
                json_array_append_new (figures,
                                       s_json (&current->enterprise->figures [i]
                                                    ->base));
            s_print_coded (current->enterprise->code, "figures", figures);
        }
        else {
            Kj__Enterprise *e = current->enterprise;
            Kj__Enterprise shown = *e;
            shown.n_qualifications = shown.n_awards = shown.n_rounds = 0;
            shown.n_loans = shown.n_chain_links = 0;
            s_print_enterprise (&shown);
            if (e->n_figures == 0)
                printf (_ ("\nno figures yet: kejin enterprise figures %s "
                           "--year Y --revenue YUAN ...\n"),
                        e->code);
        }
        kj__enterprise_reply__free_unpacked (current, NULL);
        cli_args_destroy (&args);
        return CLI_OK;
    }
    int64_t year;
    Kj__YearFigures f = KJ__YEAR_FIGURES__INIT;
    rc = CLI_USAGE;
    if (cli_parse_int ("--year", year_text, 1900, 2200, &year) == 0) {
        //  Start from what the year holds: options change only themselves
        for (size_t i = 0; i < current->enterprise->n_figures; i++)
            if (current->enterprise->figures [i]->year == year)
                f = *current->enterprise->figures [i];
        f.year = (int32_t) year;
        struct {
            const char *option;
            int64_t *target;
        } money [] = {
            { "revenue", &f.revenue_fen },
            { "rnd", &f.rnd_fen },
            { "net-profit", &f.net_profit_fen },
            { "assets", &f.total_assets_fen },
            { "cash-flow", &f.operating_cash_flow_fen },
            { "high-tech-revenue", &f.high_tech_revenue_fen },
            { "cost", &f.total_cost_fen },
        };
        bool ok = true;
        for (size_t i = 0; i < sizeof money / sizeof money [0] && ok; i++) {
            const char *value = cli_args_get (args, money [i].option);
            char option [40];
            snprintf (option, sizeof option, "--%s", money [i].option);
            if (value)
                ok = cli_parse_yuan (option, value, money [i].target) == 0;
        }
        int64_t count;
        const char *value = cli_args_get (args, "staff");
        if (ok && value) {
            ok = cli_parse_int ("--staff", value, 0, 10000000, &count) == 0;
            f.staff = (int32_t) count;
        }
        value = cli_args_get (args, "tech-staff");
        if (ok && value) {
            ok = cli_parse_int ("--tech-staff", value, 0, 10000000, &count)
              == 0;
            f.tech_staff = (int32_t) count;
        }
        //  What neither this request nor an earlier one gave stays
        //  unreported (never a 0 it was not told)
        const Kj__YearFigures *before = NULL;
        for (size_t i = 0; i < current->enterprise->n_figures; i++)
            if (current->enterprise->figures [i]->year == year)
                before = current->enterprise->figures [i];
        char *unreported [S_FIGURES];
        f.not_reported = unreported;
        f.n_not_reported = 0;
        for (size_t i = 0; i < S_FIGURES; i++)
            if (!cli_args_get (args, s_figure_names [i])
                && (!before || !s_reported (before, s_figure_names [i])))
                unreported [f.n_not_reported++] = (char *) s_figure_names [i];
        if (ok) {
            Kj__SetFiguresRequest request = KJ__SET_FIGURES_REQUEST__INIT;
            Kj__YearFigures *list [] = { &f };
            request.code = (char *) code;
            request.figures = list;
            request.n_figures = 1;
            request.expected_version = current->enterprise->version;
            rc = s_call (cli, "SetFigures", &request.base,
                         N_ ("Figures set; stage recomputed:"));
        }
    }
    kj__enterprise_reply__free_unpacked (current, NULL);
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  qualify

static int
s_qualify (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args =
        cli_args_new (argc, argv, 2,
                      "expires= granted= level= certificate= revoke!", s_usage);
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    int kind, level = 0;
    bool revoke = cli_args_flag (args, "revoke");
    const char *expires = cli_args_get (args, "expires");
    if (cli_args_refuses (args, "revoke", "expires granted level certificate"))
        ;
    else if (cli_args_count (args) != 2 || (!revoke && !expires))
        fprintf (stderr,
                 _ ("kejin: enterprise qualify takes a credit code, a "
                    "kind and --expires DATE (or --revoke), e.g.\n  kejin "
                    "enterprise qualify 91210100MA0QEK7B6N high_tech --expires "
                    "2027-12-31\n"));
    else if (cli_parse_enum ("KIND", cli_args_positional (args, 1),
                             &kj__qualification_kind__descriptor, "QUAL_",
                             false, &kind)
                 == 0
             && (!cli_args_get (args, "level")
                 || cli_parse_enum ("--level", cli_args_get (args, "level"),
                                    &kj__level__descriptor, "LEVEL_", false,
                                    &level)
                        == 0)) {
        Kj__QualifyRequest request = KJ__QUALIFY_REQUEST__INIT;
        Kj__Qualification q = KJ__QUALIFICATION__INIT;
        q.kind = (Kj__QualificationKind) kind;
        q.level = (Kj__Level) level;
        q.expires_on = (char *) (expires ? expires : "");
        q.granted_on = cli_args_text (args, "granted");
        q.certificate = cli_args_text (args, "certificate");
        request.code = (char *) cli_args_positional (args, 0);
        request.qualification = &q;
        request.revoke = revoke;
        rc = s_call (cli, "Qualify", &request.base,
                     revoke ? N_ ("Revoked:") : N_ ("Qualified:"));
    }
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------

int
cli_enterprise (cli_t *cli, int argc, char **argv)
{
    static const cli_verb_t verbs [] = { { "add", s_add },
                                         { "show", NULL, &s_show },
                                         { "list", s_list },
                                         { "update", s_update },
                                         { "stage", s_stage },
                                         { "transition", NULL, &s_transition },
                                         { "figures", s_figures },
                                         { "qualify", s_qualify },
                                         { NULL } };
    return cli_reg_run (cli, argc, argv, "enterprise", s_usage, verbs);
}
