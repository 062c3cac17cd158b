/*  =========================================================================
    fuzz_ipo - every request message of proto/ipo.proto, decoded as a
    kejin-ipo worker decodes it, through the rules the service runs on it
    before any SQL (ipo_board, ipo_pipeline, ipo_subsidy)

    Input: a type name ("kj.IpoMoveRequest"), a NUL, then the wire bytes;
    when the name is no request of the service "ipo", the first byte picks
    one (the service's methods in order) and the rest is the wire. Checks:
    - every "date" field: a date ipo_subsidy_date_parse takes prints back
      as the same text;
    - figures (Fit, FitBatch): ipo_board_fit over every board and over
      each board alone either refuses naming a field, or gives outcomes in
      table order, a nearest missed that is missed, shortfalls with need
      above have;
    - Move: from every state, on the request's board and date, a move the
      pipeline takes lands in `to`, which the table allows, and a refusal
      leaves the firm as it was, with a status naming a field;
    - Raise: the raise as a subsidy event of a firm listed on the NEEQ pays
      at most 1% of it and never past the year's cap;
    - Approve, Review, Claim, Sweep, Budget, List, FitShow: decoded, their
      text fields UTF-8 or not, nothing more to check before the SQL.
    =========================================================================
*/

#include "kejin.h"
#include "ipo.pb-c.h"
#include "ipo_board.h"
#include "ipo_fit.h"
#include "ipo_pipeline.h"
#include "ipo_subsidy.h"

//  Every "date" string field of a message, one level deep
static void
s_dates (const ProtobufCMessage *message)
{
    const ProtobufCMessageDescriptor *type = message->descriptor;
    for (unsigned i = 0; i < type->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &type->fields [i];
        if (field->type != PROTOBUF_C_TYPE_STRING
            || field->label == PROTOBUF_C_LABEL_REPEATED
            || !streq (field->name, "date"))
            continue;
        const char *text = *(const char *const *) ((const char *) message
                                                   + field->offset);
        int32_t date;
        if (text && ipo_subsidy_date_parse (text, &date) == 0) {
            char back [16];
            assert (streq (ipo_date_text (date, back, sizeof back), text));
            assert (date >= 20000101 && date <= 20991231);
        }
    }
}

//  Figures through the fit, every board and each alone
static void
s_figures (const Kj__IpoFigures *figures)
{
    if (!figures)
        return;
    ipo_board_input_t input;
    ipo_fit_input (figures, &input);
    const ipo_board_rules_t *rules = ipo_board_rules (NULL);
    for (int board = -1; board < IPO_BOARD_COUNT; board++) {
        unsigned boards = board < 0 ? IPO_BOARD_ALL : IPO_BOARD_BIT (board);
        ipo_board_fit_t fit;
        kj_status_t status;
        if (ipo_board_fit (rules, &input, boards, &fit, &status)) {
            assert (*status.field);
            assert (status.code == KJ__CODE__OUT_OF_RANGE
                    || status.code == KJ__CODE__INVALID_ARGUMENT);
            assert (ipo_board_input_check (&input, &status) != 0);
            return;
        }
        assert (fit.count <= IPO_BOARD_MAX_STANDARDS);
        assert (fit.nearest < (int) fit.count);
        for (size_t i = 0; i < fit.count; i++) {
            const ipo_board_outcome_t *o = &fit.outcome [i];
            assert (boards & IPO_BOARD_BIT (o->standard->board));
            assert (o->met == (o->unmet == 0));
            assert (o->shorts <= IPO_BOARD_MAX_SHORTS);
            for (size_t k = 0; k < o->shorts; k++)
                assert (
                    o->short_of [k].need > o->short_of [k].have
                    || ipo_board_figure_categorical (o->short_of [k].figure));
        }
        if (fit.nearest >= 0)
            assert (!fit.outcome [fit.nearest].met);
    }
}

//  A move from every state on the request's board and date
static void
s_move (const Kj__IpoMoveRequest *in)
{
    int32_t date = 20250630;
    if (in->date && *in->date && ipo_subsidy_date_parse (in->date, &date))
        return;  //  the service refuses it before the pipeline
    int board = in->board && *in->board ? ipo_board_from_code (in->board) : -1;
    for (int state = IPO_STATE_CANDIDATE; state < IPO_STATE_END; state++) {
        ipo_pipeline_firm_t firm, before;
        ipo_pipeline_firm_init (&firm, 20200101);
        firm.state = state;
        firm.board = state >= IPO_STATE_SHAREHOLDING_REFORMED
                          && state < IPO_STATE_NEEQ_BASIC
                       ? IPO_BOARD_STAR
                       : -1;
        firm.neeq_since = state >= IPO_STATE_NEEQ_BASIC ? 20210101 : 0;
        before = firm;
        ipo_pipeline_step_t step;
        kj_status_t status;
        if (ipo_pipeline_move (&firm, (int) in->to, board, date, &step, &status)
            == 0) {
            assert (firm.state == (int) in->to);
            assert (ipo_pipeline_allowed (state) & (1u << (int) in->to));
            assert (step.from == state && step.to == (int) in->to);
        }
        else {
            assert (*status.field);
            assert (memcmp (&firm, &before, sizeof firm) == 0);
        }
    }
}

//  A raise as the subsidy event of a firm listed on the NEEQ
static void
s_raise (const Kj__IpoRaiseRequest *in)
{
    int32_t date = 20250630;
    if (in->date && *in->date && ipo_subsidy_date_parse (in->date, &date))
        return;
    const ipo_subsidy_table_t *table = ipo_subsidy_table (NULL);
    ipo_subsidy_firm_t firm;
    ipo_subsidy_firm_init (&firm);
    ipo_subsidy_event_t listed = { .board = IPO_BOARD_NEEQ,
                                   .event = IPO_EVENT_LISTED,
                                   .date = 20000101 };
    ipo_subsidy_decision_t decision;
    kj_status_t status;
    assert (ipo_subsidy_apply (table, &firm, &listed, &decision, &status) == 0);
    ipo_subsidy_event_t raise = { .board = IPO_BOARD_NEEQ,
                                  .event = IPO_EVENT_EQUITY_RAISED,
                                  .date = date,
                                  .has_amount = true,
                                  .amount_raised_fen = in->amount_raised_fen };
    for (int again = 0; again < 3; again++) {
        if (ipo_subsidy_apply (table, &firm, &raise, &decision, &status)) {
            assert (streq (status.field, "amount_raised_fen"));
            assert (in->amount_raised_fen < 1
                    || in->amount_raised_fen > IPO_MONEY_MAX);
            return;
        }
        assert (decision.payment_fen >= 0);
        assert (decision.payment_fen <= in->amount_raised_fen / 100);
        assert (firm.equity_paid_fen <= table->equity_cap_fen);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const ProtobufCServiceDescriptor *service = &kj__ipo__descriptor;
    const ProtobufCMessageDescriptor *type = NULL;
    const uint8_t *nul = memchr (data, 0, size < 64 ? size : 64);
    if (nul) {
        char name [64];
        memcpy (name, data, (size_t) (nul - data) + 1);
        for (unsigned m = 0; m < service->n_methods; m++)
            if (streq (service->methods [m].input->name, name))
                type = service->methods [m].input;
    }
    if (type) {
        size -= (size_t) (nul - data) + 1;
        data = nul + 1;
    }
    else {
        type = service->methods [data [0] % service->n_methods].input;
        data++;
        size--;
    }
    kj_status_t status;
    ProtobufCMessage *message = kj_proto_unpack (type, data, size, &status);
    if (!message)
        return 0;
    s_dates (message);
    if (type == &kj__ipo_fit_request__descriptor)
        s_figures (((const Kj__IpoFitRequest *) message)->figures);
    else if (type == &kj__ipo_fit_batch_request__descriptor) {
        const Kj__IpoFitBatchRequest *in = (const Kj__IpoFitBatchRequest *)
            message;
        for (size_t i = 0; i < in->n_firms && i < 16; i++)
            s_figures (in->firms [i]->figures);
    }
    else if (type == &kj__ipo_move_request__descriptor)
        s_move ((const Kj__IpoMoveRequest *) message);
    else if (type == &kj__ipo_raise_request__descriptor)
        s_raise ((const Kj__IpoRaiseRequest *) message);
    protobuf_c_message_free_unpacked (message, NULL);
    return 0;
}
