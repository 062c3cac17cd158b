/*  =========================================================================
    fuzz_csv - the registry's CSV import reader (registry_csv), as the
    registry runs it on the chunks of an import

    Input: one byte for the kind (1 + n % 4) and the allow_outside option,
    then the header line, a newline, and the rows. Each valid row is
    formatted back (registry_csv_format) and read again by a second parser
    of the same header: it must give exactly one valid row, which formats
    to the same text.
    =========================================================================
*/

#include "kejin.h"
#include "registry_csv.h"

typedef struct {
    registry_csv_t *again;      //  a second parser of the same header
    registry_csv_buf_t first;   //  a row formatted
    registry_csv_buf_t second;  //  the same row read back and formatted
    int rows, errors;
} state_t;

static void
s_on_again (const registry_csv_row_t *row, void *arg)
{
    state_t *state = (state_t *) arg;
    state->rows++;
    registry_csv_buf_reset (&state->second);
    registry_csv_format (state->again, row, &state->second);
}

static void
s_on_again_error (const registry_csv_error_t *error, void *arg)
{
    state_t *state = (state_t *) arg;
    state->errors++;
    fprintf (stderr, "formatted row refused: line %u field %s: %s (%s)\n",
             error->line, error->field, error->reason,
             error->value ? error->value : "");
}

static void
s_on_row (const registry_csv_row_t *row, void *arg)
{
    state_t *state = (state_t *) arg;
    registry_csv_buf_reset (&state->first);
    registry_csv_format (state->again, row, &state->first);
    state->rows = state->errors = 0;
    registry_csv_parse (state->again, state->first.data, state->first.size, 2,
                        s_on_again, s_on_again_error, state);
    if (state->rows != 1 || state->errors != 0
        || state->second.size != state->first.size
        || memcmp (state->first.data, state->second.data, state->first.size)) {
        fprintf (stderr, "row %u does not read back:\n%.*s\n%.*s\n", row->line,
                 (int) state->first.size, state->first.data,
                 (int) state->second.size,
                 state->second.data ? state->second.data : "");
        abort ();
    }
}

static void
s_on_error (const registry_csv_error_t *error, void *arg)
{
    assert (error->field && error->reason);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static bool initialised;
    if (!initialised) {
        kj_log_init ("fuzz_csv", "error");
        initialised = true;
    }
    if (size < 1)
        return 0;
    registry_csv_kind_t kind = (registry_csv_kind_t) (1 + data [0] % 4);
    registry_csv_options_t options = { .today = { 2026, 5, 10 },
                                       .allow_outside = data [0] & 0x80 };
    const char *text = (const char *) data + 1;
    size--;
    const char *newline = memchr (text, '\n', size);
    size_t header_size = newline ? (size_t) (newline - text) : size;
    kj_status_t status;
    registry_csv_t *csv = registry_csv_new (kind, text, header_size, &options,
                                            &status);
    if (!csv) {
        assert (status.code == KJ__CODE__INVALID_ARGUMENT);
        return 0;
    }
    state_t state = { .rows = 0 };
    state.again = registry_csv_new (kind, text, header_size, &options, &status);
    assert (state.again);
    if (newline)
        registry_csv_parse (csv, newline + 1, size - header_size - 1, 2,
                            s_on_row, s_on_error, &state);
    registry_csv_buf_free (&state.first);
    registry_csv_buf_free (&state.second);
    registry_csv_destroy (&state.again);
    registry_csv_destroy (&csv);
    return 0;
}
