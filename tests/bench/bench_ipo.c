/*  =========================================================================
    bench_ipo - board fit of 1,000,000 firms: the bare rules beside the
    offline command on a CSV file, in one run

    - bare: ipo_board_fit over firms already in memory (the four exchanges'
      14 standards, nearest missed), one core
    - kejin ipo fit --json: the same number of firms from a CSV file, end
      to end (read, check every cell, fit, print JSON)
    The target (at most 20 s end to end for 1,000,000 firms) is
    for the service's batch fit through the registry; these are the two
    parts of it that exist so far.
    =========================================================================
*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipo_board.h"
#include "kj_test.h"

#define FIRMS 1000000

//  --------------------------------------------------------------------------
//  Seconds on a clock: CLOCK_MONOTONIC, or this process's CPU time

static double
s_clock (clockid_t clock)
{
    struct timespec ts;
    clock_gettime (clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
#define s_now() s_clock (CLOCK_MONOTONIC)

//  Keeps the fits from being optimised away
static volatile int64_t s_sink;

//  --------------------------------------------------------------------------
//  A random whole number from lo to hi (xorshift: the same firms each run)

static uint64_t s_state = 88172645463325252ULL;

static int64_t
s_random (int64_t lo, int64_t hi)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return lo + (int64_t) (s_state % (uint64_t) (hi - lo + 1));
}

//  --------------------------------------------------------------------------
//  A firm of plausible size: market cap to ¥10bn, yearly figures to ¥300m

static void
s_firm (ipo_board_input_t *in)
{
    memset (in, 0, sizeof *in);
    in->market_cap_fen = s_random (0, INT64_C (1000000000000));
    for (int y = 0; y < 3; y++) {
        in->np_fen [y] = s_random (-INT64_C (10000000000),
                                   INT64_C (30000000000));
        in->rev_fen [y] = s_random (0, INT64_C (200000000000));
        in->rd_fen [y] = s_random (0, INT64_C (30000000000));
        in->ocf_fen [y] = s_random (-INT64_C (10000000000),
                                    INT64_C (30000000000));
    }
    in->roe_bp [0] = s_random (-500, 2500);
    in->roe_bp [1] = s_random (-500, 2500);
    in->rev_growth_t0_bp = s_random (-5000, 8000);
    in->neeq_tier = s_random (0, 2);
    in->neeq_listed_months = s_random (0, 60);
}

int
main (void)
{
    const ipo_board_rules_t *rules = ipo_board_rules (NULL);
    ipo_board_input_t *firms = (ipo_board_input_t *) calloc (FIRMS,
                                                             sizeof *firms);
    for (int i = 0; i < FIRMS; i++)
        s_firm (&firms [i]);

    printf ("\nbench_ipo: board fit of %d firms (14 standards each)\n", FIRMS);
    double start = s_now (), cpu = s_clock (CLOCK_PROCESS_CPUTIME_ID);
    int64_t nearest = 0;
    for (int i = 0; i < FIRMS; i++) {
        ipo_board_fit_t fit;
        kj_status_t status;
        if (ipo_board_fit (rules, &firms [i], IPO_BOARD_EXCHANGES, &fit,
                           &status)) {
            fprintf (stderr, "bench_ipo: firm %d refused: %s\n", i,
                     status.message);
            return 1;
        }
        nearest += fit.nearest;
    }
    double bare = s_now () - start;
    cpu = s_clock (CLOCK_PROCESS_CPUTIME_ID) - cpu;
    s_sink = nearest;
    printf ("  %-40s %7.2f s  %10.0f firms/s  (%.2f s of CPU)\n",
            "bare ipo_board_fit", bare, FIRMS / bare, cpu);

    //  The same firms as a CSV file, through the command
    char path [600], command [1400];
    snprintf (path, sizeof path, "%s/firms.csv", kj_test_tmpdir ());
    FILE *file = fopen (path, "w");
    if (!file) {
        fprintf (stderr, "bench_ipo: cannot write %s\n", path);
        return 1;
    }
    fprintf (file, "id");
    for (const ipo_board_field_t *f = ipo_board_fields; f->name && f->in_csv;
         f++)
        fprintf (file, ",%s", f->name);
    fprintf (file, "\n");
    for (int i = 0; i < FIRMS; i++) {
        const ipo_board_input_t *in = &firms [i];
        fprintf (file, "F%07d,%" PRId64, i, in->market_cap_fen);
        for (int y = 2; y >= 0; y--)
            fprintf (file, ",%" PRId64, in->np_fen [y]);
        for (int y = 2; y >= 0; y--)
            fprintf (file, ",%" PRId64, in->rev_fen [y]);
        for (int y = 2; y >= 0; y--)
            fprintf (file, ",%" PRId64, in->rd_fen [y]);
        for (int y = 2; y >= 0; y--)
            fprintf (file, ",%" PRId64, in->ocf_fen [y]);
        fprintf (file, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%s,%" PRId64 "\n",
                 in->roe_bp [1], in->roe_bp [0], in->rev_growth_t0_bp,
                 ipo_board_neeq_tier_name (in->neeq_tier),
                 in->neeq_listed_months);
    }
    fclose (file);
    snprintf (command, sizeof command,
              "%s ipo fit --csv %s --json "
              "> /dev/null",
              kj_test_bin ("kejin"), path);
    start = s_now ();
    int rc = system (command);
    double cli = s_now () - start;
    if (rc != 0) {
        fprintf (stderr, "bench_ipo: %s: exit %d\n", command, rc);
        return 1;
    }
    printf ("  %-40s %7.2f s  %10.0f firms/s  (%.1fx the bare fit)\n",
            "kejin ipo fit --csv --json", cli, FIRMS / cli, cli / bare);
    printf ("  target (service batch fit, end to end): <= 20 s\n");
    remove (path);
    free (firms);
    return 0;
}
