/*  =========================================================================
    kj_util - clocks, signals, small string and byte helpers
    =========================================================================
*/

#include "kejin.h"
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <uuid/uuid.h>

//  Set from a signal handler and read by every thread: a lock-free C11
//  atomic is safe for both (a volatile is for neither threads nor order).
static atomic_bool s_stop = false;
_Static_assert(ATOMIC_BOOL_LOCK_FREE == 2, "stop flag must be lock-free");

int64_t
kj_mono_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
kj_wall_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
s_on_signal (int signum)
{
    atomic_store (&s_stop, true);
}

//  --------------------------------------------------------------------------
//  Daemons handle SIGTERM and SIGINT themselves: CZMQ's handler would only
//  set zsys_interrupted, and its atexit checks are noisy in a daemon that
//  stops on purpose. No SA_RESTART, so that blocking calls such as zmq_poll
//  return EINTR and loops see the flag at once.

void
kj_signals_init (void)
{
    zsys_handler_set (NULL);
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigemptyset (&action.sa_mask);
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);
    signal (SIGPIPE, SIG_IGN);
}

bool
kj_stopping (void)
{
    return atomic_load (&s_stop);
}

void
kj_stop (void)
{
    atomic_store (&s_stop, true);
}

void
kj_uuid (char out [37])
{
    uuid_t uuid;
    uuid_generate_random (uuid);
    uuid_unparse_lower (uuid, out);
}

char *
kj_strlcpy (char *dst, const char *src, size_t n)
{
    if (n == 0)
        return dst;
    size_t len = src ? (size_t) kj_utf8_cut (src, n - 1) : 0;
    if (len)
        memcpy (dst, src, len);
    dst [len] = 0;
    return dst;
}

//  --------------------------------------------------------------------------
//  Find where the last character before the cut starts (at most 3
//  continuation bytes back) and keep it only if all of it fits.

int
kj_utf8_cut (const char *s, size_t max)
{
    const unsigned char *u = (const unsigned char *) s;
    size_t n = strnlen (s, max > INT32_MAX ? INT32_MAX : max);
    size_t start = n;
    while (start > 0 && n - start < 3 && (u [start - 1] & 0xc0) == 0x80)
        start--;
    if (start == 0 || u [start - 1] < 0xc0 || u [start - 1] > 0xf4)
        return (int) n;  //  ASCII at the end, or not UTF-8 anyway
    unsigned char lead = u [start - 1];
    size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    size_t have = n - start + 1;
    return (int) (have >= need ? n : start - 1);
}

//  --------------------------------------------------------------------------
//  The lead byte says the length; each continuation byte is 10xxxxxx; the
//  code point is checked against overlong forms and surrogates.

size_t
kj_utf8_sequence (const char *text)
{
    const unsigned char *s = (const unsigned char *) text;
    if (s [0] < 0x80)
        return 1;
    size_t length;
    uint32_t code;
    if (s [0] >= 0xC2 && s [0] <= 0xDF) {
        length = 2;
        code = s [0] & 0x1F;
    }
    else if (s [0] >= 0xE0 && s [0] <= 0xEF) {
        length = 3;
        code = s [0] & 0x0F;
    }
    else if (s [0] >= 0xF0 && s [0] <= 0xF4) {
        length = 4;
        code = s [0] & 0x07;
    }
    else
        return 0;
    for (size_t i = 1; i < length; i++) {
        if ((s [i] & 0xC0) != 0x80)
            return 0;
        code = (code << 6) | (s [i] & 0x3F);
    }
    if ((length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF)))
        || (length == 4 && (code < 0x10000 || code > 0x10FFFF)))
        return 0;
    return length;
}

bool
kj_utf8_valid (const char *s)
{
    while (*s) {
        size_t length = kj_utf8_sequence (s);
        if (length == 0
            || (length == 1 && ((unsigned char) *s < 0x20 || *s == 0x7f)))
            return false;
        s += length;
    }
    return true;
}

void
kj_utf8_trim (char *s)
{
    s [kj_utf8_cut (s, strlen (s))] = 0;
}

int
kj_parse_int64 (const char *s, int64_t *value)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll (s, &end, 10);
    if (errno || *end)
        return -1;
    *value = v;
    return 0;
}

void
kj_put_u64 (unsigned char *dst, uint64_t value)
{
    for (int i = 7; i >= 0; i--) {
        dst [i] = (unsigned char) (value & 0xff);
        value >>= 8;
    }
}

uint64_t
kj_get_u64 (const unsigned char *src)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = (value << 8) | src [i];
    return value;
}

//  --------------------------------------------------------------------------
//  The one hex codec of Kejin

char *
kj_hex_encode (const void *data, size_t size)
{
    char *hex = (char *) malloc (2 * size + 1);
    assert (hex);
    return kj_hex_write (data, size, hex);
}

char *
kj_hex_write (const void *data, size_t size, char *out)
{
    static const char digits [] = "0123456789abcdef";
    const unsigned char *bytes = (const unsigned char *) data;
    for (size_t i = 0; i < size; i++) {
        out [2 * i] = digits [bytes [i] >> 4];
        out [2 * i + 1] = digits [bytes [i] & 15];
    }
    out [2 * size] = 0;
    return out;
}

static int
s_hex_digit (char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

int
kj_hex_decode (const char *hex, size_t length, void *out, size_t max,
               size_t *size)
{
    if (length % 2 || length / 2 > max)
        return -1;
    unsigned char *bytes = (unsigned char *) out;
    for (size_t i = 0; i < length / 2; i++) {
        int high = s_hex_digit (hex [2 * i]);
        int low = s_hex_digit (hex [2 * i + 1]);
        if (high < 0 || low < 0)
            return -1;
        bytes [i] = (unsigned char) (high << 4 | low);
    }
    *size = length / 2;
    return 0;
}
