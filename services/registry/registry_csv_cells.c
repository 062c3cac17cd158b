/*  =========================================================================
    registry_csv_cells - the problems of a row and its cells read as typed
    values (numbers, yes/no, dates, text, enums, lists, regions, codes,
    ids), each problem naming the column as the file names it

    Part of registry_csv (registry_csv.h).
    =========================================================================
*/

#include <assert.h>
#include <ctype.h>
#include <csv.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kj_util.h"
#include "kj_i18n.h"
#include "registry_check.h"
#include "registry_csv.h"
#include "registry_csv_private.h"
#include "registry_entry.h"
#include "registry_product.h"
#include "registry_uscc.h"

//  --------------------------------------------------------------------------
//  Problems

//  Report a problem with the current row (registry_csv_private.h).
void
registry_csv_error (registry_csv_t *self, const char *field, const char *value,
                    const char *format, ...)
{
    char reason [512];
    va_list args;
    va_start (args, format);
    vsnprintf (reason, sizeof reason, _ (format), args);
    va_end (args);
    //  Cut the value short on a character boundary
    char shown [REGISTRY_CSV_VALUE_MAX + 4] = "";
    if (value) {
        size_t length = strlen (value);
        if (length > REGISTRY_CSV_VALUE_MAX) {
            length = REGISTRY_CSV_VALUE_MAX;
            while (length && ((unsigned char) value [length] & 0xC0) == 0x80)
                length--;
            memcpy (shown, value, length);
            memcpy (shown + length, "...", 4);
        }
        else
            memcpy (shown, value, length + 1);
    }
    registry_csv_error_t error = { .line = self->row_line,
                                   .field = field,
                                   .reason = reason,
                                   .value = shown,
                                   .bad_code = self->bad_code };
    self->failed = true;
    if (self->error_fn)
        self->error_fn (&error, self->arg);
}

//  Report a status from the registry's rules. Its message starts with the
//  request field ("product.max_amount_fen: ..."); the column says that
//  already, so the reason is the rest.
void
registry_csv_error_status (registry_csv_t *self, const char *column,
                           const char *value, const kj_status_t *status)
{
    const char *reason = status->message;
    size_t length = strlen (status->field);
    if (length && strncmp (reason, status->field, length) == 0
        && reason [length] == ':' && reason [length + 1] == ' ')
        reason += length + 2;
    registry_csv_error (self, column, value, "%s", reason);
}

//  The column of a field a registry check names: "product.regions[2]" is
//  regions, "enterprise.credit.tax_grade" is tax_grade,
//  "enterprise.qualifications[1].kind" is qualifications.
static const char *
s_column_of (const char *field, char *buf, size_t size)
{
    const char *at = strchr (field, '.');
    at = at ? at + 1 : field;
    if (strncmp (at, "credit.", 7) == 0 || strncmp (at, "ip.", 3) == 0)
        at = strchr (at, '.') + 1;
    if (strncmp (at, "rounds", 6) == 0) {
        const char *last = strrchr (at, '.');
        snprintf (buf, size, "%s",
                  last && strcmp (last, ".closed_on") == 0 ? "round_closed_on"
                  : last && strcmp (last, ".amount_fen") == 0
                      ? "round_amount_fen"
                      : "round");
        return buf;
    }
    size_t length = strcspn (at, ".[");
    snprintf (buf, size, "%.*s", (int) length, at);
    return buf;
}

//  --------------------------------------------------------------------------
//  Cells of the current row

//  The cell of a column, trimmed; NULL if the header lacks the column.
const char *
registry_csv_cell (registry_csv_t *self, registry_csv_col_t id)
{
    int index = self->file_column [id];
    return index < 0 ? NULL : self->arena + self->field_at [index];
}

//  True if the cell of a column is there and not empty.
bool
registry_csv_given (registry_csv_t *self, registry_csv_col_t id)
{
    const char *cell = registry_csv_cell (self, id);
    return cell && *cell;
}

//  The canonical name of a column, for messages.
static const char *
s_name (registry_csv_t *self, registry_csv_col_t id)
{
    for (size_t i = 0; i < self->table_size; i++)
        if (self->table [i].id == id)
            return self->table [i].name;
    return "";
}

//  A whole number in [min, max]; an empty or missing cell is dflt. False
//  (reported) if the cell is not one.
bool
registry_csv_int (registry_csv_t *self, registry_csv_col_t id, int64_t min,
                  int64_t max, int64_t dflt, int64_t *value)
{
    const char *cell = registry_csv_cell (self, id);
    *value = dflt;
    if (!cell || !*cell)
        return true;
    const char *name = s_name (self, id);
    bool money = strstr (name, "_fen") != NULL;
    if (kj_parse_int64 (cell, value)) {
        *value = dflt;
        if (money)
            registry_csv_error (
                self, name, cell,
                "'%s' is not a whole number of fen "
                "(分): write 1234567 for ¥12,345.67, no separators or "
                "decimals",
                cell);
        else
            registry_csv_error (self, name, cell, "'%s' is not a whole number",
                                cell);
        return false;
    }
    if (*value < min || *value > max) {
        if (money && min == 0 && *value < 0)
            registry_csv_error (self, name, cell,
                                "%" PRId64 " fen is negative; an "
                                "amount here is 0 or more",
                                *value);
        else if (money && min == 1 && *value < 1)
            registry_csv_error (self, name, cell,
                                "%" PRId64 " fen; the amount must be "
                                "more than 0",
                                *value);
        else
            registry_csv_error (self, name, cell,
                                "%" PRId64 " is out of range (%" PRId64
                                " to %" PRId64 ")",
                                *value, min, max);
        *value = dflt;
        return false;
    }
    return true;
}

//  A yes/no cell; empty or missing is false.
bool
registry_csv_bool (registry_csv_t *self, registry_csv_col_t id)
{
    static const char *yes [] = { "true", "t", "yes", "y", "1", "是", NULL };
    static const char *no [] = { "false", "f", "no", "n", "0", "否", NULL };
    const char *cell = registry_csv_cell (self, id);
    if (!cell || !*cell)
        return false;
    for (int i = 0; yes [i]; i++)
        if (strcasecmp (cell, yes [i]) == 0)
            return true;
    for (int i = 0; no [i]; i++)
        if (strcasecmp (cell, no [i]) == 0)
            return false;
    registry_csv_error (self, s_name (self, id), cell,
                        "'%s' is not yes or no: write "
                        "true or false (also 1/0, yes/no, 是/否)",
                        cell);
    return false;
}

//  A date "YYYY-MM-DD" into buf, not after today. Empty or missing is ""
//  (reported if required). False if reported.
bool
registry_csv_date (registry_csv_t *self, registry_csv_col_t id, bool required,
                   char buf [11], kj_date_t *date)
{
    const char *cell = registry_csv_cell (self, id);
    const char *name = s_name (self, id);
    buf [0] = 0;
    memset (date, 0, sizeof *date);
    if (!cell || !*cell) {
        if (required)
            registry_csv_error (self, name, "",
                                "required, and empty: a date "
                                "YYYY-MM-DD, e.g. 2021-03-15");
        return !required;
    }
    kj_status_t status;
    if (kj_check_date (cell, name, date, &status)) {
        registry_csv_error_status (self, name, cell, &status);
        return false;
    }
    memcpy (buf, cell, 11);
    return true;
}

//  A date that may not be after today.
bool
registry_csv_past_date (registry_csv_t *self, registry_csv_col_t id,
                        bool required, char buf [11], kj_date_t *date)
{
    if (!registry_csv_date (self, id, required, buf, date))
        return false;
    if (*buf && kj_check_date_compare (*date, self->options.today) > 0) {
        char today [11];
        kj_check_date_format (self->options.today, today);
        registry_csv_error (self, s_name (self, id), buf,
                            "%s is after today (%s)", buf, today);
        return false;
    }
    return true;
}

//  Text: valid UTF-8, no control characters, at most max characters.
const char *
registry_csv_text (registry_csv_t *self, registry_csv_col_t id, size_t max,
                   bool required)
{
    const char *cell = registry_csv_cell (self, id);
    kj_status_t status;
    const char *name = s_name (self, id);
    if (kj_check_text (cell ? cell : "", name, max, required, &status)) {
        registry_csv_error_status (self, name, cell ? cell : "", &status);
        return "";
    }
    return cell ? cell : "";
}

//  An enum value; an empty or missing cell is dflt (reported when
//  required). -1 if reported.
int
registry_csv_enum (registry_csv_t *self, registry_csv_col_t id,
                   const registry_csv_enum_t *e, bool required, int dflt)
{
    const char *cell = registry_csv_cell (self, id);
    const char *name = s_name (self, id);
    char choices [400];
    if (!cell || !*cell) {
        if (!required)
            return dflt;
        registry_csv_enum_choices (e, choices, sizeof choices);
        registry_csv_error (self, name, "", "required, and empty: one of %s",
                            choices);
        return -1;
    }
    int value = registry_csv_enum_value (e, cell);
    if (value < 0) {
        registry_csv_enum_choices (e, choices, sizeof choices);
        registry_csv_error (self, name, cell, "'%s' is not one of %s", cell,
                            choices);
    }
    return value;
}

//  Split a list cell in place at '|', ';', ',' and their full-width
//  forms and '、', into at most max trimmed, non-empty items. Returns the
//  count, or -1 (reported) if there are more than max.
int
registry_csv_list (registry_csv_t *self, registry_csv_col_t id, char **items,
                   int max)
{
    const char *cell = registry_csv_cell (self, id);
    if (!cell || !*cell)
        return 0;
    char *at = (char *) cell;
    int count = 0;
    while (*at) {
        //  One item: up to the next separator
        char *start = at;
        char *end = at;
        size_t skip = 0;
        while (*end) {
            unsigned char c = (unsigned char) *end;
            if (c == '|' || c == ';' || c == ',') {
                skip = 1;
                break;
            }
            if (c == 0xE3 && (unsigned char) end [1] == 0x80
                && (unsigned char) end [2] == 0x81) {  //  、
                skip = 3;
                break;
            }
            if (c == 0xEF && (unsigned char) end [1] == 0xBC
                && ((unsigned char) end [2] == 0x8C         //  ，
                    || (unsigned char) end [2] == 0x9B)) {  //  ；
                skip = 3;
                break;
            }
            end++;
        }
        at = *end ? end + skip : end;
        *end = 0;
        while (*start == ' ' || *start == '\t')
            start++;
        char *last = end;
        while (last > start && (last [-1] == ' ' || last [-1] == '\t'))
            *--last = 0;
        if (!*start)
            continue;
        if (count == max) {
            registry_csv_error (self, s_name (self, id), cell,
                                "more than %d items", max);
            return -1;
        }
        items [count++] = start;
    }
    return count;
}

//  A list of enum values into values; -1 if reported.
int
registry_csv_enum_list (registry_csv_t *self, registry_csv_col_t id,
                        const registry_csv_enum_t *e, int *values, int max)
{
    char *items [REGISTRY_CSV_MAX_LIST];
    int count = registry_csv_list (self, id, items, max);
    char choices [400];
    for (int i = 0; i < count; i++) {
        values [i] = registry_csv_enum_value (e, items [i]);
        if (values [i] < 0) {
            registry_csv_enum_choices (e, choices, sizeof choices);
            registry_csv_error (self, s_name (self, id), items [i],
                                "'%s' is not one of "
                                "%s",
                                items [i], choices);
            count = -1;
            break;
        }
        for (int j = 0; j < i; j++)
            if (values [j] == values [i]) {
                registry_csv_error (self, s_name (self, id), items [i],
                                    "'%s' is listed "
                                    "twice",
                                    items [i]);
                return -1;
            }
    }
    return count;
}

//  A list of region tokens; -1 if reported. Empty is reported when
//  required.
int
registry_csv_region_list (registry_csv_t *self, registry_csv_col_t id,
                          bool required, char **tokens)
{
    char *items [REGISTRY_CSV_MAX_LIST];
    int count = registry_csv_list (self, id, items, REGISTRY_CSV_MAX_LIST);
    const char *name = s_name (self, id);
    if (count == 0 && required) {
        registry_csv_error (
            self, name, "",
            "required, and empty: name at least one "
            "region: a city code (210100 .. 211400) or name (沈阳), "
            "SFDZ, SHENYANG_METRO (沈阳都市圈) or PROVINCE (全省)");
        return -1;
    }
    for (int i = 0; i < count; i++) {
        const char *token = registry_csv_region (items [i], true);
        if (!token) {
            registry_csv_error (
                self, name, items [i],
                "'%s' is not a region: use a "
                "city code (210100 Shenyang .. 211400 Huludao) or name "
                "(沈阳), SFDZ, SHENYANG_METRO (沈阳都市圈) or PROVINCE "
                "(全省)",
                items [i]);
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (strcmp (tokens [j], token) == 0) {
                registry_csv_error (self, name, items [i],
                                    "'%s' is listed twice", items [i]);
                return -1;
            }
        tokens [i] = (char *) token;
    }
    return count;
}

//  A credit code, normalised into buf; an empty cell is "" unless
//  required. False if reported.
bool
registry_csv_code (registry_csv_t *self, registry_csv_col_t id, bool required,
                   char buf [REGISTRY_USCC_SIZE + 1])
{
    const char *cell = registry_csv_cell (self, id);
    buf [0] = 0;
    if (!required && (!cell || !*cell))
        return true;
    kj_status_t status;
    if (registry_uscc_normalize (cell ? cell : "", buf, &status)) {
        self->bad_code = cell ? cell : "";
        registry_csv_error_status (self, s_name (self, id), cell ? cell : "",
                                   &status);
        self->bad_code = NULL;
        return false;
    }
    return true;
}

//  An id of an institution or product.
const char *
registry_csv_id (registry_csv_t *self, registry_csv_col_t id)
{
    const char *cell = registry_csv_cell (self, id);
    kj_status_t status;
    if (kj_check_id (cell ? cell : "", s_name (self, id), &status)) {
        registry_csv_error_status (self, s_name (self, id), cell ? cell : "",
                                   &status);
        return "";
    }
    return cell;
}

//  Report what a registry check of the whole message found, unless the
//  row was refused already (the first problem would be the same one).
void
registry_csv_check_status (registry_csv_t *self, int rc,
                           const kj_status_t *status)
{
    if (rc == 0 || self->failed)
        return;
    char column [64];
    s_column_of (status->field, column, sizeof column);
    registry_csv_error_status (self, column, NULL, status);
}
