/*  =========================================================================
    cli_ipo - `kejin ipo fit` and `kejin ipo subsidy replay`: the IPO
    pipeline's rules run offline on a CSV file, with nothing stored

    For advisers and finance bureaus who hold figures or a firm's history
    in a spreadsheet. The rules are kejin-ipo's own classes (ipo_board,
    ipo_subsidy, linked from libipo.a), so an answer here is the answer
    the service gives. docs/rules/ipo.md describes both files.

    A bad cell is reported as "FILE row N, column NAME: what is wrong"
    on stderr, where row 1 is the header, and nothing is printed for that
    row. fit reports every bad row and prints every good one (each row
    stands alone); replay stops at the first bad row, since every later
    payment of the firm depends on it. Either exits 2 after a bad row.
    =========================================================================
*/

#include "cli_reg.h"
#include "cli_ipo.h"
#include "ipo.pb-c.h"
#include "ipo_board.h"
#include "ipo_fit.h"
#include "ipo_subsidy.h"
#include <errno.h>
#include <wchar.h>

static const char *s_usage = N_ (
    "Usage: kejin ipo fit --csv FILE [--json]\n"
    "       kejin ipo subsidy replay --csv FILE [--json]\n"
    "       kejin ipo fit [run [--csv FILE [--page N]]|show [BATCH]|firm CODE] "
    "(kejin-ipo)\n"
    "       kejin ipo pool|stage|raise|claim|approve|budget|report|demo ...\n"
    "       (kejin-ipo; each without arguments prints its usage)\n"
    "The IPO pipeline's rules on a CSV file (- for standard input),\n"
    "offline: nothing is stored and no node is needed.\n\n"
    "fit: which listing standards each firm meets (STAR-1..4, ChiNext-1..3,\n"
    "Main-1..3, BSE-1..4) and, for the nearest one it misses, how much it\n"
    "lacks on each figure. Header, one firm a row, t0 the latest year:\n"
    "  id,market_cap_fen,np_t2_fen,np_t1_fen,np_t0_fen,rev_t2_fen,\n"
    "  rev_t1_fen,rev_t0_fen,rd_t2_fen,rd_t1_fen,rd_t0_fen,ocf_t2_fen,\n"
    "  ocf_t1_fen,ocf_t0_fen,roe_t1_bp,roe_t0_bp,rev_growth_t0_bp,\n"
    "  neeq_tier,neeq_listed_months\n"
    "(on one line; neeq_tier NONE, BASIC or INNOVATION).\n\n"
    "subsidy replay: the listing subsidy each pipeline event pays and the\n"
    "firm's total paid after it. Header, one event a row, in order:\n"
    "  firm,step,date,board,event,amount_raised_fen\n"
    "(board MAIN, CHINEXT, STAR, BSE or NEEQ; date YYYY-MM-DD; step a\n"
    "whole number rising within a firm; amount_raised_fen for EQUITY_RAISED\n"
    "only).\n\n"
    "Exit code 0, or 2 after any bad row (reported on stderr as row and\n"
    "column; row 1 is the header).\n");

//  Most firms one replay keeps the state of
#define S_FIRMS_MAX 1000000

//  --------------------------------------------------------------------------
//  kejin ipo fit

typedef struct {
    const ipo_board_rules_t *rules;
    const char *header [32];
    cli_ipo_pages_t out;  //  for people
} s_fit_t;

//  --------------------------------------------------------------------------
//  The headings of fit's table.

static cli_table_t *
s_fit_table (void)
{
    return cli_table_new (N_ ("ID"), N_ ("MEETS"), N_ ("NEAREST MISSED"),
                          N_ ("SHORT BY"), NULL);
}

//  --------------------------------------------------------------------------
//  A shortfall for people: money in yuan, ratios in percent, a category
//  by the value needed; see the header.
void
cli_ipo_short_text (const char *figure, int64_t have, int64_t need, char *buf,
                    size_t size)
{
    char amount [64];
    size_t length = strlen (figure);
    if (streq (figure, ipo_board_figure_name (IPO_FIG_NEEQ_TIER)))
        snprintf (amount, sizeof amount, _ ("needs %s"),
                  ipo_board_neeq_tier_name (need));
    else if (length > 4 && streq (figure + length - 4, "_fen"))
        cli_yuan (need - have, amount, sizeof amount);
    else if (length > 3 && streq (figure + length - 3, "_bp"))
        cli_percent (need - have, amount, sizeof amount);
    else
        snprintf (amount, sizeof amount, "%" PRId64, need - have);
    snprintf (buf, size, "%s %s", figure, amount);
}

static void
s_short_text (const ipo_board_short_t *s, char *buf, size_t size)
{
    cli_ipo_short_text (ipo_board_figure_name (s->figure), s->have, s->need,
                        buf, size);
}

//  --------------------------------------------------------------------------
//  One firm's figures checked cell by cell into input; 0, or -1 after
//  reporting every problem of the row.

int
cli_ipo_fit_cells (cli_ipo_reader_t *reader, ipo_board_input_t *input_p)
{
    ipo_board_input_t input;
    memset (&input, 0, sizeof input);
    cli_ipo_cell_id (reader, 0);
    size_t column = 1;
    for (const ipo_board_field_t *field = ipo_board_fields;
         field->name && field->in_csv; field++, column++) {
        int64_t *value = (int64_t *) ((char *) &input + field->offset);
        kj_status_t status;
        if (field->names)
            cli_ipo_cell_enum (reader, column, field->names, value);
        else if (cli_ipo_cell_int (reader, column, value) == 0
                 && ipo_board_field_check (field, *value, &status))
            cli_ipo_status_problem (reader, &status);
    }
    *input_p = input;
    return reader->bad ? -1 : 0;
}

//  --------------------------------------------------------------------------
//  One firm: its figures checked cell by cell, then its fit printed.

static int
s_fit_row (cli_ipo_reader_t *reader, void *arg)
{
    s_fit_t *self = (s_fit_t *) arg;
    ipo_board_input_t input;
    if (cli_ipo_fit_cells (reader, &input))
        return 0;  //  every row stands alone: go on

    ipo_board_fit_t fit;
    kj_status_t status;
    if (ipo_board_fit (self->rules, &input, IPO_BOARD_EXCHANGES, &fit,
                       &status)) {
        cli_ipo_status_problem (reader, &status);
        return 0;
    }
    const char *id = reader->cells [0];
    char name [32], text [128];
    const ipo_board_outcome_t *nearest = fit.nearest >= 0
                                           ? &fit.outcome [fit.nearest]
                                           : NULL;
    if (reader->cli->json) {
        json_t *meets = json_array ();
        for (size_t i = 0; i < fit.count; i++)
            if (fit.outcome [i].met)
                json_array_append_new (meets,
                                       json_string (ipo_board_standard_name (
                                           fit.outcome [i].standard, name,
                                           sizeof name)));
        json_t *missed = json_null ();
        if (nearest) {
            json_t *shorts = json_object ();
            for (size_t i = 0; i < nearest->shorts; i++) {
                const ipo_board_short_t *s = &nearest->short_of [i];
                json_object_set_new (shorts, ipo_board_figure_name (s->figure),
                                     s->figure == IPO_FIG_NEEQ_TIER
                                         ? json_string (
                                             ipo_board_neeq_tier_name (s->need))
                                         : json_integer (s->need - s->have));
            }
            missed = json_pack ("{s:s,s:o}", "standard",
                                ipo_board_standard_name (nearest->standard,
                                                         name, sizeof name),
                                "short", shorts);
        }
        cli_ipo_print_json (json_pack ("{s:s,s:o,s:o}", "id", id, "meets",
                                       meets, "nearest_missed", missed));
        return 0;
    }
    char met [256] = "", lacks [512] = "";
    for (size_t i = 0; i < fit.count; i++)
        if (fit.outcome [i].met)
            snprintf (met + strlen (met), sizeof met - strlen (met), "%s%s",
                      *met ? ", " : "",
                      ipo_board_standard_name (fit.outcome [i].standard, name,
                                               sizeof name));
    for (size_t i = 0; nearest && i < nearest->shorts; i++) {
        s_short_text (&nearest->short_of [i], text, sizeof text);
        snprintf (lacks + strlen (lacks), sizeof lacks - strlen (lacks), "%s%s",
                  *lacks ? "; " : "", text);
    }
    cli_table_row (cli_ipo_pages_row (&self->out), id, *met ? met : _ ("none"),
                   nearest ? ipo_board_standard_name (nearest->standard, name,
                                                      sizeof name)
                           : "",
                   lacks);
    return 0;
}

//  --------------------------------------------------------------------------
//  kejin ipo fit --csv FILE, offline; kejin ipo fit run --csv FILE through
//  kejin-ipo; the other fit verbs of kejin-ipo

static int
s_fit (cli_t *cli, int argc, char **argv)
{
    if (argc == 2
        || (argc > 2
            && (streq (argv [2], "run") || streq (argv [2], "show")
                || streq (argv [2], "firm")))) {
        if (argc > 3 && streq (argv [2], "run"))
            for (int i = 3; i < argc; i++)
                if (streq (argv [i], "--csv")) {
                    cli_args_t *args = cli_args_verb (argc - 1, argv + 1,
                                                      "csv= page=", s_usage, 0,
                                                      "csv", NULL);
                    if (!args)
                        return CLI_USAGE;
                    int rc = cli_ipo_upload (cli, args);
                    cli_args_destroy (&args);
                    return rc;
                }
        return cli_ipo_fit_service (cli, argc, argv);
    }
    cli_args_t *args = cli_args_verb (argc, argv, "csv=", s_usage, 0, "csv",
                                      "ipo fit needs --csv FILE");
    if (!args)
        return CLI_USAGE;
    s_fit_t self = { .rules = ipo_board_rules (NULL),
                     .out = { .make = s_fit_table } };
    size_t n = 0;
    self.header [n++] = "id";
    for (const ipo_board_field_t *field = ipo_board_fields;
         field->name && field->in_csv; field++)
        self.header [n++] = field->name;
    int rc = cli_ipo_read (cli, cli_args_get (args, "csv"), self.header,
                           s_fit_row, &self);
    cli_ipo_pages_flush (&self.out, true);
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  kejin ipo subsidy replay

enum { S_FIRM, S_STEP, S_DATE, S_BOARD, S_EVENT, S_AMOUNT };

static const char *const s_replay_header [] = {
    "firm", "step", "date", "board", "event", "amount_raised_fen", NULL
};

//  Each firm's state between its rows
typedef struct {
    ipo_subsidy_firm_t firm;
    int64_t step;  //  its latest step
    size_t row;    //  the row of that step
} s_firm_t;

typedef struct {
    const ipo_subsidy_table_t *table;
    zhashx_t *firms;      //  s_firm_t by firm
    cli_ipo_pages_t out;  //  for people
} s_replay_t;

//  --------------------------------------------------------------------------
//  The headings of replay's table.

static cli_table_t *
s_replay_table (void)
{
    return cli_table_new (N_ ("FIRM"), N_ ("STEP"), N_ ("DATE"), N_ ("BOARD"),
                          N_ ("EVENT"), N_ ("PAYMENT"), N_ ("PAID TOTAL"),
                          N_ ("RULE"), NULL);
}

//  --------------------------------------------------------------------------
//  One event: checked cell by cell, then decided against its firm's state;
//  a bad row stops the replay.

static int
s_replay_row (cli_ipo_reader_t *reader, void *arg)
{
    s_replay_t *self = (s_replay_t *) arg;
    const char *const *cells = reader->cells;
    ipo_subsidy_event_t event = { 0 };
    int64_t step = 0;
    cli_ipo_cell_id (reader, S_FIRM);
    if (cli_ipo_cell_int (reader, S_STEP, &step) == 0 && step < 1)
        cli_ipo_problem (reader, "step",
                         _ ("%" PRId64 " is out of range; expected a "
                            "whole number from 1"),
                         step);
    if (ipo_subsidy_date_parse (cells [S_DATE], &event.date))
        cli_ipo_problem (reader, "date",
                         _ ("'%.64s' is not a date YYYY-MM-DD from "
                            "2000 to 2099"),
                         cells [S_DATE]);
    if ((event.board = ipo_subsidy_board_from_code (cells [S_BOARD])) < 0)
        cli_ipo_problem (reader, "board",
                         _ ("'%.64s' is not one of MAIN, CHINEXT, "
                            "STAR, BSE, NEEQ"),
                         cells [S_BOARD]);
    if ((event.event = ipo_subsidy_event_from_name (cells [S_EVENT])) < 0) {
        char allowed [400] = "";
        for (int e = 1; e < IPO_EVENT_END; e++)
            snprintf (allowed + strlen (allowed),
                      sizeof allowed - strlen (allowed), "%s%s",
                      e > 1 ? ", " : "", ipo_subsidy_event_name (e));
        cli_ipo_problem (reader, "event", _ ("'%.64s' is not one of %s"),
                         cells [S_EVENT], allowed);
    }
    event.has_amount = *cells [S_AMOUNT] != 0;
    if (event.has_amount)
        cli_ipo_cell_int (reader, S_AMOUNT, &event.amount_raised_fen);
    if (reader->bad)
        return -1;

    s_firm_t *firm = (s_firm_t *) zhashx_lookup (self->firms, cells [S_FIRM]);
    s_firm_t fresh = { .step = 0 };
    if (!firm) {
        if (zhashx_size (self->firms) == S_FIRMS_MAX) {
            cli_ipo_problem (reader, "firm",
                             _ ("a file may hold at most %d firms; "
                                "split it by firm"),
                             S_FIRMS_MAX);
            return -1;
        }
        ipo_subsidy_firm_init (&fresh.firm);
        firm = &fresh;
    }
    if (step <= firm->step) {
        cli_ipo_problem (reader, "step",
                         _ ("%" PRId64 " does not follow step %" PRId64
                            " of firm %s (row %zu); steps rise within a firm"),
                         step, firm->step, cells [S_FIRM], firm->row);
        return -1;
    }
    ipo_subsidy_decision_t decision;
    kj_status_t status;
    if (ipo_subsidy_apply (self->table, &firm->firm, &event, &decision,
                           &status)) {
        cli_ipo_status_problem (reader, &status);
        return -1;
    }
    firm->step = step;
    firm->row = reader->row;
    if (firm == &fresh)
        zhashx_insert (self->firms, cells [S_FIRM], &fresh);

    if (reader->cli->json)
        cli_ipo_print_json (
            json_pack ("{s:s,s:I,s:I,s:I}", "firm", cells [S_FIRM], "step",
                       (json_int_t) step, "payment_fen",
                       (json_int_t) decision.payment_fen, "paid_total_fen",
                       (json_int_t) decision.paid_total_fen));
    else {
        char step_text [24], payment [40], total [40];
        snprintf (step_text, sizeof step_text, "%" PRId64, step);
        cli_table_row (cli_ipo_pages_row (&self->out), cells [S_FIRM],
                       step_text, cells [S_DATE], cells [S_BOARD],
                       cells [S_EVENT],
                       cli_yuan (decision.payment_fen, payment, sizeof payment),
                       cli_yuan (decision.paid_total_fen, total, sizeof total),
                       ipo_subsidy_rule_text (decision.rule));
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  A firm's state copied into the table of firms.
static void *
s_firm_dup (const void *item)
{
    s_firm_t *copy = (s_firm_t *) malloc (sizeof (s_firm_t));
    if (copy)
        *copy = *(const s_firm_t *) item;
    return copy;
}

//  --------------------------------------------------------------------------
//  A firm's state out of the table.
static void
s_firm_free (void **item)
{
    free (*item);
    *item = NULL;
}

//  --------------------------------------------------------------------------
//  kejin ipo subsidy replay --csv FILE

static int
s_subsidy (cli_t *cli, int argc, char **argv)
{
    //  kejin ipo subsidy replay ...: argv [1] is "subsidy"
    if (argc < 3 || !streq (argv [2], "replay")) {
        fprintf (stderr, _ ("kejin: ipo subsidy has one verb, replay\n"));
        return cli_usage (s_usage, true);
    }
    cli_args_t *args = cli_args_verb (argc - 1, argv + 1, "csv=", s_usage, 0,
                                      "csv",
                                      "ipo subsidy replay needs "
                                      "--csv FILE");
    if (!args)
        return CLI_USAGE;
    s_replay_t self = { .table = ipo_subsidy_table (NULL),
                        .out = { .make = s_replay_table } };
    self.firms = zhashx_new ();
    zhashx_set_duplicator (self.firms, s_firm_dup);
    zhashx_set_destructor (self.firms, s_firm_free);
    int rc = cli_ipo_read (cli, cli_args_get (args, "csv"), s_replay_header,
                           s_replay_row, &self);
    cli_ipo_pages_flush (&self.out, true);
    zhashx_destroy (&self.firms);
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  kejin ipo VERB ...

int
cli_ipo (cli_t *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help (argc, argv))
        return cli_usage (s_usage, argc < 2);
    if (streq (argv [1], "fit"))
        return s_fit (cli, argc, argv);
    if (streq (argv [1], "subsidy"))
        return s_subsidy (cli, argc, argv);
    const char *const service [] = { "pool",   "stage",   "raise",
                                     "claim",  "approve", "budget",
                                     "report", "demo",    NULL };
    for (int i = 0; service [i]; i++)
        if (streq (argv [1], service [i]))
            return cli_ipo_pipeline (cli, argc, argv);
    fprintf (stderr, _ ("kejin: ipo has no verb '%s'\n"), argv [1]);
    fputs (_ (s_usage), stderr);
    return CLI_USAGE;
}
