/*  =========================================================================
    cli_institution - `kejin institution`: the financial institutions on
    the platform (入驻机构) and the regions they serve
    =========================================================================
*/

#include "cli_reg.h"

//  The add options (%s) come from the institution's table (cli_attrs_usage)
#define S_USAGE                                                                \
    N_ ("Usage: kejin institution VERB [ARGS] [--json]\n\n"                    \
        "  add%s\n"                                                            \
        "        put an institution on the platform; the id is made "          \
        "(I000001)\n"                                                          \
        "        unless given\n"                                               \
        "  show ID [--history]\n"                                              \
        "  list [--type TYPE]... [--region R] [--name TEXT] [--all] "          \
        "[--limit N]\n"                                                        \
        "       [--after CURSOR]    --region: those serving that city; "       \
        "--all:\n"                                                             \
        "        withdrawn ones too\n"                                         \
        "  update ID [the add options] [--version N]\n"                        \
        "  withdraw ID --reason TEXT\n"                                        \
        "        take it off the platform, with its products\n"                \
        "  import ..., export ...       bulk CSV\n\n"                          \
        "Types: bank, guarantee, angel_fund, vc, pe, insurer, leasing, "       \
        "factoring,\n"                                                         \
        "small_loan, securities, equity_exchange. Regions: city codes "        \
        "(210100\n"                                                            \
        "Shenyang .. 211400 Huludao), SFDZ, SHENYANG_METRO, PROVINCE.\n")

//  The usage, its add options from the table, in the CLI's language.
static const char *
s_usage (void)
{
    static char text [2000];
    char options [600];
    snprintf (text, sizeof text, _ (S_USAGE),
              cli_attrs_usage (registry_check_institution_table,
                               REGISTRY_INSTITUTION_ATTRS, "", "[--id ID]",
                               options, sizeof options));
    return text;
}

static void
s_print (const Kj__Institution *i)
{
    char when [32];
    printf ("%s  %s\n", i->id, i->name);
    //  Its own fields after the name, through its table
    cli_attrs_show (registry_check_institution_table, 1,
                    REGISTRY_INSTITUTION_ATTRS, &i->base);
    printf (_ ("  state       %s%s%s\n"),
            cli_enum_label (&kj__listing_state__descriptor, "LISTING_",
                            i->state),
            *i->withdraw_reason ? ": " : "", i->withdraw_reason);
    printf (_ ("  version     %" PRIu64 ", updated %s\n"), i->version,
            cli_time (i->updated_at_us, when, sizeof when));
}

//  An institution reply as JSON or for people, under the line `what`
//  (N_ () text) when given.
static int
s_show_institution (cli_t *cli, const ProtobufCMessage *message,
                    const char *what)
{
    const Kj__InstitutionReply *reply = (const Kj__InstitutionReply *) message;
    if (cli->json)
        cli_print_json (&reply->institution->base);
    else {
        if (what)
            printf ("%s\n\n", _ (what));
        s_print (reply->institution);
    }
    return CLI_OK;
}

//  The fields given, into i and mask, through the institution's table;
//  what they allocate in owned.
static int
s_fields (cli_args_t *args, Kj__Institution *i, cli_mask_t *mask,
          cli_attrs_owned_t *owned)
{
    return cli_attrs_read (args, registry_check_institution_table,
                           REGISTRY_INSTITUTION_ATTRS, &i->base, mask, owned);
}

//  The options of add (before) or update (after), in buf.
static const char *
s_spec (const char *before, const char *after, char *buf, size_t size)
{
    return cli_attrs_spec (registry_check_institution_table,
                           REGISTRY_INSTITUTION_ATTRS, before, after, buf,
                           size);
}

static int
s_add (cli_t *cli, int argc, char **argv)
{
    char spec [256];
    cli_args_t *args = cli_args_verb (
        argc, argv, s_spec ("id=", "", spec, sizeof spec), s_usage (), 0,
        "name type regions",
        "institution add needs --name, --type and "
        "--regions, e.g.\n  kejin institution add --name 中国银行辽宁省分行 "
        "--type bank --regions PROVINCE");
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    Kj__Institution i = KJ__INSTITUTION__INIT;
    cli_mask_t mask = { .count = 0 };
    cli_attrs_owned_t owned;
    if (s_fields (args, &i, &mask, &owned) == 0) {
        i.id = cli_args_text (args, "id");
        Kj__AddInstitutionRequest request = KJ__ADD_INSTITUTION_REQUEST__INIT;
        request.institution = &i;
        rc = cli_call_show (cli, "registry", "AddInstitution", &request.base,
                            &kj__institution_reply__descriptor, false,
                            s_show_institution, N_ ("Listed:"));
    }
    cli_attrs_free (&owned);
    cli_args_destroy (&args);
    return rc;
}

//  show ID [--history]
static int
s_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    s_show_institution (cli, reply, NULL);
    return cli_args_flag (args, "history")
             ? cli_reg_history (cli, "institution",
                                ((const Kj__InstitutionReply *) reply)
                                    ->institution->id,
                                true)
             : CLI_OK;
}

static const cli_call_verb_t s_show = {
    .spec = "history!",
    .positional = 1,
    .complaint = N_ ("institution show takes one id"),
    .service = "registry",
    .method = "GetInstitution",
    .request_type = &kj__get_institution_request__descriptor,
    .reply_type = &kj__institution_reply__descriptor,
    .read_only = true,
    .show = s_shown,
};

static int
s_list (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv,
                                      "type= region= name= all! limit= after=",
                                      s_usage (), 0, NULL,
                                      "institution list takes options only");
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    Kj__ListInstitutionsRequest request = KJ__LIST_INSTITUTIONS_REQUEST__INIT;
    Kj__Page page = KJ__PAGE__INIT;
    request.page = &page;
    int types [32];
    if (cli_args_enums (args, "type", &kj__institution_type__descriptor,
                        "INSTITUTION_", types, 32, &request.n_types)
            == 0
        && cli_page_options (args, &page) == 0) {
        request.types = (Kj__InstitutionType *) types;
        request.region = cli_args_text (args, "region");
        request.name_contains = cli_args_text (args, "name");
        request.include_withdrawn = cli_args_flag (args, "all");
        Kj__ListInstitutionsReply *reply = NULL;
        rc = cli_call (cli, "registry", "ListInstitutions", &request.base,
                       &kj__list_institutions_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
        if (rc == CLI_OK) {
            if (cli->json)
                cli_print_json (&reply->base);
            else {
                cli_table_t *table = cli_table_new (N_ ("ID"), N_ ("NAME"),
                                                    N_ ("TYPE"), N_ ("REGIONS"),
                                                    N_ ("STATE"), NULL);
                for (size_t i = 0; i < reply->n_institutions; i++) {
                    const Kj__Institution *in = reply->institutions [i];
                    char regions [256] = "";
                    size_t at = 0;
                    for (size_t r = 0; r < in->n_regions && at < sizeof regions;
                         r++)
                        at += (size_t) snprintf (regions + at,
                                                 sizeof regions - at, "%s%s",
                                                 r ? "," : "", in->regions [r]);
                    cli_table_row (
                        table, in->id, in->name,
                        cli_enum_label (&kj__institution_type__descriptor,
                                        "INSTITUTION_", in->type),
                        regions,
                        cli_enum_label (&kj__listing_state__descriptor,
                                        "LISTING_", in->state));
                }
                cli_page_print (&table, reply->n_institutions,
                                N_ ("no institution matches"),
                                reply->page_info);
            }
            kj__list_institutions_reply__free_unpacked (reply, NULL);
        }
    }
    cli_args_destroy (&args);
    return rc;
}

static int
s_update (cli_t *cli, int argc, char **argv)
{
    char spec [256];
    cli_args_t *args = cli_args_verb (
        argc, argv, s_spec ("", "version=", spec, sizeof spec), s_usage (), 1,
        NULL, "institution update takes one id and the fields to change");
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    Kj__Institution i = KJ__INSTITUTION__INIT;
    cli_mask_t mask = { .count = 0 };
    cli_attrs_owned_t owned;
    int64_t version;
    if (s_fields (args, &i, &mask, &owned) == 0
        && cli_args_version (args, &version) == 0) {
        if (mask.count == 0)
            fprintf (stderr, _ ("kejin: nothing to change: give at least one "
                                "field\n"));
        else {
            i.id = (char *) cli_args_positional (args, 0);
            Kj__UpdateInstitutionRequest request =
                KJ__UPDATE_INSTITUTION_REQUEST__INIT;
            request.institution = &i;
            request.update_mask = (char **) mask.names;
            request.n_update_mask = mask.count;
            request.expected_version = (uint64_t) version;
            rc = cli_call_show (cli, "registry", "UpdateInstitution",
                                &request.base,
                                &kj__institution_reply__descriptor, false,
                                s_show_institution, N_ ("Updated:"));
        }
    }
    cli_attrs_free (&owned);
    cli_args_destroy (&args);
    return rc;
}

//  withdraw ID --reason TEXT
static int
s_withdrawn (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    return s_show_institution (cli, reply,
                               N_ ("Withdrawn, with its listed products:"));
}

static const cli_call_verb_t s_withdraw = {
    .spec = "reason=",
    .positional = 1,
    .required = "reason",
    .complaint = N_ ("institution withdraw takes one id and --reason TEXT"),
    .service = "registry",
    .method = "WithdrawInstitution",
    .request_type = &kj__withdraw_institution_request__descriptor,
    .reply_type = &kj__institution_reply__descriptor,
    .show = s_withdrawn,
};

int
cli_institution (cli_t *cli, int argc, char **argv)
{
    static const cli_verb_t verbs [] = { { "add", s_add },
                                         { "show", NULL, &s_show },
                                         { "list", s_list },
                                         { "update", s_update },
                                         { "withdraw", NULL, &s_withdraw },
                                         { NULL } };
    return cli_reg_run (cli, argc, argv, "institution", s_usage (), verbs);
}
