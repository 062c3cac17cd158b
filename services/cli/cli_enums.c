/*  =========================================================================
    cli_enums - enum values of proto/ as people type and read them: the
    name without its prefix, in lower case, or its Chinese label, which is
    also accepted in every locale; lists of them split and parsed
    =========================================================================
*/

#include "cli_reg.h"
#include <ctype.h>
#include <strings.h>

//  --------------------------------------------------------------------------
//  Enums

//  --------------------------------------------------------------------------
//  A value from any form the CLI prints (cli_reg.h).

int
cli_enum_value (const ProtobufCEnumDescriptor *descriptor, const char *prefix,
                const char *name)
{
    if (!name || !*name)
        return -1;
    //  What the tables show under a Chinese locale
    for (unsigned i = 0; i < descriptor->n_values; i++) {
        const char *label = kj_check_enum_label_zh (
            descriptor->values [i].name);
        if (label && streq (label, name)
            && strncmp (descriptor->values [i].name, prefix, strlen (prefix))
                   == 0)
            return descriptor->values [i].value;
    }
    //  The stored name ("growth", "city-approved") or, as JSON shows it,
    //  the whole name ("STAGE_GROWTH"), in any case
    char full [96];
    size_t at = (size_t) snprintf (full, sizeof full, "%s", prefix);
    if (strncasecmp (name, prefix, at) == 0)
        name += at;
    if (strlen (name) + at >= sizeof full)
        return -1;
    for (const char *c = name; *c; c++)
        full [at++] = *c == '-' ? '_' : (char) toupper ((unsigned char) *c);
    full [at] = 0;
    const ProtobufCEnumValue *value =
        protobuf_c_enum_descriptor_get_value_by_name (descriptor, full);
    return value ? value->value : -1;
}

//  --------------------------------------------------------------------------
//  A value as tables show it (cli_reg.h).

const char *
cli_enum_label (const ProtobufCEnumDescriptor *descriptor, const char *prefix,
                int value)
{
    const ProtobufCEnumValue
        *found = protobuf_c_enum_descriptor_get_value (descriptor, value);
    const char *label = found ? kj_check_enum_label_zh (found->name) : NULL;
    if (label && strncmp (kj_i18n_lang (), "zh", 2) == 0)
        return label;
    return cli_enum_name (descriptor, prefix, value);
}

const char *
cli_enum_name (const ProtobufCEnumDescriptor *descriptor, const char *prefix,
               int value)
{
    static char ring [16][48];
    static int next;
    const ProtobufCEnumValue
        *found = protobuf_c_enum_descriptor_get_value (descriptor, value);
    size_t skip = strlen (prefix);
    if (!found || strncmp (found->name, prefix, skip) != 0)
        return "?";
    char *buf = ring [next++ % 16];
    size_t at = 0;
    for (const char *c = found->name + skip; *c && at + 1 < 48; c++)
        buf [at++] = (char) tolower ((unsigned char) *c);
    buf [at] = 0;
    return buf;
}

//  The names a descriptor allows, for messages: each value's stored name
//  and, where it has one, its Chinese name ("growth (成长期)").
static void
s_names (const ProtobufCEnumDescriptor *descriptor, const char *prefix,
         bool zero_ok, char *buf, size_t size)
{
    size_t at = 0;
    buf [0] = 0;
    for (unsigned i = 0; i < descriptor->n_values && at < size; i++) {
        if (descriptor->values [i].value == 0 && !zero_ok)
            continue;
        const char *label = kj_check_enum_label_zh (
            descriptor->values [i].name);
        at += (size_t) snprintf (buf + at, size - at, "%s%s", at ? ", " : "",
                                 cli_enum_name (descriptor, prefix,
                                                descriptor->values [i].value));
        if (label && at < size)
            at += (size_t) snprintf (buf + at, size - at, " (%s)", label);
    }
}

int
cli_parse_enum (const char *option, const char *text,
                const ProtobufCEnumDescriptor *descriptor, const char *prefix,
                bool zero_ok, int *value)
{
    *value = cli_enum_value (descriptor, prefix, text);
    if (*value < 0 || (*value == 0 && !zero_ok)) {
        char names [1200];
        s_names (descriptor, prefix, zero_ok, names, sizeof names);
        fprintf (stderr, _ ("kejin: %s: '%s' is not one of: %s\n"), option,
                 text, names);
        return -1;
    }
    return 0;
}

char **
cli_split (const char *text, size_t *n)
{
    size_t size = 2;
    for (const char *c = text; *c; c++)
        size += *c == ',';
    char **items = (char **) zmalloc (size * sizeof (char *));
    *n = 0;
    const char *at = text;
    while (*at) {
        const char *end = strchr (at, ',');
        size_t length = end ? (size_t) (end - at) : strlen (at);
        while (length && isspace ((unsigned char) *at)) {
            at++;
            length--;
        }
        while (length && isspace ((unsigned char) at [length - 1]))
            length--;
        if (length)
            items [(*n)++] = strndup (at, length);
        if (!end)
            break;
        at = end + 1;
    }
    return items;
}

void
cli_strings_free (char **strings)
{
    for (char **s = strings; s && *s; s++)
        free (*s);
    free (strings);
}

int
cli_parse_enums (const char *option, const char *text,
                 const ProtobufCEnumDescriptor *descriptor, const char *prefix,
                 int **values, size_t *n)
{
    size_t count;
    char **items = cli_split (text, &count);
    *values = (int *) zmalloc ((count + 1) * sizeof (int));
    *n = 0;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        if (streq (items [i], "none") && count == 1)
            break;
        rc = cli_parse_enum (option, items [i], descriptor, prefix, false,
                             &(*values) [(*n)++]);
    }
    cli_strings_free (items);
    if (rc) {
        free (*values);
        *values = NULL;
    }
    return rc;
}
