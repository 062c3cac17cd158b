/*  =========================================================================
    cli_attrs - the options of `kejin institution` and `kejin product` add
    and update, read through the registry's field tables: a row's option
    parsed by its kind (yuan, months, percent, enum names, regions, text)
    into the proto field the row names, and its mask name noted

    See registry_check.h (registry_attr_t).
    =========================================================================
*/

#include "cli_reg.h"

//  --------------------------------------------------------------------------
//  A mask name, once (a range's two options share one)

static void
s_mask_once (cli_mask_t *mask, const char *name)
{
    for (size_t i = 0; i < mask->count; i++)
        if (streq (mask->names [i], name))
            return;
    cli_mask_add (mask, name);
}

//  --------------------------------------------------------------------------
//  One row's option, given as value, into its field at; 0 or -1

static int
s_read (const registry_attr_t *a, char *at, size_t *count, const char *value,
        cli_attrs_owned_t *owned)
{
    char option [64];
    snprintf (option, sizeof option, "--%s", a->option);
    int64_t whole;
    int enum_value;
    switch (a->kind) {
        case REGISTRY_ATTR_TEXT:
        case REGISTRY_ATTR_CODE:
        case REGISTRY_ATTR_DATE:
        case REGISTRY_ATTR_GRADE:
            *(const char **) at = value;
            return 0;
        case REGISTRY_ATTR_ENUM:
            if (cli_parse_enum (option, value, a->type, a->prefix, false,
                                &enum_value))
                return -1;
            *(int *) at = enum_value;
            return 0;
        case REGISTRY_ATTR_ENUMS: {
            int *values = NULL;
            if (cli_parse_enums (option, value, a->type, a->prefix, &values,
                                 count))
                return -1;
            for (size_t i = 0; i < 24; i++)
                if (!owned->lists [i]) {
                    owned->lists [i] = values;
                    break;
                }
            *(int **) at = values;
            return 0;
        }
        case REGISTRY_ATTR_REGIONS: {
            char **regions = cli_split (value, count);
            for (size_t i = 0; i < 8; i++)
                if (!owned->strings [i]) {
                    owned->strings [i] = regions;
                    break;
                }
            *(char ***) at = regions;
            return 0;
        }
        case REGISTRY_ATTR_MONEY:
            return cli_parse_yuan (option, value, (int64_t *) at);
        case REGISTRY_ATTR_COUNT:
            if (cli_parse_int (option, value, 0, a->max, &whole))
                return -1;
            *(int32_t *) at = (int32_t) whole;
            return 0;
        case REGISTRY_ATTR_BP:
            return cli_parse_percent (option, value, (int32_t *) at);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Every row's option args holds (cli_reg.h).

int
cli_attrs_read (cli_args_t *args, const registry_attr_t *table, size_t rows,
                ProtobufCMessage *message, cli_mask_t *mask,
                cli_attrs_owned_t *owned)
{
    memset (owned, 0, sizeof *owned);
    for (size_t r = 0; r < rows; r++) {
        const registry_attr_t *a = &table [r];
        const char *value = cli_args_get (args, a->option);
        if (!value)
            continue;
        size_t *count;
        char *at = registry_check_attr_at (a, message, &count);
        if (s_read (a, at, count, value, owned))
            return -1;
        s_mask_once (mask, a->mask);
    }
    return 0;
}

void
cli_attrs_free (cli_attrs_owned_t *owned)
{
    for (size_t i = 0; i < 24; i++)
        free (owned->lists [i]);
    for (size_t i = 0; i < 8; i++)
        cli_strings_free (owned->strings [i]);
    memset (owned, 0, sizeof *owned);
}

//  --------------------------------------------------------------------------
//  The option spec of a table (cli_reg.h).

const char *
cli_attrs_spec (const registry_attr_t *table, size_t rows, const char *before,
                const char *after, char *buf, size_t size)
{
    size_t at = (size_t) snprintf (buf, size, "%s", before);
    for (size_t r = 0; r < rows && at < size; r++)
        at += (size_t) snprintf (buf + at, size - at, " %s=", table [r].option);
    if (at < size)
        snprintf (buf + at, size - at, " %s", after);
    return buf;
}

//  --------------------------------------------------------------------------
//  A row's label in the language the CLI speaks (cli_reg.h).

const char *
cli_attrs_label (const registry_attr_t *a)
{
    return strncmp (kj_i18n_lang (), "zh", 2) == 0 ? a->label_zh : a->label_en;
}

//  --------------------------------------------------------------------------
//  Rows from .. rows - 1 of message for people (cli_reg.h).

void
cli_attrs_show (const registry_attr_t *table, size_t from, size_t rows,
                const ProtobufCMessage *message)
{
    for (size_t r = from; r < rows; r++) {
        const registry_attr_t *a = &table [r];
        size_t *count;
        const char *at = registry_check_attr_at (a, message, &count);
        size_t n = count ? *count : 0;
        bool text = registry_check_attr_text (a);
        const char *value = text ? *(const char *const *) at : NULL;
        //  Text not given is left out
        if (text && (!value || !*value))
            continue;
        //  The label in 12 columns, or itself and a space when longer
        printf ("  ");
        const char *label = cli_attrs_label (a);
        cli_pad (stdout, label, 12);
        if (cli_width (label) >= 12)
            printf (" ");
        if (text)
            printf ("%s", value);
        else if (a->kind == REGISTRY_ATTR_ENUM)
            printf ("%s",
                    cli_enum_label (a->type, a->prefix, *(const int *) at));
        else if (a->kind == REGISTRY_ATTR_REGIONS)
            for (size_t i = 0; i < n; i++)
                printf ("%s%s", i ? ", " : "",
                        (*(char *const *const *) at) [i]);
        printf ("\n");
    }
}
