/*  =========================================================================
    cli_enterprise_figures - `kejin enterprise figures`: an enterprise's
    yearly figures, shown or set (money in yuan, counts as given)
    =========================================================================
*/

#include "cli_enterprise_private.h"

//  The figures of docs/cli.md, by name, with their fields.
#define S_FIGURES 9
static const char *s_figure_names [S_FIGURES] = {
    "revenue",           "rnd",  "net-profit", "assets",    "cash-flow",
    "high-tech-revenue", "cost", "staff",      "tech-staff"
};
//  --------------------------------------------------------------------------
//  figures

int
cli_enterprise_figures (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (
        argc, argv,
        "year= revenue= rnd= net-profit= assets= cash-flow= "
        "high-tech-revenue= cost= staff= tech-staff=",
        cli_enterprise_usage (), 1, NULL,
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
    int rc = cli_enterprise_get (cli, code, &current);
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
                                       cli_enterprise_json (
                                           &current->enterprise->figures [i]
                                                ->base));
            cli_enterprise_print_coded (current->enterprise->code, "figures",
                                        figures);
        }
        else {
            Kj__Enterprise *e = current->enterprise;
            Kj__Enterprise shown = *e;
            shown.n_qualifications = shown.n_awards = shown.n_rounds = 0;
            shown.n_loans = shown.n_chain_links = 0;
            cli_enterprise_print (&shown);
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
                && (!before
                    || !cli_enterprise_reported (before, s_figure_names [i])))
                unreported [f.n_not_reported++] = (char *) s_figure_names [i];
        if (ok) {
            Kj__SetFiguresRequest request = KJ__SET_FIGURES_REQUEST__INIT;
            Kj__YearFigures *list [] = { &f };
            request.code = (char *) code;
            request.figures = list;
            request.n_figures = 1;
            request.expected_version = current->enterprise->version;
            rc = cli_enterprise_call (cli, "SetFigures", &request.base,
                                      N_ ("Figures set; stage recomputed:"));
        }
    }
    kj__enterprise_reply__free_unpacked (current, NULL);
    cli_args_destroy (&args);
    return rc;
}
