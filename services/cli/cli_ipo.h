/*  =========================================================================
    cli_ipo - what the two files of `kejin ipo` share: cli_ipo.c (the
    offline checks on CSV files, and the upload of a CSV file for a batch
    fit), cli_ipo_pipeline.c (the verbs of kejin-ipo through the broker)
    and cli_ipo_demo.c (`kejin ipo demo`)
    =========================================================================
*/

#ifndef CLI_IPO_H_INCLUDED
#define CLI_IPO_H_INCLUDED

#include "cli.h"

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
