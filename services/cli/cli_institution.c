/*  =========================================================================
    cli_institution - `kejin institution`: the financial institutions on
    the platform (入驻机构) and the regions they serve
    =========================================================================
*/

#include "cli_reg.h"

static const char *s_usage =
    "Usage: kejin institution VERB [ARGS] [--json]\n\n"
    "  add --name NAME --type TYPE --regions R1,R2 [--id ID] [--uscc CODE]\n"
    "      [--contact TEXT] [--sponsor CODE]\n"
    "        put an institution on the platform; the id is made (I000001)\n"
    "        unless given\n"
    "  show ID [--history]\n"
    "  list [--type TYPE]... [--region R] [--name TEXT] [--all] [--limit N]\n"
    "       [--after CURSOR]    --region: those serving that city; --all:\n"
    "        withdrawn ones too\n"
    "  update ID [--name] [--type] [--regions] [--uscc] [--contact]\n"
    "       [--sponsor] [--version N]\n"
    "  withdraw ID --reason TEXT\n"
    "        take it off the platform, with its products\n"
    "  import ..., export ...       bulk CSV\n\n"
    "Types: bank, guarantee, angel_fund, vc, pe, insurer, leasing, factoring,\n"
    "small_loan, securities, equity_exchange. Regions: city codes (210100\n"
    "Shenyang .. 211400 Huludao), SFDZ, SHENYANG_METRO, PROVINCE.\n";

static void
s_print (const Kj__Institution *i)
{
    char when [32];
    printf ("%s  %s\n", i->id, i->name);
    printf ("  type        %s\n",
            cli_enum_name (&kj__institution_type__descriptor, "INSTITUTION_",
                           i->type));
    printf ("  regions     ");
    for (size_t r = 0; r < i->n_regions; r++)
        printf ("%s%s", r ? ", " : "", i->regions [r]);
    printf ("\n");
    if (*i->uscc)
        printf ("  credit code %s\n", i->uscc);
    if (*i->contact)
        printf ("  contact     %s\n", i->contact);
    if (*i->sponsor_code)
        printf ("  sponsor     %s\n", i->sponsor_code);
    printf ("  state       %s%s%s\n",
            cli_enum_name (&kj__listing_state__descriptor, "LISTING_",
                           i->state),
            *i->withdraw_reason ? ": " : "", i->withdraw_reason);
    printf ("  version     %" PRIu64 ", updated %s\n", i->version,
            cli_time (i->updated_at_us, when, sizeof when));
}

static int
s_done (cli_t *cli, Kj__InstitutionReply *reply, const char *what)
{
    if (cli->json)
        cli_print_json (&reply->institution->base);
    else {
        if (what)
            printf ("%s\n\n", what);
        s_print (reply->institution);
    }
    kj__institution_reply__free_unpacked (reply, NULL);
    return CLI_OK;
}

//  The fields given, into i and mask. Strings point into args; regions
//  is a new array (cli_strings_free).
static int
s_fields (cli_args_t *args, Kj__Institution *i, const char **mask,
          size_t *n_mask, char ***regions)
{
    const char *value;
    *regions = NULL;
    if ((value = cli_args_get (args, "name"))) {
        i->name = (char *) value;
        mask [(*n_mask)++] = "name";
    }
    if ((value = cli_args_get (args, "type"))) {
        int type;
        if (cli_parse_enum ("--type", value, &kj__institution_type__descriptor,
                            "INSTITUTION_", false, &type))
            return -1;
        i->type = (Kj__InstitutionType) type;
        mask [(*n_mask)++] = "type";
    }
    if ((value = cli_args_get (args, "regions"))) {
        *regions = cli_split (value, &i->n_regions);
        i->regions = *regions;
        mask [(*n_mask)++] = "regions";
    }
    if ((value = cli_args_get (args, "uscc"))) {
        i->uscc = (char *) value;
        mask [(*n_mask)++] = "uscc";
    }
    if ((value = cli_args_get (args, "contact"))) {
        i->contact = (char *) value;
        mask [(*n_mask)++] = "contact";
    }
    if ((value = cli_args_get (args, "sponsor"))) {
        i->sponsor_code = (char *) value;
        mask [(*n_mask)++] = "sponsor_code";
    }
    return 0;
}

static int
s_add (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_new (argc, argv, 2,
        "id= name= type= regions= uscc= contact= sponsor=", s_usage);
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    Kj__Institution i = KJ__INSTITUTION__INIT;
    const char *mask [8];
    size_t n_mask = 0;
    char **regions = NULL;
    if (cli_args_count (args) || !cli_args_get (args, "name")
    ||  !cli_args_get (args, "type") || !cli_args_get (args, "regions"))
        fprintf (stderr, "kejin: institution add needs --name, --type and "
                 "--regions, e.g.\n  kejin institution add --name "
                 "中国银行辽宁省分行 --type bank --regions PROVINCE\n");
    else
    if (s_fields (args, &i, mask, &n_mask, &regions) == 0) {
        i.id = (char *) (cli_args_get (args, "id") ? cli_args_get (args, "id")
                                                   : "");
        Kj__AddInstitutionRequest request = KJ__ADD_INSTITUTION_REQUEST__INIT;
        request.institution = &i;
        Kj__InstitutionReply *reply = NULL;
        rc = cli_call (cli, "registry", "AddInstitution", &request.base,
                       &kj__institution_reply__descriptor,
                       (ProtobufCMessage **) &reply, false);
        if (rc == CLI_OK)
            rc = s_done (cli, reply, "Listed:");
    }
    cli_strings_free (regions);
    cli_args_destroy (&args);
    return rc;
}

static int
s_history (cli_t *cli, const char *id)
{
    Kj__HistoryRequest request = KJ__HISTORY_REQUEST__INIT;
    request.kind = "institution";
    request.subject = (char *) id;
    Kj__HistoryReply *reply = NULL;
    int rc = cli_call (cli, "registry", "History", &request.base,
                       &kj__history_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
    if (rc != CLI_OK)
        return rc;
    if (cli->json)
        cli_print_json (&reply->base);
    else {
        printf ("\nAudit trail\n");
        for (size_t e = 0; e < reply->n_entries; e++) {
            char when [32];
            const Kj__AuditEntry *a = reply->entries [e];
            printf ("  %s  %s  %s  %s -> %s  %s\n",
                    cli_time (a->at_us, when, sizeof when), a->who, a->action,
                    a->before, a->after, a->reason);
        }
        if (reply->n_entries == 0)
            printf ("  (nothing recorded yet)\n");
    }
    kj__history_reply__free_unpacked (reply, NULL);
    return CLI_OK;
}

static int
s_show (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_new (argc, argv, 2, "history!", s_usage);
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    if (cli_args_count (args) != 1)
        fprintf (stderr, "kejin: institution show takes one id\n");
    else {
        Kj__GetInstitutionRequest request = KJ__GET_INSTITUTION_REQUEST__INIT;
        request.id = (char *) cli_args_positional (args, 0);
        Kj__InstitutionReply *reply = NULL;
        rc = cli_call (cli, "registry", "GetInstitution", &request.base,
                       &kj__institution_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
        if (rc == CLI_OK)
            rc = s_done (cli, reply, NULL);
        if (rc == CLI_OK && cli_args_flag (args, "history"))
            rc = s_history (cli, request.id);
    }
    cli_args_destroy (&args);
    return rc;
}

static int
s_list (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_new (argc, argv, 2,
        "type= region= name= all! limit= after=", s_usage);
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    Kj__ListInstitutionsRequest request = KJ__LIST_INSTITUTIONS_REQUEST__INIT;
    Kj__Page page = KJ__PAGE__INIT;
    request.page = &page;
    int types [32];
    zlist_t *all = cli_args_all (args, "type");
    bool ok = cli_args_count (args) == 0;
    for (const char *t = all ? (const char *) zlist_first (all) : NULL;
         t && ok && request.n_types < 32; t = (const char *) zlist_next (all))
        ok = cli_parse_enum ("--type", t, &kj__institution_type__descriptor,
                             "INSTITUTION_", false,
                             &types [request.n_types++]) == 0;
    int64_t limit = 0;
    if (ok && cli_args_get (args, "limit"))
        ok = cli_parse_int ("--limit", cli_args_get (args, "limit"), 1, 1000,
                            &limit) == 0;
    if (ok) {
        request.types = (Kj__InstitutionType *) types;
        page.limit = (uint32_t) limit;
        page.after = (char *) (cli_args_get (args, "after")
                               ? cli_args_get (args, "after") : "");
        request.region = (char *) (cli_args_get (args, "region")
                                   ? cli_args_get (args, "region") : "");
        request.name_contains = (char *) (cli_args_get (args, "name")
                                          ? cli_args_get (args, "name") : "");
        request.include_withdrawn = cli_args_flag (args, "all");
        Kj__ListInstitutionsReply *reply = NULL;
        rc = cli_call (cli, "registry", "ListInstitutions", &request.base,
                       &kj__list_institutions_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
        if (rc == CLI_OK) {
            if (cli->json)
                cli_print_json (&reply->base);
            else {
                cli_table_t *table = cli_table_new ("ID", "NAME", "TYPE",
                    "REGIONS", "STATE", NULL);
                for (size_t i = 0; i < reply->n_institutions; i++) {
                    const Kj__Institution *in = reply->institutions [i];
                    char regions [256] = "";
                    size_t at = 0;
                    for (size_t r = 0; r < in->n_regions && at < sizeof regions;
                         r++)
                        at += (size_t) snprintf (regions + at,
                                                 sizeof regions - at, "%s%s",
                                                 r ? "," : "", in->regions [r]);
                    cli_table_row (table, in->id, in->name,
                        cli_enum_name (&kj__institution_type__descriptor,
                                       "INSTITUTION_", in->type),
                        regions,
                        cli_enum_name (&kj__listing_state__descriptor,
                                       "LISTING_", in->state));
                }
                if (reply->n_institutions)
                    cli_table_print (table, stdout);
                else
                    printf ("no institution matches\n");
                cli_table_destroy (&table);
                cli_page_footer (reply->n_institutions, reply->page_info);
            }
            kj__list_institutions_reply__free_unpacked (reply, NULL);
        }
    }
    else
    if (cli_args_count (args))
        fprintf (stderr, "kejin: institution list takes options only\n");
    cli_args_destroy (&args);
    return rc;
}

static int
s_update (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_new (argc, argv, 2,
        "name= type= regions= uscc= contact= sponsor= version=", s_usage);
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    Kj__Institution i = KJ__INSTITUTION__INIT;
    const char *mask [8];
    size_t n_mask = 0;
    char **regions = NULL;
    int64_t version = 0;
    const char *v = cli_args_get (args, "version");
    if (cli_args_count (args) != 1)
        fprintf (stderr, "kejin: institution update takes one id and the "
                 "fields to change\n");
    else
    if (s_fields (args, &i, mask, &n_mask, &regions) == 0
    &&  (!v || cli_parse_int ("--version", v, 1, INT64_MAX, &version) == 0)) {
        if (n_mask == 0)
            fprintf (stderr, "kejin: nothing to change: give at least one "
                     "field\n");
        else {
            i.id = (char *) cli_args_positional (args, 0);
            Kj__UpdateInstitutionRequest request =
                KJ__UPDATE_INSTITUTION_REQUEST__INIT;
            request.institution = &i;
            request.update_mask = (char **) mask;
            request.n_update_mask = n_mask;
            request.expected_version = (uint64_t) version;
            Kj__InstitutionReply *reply = NULL;
            rc = cli_call (cli, "registry", "UpdateInstitution", &request.base,
                           &kj__institution_reply__descriptor,
                           (ProtobufCMessage **) &reply, false);
            if (rc == CLI_OK)
                rc = s_done (cli, reply, "Updated:");
        }
    }
    cli_strings_free (regions);
    cli_args_destroy (&args);
    return rc;
}

static int
s_withdraw (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_new (argc, argv, 2, "reason=", s_usage);
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    if (cli_args_count (args) != 1 || !cli_args_get (args, "reason"))
        fprintf (stderr, "kejin: institution withdraw takes one id and "
                 "--reason TEXT\n");
    else {
        Kj__WithdrawInstitutionRequest request =
            KJ__WITHDRAW_INSTITUTION_REQUEST__INIT;
        request.id = (char *) cli_args_positional (args, 0);
        request.reason = (char *) cli_args_get (args, "reason");
        Kj__InstitutionReply *reply = NULL;
        rc = cli_call (cli, "registry", "WithdrawInstitution", &request.base,
                       &kj__institution_reply__descriptor,
                       (ProtobufCMessage **) &reply, false);
        if (rc == CLI_OK)
            rc = s_done (cli, reply, "Withdrawn, with its listed products:");
    }
    cli_args_destroy (&args);
    return rc;
}

int
cli_institution (cli_t *cli, int argc, char **argv)
{
    if (argc < 2 || streq (argv [1], "-h") || streq (argv [1], "--help"))
        return cli_usage (s_usage, argc < 2);
    const char *verb = argv [1];
    if (streq (verb, "import"))
        return cli_bulk_import (cli, "institution", argc - 1, argv + 1);
    if (streq (verb, "export"))
        return cli_bulk_export (cli, "institution", argc - 1, argv + 1);
    if (cli_wants_help (argc, argv))
        return cli_usage (s_usage, false);
    if (streq (verb, "add"))
        return s_add (cli, argc, argv);
    if (streq (verb, "show"))
        return s_show (cli, argc, argv);
    if (streq (verb, "list"))
        return s_list (cli, argc, argv);
    if (streq (verb, "update"))
        return s_update (cli, argc, argv);
    if (streq (verb, "withdraw"))
        return s_withdraw (cli, argc, argv);
    fprintf (stderr, "kejin: institution has no verb '%s'\n%s", verb,
             s_usage);
    return CLI_USAGE;
}
