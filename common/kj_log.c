/*  =========================================================================
    kj_log - structured log lines on stderr
    =========================================================================
*/

#include "kejin.h"
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
            ||  (i == KJ_LOG_WARN && strcasecmp (level, "warning") == 0))
                s_level = (kj_log_level_t) i;
    }
}

kj_log_level_t
kj_log_level (void)
{
    return s_level;
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
        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
        tm.tm_sec, ts.tv_nsec / 1000000, s_names [level], s_process,
        (int) getpid (), event);
    if (size < 0)
        return;
    if (format && size < (int) sizeof line) {
        va_list args;
        va_start (args, format);
        int more = vsnprintf (line + size, sizeof line - size, format, args);
        va_end (args);
        if (more > 0)
            size += more;
    }
    if (size > (int) sizeof line - 2)
        size = (int) sizeof line - 2;
    while (size > 0 && line [size - 1] == ' ')
        size--;
    line [size++] = '\n';
    ssize_t rc = write (STDERR_FILENO, line, size);
    (void) rc;
}
