/*  =========================================================================
    cli_guarantee - `kejin guarantee calc --csv FILE`: provincial
    compensation and recovery refunds computed offline, for finance bureaus
    checking figures

    One claim or recovery a row; the same rules class as the service
    (guarantee_claim), nothing stored, no node needed. Each bad row is
    refused on stderr with its row number and its column as typed in the
    header; the good rows are still computed.
    =========================================================================
*/

#include "cli_reg.h"
#include "guarantee_claim.h"

static const char *s_usage = N_ (
    "Usage: kejin guarantee calc --csv FILE [--json]\n"
    "Compute provincial risk compensation (省级风险补偿) for 代偿 payments,\n"
    "and the province's refund from recoveries (追偿), one a row, as the\n"
    "guarantee service would; nothing is stored and no node is needed.\n"
    "\n"
    "FILE has the header\n"
    "  id,kind,daichang_fen,rate_bp,per_claim_cap_fen,"
    "guarantor_cap_left_fen,\n"
    "  budget_left_fen,comp_paid_fen,net_recovery_fen\n"
    "kind COMP uses daichang_fen, rate_bp (0-4000, 4000 = 40%),\n"
    "  per_claim_cap_fen, guarantor_cap_left_fen and budget_left_fen:\n"
    "  payable = min (floor (rate x 代偿), the three caps);\n"
    "kind RECOVERY uses daichang_fen, comp_paid_fen and net_recovery_fen:\n"
    "  refund = floor (net recovery x compensation paid / 代偿).\n"
    "Columns a kind does not use stay empty. Amounts are whole fen\n"
    "(1 yuan = 100 fen), exact up to 9223372036854775807.\n"
    "\n"
    "With --json, one object a row: {\"id\", \"payable_fen\", \"binding\"}\n"
    "(binding: every term equal to the result, of rate, per_claim,\n"
    "guarantor, budget) or {\"id\", \"province_refund_fen\"}.\n"
    "Exit code 0 if every row was computed, 2 if any row was refused.\n");

//  The header, in order; a column's index is its enum value
enum {
    COL_ID,
    COL_KIND,
    COL_DAICHANG,
    COL_RATE,
    COL_PER_CLAIM,
    COL_GUARANTOR,
    COL_BUDGET,
    COL_COMP_PAID,
    COL_NET_RECOVERY,
    COLUMNS
};

static const char *s_columns [COLUMNS] = { "id",
                                           "kind",
                                           "daichang_fen",
                                           "rate_bp",
                                           "per_claim_cap_fen",
                                           "guarantor_cap_left_fen",
                                           "budget_left_fen",
                                           "comp_paid_fen",
                                           "net_recovery_fen" };

//  Which figures each kind reads
#define USES(c) (1u << (c))
static const unsigned s_comp_uses = USES (COL_DAICHANG) | USES (COL_RATE)
                                  | USES (COL_PER_CLAIM) | USES (COL_GUARANTOR)
                                  | USES (COL_BUDGET);
static const unsigned s_recovery_uses = USES (COL_DAICHANG)
                                      | USES (COL_COMP_PAID)
                                      | USES (COL_NET_RECOVERY);

static const char *s_binding_names [] = { "rate", "per_claim", "guarantor",
                                          "budget" };

typedef struct {
    const char *path;
    bool json;
    cli_table_t *table;  //  without --json
    int refused;         //  rows refused so far
    int computed;
} s_calc_t;

//  --------------------------------------------------------------------------
//  A refusal on stderr: the file, the row, the column as typed. The
//  format comes translated (_ ()), as the frame around it is here.

static int
s_refuse (s_calc_t *self, uint32_t row, const char *column, const char *format,
          ...)
{
    char message [512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    if (column)
        fprintf (stderr, _ ("kejin: %s row %u, column %s: %s\n"), self->path,
                 row, column, message);
    else
        fprintf (stderr, _ ("kejin: %s row %u: %s\n"), self->path, row,
                 message);
    self->refused++;
    return 0;
}

//  A whole number of fen or basis points: digits, an optional leading
//  minus (refused later as out of range, with the value), nothing else.
static int
s_number (s_calc_t *self, uint32_t row, int column, const char *text,
          int64_t *value)
{
    const char *digits = text [0] == '-' ? text + 1 : text;
    bool ok = *digits != 0;
    for (const char *c = digits; *c; c++)
        ok = ok && *c >= '0' && *c <= '9';
    if (!ok) {
        if (column == COL_RATE)
            s_refuse (self, row, s_columns [column],
                      _ ("'%s' is not a whole number of basis points "
                         "(4000 = 40%%)"),
                      text);
        else
            s_refuse (self, row, s_columns [column],
                      _ ("'%s' is not a whole number of fen "
                         "(1 yuan = 100 fen)"),
                      text);
        return -1;
    }
    if (kj_parse_int64 (text, value)) {
        s_refuse (self, row, s_columns [column],
                  _ ("%s is beyond the largest amount, "
                     "9223372036854775807"),
                  text);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  One data row

static int
s_row (s_calc_t *self, uint32_t row, const char *const *fields)
{
    const char *id = fields [COL_ID], *kind = fields [COL_KIND];
    if (!*id)
        return s_refuse (self, row, "id", _ ("is empty; give each row an id"));
    bool comp = streq (kind, "COMP");
    if (!comp && !streq (kind, "RECOVERY"))
        return s_refuse (self, row, "kind",
                         _ ("'%s' is not a kind: COMP or RECOVERY"), kind);
    unsigned uses = comp ? s_comp_uses : s_recovery_uses;
    int64_t value [COLUMNS] = { 0 };
    for (int column = COL_DAICHANG; column < COLUMNS; column++) {
        const char *text = fields [column];
        if (!(uses & USES (column))) {
            if (*text)
                return s_refuse (self, row, s_columns [column],
                                 _ ("kind %s does not use it; leave it "
                                    "empty"),
                                 kind);
        }
        else if (!*text)
            return s_refuse (self, row, s_columns [column],
                             _ ("is empty; kind %s needs it"), kind);
        else if (s_number (self, row, column, text, &value [column]))
            return 0;
    }
    kj_status_t status;
    char yuan [64];
    if (comp) {
        guarantee_comp_t terms = {
            .daichang_fen = value [COL_DAICHANG],
            .rate_bp = value [COL_RATE],
            .per_claim_cap_fen = value [COL_PER_CLAIM],
            .guarantor_cap_left_fen = value [COL_GUARANTOR],
            .budget_left_fen = value [COL_BUDGET]
        };
        if (guarantee_comp_check (&terms, &status))
            return s_refuse (self, row, status.field, "%s", status.message);
        unsigned binding;
        int64_t payable = guarantee_comp_payable (&terms, &binding);
        char names [64] = "";
        json_t *array = json_array ();
        for (int i = 0; i < 4; i++)
            if (binding & (1u << i)) {
                json_array_append_new (array,
                                       json_string (s_binding_names [i]));
                if (*names)
                    strcat (names, ", ");
                strcat (names, s_binding_names [i]);
            }
        if (self->json)
            cli_print_object (json_pack ("{s:s, s:I, s:o}", "id", id,
                                         "payable_fen", (json_int_t) payable,
                                         "binding", array));
        else {
            json_decref (array);
            cli_table_row (self->table, id, kind,
                           cli_yuan (payable, yuan, sizeof yuan), names);
        }
    }
    else {
        guarantee_recovery_t terms = {
            .daichang_fen = value [COL_DAICHANG],
            .comp_paid_fen = value [COL_COMP_PAID],
            .net_recovery_fen = value [COL_NET_RECOVERY]
        };
        if (guarantee_recovery_check (&terms, &status))
            return s_refuse (self, row, status.field, "%s", status.message);
        int64_t refund = guarantee_recovery_refund (&terms);
        if (self->json)
            cli_print_object (json_pack ("{s:s, s:I}", "id", id,
                                         "province_refund_fen",
                                         (json_int_t) refund));
        else
            cli_table_row (self->table, id, kind,
                           cli_yuan (refund, yuan, sizeof yuan),
                           _ ("refund to the province"));
    }
    self->computed++;
    return 0;
}

//  The header must name the nine columns, in order; then every row
static int
s_each_row (uint32_t row, const char *const *fields, size_t count, void *arg)
{
    s_calc_t *self = (s_calc_t *) arg;
    if (row == 1) {
        bool same = count == COLUMNS;
        for (size_t i = 0; same && i < COLUMNS; i++)
            same = streq (fields [i], s_columns [i]);
        if (!same) {
            fprintf (stderr, _ ("kejin: %s row 1: the header must be\n  "),
                     self->path);
            for (int i = 0; i < COLUMNS; i++)
                fprintf (stderr, "%s%s", i ? "," : "", s_columns [i]);
            fprintf (stderr, "\n");
            return 1;
        }
        return 0;
    }
    if (count != COLUMNS)
        return s_refuse (self, row, NULL,
                         _ ("%zu fields where the header has %d"), count,
                         COLUMNS);
    return s_row (self, row, fields);
}

//  --------------------------------------------------------------------------

static int
s_calc (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (argc, argv, "csv=", s_usage, 0, "csv",
                                      "guarantee calc needs --csv FILE");
    if (!args)
        return CLI_USAGE;
    s_calc_t self = { .path = cli_args_get (args, "csv"), .json = cli->json };
    FILE *file = streq (self.path, "-") ? stdin : fopen (self.path, "r");
    if (!file) {
        fprintf (stderr, _ ("kejin: cannot read %s: %s\n"), self.path,
                 strerror (errno));
        cli_args_destroy (&args);
        return CLI_USAGE;
    }
    if (!self.json)
        self.table = cli_table_new (_ ("ID"), _ ("KIND"), _ ("YUAN"),
                                    _ ("BINDING"), NULL);
    char error [256];
    int rc = kj_csv_read (file, s_each_row, &self, error, sizeof error);
    if (rc < 0)
        fprintf (stderr, _ ("kejin: %s %s\n"), self.path, error);
    if (file != stdin)
        fclose (file);
    if (self.table) {
        if (rc == 0 && self.computed)
            cli_table_print (self.table, stdout);
        cli_table_destroy (&self.table);
    }
    if (rc == 0 && self.computed + self.refused == 0)
        fprintf (stderr, _ ("kejin: %s has no rows below its header\n"),
                 self.path);
    cli_args_destroy (&args);
    return rc || self.refused || !self.computed ? CLI_USAGE : CLI_OK;
}

int
cli_guarantee (cli_t *cli, int argc, char **argv)
{
    if (argc >= 2 && streq (argv [1], "calc")) {
        if (cli_wants_help (argc, argv))
            return cli_usage (s_usage, false);
        return s_calc (cli, argc, argv);
    }
    return cli_guarantee_node (cli, argc, argv);
}
