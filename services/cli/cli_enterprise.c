/*  =========================================================================
    cli_enterprise - `kejin enterprise`: the enterprises of the life-cycle
    financial service library (全生命周期金融服务库)

    add, show, list, update, stage, transition, figures, qualify talk to
    the Registry service; import and export belong to the bulk commands
    (cli_bulk.c). Money is typed and shown in yuan, sent in fen.
    =========================================================================
*/

#include "cli_enterprise_private.h"

static const char *s_usage = N_ (
    "Usage: kejin enterprise VERB [ARGS] [--json]\n\n"
    "  add CODE --name NAME%s\n"
    "        register an enterprise as a draft entry. The region comes\n"
    "        from the code; give --region SFDZ for 沈抚示范区.\n"
    "  show CODE [--history]\n"
    "        the enterprise with its figures, lists and stage;\n"
    "        --history adds its audit trail\n"
    "  list [--region R | --city R]... [--stage S]... [--status S]...\n"
    "       [--qualification K]... [--name TEXT] [--industry I]\n"
    "       [--limit N] [--after CURSOR]\n"
    "        regions: a city code, SFDZ, SHENYANG_METRO or PROVINCE\n"
    "  update CODE%s\n"
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

//  One field's option in the synopsis: "[--size micro|small|...]", a
//  switch bare when adding, yes|no when updating
static void
s_synopsis_item (const registry_field_t *f, bool adding, char *item,
                 size_t size)
{
    char form [96] = "";
    if (f->kind == REGISTRY_FIELD_FLAG)
        snprintf (form, sizeof form, "%s", adding ? "" : " yes|no");
    else if (f->kind == REGISTRY_FIELD_COUNT)
        snprintf (form, sizeof form, " N");
    else if (f->kind == REGISTRY_FIELD_DATE)
        snprintf (form, sizeof form, " DATE");
    else if (f->kind == REGISTRY_FIELD_ENUM && f->type) {
        size_t at = 0, skip = f->prefix ? strlen (f->prefix) : 0;
        for (unsigned v = 0; v < f->type->n_values && at < sizeof form; v++) {
            if (f->type->values [v].value == 0)
                continue;  //  unknown: not a value to give
            at += (size_t) snprintf (form + at, sizeof form - at, "%s",
                                     at ? "|" : " ");
            for (const char *c = f->type->values [v].name + skip;
                 *c && at + 1 < sizeof form; c++)
                form [at++] = (char) tolower ((unsigned char) *c);
            form [at] = 0;
        }
    }
    else if (f->metavar)
        snprintf (form, sizeof form, " %s", f->metavar);
    snprintf (item, size, "[--%s%s]", f->option, form);
}

//  The enterprise's field options, from the registry's field tables, for
//  the synopsis of add (without --name, which it names itself) or update:
//  continuing a line at `column`, wrapped before 64 columns, each next
//  line indented by `indent`
static void
s_synopsis (bool adding, int column, int indent, char *buf, size_t size)
{
    size_t at = 0;
    buf [0] = 0;
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS && at < size; i++) {
        const registry_field_t *f = registry_check_enterprise_column (i);
        if (adding && streq (f->option, "name"))
            continue;
        char item [128];
        s_synopsis_item (f, adding, item, sizeof item);
        int width = (int) strlen (item);
        if (column + 1 + width > 64) {
            at += (size_t) snprintf (buf + at, size - at, "\n%*s", indent, "");
            column = indent;
        }
        else {
            at += (size_t) snprintf (buf + at, size - at, " ");
            column++;
        }
        if (at < size)
            at += (size_t) snprintf (buf + at, size - at, "%s", item);
        column += width;
    }
}

const char *
cli_enterprise_usage (void)
{
    static char text [4096];
    if (!*text) {
        char add [512], update [512];
        s_synopsis (true, (int) strlen ("  add CODE --name NAME"), 6, add,
                    sizeof add);
        s_synopsis (false, (int) strlen ("  update CODE"), 7, update,
                    sizeof update);
        snprintf (text, sizeof text, _ (s_usage), add, update);
    }
    return text;
}

//  --------------------------------------------------------------------------
//  The option spec of the enterprise's own fields: every stored input
//  column as the registry's field tables name it.

const char *
cli_enterprise_own_spec (bool flags_are_switches, char *buf, size_t size)
{
    size_t at = 0;
    buf [0] = 0;
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS && at < size; i++) {
        const registry_field_t *f = registry_check_enterprise_column (i);
        bool flag = f->kind == REGISTRY_FIELD_FLAG;
        at += (size_t) snprintf (buf + at, size - at, "%s%s%s", i ? " " : "",
                                 f->option,
                                 flag && flags_are_switches ? "!" : "=");
    }
    assert (at < size);
    return buf;
}

//  --------------------------------------------------------------------------
//  Options shared by add and update: the enterprise's own fields. Sets
//  what is given in e (strings point into args) and names it in mask.

int
cli_enterprise_own_fields (cli_args_t *args, Kj__Enterprise *e,
                           Kj__CreditFlags *credit, Kj__IpAssets *ip,
                           cli_mask_t *mask, bool flags_are_switches)
{
    const char *value;
    //  Every field as the registry's field tables name its option
    e->credit = credit;
    e->ip = ip;
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++) {
        const registry_field_t *f = registry_check_enterprise_column (i);
        void *target = registry_check_enterprise_field (e, f);
        assert (target);  //  the tables name fields of e, credit and ip
        char option [40];
        snprintf (option, sizeof option, "--%s", f->option);
        if (f->kind == REGISTRY_FIELD_TEXT || f->kind == REGISTRY_FIELD_DATE)
            cli_mask_text (mask, args, f->option, (char **) target, f->path);
        else if (f->kind == REGISTRY_FIELD_ENUM
                 && (value = cli_args_get (args, f->option))) {
            int parsed;
            if (cli_parse_enum (option, value, f->type, f->prefix, true,
                                &parsed))
                return -1;
            *(int *) target = parsed;
            cli_mask_add (mask, f->path);
        }
        else if (f->kind == REGISTRY_FIELD_FLAG
                 && cli_args_flag (args, f->option)) {
            bool yes = true;
            if (!flags_are_switches
                && cli_parse_bool (option, cli_args_get (args, f->option),
                                   &yes))
                return -1;
            *(protobuf_c_boolean *) target = yes;
            cli_mask_add (mask, f->path);
        }
        else if (f->kind == REGISTRY_FIELD_COUNT
                 && (value = cli_args_get (args, f->option))) {
            int64_t count;
            if (cli_parse_int (option, value, 0, REGISTRY_CHECK_COUNT_MAX,
                               &count))
                return -1;
            *(int32_t *) target = (int32_t) count;
            cli_mask_add (mask, f->path);
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  add

static int
s_add (cli_t *cli, int argc, char **argv)
{
    char spec [512];
    cli_args_t *args = cli_args_verb (
        argc, argv, cli_enterprise_own_spec (true, spec, sizeof spec),
        cli_enterprise_usage (), 1, "name",
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
    if (cli_enterprise_own_fields (args, &e, &credit, &ip, &mask, true) == 0) {
        Kj__RegisterEnterpriseRequest request =
            KJ__REGISTER_ENTERPRISE_REQUEST__INIT;
        request.enterprise = &e;
        rc = cli_enterprise_call (
            cli, "RegisterEnterprise", &request.base,
            N_ ("Registered (draft entry; `kejin enterprise "
                "transition %s submit` submits it):"));
    }
    cli_args_destroy (&args);
    return rc;
}

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
        cli_enterprise_usage (), 0, NULL,
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
//  stage

static int
s_stage (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_new (argc, argv, 2,
                                     "set= clear! reason= recompute!",
                                     cli_enterprise_usage ());
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
        rc = cli_enterprise_get (cli, code, &reply);
    if (rc == CLI_OK) {
        if (cli->json)
            cli_enterprise_print_coded (reply->enterprise->code, "stage",
                                        cli_enterprise_json (
                                            &reply->enterprise->stage->base));
        else {
            printf ("%s  %s\n", reply->enterprise->code,
                    reply->enterprise->name);
            cli_enterprise_print_stage (reply->enterprise);
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
//  qualify

static int
s_qualify (cli_t *cli, int argc, char **argv)
{
    cli_args_t
        *args = cli_args_new (argc, argv, 2,
                              "expires= granted= level= certificate= revoke!",
                              cli_enterprise_usage ());
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
        rc = cli_enterprise_call (cli, "Qualify", &request.base,
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
                                         { "show", NULL, &cli_enterprise_show },
                                         { "list", s_list },
                                         { "update", cli_enterprise_update },
                                         { "stage", s_stage },
                                         { "transition", NULL, &s_transition },
                                         { "figures", cli_enterprise_figures },
                                         { "qualify", s_qualify },
                                         { NULL } };
    return cli_reg_run (cli, argc, argv, "enterprise", cli_enterprise_usage (),
                        verbs);
}
