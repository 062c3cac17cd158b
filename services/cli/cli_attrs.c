/*  =========================================================================
    cli_attrs - the options of `kejin institution` and `kejin product` add
    and update, read through the registry's field tables: a row's option
    parsed by its kind (yuan, months, percent, enum names, regions, text)
    into the proto field the row names, and its mask name noted

    See registry_check.h (registry_attr_t).
    =========================================================================
*/

#include <ctype.h>

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
//  The add options of a table for people (cli_reg.h).

//  The value an option of row a takes, as the usage names it.
static const char *
s_metavar (const registry_attr_t *a, char *buf, size_t size)
{
    switch (a->kind) {
        case REGISTRY_ATTR_TEXT:
            if (!a->required)
                return "TEXT";
            break;
        case REGISTRY_ATTR_CODE:
            return "CODE";
        case REGISTRY_ATTR_ENUM:
            break;
        case REGISTRY_ATTR_ENUMS:
            snprintf (buf, size, "%c1,%c2", a->prefix [0], a->prefix [0]);
            return buf;
        case REGISTRY_ATTR_REGIONS:
            return "R1,R2";
        case REGISTRY_ATTR_MONEY:
            return "YUAN";
        case REGISTRY_ATTR_COUNT:
            if (!a->unit)
                return "N";
            break;
        case REGISTRY_ATTR_BP:
            return "PERCENT";
        case REGISTRY_ATTR_DATE:
            return "DATE";
        case REGISTRY_ATTR_GRADE:
            return "G";
    }
    //  The option's or unit's name in capitals: NAME, TYPE, MONTHS
    const char *name = a->kind == REGISTRY_ATTR_COUNT ? a->unit : a->option;
    size_t i = 0;
    for (; name [i] && i + 1 < size; i++)
        buf [i] = (char) toupper ((unsigned char) name [i]);
    buf [i] = 0;
    return buf;
}

//  Append word to the lines in buf (at *at), wrapped at 78 columns under
//  an indent of 6.
static void
s_word (char *buf, size_t size, size_t *at, size_t *column, const char *word)
{
    size_t width = strlen (word);
    if (*at >= size)
        return;
    if (*column + 1 + width > 78) {
        *at += (size_t) snprintf (buf + *at, size - *at, "\n      %s", word);
        *column = 6 + width;
    }
    else {
        *at += (size_t) snprintf (buf + *at, size - *at, " %s", word);
        *column += 1 + width;
    }
}

const char *
cli_attrs_usage (const registry_attr_t *table, size_t rows,
                 const char *required, const char *optional, char *buf,
                 size_t size)
{
    size_t at = 0, column = 5;  //  after "  add"
    char word [80], metavar [32];
    buf [0] = 0;
    if (*required)
        s_word (buf, size, &at, &column, required);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && *optional)
            s_word (buf, size, &at, &column, optional);
        for (size_t r = 0; r < rows; r++) {
            const registry_attr_t *a = &table [r];
            if (a->required != (pass == 0))
                continue;
            snprintf (word, sizeof word, pass ? "[--%s %s]" : "--%s %s",
                      a->option, s_metavar (a, metavar, sizeof metavar));
            s_word (buf, size, &at, &column, word);
        }
    }
    return buf;
}

//  --------------------------------------------------------------------------
//  A row's label in the language the CLI speaks (cli_reg.h).

const char *
cli_attrs_label (const registry_attr_t *a)
{
    return registry_check_attr_label (a);
}

//  --------------------------------------------------------------------------
//  Row a's value in message for people, in buf; "" when not given.

static const char *
s_value (const registry_attr_t *a, const ProtobufCMessage *message, char *buf,
         size_t size)
{
    size_t *count;
    const char *at = registry_check_attr_at (a, message, &count);
    size_t n = count ? *count : 0, used = 0;
    buf [0] = 0;
    switch (a->kind) {
        case REGISTRY_ATTR_TEXT:
        case REGISTRY_ATTR_CODE:
        case REGISTRY_ATTR_DATE:
        case REGISTRY_ATTR_GRADE: {
            const char *text = *(const char *const *) at;
            return text ? text : "";
        }
        case REGISTRY_ATTR_ENUM:
            return cli_enum_label (a->type, a->prefix, *(const int *) at);
        case REGISTRY_ATTR_ENUMS:
        case REGISTRY_ATTR_REGIONS:
            for (size_t i = 0; i < n && used < size; i++)
                used += (size_t)
                    snprintf (buf + used, size - used, "%s%s", i ? ", " : "",
                              a->kind == REGISTRY_ATTR_REGIONS
                                  ? (*(char *const *const *) at) [i]
                                  : cli_enum_label (a->type, a->prefix,
                                                    (*(const int *const *)
                                                         at) [i]));
            return buf;
        case REGISTRY_ATTR_MONEY:
            return cli_yuan (*(const int64_t *) at, buf, size);
        case REGISTRY_ATTR_COUNT:
            snprintf (buf, size, "%d", *(const int32_t *) at);
            return buf;
        case REGISTRY_ATTR_BP:
            return *(const int32_t *) at
                     ? cli_percent (*(const int32_t *) at, buf, size)
                     : "";
    }
    return buf;
}

//  --------------------------------------------------------------------------
//  Rows from .. rows - 1 of message for people (cli_reg.h).

void
cli_attrs_show (const registry_attr_t *table, size_t from, size_t rows,
                const ProtobufCMessage *message)
{
    for (size_t r = from; r < rows; r++) {
        const registry_attr_t *a = &table [r];
        char low [512], high [512], line [1100];
        const char *value = s_value (a, message, low, sizeof low);
        //  A range (two rows, one mask): one line, "low to high unit"
        if (r + 1 < rows && streq (table [r + 1].mask, a->mask)) {
            snprintf (line, sizeof line, _ ("%s to %s%s%s"), value,
                      s_value (&table [r + 1], message, high, sizeof high),
                      a->unit ? " " : "", a->unit ? _ (a->unit) : "");
            value = line;
            r++;
        }
        if (!*value && !a->none)
            continue;
        //  The label in 12 columns, or itself and a space when longer
        printf ("  ");
        const char *label = cli_attrs_label (a);
        cli_pad (stdout, label, 12);
        if (cli_width (label) >= 12)
            printf (" ");
        printf ("%s\n", *value ? value : _ (a->none));
    }
}
