/*  =========================================================================
    cli_demo - `kejin demo generate` and `kejin demo load`: realistic
    synthetic data for a node

    The rows are made here, by the registry's generator (registry_demo,
    rules only, linked into the CLI and never into the daemon): the same
    seed, count and date give the same files anywhere. The date is the
    registry's today (from its Counts) unless --today gives one. generate
    writes the four CSV files; load writes them to a temporary folder and
    imports them through the same path as `kejin ... import`, in the order
    their references need: institutions, products, enterprises, figures.

    Registered in cli_main.c as the noun `demo` (cli_demo).
    =========================================================================
*/

#include "cli_reg.h"
#include "kj_money.h"
#include "kj_region.h"
#include "registry_bulk.pb-c.h"
#include "registry_csv.h"
#include "registry_demo.h"
#include <sys/stat.h>

int
cli_demo (cli_t *cli, int argc, char **argv);

static const char *s_usage = N_ (
    "Usage: kejin demo generate --out DIR [--enterprises N] [--seed S]\n"
    "                           [--today YYYY-MM-DD]\n"
    "       kejin demo load [--enterprises N] [--seed S] [--today YYYY-MM-DD]\n"
    "                       [--if-empty] [--keep DIR]\n\n"
    "generate  write DIR/institutions.csv, products.csv, enterprises.csv and\n"
    "          figures.csv: N enterprises (100 to 1,000,000; default 2,000)\n"
    "          of all 15 regions with valid credit codes, figures for up to\n"
    "          three years consistent with their stage, the qualifications\n"
    "          those figures earn; 40 institutions of every type with the\n"
    "          cities they serve; 100 products of every type, 辽科贷, 辽知贷\n"
    "          and 金信贷 among them. The same seed (default 1), count and\n"
    "          date (default: the registry's today) give the same files.\n"
    "load      generate into a temporary folder (or --keep DIR) and import\n"
    "          the files: institutions, products, enterprises, figures. With\n"
    "          --if-empty nothing happens when the registry holds enterprises\n"
    "          already; institutions and products already there are kept.\n");

static const char *s_files [] = { "", "enterprises.csv", "figures.csv",
                                  "institutions.csv", "products.csv" };

typedef struct {
    uint64_t rows [5];  //  by kind
    uint64_t by_stage [5];
    uint64_t by_region [16];
    char today [11];
} s_stats_t;

//  Rows of institutions or products, as registry_demo makes them.
static void
s_row (const registry_csv_row_t *row, void *arg)
{
    registry_csv_format (NULL, row, (registry_csv_buf_t *) arg);
}

//  Write kind into dir/file, a megabyte at a time.
static int
s_write (cli_t *cli, registry_demo_t *demo, Kj__BulkKind kind,
         uint32_t enterprises, const char *dir, s_stats_t *stats)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/%s", dir, s_files [kind]);
    FILE *file = fopen (path, "w");
    if (!file) {
        fprintf (stderr, "%s: %s: %s\n", cli->prog, path, strerror (errno));
        return CLI_FAILED;
    }
    registry_csv_kind_t csv = (registry_csv_kind_t) kind;
    registry_csv_buf_t out = { 0 };
    registry_csv_header (csv, &out);
    size_t header = out.size;
    bool written = true;
    if (kind == KJ__BULK_KIND__BULK_ENTERPRISES
        || kind == KJ__BULK_KIND__BULK_FIGURES) {
        for (uint32_t index = 0; index < enterprises && written; index++) {
            const Kj__Enterprise *e = registry_demo_enterprise (demo, index);
            if (kind == KJ__BULK_KIND__BULK_ENTERPRISES) {
                registry_csv_row_t row = { .kind = csv, .enterprise = e };
                registry_csv_format (NULL, &row, &out);
                stats->rows [kind]++;
                stats->by_stage [e->stage ? e->stage->stage : 0]++;
                stats->by_region [streq (e->region, KJ_REGION_SHENFU_CODE)
                                      ? KJ_REGION_SHENFU
                                      : kj_region_by_code (e->region)]++;
            }
            else
                for (size_t k = 0; k < e->n_figures; k++) {
                    registry_csv_row_t row = { .kind = csv,
                                               .code = e->code,
                                               .figures = e->figures [k] };
                    registry_csv_format (NULL, &row, &out);
                    stats->rows [kind]++;
                }
            if (out.size >= 1 << 20) {
                written = fwrite (out.data, 1, out.size, file) == out.size;
                registry_csv_buf_reset (&out);
            }
        }
    }
    else {
        if (kind == KJ__BULK_KIND__BULK_INSTITUTIONS)
            registry_demo_institutions (demo, s_row, &out);
        else
            registry_demo_products (demo, s_row, &out);
        for (size_t at = header; at < out.size; at++)
            stats->rows [kind] += out.data [at] == '\n';
    }
    written = written && fwrite (out.data, 1, out.size, file) == out.size;
    registry_csv_buf_free (&out);
    if (fclose (file) || !written) {
        fprintf (stderr, "%s: %s: %s\n", cli->prog, path, strerror (errno));
        return CLI_FAILED;
    }
    return CLI_OK;
}

//  Generate the four files into dir, institutions first, as of
//  stats->today.
static int
s_generate (cli_t *cli, uint64_t seed, uint32_t enterprises, const char *dir,
            s_stats_t *stats)
{
    static const Kj__BulkKind order [] = { KJ__BULK_KIND__BULK_INSTITUTIONS,
                                           KJ__BULK_KIND__BULK_PRODUCTS,
                                           KJ__BULK_KIND__BULK_ENTERPRISES,
                                           KJ__BULK_KIND__BULK_FIGURES };
    kj_status_t status;
    registry_demo_config_t config = { .seed = seed,
                                      .enterprises = enterprises };
    registry_demo_t *demo = NULL;
    if (kj_check_date (stats->today, "--today", &config.today, &status) == 0)
        demo = registry_demo_new (&config, &status);
    if (!demo) {
        fprintf (stderr, "%s: demo: %s\n", cli->prog, status.message);
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    for (size_t i = 0; i < 4 && rc == CLI_OK; i++)
        rc = s_write (cli, demo, order [i], enterprises, dir, stats);
    registry_demo_destroy (&demo);
    return rc;
}

static int
s_counts (cli_t *cli, Kj__BulkCounts **counts)
{
    Kj__BulkCountsRequest request = KJ__BULK_COUNTS_REQUEST__INIT;
    return cli_call (cli, "registry.bulk", "Counts", &request.base,
                     &kj__bulk_counts__descriptor, (ProtobufCMessage **) counts,
                     true);
}

//  "2,000 enterprises in 15 regions (孵化期 397, 初创期 702, ...)"
static void
s_summary (const Kj__BulkCounts *c, char *buf, size_t size)
{
    static const char *labels [] = { "未分类", "孵化期", "初创期", "成长期",
                                     "成熟期" };
    char enterprises [32], figures [32];
    kj_money_grouped (c->enterprises, enterprises, sizeof enterprises);
    kj_money_grouped (c->figures, figures, sizeof figures);
    size_t at = (size_t) snprintf (buf, size, "%s enterprises in %u regions (",
                                   enterprises, c->regions);
    bool first = true;
    for (size_t i = 0; i < c->n_by_stage && i < 5 && at < size; i++)
        if (c->by_stage [i]) {
            at += (size_t) snprintf (buf + at, size - at, "%s%s %" PRIu64,
                                     first ? "" : ", ", labels [i],
                                     c->by_stage [i]);
            first = false;
        }
    if (at < size)
        snprintf (buf + at, size - at,
                  "), %s years of figures, %" PRIu64 " institutions, %" PRIu64
                  " products",
                  figures, c->institutions, c->products);
}

static int
s_remove_dir (const char *dir)
{
    for (int kind = 1; kind <= 4; kind++) {
        char path [1024];
        snprintf (path, sizeof path, "%s/%s", dir, s_files [kind]);
        unlink (path);
    }
    return rmdir (dir);
}

//  Import dir/file of a noun through `kejin NOUN import`, quietly.
static int
s_import (cli_t *cli, const char *noun, const char *dir, Kj__BulkKind kind)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/%s", dir, s_files [kind]);
    char *argv [] = { "import", path, "--quiet",
                      kind == KJ__BULK_KIND__BULK_FIGURES ? "--figures" : NULL,
                      NULL };
    int argc = kind == KJ__BULK_KIND__BULK_FIGURES ? 4 : 3;
    int rc = cli_bulk_import (cli, noun, argc, argv);
    if (rc != CLI_OK)
        fprintf (stderr, _ ("%s: demo load: importing %s failed\n"), cli->prog,
                 path);
    return rc;
}

int
cli_demo (cli_t *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help (argc, argv))
        return cli_usage (s_usage, argc < 2);
    const char *verb = argv [1];
    bool load = streq (verb, "load");
    if (!load && !streq (verb, "generate")) {
        fprintf (stderr, _ ("kejin: demo has no verb '%s'\n%s"), verb,
                 _ (s_usage));
        return CLI_USAGE;
    }
    cli_args_t *args = cli_args_new (argc, argv, 2,
                                     load ? "enterprises= seed= today= "
                                            "if-empty! keep="
                                          : "enterprises= seed= today= out=",
                                     s_usage);
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    int64_t enterprises = 2000, seed = 1;
    s_stats_t stats = { .rows = { 0 } };
    Kj__BulkCounts *counts = NULL;
    char dir [1024] = "";
    bool temporary = false;
    if (cli_args_count (args) != 0) {
        fprintf (stderr, "%s", _ (s_usage));
        goto done;
    }
    if ((cli_args_get (args, "enterprises")
         && cli_parse_int ("enterprises", cli_args_get (args, "enterprises"),
                           100, 1000000, &enterprises))
        || (cli_args_get (args, "seed")
            && cli_parse_int ("seed", cli_args_get (args, "seed"), 0, INT64_MAX,
                              &seed)))
        goto done;
    if (cli_args_get (args, "today"))
        kj_strlcpy (stats.today, cli_args_get (args, "today"),
                    sizeof stats.today);
    const char *out = cli_args_get (args, load ? "keep" : "out");
    if (!load && !out) {
        fprintf (stderr, _ ("kejin: demo generate needs --out DIR\n%s"),
                 _ (s_usage));
        goto done;
    }
    int64_t started = kj_mono_us ();
    //  The node's counts, and its today unless --today says
    if (load || !*stats.today) {
        rc = s_counts (cli, &counts);
        if (rc != CLI_OK)
            goto done;
        if (!*stats.today)
            kj_strlcpy (stats.today, counts->today, sizeof stats.today);
        if (load && cli_args_flag (args, "if-empty") && counts->enterprises) {
            char summary [400];
            s_summary (counts, summary, sizeof summary);
            printf (_ ("demo data: already there, nothing loaded: %s\n"),
                    summary);
            rc = CLI_OK;
            goto done;
        }
    }
    if (out) {
        kj_strlcpy (dir, out, sizeof dir);
        if (mkdir (dir, 0755) && errno != EEXIST) {
            fprintf (stderr, "%s: %s: %s\n", cli->prog, dir, strerror (errno));
            rc = CLI_FAILED;
            goto done;
        }
    }
    else {
        const char *tmp = getenv ("TMPDIR");
        snprintf (dir, sizeof dir, "%s/kejin-demo-XXXXXX", tmp ? tmp : "/tmp");
        if (!mkdtemp (dir)) {
            fprintf (stderr, "%s: %s: %s\n", cli->prog, dir, strerror (errno));
            rc = CLI_FAILED;
            goto done;
        }
        temporary = true;
    }
    rc = s_generate (cli, (uint64_t) seed, (uint32_t) enterprises, dir, &stats);
    if (rc != CLI_OK)
        goto done;
    if (!load) {
        char count [32], figures [32];
        kj_money_grouped (stats.rows [KJ__BULK_KIND__BULK_ENTERPRISES], count,
                          sizeof count);
        kj_money_grouped (stats.rows [KJ__BULK_KIND__BULK_FIGURES], figures,
                          sizeof figures);
        int regions = 0;
        for (int r = 1; r < 16; r++)
            regions += stats.by_region [r] > 0;
        printf (_ ("wrote %s/: %s enterprises in %d regions (孵化期 %" PRIu64
                   ", 初创期 %" PRIu64 ", 成长期 %" PRIu64 ", 成熟期 %" PRIu64
                   "), %s years of figures, %" PRIu64 " institutions, %" PRIu64
                   " products; seed %" PRId64 ", as of %s\n"),
                dir, count, regions, stats.by_stage [1], stats.by_stage [2],
                stats.by_stage [3], stats.by_stage [4], figures,
                stats.rows [KJ__BULK_KIND__BULK_INSTITUTIONS],
                stats.rows [KJ__BULK_KIND__BULK_PRODUCTS], seed, stats.today);
        rc = CLI_OK;
        goto done;
    }
    //  Institutions and products are the same for every seed: keep those
    //  a node already has
    if (counts->institutions == 0
        && (rc = s_import (cli, "institution", dir,
                           KJ__BULK_KIND__BULK_INSTITUTIONS))
               != CLI_OK)
        goto done;
    if (counts->products == 0
        && (rc = s_import (cli, "product", dir, KJ__BULK_KIND__BULK_PRODUCTS))
               != CLI_OK)
        goto done;
    if ((rc = s_import (cli, "enterprise", dir,
                        KJ__BULK_KIND__BULK_ENTERPRISES))
            != CLI_OK
        || (rc = s_import (cli, "enterprise", dir, KJ__BULK_KIND__BULK_FIGURES))
               != CLI_OK)
        goto done;
    kj__bulk_counts__free_unpacked (counts, NULL);
    counts = NULL;
    rc = s_counts (cli, &counts);
    if (rc == CLI_OK) {
        char summary [400];
        s_summary (counts, summary, sizeof summary);
        printf (_ ("demo data loaded in %.1f s: %s (seed %" PRId64
                   ", as of %s)\n"),
                (kj_mono_us () - started) / 1e6, summary, seed, stats.today);
    }
done:
    if (temporary && *dir)
        s_remove_dir (dir);
    if (counts)
        kj__bulk_counts__free_unpacked (counts, NULL);
    cli_args_destroy (&args);
    return rc;
}
