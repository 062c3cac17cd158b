/*  =========================================================================
    kj_mdp - reading and writing Kejin's compact framing (kj_mdp.h): the
    records and parts of a KJC01 or KJW01 frame, every size checked
    against the frame's end before it is used
    =========================================================================
*/

#include "kejin.h"

//  --------------------------------------------------------------------------
//  A uint32 as 4 big-endian bytes, and back

void
kj_put_u32 (uint8_t *dst, uint32_t value)
{
    dst [0] = (uint8_t) (value >> 24);
    dst [1] = (uint8_t) (value >> 16);
    dst [2] = (uint8_t) (value >> 8);
    dst [3] = (uint8_t) value;
}

uint32_t
kj_get_u32 (const uint8_t *src)
{
    return ((uint32_t) src [0] << 24) | ((uint32_t) src [1] << 16)
         | ((uint32_t) src [2] << 8) | (uint32_t) src [3];
}

//  --------------------------------------------------------------------------
//  Is frame data a compact frame of that protocol (KJ_KJC or KJ_KJW)?
bool
kj_compact_is (const void *data, size_t size, const char *protocol)
{
    return size >= KJ_KJX_SIZE && memcmp (data, protocol, KJ_KJX_SIZE) == 0;
}

//  --------------------------------------------------------------------------
//  The next record of a frame: *at moves past it, *record and *size say
//  where its content is. 1 for a record, 0 at the end, -1 when the frame
//  is cut short (a size that runs past its end).
int
kj_compact_next (const uint8_t **at, const uint8_t *end, const uint8_t **record,
                 size_t *size)
{
    if (*at == end)
        return 0;
    if ((size_t) (end - *at) < 4)
        return -1;
    size_t length = kj_get_u32 (*at);
    if ((size_t) (end - *at) - 4 < length)
        return -1;
    *record = *at + 4;
    *size = length;
    *at += 4 + length;
    return 1;
}

//  --------------------------------------------------------------------------
//  The parts of a record's tail: up to max into parts; returns how many
//  there are (more than max: only max were kept), -1 when a size runs
//  past the end.
int
kj_compact_parts (const uint8_t *data, size_t size, kj_part_t *parts, int max)
{
    int count = 0;
    const uint8_t *at = data, *end = data + size;
    const uint8_t *part;
    size_t length;
    int rc;
    while ((rc = kj_compact_next (&at, end, &part, &length)) == 1) {
        if (count < max) {
            parts [count].data = part;
            parts [count].size = length;
        }
        count++;
    }
    return rc < 0 ? -1 : count;
}

//  --------------------------------------------------------------------------
//  Write one part (its size, then its bytes) at dst; returns the bytes
//  written (KJ_PART_HEAD + size).
size_t
kj_compact_put_part (uint8_t *dst, const void *data, size_t size)
{
    kj_put_u32 (dst, (uint32_t) size);
    if (size)
        memcpy (dst + KJ_PART_HEAD, data, size);
    return KJ_PART_HEAD + size;
}
