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

//  Bytes as lowercase hex (what PostgreSQL's decode (x, 'hex') reads): a
//  new string of 2 * size characters; the caller frees it.
char *
    kj_hex_encode (const void *data, size_t size);

//  The same into out, which has room for 2 * size + 1 characters (for a
//  hot path that must not allocate). Returns out.
char *
    kj_hex_write (const void *data, size_t size, char *out);

//  Hex text hex [0 .. length), either case, back into bytes at out (room
//  for max). 0 with *size set, or -1 for an odd length, a character that
//  is not a hex digit, or too little room (out is then undefined).
int
    kj_hex_decode (const char *hex, size_t length, void *out, size_t max,
                   size_t *size);

//  A fresh random UUID as 36 characters plus NUL.
void
    kj_uuid (char out [37]);

//  Copy src into dst of size n, always NUL-terminated, cut on a UTF-8
//  character boundary when it does not fit; returns dst.
char *
    kj_strlcpy (char *dst, const char *src, size_t n);

//  How many bytes of s to keep so that it is at most max bytes and ends on
//  a UTF-8 character boundary: never half a character. For "%.*s" with
//  text people typed: printf ("'%.*s'", kj_utf8_cut (name, 40), name).
//  Bytes that are not UTF-8 are counted as they are.
int
    kj_utf8_cut (const char *s, size_t max);

//  Length of the UTF-8 character at s (1 to 4), or 0 if the bytes there
//  are not one (overlong forms and surrogates included).
size_t
    kj_utf8_sequence (const char *s);

//  True if s is valid UTF-8 without control characters.
bool
    kj_utf8_valid (const char *s);

//  Cut s in place where a bounded snprintf may have split a character.
void
    kj_utf8_trim (char *s);

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
