/*  =========================================================================
    kj_log - structured log lines on stderr

    Values come from anywhere (a caller's name, a topic, a database's
    error), so every string argument (%s) is escaped as it goes into the
    line: a backslash, a double quote and control characters become \\,
    \", \n, \r, \t or \xHH, and a value right after '=' that is empty or
    holds a space, '=' or '"' is put in double quotes. A value can then
    never end the line or pass for another key=value pair. The other
    conversions are printed by the C library as usual.
    =========================================================================
*/

#include "kejin.h"
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static char s_process [64] = "kejin";
static kj_log_level_t s_level = KJ_LOG_INFO;
static const char *s_names [] = { "DEBUG", "INFO", "WARN", "ERROR" };

void
kj_log_init (const char *process, const char *level)
{
    if (process)
        kj_strlcpy (s_process, process, sizeof s_process);
    if (level) {
        for (int i = 0; i <= KJ_LOG_ERROR; i++)
            if (strcasecmp (level, s_names [i]) == 0
                || (i == KJ_LOG_WARN && strcasecmp (level, "warning") == 0))
                s_level = (kj_log_level_t) i;
    }
}

kj_log_level_t
kj_log_level (void)
{
    return s_level;
}

//  --------------------------------------------------------------------------
//  The line being built: text, its size, and how much is used.

typedef struct {
    char *text;
    size_t size;
    size_t at;
} s_line_t;

static void
s_put (s_line_t *line, const char *data, size_t size)
{
    if (line->at + size >= line->size)
        size = line->at + 1 < line->size ? line->size - line->at - 1 : 0;
    memcpy (line->text + line->at, data, size);
    line->at += size;
}

//  --------------------------------------------------------------------------
//  One string value, escaped; quoted when quote is true.

static void
s_put_value (s_line_t *line, const char *value, size_t size, bool quote)
{
    if (quote)
        s_put (line, "\"", 1);
    for (size_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char) value [i];
        char escaped [8];
        if (c == '"' || c == '\\')
            snprintf (escaped, sizeof escaped, "\\%c", c);
        else if (c == '\n' || c == '\r' || c == '\t')
            snprintf (escaped, sizeof escaped, "\\%c",
                      c == '\n'   ? 'n'
                      : c == '\r' ? 'r'
                                  : 't');
        else if (c < 0x20 || c == 0x7f)
            snprintf (escaped, sizeof escaped, "\\x%02x", c);
        else {
            s_put (line, (const char *) &c, 1);
            continue;
        }
        s_put (line, escaped, strlen (escaped));
    }
    if (quote)
        s_put (line, "\"", 1);
}

static bool
s_needs_quotes (const char *value, size_t size)
{
    if (size == 0)
        return true;
    for (size_t i = 0; i < size; i++)
        if (value [i] == ' ' || value [i] == '=' || value [i] == '"')
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  printf, with each %s escaped. Takes one conversion at a time: flags,
//  width and precision (numbers or *), a length, a conversion; what it
//  does not know is copied as it is.

static void
s_format (s_line_t *line, const char *format, va_list args)
{
    const char *p = format;
    while (*p) {
        if (*p != '%' || p [1] == '%') {
            const char *next = *p == '%' ? p + 1 : strchr (p, '%');
            size_t size = next ? (size_t) (next - p) : strlen (p);
            s_put (line, p, size);
            p += *p == '%' ? 2 : size;
            continue;
        }
        const char *start = p++;
        while (*p && strchr ("-+ #0", *p))
            p++;
        int width = 0, precision = -1;
        bool star_width = *p == '*', star_precision = false;
        if (star_width) {
            width = va_arg (args, int);
            p++;
        }
        while (isdigit ((unsigned char) *p))
            p++;
        if (*p == '.') {
            p++;
            precision = 0;
            if (*p == '*') {
                star_precision = true;
                precision = va_arg (args, int);
                p++;
            }
            while (isdigit ((unsigned char) *p))
                precision = precision * 10 + (*p++ - '0');
        }
        char length [3] = "";
        while (*p && strchr ("hlzjtL", *p) && strlen (length) < 2)
            length [strlen (length)] = *p++;
        char conversion = *p ? *p++ : 0;
        char spec [32], out [128];
        size_t spec_size = (size_t) (p - start);
        if (spec_size >= sizeof spec || !conversion) {
            s_put (line, start, (size_t) (p - start));
            continue;
        }
        memcpy (spec, start, spec_size);
        spec [spec_size] = 0;
        bool ll = streq (length, "ll"), l = streq (length, "l"),
             z = streq (length, "z"), j = streq (length, "j"),
             t = streq (length, "t");
        //  The width and precision given by * go before the value
#define S_PRINT(value)                                                         \
    (star_width && star_precision                                              \
         ? snprintf (out, sizeof out, spec, width, precision, value)           \
     : star_width     ? snprintf (out, sizeof out, spec, width, value)         \
     : star_precision ? snprintf (out, sizeof out, spec, precision, value)     \
                      : snprintf (out, sizeof out, spec, value))
        switch (conversion) {
            case 's': {
                const char *value = va_arg (args, const char *);
                if (!value)
                    value = "(null)";
                size_t size = precision >= 0
                                ? (size_t) kj_utf8_cut (value,
                                                        (size_t) precision)
                                : strlen (value);
                bool quote = start > format && start [-1] == '='
                          && s_needs_quotes (value, size);
                s_put_value (line, value, size, quote);
                continue;
            }
            case 'd':
            case 'i':
            case 'c':
                if (ll)
                    S_PRINT (va_arg (args, long long));
                else if (l)
                    S_PRINT (va_arg (args, long));
                else if (z)
                    S_PRINT (va_arg (args, ssize_t));
                else if (j)
                    S_PRINT (va_arg (args, intmax_t));
                else if (t)
                    S_PRINT (va_arg (args, ptrdiff_t));
                else
                    S_PRINT (va_arg (args, int));
                break;
            case 'u':
            case 'x':
            case 'X':
            case 'o':
                if (ll)
                    S_PRINT (va_arg (args, unsigned long long));
                else if (l)
                    S_PRINT (va_arg (args, unsigned long));
                else if (z)
                    S_PRINT (va_arg (args, size_t));
                else if (j)
                    S_PRINT (va_arg (args, uintmax_t));
                else if (t)
                    S_PRINT (va_arg (args, ptrdiff_t));
                else
                    S_PRINT (va_arg (args, unsigned int));
                break;
            case 'f':
            case 'F':
            case 'e':
            case 'E':
            case 'g':
            case 'G':
                if (streq (length, "L"))
                    S_PRINT (va_arg (args, long double));
                else
                    S_PRINT (va_arg (args, double));
                break;
            case 'p':
                S_PRINT (va_arg (args, void *));
                break;
            default:
                s_put (line, start, spec_size);
                continue;
        }
#undef S_PRINT
        s_put (line, out, strnlen (out, sizeof out - 1));
    }
}

//  --------------------------------------------------------------------------
//  One write (2) per line, so lines of several threads never interleave.

void
kj_log (kj_log_level_t level, const char *event, const char *format, ...)
{
    if (level < s_level)
        return;
    char line [2048];
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r (&ts.tv_sec, &tm);
    int size = snprintf (line, sizeof line,
                         "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s[%d] %s ",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                         s_names [level], s_process, (int) getpid (), event);
    if (size < 0)
        return;
    if (size > (int) sizeof line - 2)
        size = (int) sizeof line - 2;
    if (format) {
        s_line_t built = { line, sizeof line - 1, (size_t) size };
        va_list args;
        va_start (args, format);
        s_format (&built, format, args);
        va_end (args);
        line [built.at] = 0;
        size = kj_utf8_cut (line, built.at);
    }
    while (size > 0 && line [size - 1] == ' ')
        size--;
    line [size++] = '\n';
    ssize_t rc = write (STDERR_FILENO, line, size);
    (void) rc;
}
