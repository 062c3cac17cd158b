/*  =========================================================================
    cli_ipo - what the files of `kejin ipo` share: cli_ipo.c (the offline
    checks on CSV files), cli_ipo_csv.c (reading those files, printing
    their tables), cli_ipo_upload.c (the upload of a CSV file for a batch
    fit), cli_ipo_pipeline.c (the verbs of kejin-ipo through the broker)
    and cli_ipo_demo.c (`kejin ipo demo`)
    =========================================================================
*/

#ifndef CLI_IPO_H_INCLUDED
#define CLI_IPO_H_INCLUDED

#include "cli.h"
#include "ipo_board.h"

//  Longest firm id or name
#define CLI_IPO_ID_MAX 100

//  A CSV file read row by row against an exact header

typedef struct _cli_ipo_reader_t cli_ipo_reader_t;

//  Called for each data row; returns 0 to go on, -1 to stop reading
typedef int (cli_ipo_row_fn) (cli_ipo_reader_t *reader, void *arg);

struct _cli_ipo_reader_t {
    cli_t *cli;
    const char *path;
    const char *const *header;  //  the columns expected, NULL-ended
    size_t columns;
    const char *const *cells;  //  the current row's cells
    size_t count;              //  cells in the current row
    size_t row;                //  1 is the header
    size_t bad_rows;
    bool bad;  //  the current row has a problem
    bool stop;
    cli_ipo_row_fn *on_row;
    void *arg;
};

//  Read the file at path against header (common/kj_csv: RFC 4180 strictly,
//  no cell past 64 KiB), calling on_row for each data row with the right
//  number of columns. Returns the exit code.
int
    cli_ipo_read (cli_t *cli, const char *path, const char *const *header,
                  cli_ipo_row_fn *on_row, void *arg);

//  Report invalid input in the current row: column NULL for the whole row.
void
    cli_ipo_problem (cli_ipo_reader_t *self, const char *column,
                     const char *format, ...);

//  Report a status of the rules' classes against the current row.
void
    cli_ipo_status_problem (cli_ipo_reader_t *self, const kj_status_t *status);

//  Cells: each returns 0, or -1 after reporting the problem. A name or id
//  (at most CLI_IPO_ID_MAX bytes of UTF-8); a whole number; one of names.
int
    cli_ipo_cell_id (cli_ipo_reader_t *self, size_t column);
int
    cli_ipo_cell_int (cli_ipo_reader_t *self, size_t column, int64_t *value);
int
    cli_ipo_cell_enum (cli_ipo_reader_t *self, size_t column,
                       const char *const *names, int64_t *value);

//  Print a JSON object on one line, and free it.
void
    cli_ipo_print_json (json_t *object);

//  A table for people, printed a page at a time so that a large file
//  never sits in memory; each page is sized to its own rows.
typedef struct {
    cli_table_t *(*make) (void);  //  a new, empty page
    cli_table_t *table;           //  the page being filled
    size_t rows;                  //  in it
    size_t pages;                 //  printed
} cli_ipo_pages_t;

//  Print the page if it has rows; start a new one unless this is the end.
void
    cli_ipo_pages_flush (cli_ipo_pages_t *self, bool end);

//  The page to add a row to (a new one after a full page).
cli_table_t *
    cli_ipo_pages_row (cli_ipo_pages_t *self);

//  A row's figures and flags for the rules, reporting every problem of
//  the row (cli_ipo.c).
int
    cli_ipo_fit_cells (cli_ipo_reader_t *reader, ipo_board_input_t *input_p);

//  kejin ipo fit run --csv FILE (cli_ipo_upload.c).
int
    cli_ipo_upload (cli_t *cli, cli_args_t *args);

//  A shortfall for people: "rev_t0_fen ¥3,000,000.00" (money in yuan,
//  ratios in percent, the NEEQ tier by the tier needed).
void
    cli_ipo_short_text (const char *figure, int64_t have, int64_t need,
                        char *buf, size_t size);

//  kejin ipo fit [run|show|firm] ... through kejin-ipo (cli_ipo_pipeline.c);
//  argv as cli_ipo has it.
int
    cli_ipo_fit_service (cli_t *cli, int argc, char **argv);

//  kejin ipo demo [--if-empty] (cli_ipo_demo.c): a demo reserve pool from
//  the registry's enterprises; usage is the noun's, for refusals. The
//  exit code.
int
    cli_ipo_demo (cli_t *cli, int argc, char **argv, const char *usage);

//  Show a batch fit (follow it while the service fetches it) and its
//  newly fit firms; the exit code.
int
    cli_ipo_fit_follow (cli_t *cli, uint64_t batch);

#endif
