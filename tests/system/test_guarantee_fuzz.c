/*  =========================================================================
    test_guarantee_fuzz - every request message of kejin-guarantee, filled
    field by field with hostile values (zero, extremes, negative money,
    overflowing amounts, empty, overlong, invalid UTF-8, impossible dates,
    ids that exist and ids that do not), from callers with and without a
    name, thousands of times against a node with claims in every state

    Each call must get an answer with a status: never INTERNAL, UNAVAILABLE
    (a database error behind input that was not checked) or silence; a
    refusal of input names its field. Afterwards the daemon still serves,
    and the ledger and the budget still agree.
    =========================================================================
*/

#include "guarantee_fixture.h"

#define CALLS 3000

static const char *s_strings [] = { "",
                                    "G1",
                                    "A1",
                                    "L1",
                                    "L2",
                                    "nobody",
                                    "city",
                                    "province",
                                    "创业类",
                                    "成长类",
                                    "2026-06-30",
                                    "2026-02-30",
                                    "1999-12-31",
                                    "9999-99-99",
                                    "QUEUED",
                                    "PAID",
                                    "APPROVED",
                                    "x'); DROP TABLE claim; --",
                                    "\xff\xfe",
                                    "a\x01"
                                    "b",
                                    "91210100MA00000001",
                                    NULL };

static const int64_t s_numbers [] = { 0,          1,         2,
                                      3,          -1,        4000,
                                      4001,       2000,      8000,
                                      10000,      2026,      2101,
                                      1999,       1000000,   3000000000,
                                      3000000001, INT32_MAX, INT32_MIN,
                                      INT64_MAX,  INT64_MIN, INT64_MAX - 1 };

//  A random string: a known one, or junk of 0 to 300 bytes (sometimes
//  very long), into buf
static const char *
s_string (char *buf, size_t size)
{
    int pick = randof (30);
    size_t known = sizeof s_strings / sizeof s_strings [0] - 1;
    if ((size_t) pick < known)
        return s_strings [pick];
    size_t length = pick == 29 ? size - 1 : (size_t) randof (300);
    for (size_t i = 0; i < length; i++)
        buf [i] = (char) (pick == 28 ? 0x80 + randof (0x7F)
                                     : 0x20 + randof (0x5F));
    buf [length] = 0;
    return buf;
}

static int64_t
s_number (void)
{
    int pick = randof (sizeof s_numbers / sizeof s_numbers [0] + 5);
    if ((size_t) pick < sizeof s_numbers / sizeof s_numbers [0])
        return s_numbers [pick];
    return (int64_t) randof (100) - 10;
}

//  Fill every scalar field of message with a hostile value
static void
s_fill (ProtobufCMessage *message, char strings [][6000])
{
    const ProtobufCMessageDescriptor *type = message->descriptor;
    for (unsigned i = 0; i < type->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &type->fields [i];
        void *at = (char *) message + field->offset;
        switch (field->type) {
            case PROTOBUF_C_TYPE_INT32:
                *(int32_t *) at = (int32_t) s_number ();
                break;
            case PROTOBUF_C_TYPE_UINT32:
                *(uint32_t *) at = (uint32_t) s_number ();
                break;
            case PROTOBUF_C_TYPE_INT64:
                *(int64_t *) at = s_number ();
                break;
            case PROTOBUF_C_TYPE_BOOL:
                *(protobuf_c_boolean *) at = randof (2);
                break;
            case PROTOBUF_C_TYPE_STRING:
                *(const char **) at = s_string (strings [i], 6000);
                break;
            default:
                break;
        }
    }
}

static void
test_hostile_requests (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, NULL);
    gfx_parties (&fx);
    gfx_allot (&fx, fx.year, 2000000);
    gfx_claim (&fx, 1000000, 0, false);  //  SUBMITTED
    gfx_claim (&fx, 2000000, 2, false);  //  PROVINCE_REVIEWED
    int64_t paid = gfx_claim (&fx, 3000000, 2, true);
    Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
    pay.claim_id = paid;
    kj__claim__free_unpacked (gfx_ok (fx.carol, "PayClaim", &pay,
                                      &kj__claim__descriptor),
                              NULL);
    gfx_claim (&fx, 9000000, 2, true);  //  APPROVED, will queue

    kj_client_t *clients [] = { fx.alice, fx.bob, fx.carol,
                                kj_client_new (fx.broker.endpoint) };
    const ProtobufCServiceDescriptor *service = &kj__guarantee__descriptor;
    static char strings [16][6000];
    int codes [17] = { 0 };
    for (int n = 0; n < CALLS; n++) {
        const ProtobufCMethodDescriptor
            *method = &service->methods [randof (service->n_methods)];
        ProtobufCMessage *request = calloc (1, method->input->sizeof_message);
        protobuf_c_message_init (method->input, request);
        s_fill (request, strings);
        kj_status_t status;
        ProtobufCMessage *reply = NULL;
        int code = gfx_call (clients [randof (4)], method->name, request,
                             method->output, &reply, &status, NULL);
        if (reply)
            protobuf_c_message_free_unpacked (reply, NULL);
        free (request);
        if (code == KJ__CODE__INTERNAL || code == KJ__CODE__UNAVAILABLE
            || code == KJ__CODE__DEADLINE_EXCEEDED || code < 0 || code > 16)
            fprintf (stderr, "%s: %s (%s) %s\n", method->name,
                     kj_code_name (code), status.field, status.message);
        assert_true (code >= 0 && code <= 16);
        assert_int_not_equal (code, KJ__CODE__INTERNAL);
        assert_int_not_equal (code, KJ__CODE__UNAVAILABLE);
        assert_int_not_equal (code, KJ__CODE__DEADLINE_EXCEEDED);
        if (code == KJ__CODE__INVALID_ARGUMENT
            || code == KJ__CODE__OUT_OF_RANGE)
            assert_true (*status.field);
        codes [code]++;
    }
    kj_client_destroy (&clients [3]);
    printf ("fuzz: %d calls: OK %d, INVALID_ARGUMENT %d, OUT_OF_RANGE %d, "
            "NOT_FOUND %d, ALREADY_EXISTS %d, FAILED_PRECONDITION %d, "
            "PERMISSION_DENIED %d\n",
            CALLS, codes [0], codes [3], codes [11], codes [5], codes [6],
            codes [9], codes [7]);

    //  Still serving, and the money still adds up
    Kj__HealthRequest health = KJ__HEALTH_REQUEST__INIT;
    Kj__Health *reply = NULL;
    kj_status_t status;
    kj_call_opts_t opts = { .read_only = true };
    assert_int_equal (kj_client_call (fx.alice, "guarantee", "Health",
                                      &health.base, &kj__health__descriptor,
                                      (ProtobufCMessage **) &reply, &status,
                                      &opts),
                      KJ__CODE__OK);
    kj__health__free_unpacked (reply, NULL);
    Kj__LedgerReport *report = gfx_ledger (&fx);
    kj__ledger_report__free_unpacked (report, NULL);
    assert_true (gfx_count (&fx, "SELECT count (*) FROM budget_left WHERE "
                                 "remaining_fen < 0 OR remaining_fen > "
                                 "total_fen")
                 == 0);
    gfx_stop (&fx);
}

int
main (void)
{
    unsigned seed = (unsigned) getpid ();
    printf ("fuzz: seed %u\n", seed);
    srandom (seed);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_hostile_requests),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
