/*  =========================================================================
    kj_util - small helpers every class needs: clocks, signals, strings
    =========================================================================
*/

#ifndef KJ_UTIL_H_INCLUDED
#define KJ_UTIL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Microseconds on a monotonic clock, for intervals and deadlines.
int64_t
    kj_mono_us (void);

//  Microseconds since the Unix epoch, for timestamps others read.
int64_t
    kj_wall_us (void);

//  Install SIGTERM and SIGINT handlers that set the stop flag (and turn
//  CZMQ's own handler off). Call once, early in main.
void
    kj_signals_init (void);

//  True once SIGTERM or SIGINT arrived, or kj_stop() was called.
bool
    kj_stopping (void);

//  Ask every loop of this process to stop, as SIGTERM would.
void
    kj_stop (void);

//  A fresh random UUID as 36 characters plus NUL.
void
    kj_uuid (char out [37]);

//  Copy src into dst of size n, always NUL-terminated; returns dst.
char *
    kj_strlcpy (char *dst, const char *src, size_t n);

//  Parse a decimal int64 from the whole of s; 0 on success, -1 if s is not
//  a number or overflows.
int
    kj_parse_int64 (const char *s, int64_t *value);

//  Store a uint64 as 8 big-endian bytes, and read it back.
void
    kj_put_u64 (unsigned char *dst, uint64_t value);
uint64_t
    kj_get_u64 (const unsigned char *src);

//  A file carried in the binary (common/data2c.sh): name and whole text.
//  Tables of them end with { NULL, NULL }.
typedef struct {
    const char *name;
    const char *text;
} kj_file_t;

#endif
