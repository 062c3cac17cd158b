/*  =========================================================================
    cli_score_private - what the files of `kejin score` share: cli_score.c
    (the usage, the verbs of kejin-scoring) and cli_score_offline.c (model
    and cohort, offline)
    =========================================================================
*/

#ifndef CLI_SCORE_PRIVATE_H_INCLUDED
#define CLI_SCORE_PRIVATE_H_INCLUDED

#include "cli_reg.h"
#include "scoring.pb-c.h"

//  The noun's usage (N_ () text).
extern const char *const cli_score_usage;

//  "62.345" from milli-units, into buf.
char *
    cli_score_milli (int64_t milli, char *buf, size_t size);

//  score model ..., score cohort ...
int
    cli_score_model (cli_t *cli, int argc, char **argv);
int
    cli_score_cohort (cli_t *cli, int argc, char **argv);

#endif
