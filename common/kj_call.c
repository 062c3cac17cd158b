/*  =========================================================================
    kj_call - a call inside a handler: its memory (blocks freed after the
    reply, one kept for the next call), what the handler may read of it
    (state, connection, header, caller) and how it fails

    Part of kj_worker (kj_worker.h is the interface; kj_worker_private.h
    what its files share).
    =========================================================================
*/

#include "kejin.h"
#include "kj_worker_private.h"

//  --------------------------------------------------------------------------
//  Call memory

void *
kj_call_alloc (kj_call_t *call, size_t size)
{
    size = (size + sizeof (max_align_t) - 1) & ~(sizeof (max_align_t) - 1);
    block_t *block = call->blocks;
    if (!block && call->worker->spare && size <= call->worker->spare->size) {
        block = call->worker->spare;
        call->worker->spare = NULL;
        block->used = 0;
        block->next = NULL;
        call->blocks = block;
    }
    if (!block || block->size - block->used < size) {
        size_t cap = size > 8000 ? size : 8000;
        block = (block_t *) malloc (sizeof (block_t) + cap);
        assert (block);
        block->size = cap;
        block->used = 0;
        block->next = call->blocks;
        call->blocks = block;
    }
    void *ptr = (char *) block->data + block->used;
    block->used += size;
    memset (ptr, 0, size);
    return ptr;
}

char *
kj_call_strdup (kj_call_t *call, const char *string)
{
    size_t size = strlen (string) + 1;
    char *copy = (char *) kj_call_alloc (call, size);
    memcpy (copy, string, size);
    return copy;
}

char *
kj_call_printf (kj_call_t *call, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    char *copy = kj_call_strdup (call, text);
    free (text);
    return copy;
}

void *
kj_call_message (kj_call_t *call, const ProtobufCMessageDescriptor *type)
{
    ProtobufCMessage *message = (ProtobufCMessage *)
        kj_call_alloc (call, type->sizeof_message);
    type->message_init (message);
    return message;
}

//  Free the call's memory, keeping one standard block for the next call so
//  that a small request costs no malloc.
void
kj_call_reset (kj_call_t *call)
{
    while (call->blocks) {
        block_t *next = call->blocks->next;
        if (!call->worker->spare && call->blocks->size == 8000)
            call->worker->spare = call->blocks;
        else
            free (call->blocks);
        call->blocks = next;
    }
    call->note = NULL;
    call->reply = NULL;
    kj_status_ok (&call->status);
}

static void *
s_allocator_alloc (void *data, size_t size)
{
    return kj_call_alloc ((kj_call_t *) data, size);
}

static void
s_allocator_free (void *data, void *ptr)
{
}

void
kj_call_allocator (kj_call_t *call, ProtobufCAllocator *allocator)
{
    allocator->alloc = s_allocator_alloc;
    allocator->free = s_allocator_free;
    allocator->allocator_data = call;
}

void *
kj_call_state (kj_call_t *call)
{
    return call->worker->config.state;
}

kj_db_t *
kj_call_db (kj_call_t *call)
{
    return call->worker->config.db;
}

const Kj__RequestHeader *
kj_call_header (kj_call_t *call)
{
    return call->header;
}

//  --------------------------------------------------------------------------
//  The caller the broker stamped, or an empty one

const Kj__Caller *
kj_call_caller (kj_call_t *call)
{
    static const Kj__Caller nobody = KJ__CALLER__INIT;
    return call->header && call->header->caller ? call->header->caller
                                                : &nobody;
}

const char *
kj_call_who (kj_call_t *call, const char *fallback)
{
    const char *identity = kj_call_caller (call)->identity;
    return identity && *identity ? identity : fallback;
}

const char *
kj_call_instance (kj_call_t *call)
{
    return call->worker->instance;
}

const kj_status_t *
kj_call_status (kj_call_t *call)
{
    return &call->status;
}

void
kj_call_set_note (kj_call_t *call, void *note)
{
    call->note = note;
}

void *
kj_call_note (kj_call_t *call)
{
    return call->note;
}

int
kj_call_fail (kj_call_t *call, int code, const char *field, const char *format,
              ...)
{
    call->status.code = code;
    kj_strlcpy (call->status.field, field ? field : "",
                sizeof call->status.field);
    va_list args;
    va_start (args, format);
    vsnprintf (call->status.message, sizeof call->status.message, _ (format),
               args);
    va_end (args);
    kj_utf8_trim (call->status.message);  //  a long message is cut whole
    return -1;
}

int
kj_call_fail_db (kj_call_t *call)
{
    kj_db_t *db = call->worker->config.db;
    return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                         "the service's database failed (%s %s); retry "
                         "later",
                         db ? kj_db_sqlstate (db) : "",
                         db ? kj_db_error (db) : "no connection");
}

int
kj_call_fail_status (kj_call_t *call, const kj_status_t *status)
{
    call->status = *status;
    return -1;
}
