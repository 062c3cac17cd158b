/*  =========================================================================
    registry_stage_rules - the stage rules' set as text: its keys, the
    defaults (docs/rules/stages.md), and the file read whole or refused
    with the line and key, and written back

    registry_stage.c applies the set; this file only reads and writes it.
    =========================================================================
*/

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kj_money.h"
#include "kj_util.h"
#include "registry_stage.h"

//  What a key of the rule-set text holds.
typedef enum {
    S_VERSION,  //  char [32]
    S_BOOL,     //  bool
    S_INT,      //  int, in [min, max]
    S_INT64,    //  int64_t, in [min, max]
    S_ROUND     //  registry_round_t
} s_kind_t;

typedef struct {
    const char *key;  //  name in the text
    s_kind_t kind;    //  type of the field
    size_t offset;    //  of the field in registry_stage_rules_t
    int64_t min;      //  smallest value allowed (numbers)
    int64_t max;      //  largest value allowed (numbers)
} s_key_t;

#define FIELD(f) offsetof (registry_stage_rules_t, f)
static const s_key_t s_keys [] = {
    { "version", S_VERSION, FIELD (version), 0, 0 },
    { "mature.board_standard", S_BOOL, FIELD (mature_board_standard), 0, 1 },
    { "mature.revenue_fen", S_INT64, FIELD (mature_revenue_fen), 1, INT64_MAX },
    { "mature.net_profit_fen", S_INT64, FIELD (mature_net_profit_fen), 1,
      INT64_MAX },
    { "mature.listing_tutoring", S_BOOL, FIELD (mature_listing_tutoring), 0,
      1 },
    { "growth.min_age_months", S_INT, FIELD (growth_min_age_months), 0, 1200 },
    { "growth.revenue_fen", S_INT64, FIELD (growth_revenue_fen), 0, INT64_MAX },
    { "growth.cagr_bp", S_INT, FIELD (growth_cagr_bp), 0, 100000 },
    { "growth.qualification", S_BOOL, FIELD (growth_qualification), 0, 1 },
    { "growth.min_round", S_ROUND, FIELD (growth_min_round), 0, 0 },
    { "startup.max_age_months", S_INT, FIELD (startup_max_age_months), 0,
      1200 },
    { "startup.min_round", S_ROUND, FIELD (startup_min_round), 0, 0 },
    { "incubation.max_age_months", S_INT, FIELD (incubation_max_age_months), 0,
      1200 },
    { "incubation.resident_revenue_fen", S_INT64,
      FIELD (incubation_resident_revenue_fen), 0, INT64_MAX },
};
#undef FIELD
#define KEYS (sizeof s_keys / sizeof s_keys [0])

//  --------------------------------------------------------------------------
//  Fill rules with the default rule set.

void
registry_stage_rules_default (registry_stage_rules_t *rules)
{
    assert (rules);
    *rules = (registry_stage_rules_t){
        .version = "2023.1",
        .mature_board_standard = true,
        .mature_revenue_fen = INT64_C (40000000000),    //  ¥400m
        .mature_net_profit_fen = INT64_C (5000000000),  //  ¥50m
        .mature_listing_tutoring = true,
        .growth_min_age_months = 36,
        .growth_revenue_fen = INT64_C (2000000000),  //  ¥20m
        .growth_cagr_bp = 2000,                      //  20%
        .growth_qualification = true,
        .growth_min_round = REGISTRY_ROUND_B,
        .startup_max_age_months = 60,
        .startup_min_round = REGISTRY_ROUND_SEED,
        .incubation_max_age_months = 24,
        .incubation_resident_revenue_fen = INT64_C (500000000),  //  ¥5m
    };
}

//  --------------------------------------------------------------------------
//  Copy s [0 .. size) without white space at either end into buf.

static void
s_trim_copy (const char *s, size_t size, char *buf, size_t buf_size)
{
    while (size && (*s == ' ' || *s == '\t' || *s == '\r')) {
        s++;
        size--;
    }
    while (size
           && (s [size - 1] == ' ' || s [size - 1] == '\t'
               || s [size - 1] == '\r'))
        size--;
    if (size >= buf_size)
        size = buf_size - 1;
    memcpy (buf, s, size);
    buf [size] = 0;
}

//  --------------------------------------------------------------------------
//  Store the text value of one key into rules. Returns 0 or -1 with status.

static int
s_set_value (registry_stage_rules_t *rules, const s_key_t *key,
             const char *value, int line, kj_status_t *status)
{
    char *field = (char *) rules + key->offset;
    if (key->kind == S_VERSION) {
        size_t length = strlen (value);
        bool ok = length > 0 && length < sizeof rules->version;
        for (size_t i = 0; i < length && ok; i++)
            ok = (value [i] >= '0' && value [i] <= '9')
              || (value [i] >= 'a' && value [i] <= 'z')
              || (value [i] >= 'A' && value [i] <= 'Z')
              || strchr ("._-", value [i]);
        if (!ok)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, key->key,
                                  "line %d: %s: '%s' must be 1 to "
                                  "31 letters, digits, '.', '-' or '_'",
                                  line, key->key, value);
        strcpy (field, value);
        return 0;
    }
    if (key->kind == S_BOOL) {
        bool yes = !strcasecmp (value, "1") || !strcasecmp (value, "true")
                || !strcasecmp (value, "yes") || !strcasecmp (value, "on");
        bool no = !strcasecmp (value, "0") || !strcasecmp (value, "false")
               || !strcasecmp (value, "no") || !strcasecmp (value, "off");
        if (!yes && !no)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, key->key,
                                  "line %d: %s: '%s' is not a "
                                  "boolean (use 1 or 0, true or false, yes or "
                                  "no, on or off)",
                                  line, key->key, value);
        *(bool *) field = yes;
        return 0;
    }
    if (key->kind == S_ROUND) {
        int round = registry_stage_round_from_name (value);
        if (round < 0)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, key->key,
                                  "line %d: %s: '%s' is not a round "
                                  "(none, seed, angel, a, b, c_plus, pre_ipo)",
                                  line, key->key, value);
        *(registry_round_t *) field = (registry_round_t) round;
        return 0;
    }
    //  A whole number: digits only, with an optional minus sign.
    int64_t number;
    bool digits = value [0] != 0;
    for (const char *c = value [0] == '-' ? value + 1 : value; *c; c++)
        digits = digits && *c >= '0' && *c <= '9';
    if (!digits || value [value [0] == '-'] == 0
        || kj_parse_int64 (value, &number))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, key->key,
                              "line %d: %s: '%s' is not a whole number%s", line,
                              key->key, value,
                              digits && value [value [0] == '-']
                                  ? " that fits in 64 bits"
                                  : "");
    if (number < key->min || number > key->max) {
        if (key->max == INT64_MAX)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, key->key,
                                  "line %d: %s: %" PRId64 " is "
                                  "out of range (%" PRId64 " or more)",
                                  line, key->key, number, key->min);
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, key->key,
                              "line %d: %s: %" PRId64 " is out of range "
                              "(%" PRId64 " to %" PRId64 ")",
                              line, key->key, number, key->min, key->max);
    }
    if (key->kind == S_INT)
        *(int *) field = (int) number;
    else
        *(int64_t *) field = number;
    return 0;
}

//  --------------------------------------------------------------------------
//  Parse key = value text over the defaults; see the header.

int
registry_stage_rules_parse (registry_stage_rules_t *rules, const char *text,
                            kj_status_t *status)
{
    assert (rules);
    assert (text);
    assert (status);
    registry_stage_rules_t parsed;
    registry_stage_rules_default (&parsed);
    int first_line [KEYS] = { 0 };

    int line = 0;
    while (*text) {
        line++;
        size_t size = strcspn (text, "\n");
        const char *next = text [size] ? text + size + 1 : text + size;
        const char *hash = memchr (text, '#', size);
        if (hash)
            size = (size_t) (hash - text);
        char buf [256];
        if (size >= sizeof buf)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, NULL,
                                  "line %d: longer than %zu characters", line,
                                  sizeof buf - 1);
        s_trim_copy (text, size, buf, sizeof buf);
        text = next;
        if (!*buf)
            continue;

        char *equals = strchr (buf, '=');
        if (!equals)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, NULL,
                                  "line %d: expected key = value, found '%s'",
                                  line, buf);
        char name [sizeof buf], value [sizeof buf];
        s_trim_copy (buf, (size_t) (equals - buf), name, sizeof name);
        s_trim_copy (equals + 1, strlen (equals + 1), value, sizeof value);

        size_t index = 0;
        while (index < KEYS && strcmp (s_keys [index].key, name))
            index++;
        if (index == KEYS)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, name,
                                  "line %d: unknown key '%s'", line, name);
        if (first_line [index])
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, name,
                                  "line %d: %s: already set on line %d", line,
                                  name, first_line [index]);
        first_line [index] = line;
        if (!*value)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, name,
                                  "line %d: %s: no value", line, name);
        if (s_set_value (&parsed, &s_keys [index], value, line, status))
            return -1;
    }
    if (!first_line [0])
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "version",
                              "version: missing; a rule set must say which "
                              "version it is");
    *rules = parsed;
    kj_status_ok (status);
    return 0;
}

//  --------------------------------------------------------------------------
//  Write rules as key = value lines; see the header.

int
registry_stage_rules_format (const registry_stage_rules_t *rules, char *buf,
                             size_t size)
{
    assert (rules);
    int length = 0;
    for (size_t i = 0; i < KEYS; i++) {
        const s_key_t *key = &s_keys [i];
        const char *field = (const char *) rules + key->offset;
        char value [48];
        if (key->kind == S_VERSION)
            snprintf (value, sizeof value, "%s", field);
        else if (key->kind == S_BOOL)
            snprintf (value, sizeof value, "%d", *(const bool *) field);
        else if (key->kind == S_ROUND)
            snprintf (value, sizeof value, "%s",
                      registry_stage_round_name (
                          *(const registry_round_t *) field));
        else if (key->kind == S_INT)
            snprintf (value, sizeof value, "%d", *(const int *) field);
        else
            snprintf (value, sizeof value, "%" PRId64,
                      *(const int64_t *) field);
        size_t at = (size_t) length < size ? (size_t) length : size;
        length += snprintf (buf + at, size - at, "%s = %s\n", key->key, value);
    }
    return length;
}
