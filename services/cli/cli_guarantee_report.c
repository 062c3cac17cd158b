/*  =========================================================================
    cli_guarantee_report - `kejin guarantee report [YEAR]` and `kejin
    guarantee policy show|set`: the budget, claims and loss ratios in one
    report; the limits in force, or their next version (a read, then a
    write of the whole policy with the options given changed)
    =========================================================================
*/

#include "cli_guarantee.h"

//  Call a write or read of the guarantee service as the operator.
static int
s_call (cli_t *cli, cli_args_t *args, const char *method,
        const ProtobufCMessage *request, const ProtobufCMessageDescriptor *type,
        ProtobufCMessage **reply_p)
{
    cli_guarantee_operator (cli, args);
    bool read = strncmp (method, "Get", 3) == 0
             || strncmp (method, "List", 4) == 0
             || streq (method, "LedgerCheck");
    return cli_call (cli, "guarantee", method, request, type, reply_p, read);
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
s_show_report (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    const Kj__GuaranteeReport *reply = (const Kj__GuaranteeReport *) message;
    if (cli_guarantee_json (cli, message))
        return CLI_OK;
    const Kj__GuaranteeReportLine *t = reply->total;
    char p [64], r [64], f [64], d [64];
    printf (_ ("compensation paid %s, net recoveries %s, refunded to "
               "the province %s; 代偿 %s\n"),
            cli_yuan (t->paid_fen, p, 64), cli_yuan (t->recovered_fen, r, 64),
            cli_yuan (t->refunded_fen, f, 64),
            cli_yuan (t->daichang_fen, d, 64));
    s_print_lines (_ ("budget by year"), N_ ("year"), reply->years,
                   reply->n_years, false);
    char title [64];
    snprintf (title, sizeof title, _ ("claims on the %d budget by city"),
              reply->year);
    s_print_lines (title, N_ ("city"), reply->cities, reply->n_cities, false);
    snprintf (title, sizeof title, _ ("claims on the %d budget by guarantor"),
              reply->year);
    s_print_lines (title, N_ ("guarantor"), reply->guarantors,
                   reply->n_guarantors, true);
    s_print_lines (_ ("loss ratios by bank"), N_ ("bank"), reply->banks,
                   reply->n_banks, true);
    return CLI_OK;
}

//  YEAR is optional: this year's report without it
const cli_call_verb_t cli_guarantee_report = {
    .spec = "as=",
    .complaint = N_ ("report [YEAR]"),
    .read_only = true,
    CLI_GUARANTEE_CALL ("Report", kj__guarantee_report_request,
                        kj__guarantee_report, cli_guarantee_fill_operator,
                        s_show_report),
};
const cli_call_verb_t cli_guarantee_report_year = {
    .spec = "as=",
    .positional = 1,
    .complaint = N_ ("report [YEAR]"),
    .read_only = true,
    CLI_GUARANTEE_CALL ("Report", kj__guarantee_report_request,
                        kj__guarantee_report, cli_guarantee_fill_year,
                        s_show_report),
};

//  policy show | policy set: the limits in force, or their next version

int
cli_guarantee_policy (cli_t *cli, int argc, char **argv)
{
    bool set = streq (argv [2], "set");  //  else show
    cli_args_t *args = cli_args_verb (
        argc - 1, argv + 1,
        "as= bank-share-min= system-share-max= national-share-max= "
        "provincial-share-min= fee-max= reguarantee-fee-small-max= "
        "reguarantee-fee-large-max= reguarantee-large-above= balance-cap=",
        cli_guarantee_usage, 0, NULL,
        N_ ("policy show | policy set [OPTIONS]"));
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
