/*  =========================================================================
    cli_bulk_export - `kejin enterprise|institution|product export`: every
    entry of a kind as CSV, a page at a time, through "registry.bulk"
    =========================================================================
*/

#include "cli_reg.h"
#include "registry_bulk.pb-c.h"

static const char *s_export_usage = N_ (
    "Usage: kejin %s export [--out FILE]%s\n\n"
    "Write every %s as CSV (UTF-8, a header row, the columns `kejin %s\n"
    "import` reads, plus the ones the registry computes, which import\n"
    "ignores) to stdout or FILE, a page at a time. Filters:\n%s");

static const char *s_enterprise_filters = N_ (
    "  --city C     a city code (210100), SFDZ, or a name (沈阳)\n"
    "  --stage S    incubation, startup, growth, mature (or 孵化期 ...)\n"
    "  --figures    the yearly figures of those enterprises instead\n");

static const char *s_type_filter = N_ (
    "  --type T     a type, as `list` shows it (credit, 信用贷, ...)\n");

//  --------------------------------------------------------------------------
//  Export

int
cli_bulk_export (cli_t *cli, const char *noun, int argc, char **argv)
{
    Kj__BulkKind kind = (Kj__BulkKind) cli_bulk_kind_of (noun);
    bool enterprise = kind == KJ__BULK_KIND__BULK_ENTERPRISES;
    //  Translated before it is filled in: the filled-in text is in no
    //  catalogue (before, the help was English under every locale)
    char usage [2048];
    snprintf (usage, sizeof usage, _ (s_export_usage), noun,
              enterprise ? " [--figures] [--city C] [--stage S]"
                         : " [--type T]",
              _ (noun), noun,
              enterprise ? _ (s_enterprise_filters) : _ (s_type_filter));
    if (cli_wants_help (argc, argv))
        return cli_usage (usage, false);
    cli_args_t *args = cli_args_new (argc, argv, 1,
                                     enterprise ? "figures! city= stage= out= "
                                                  "quiet!"
                                                : "type= out= quiet!",
                                     usage);
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    FILE *out = stdout;
    if (kind == KJ__BULK_KIND__BULK_KIND_UNSPECIFIED
        || cli_args_count (args) != 0) {
        fprintf (stderr, "%s", usage);
        goto done;
    }
    if (cli_args_flag (args, "figures"))
        kind = KJ__BULK_KIND__BULK_FIGURES;
    //  --type in any form the CLI prints (信用贷, credit, PRODUCT_CREDIT),
    //  sent as the stored name the export takes (before, only that)
    char type [48] = "";
    if (cli_args_get (args, "type")) {
        bool products = kind == KJ__BULK_KIND__BULK_PRODUCTS;
        const ProtobufCEnumDescriptor
            *d = products ? &kj__product_type__descriptor
                          : &kj__institution_type__descriptor;
        const char *prefix = products ? "PRODUCT_" : "INSTITUTION_";
        int value;
        if (cli_parse_enum ("--type", cli_args_get (args, "type"), d, prefix,
                            false, &value))
            goto done;
        kj_strlcpy (type, cli_enum_name (d, prefix, value), sizeof type);
    }
    const char *path = cli_args_get (args, "out");
    if (path && !(out = fopen (path, "w"))) {
        fprintf (stderr, _ ("%s: --out %s: %s\n"), cli->prog, path,
                 strerror (errno));
        out = stdout;
        goto done;
    }
    uint64_t rows = 0;
    char after [128] = "";
    do {
        Kj__BulkExportRequest request = KJ__BULK_EXPORT_REQUEST__INIT;
        request.kind = kind;
        request.city = (char *) (cli_args_get (args, "city")
                                     ? cli_args_get (args, "city")
                                     : "");
        request.stage = (char *) (cli_args_get (args, "stage")
                                      ? cli_args_get (args, "stage")
                                      : "");
        request.type = type;
        request.after = after;
        request.limit = 10000;
        Kj__BulkExportReply *reply = NULL;
        rc = cli_call (cli, "registry.bulk", "Export", &request.base,
                       &kj__bulk_export_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
        if (rc != CLI_OK)
            goto done;
        if (fwrite (reply->data.data, 1, reply->data.len, out)
            != reply->data.len) {
            fprintf (stderr, _ ("%s: writing: %s\n"), cli->prog,
                     strerror (errno));
            kj__bulk_export_reply__free_unpacked (reply, NULL);
            rc = CLI_FAILED;
            goto done;
        }
        rows += reply->rows;
        kj_strlcpy (after, reply->next, sizeof after);
        kj__bulk_export_reply__free_unpacked (reply, NULL);
    } while (*after && !kj_stopping ());
    if (fflush (out)) {
        fprintf (stderr, _ ("%s: writing: %s\n"), cli->prog, strerror (errno));
        rc = CLI_FAILED;
        goto done;
    }
    if (!cli_args_flag (args, "quiet") && (path || isatty (STDERR_FILENO))) {
        char count [32];
        kj_money_grouped (rows, count, sizeof count);
        fprintf (stderr, _ ("exported %s %s%s%s\n"), count,
                 cli_bulk_kind_name (kind), path ? _ (" to ") : "",
                 path ? path : "");
    }
    rc = CLI_OK;
done:
    if (out != stdout)
        fclose (out);
    cli_args_destroy (&args);
    return rc;
}
