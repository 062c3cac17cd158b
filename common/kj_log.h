/*  =========================================================================
    kj_log - structured log lines on stderr

    One line per event, logfmt style, so that people can read them and
    tools can parse them:

    2026-11-24T23:30:00.123Z INFO kejin-broker[4120] worker.ready service=registry credit=1

    The first word after the process is the event name; the rest are
    key=value pairs chosen by the caller.
    =========================================================================
*/

#ifndef KJ_LOG_H_INCLUDED
#define KJ_LOG_H_INCLUDED

#include <stdarg.h>

typedef enum {
    KJ_LOG_DEBUG = 0,
    KJ_LOG_INFO = 1,
    KJ_LOG_WARN = 2,
    KJ_LOG_ERROR = 3
} kj_log_level_t;

//  Name the process in every line and set the lowest level shown
//  ("debug", "info", "warn", "error"; NULL keeps "info").
void
    kj_log_init (const char *process, const char *level);

//  Current lowest level; callers may skip building expensive lines.
kj_log_level_t
    kj_log_level (void);

void
    kj_log (kj_log_level_t level, const char *event, const char *format, ...)
        __attribute__ ((format (printf, 3, 4)));

#define kj_debug(event, ...)                                                   \
    do {                                                                       \
        if (kj_log_level () <= KJ_LOG_DEBUG)                                   \
            kj_log (KJ_LOG_DEBUG, event, __VA_ARGS__);                         \
    } while (0)
#define kj_info(event, ...)  kj_log (KJ_LOG_INFO, event, __VA_ARGS__)
#define kj_warn(event, ...)  kj_log (KJ_LOG_WARN, event, __VA_ARGS__)
#define kj_error(event, ...) kj_log (KJ_LOG_ERROR, event, __VA_ARGS__)

#endif
