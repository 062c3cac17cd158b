/*  =========================================================================
    ipo_fit_firm - the method Fit of kejin-ipo: board fit of one firm's
    figures (the same rules as `kejin ipo fit`), its yearly figures read
    from kejin-registry when asked, and toward a board the nearest of that
    board's standards with what the firm lacks
    =========================================================================
*/

#include "ipo_server.h"
#include "ipo_board.h"
#include "ipo_pipeline.h"
#include "ipo_store.h"
#include "ipo_subsidy.h"
#include "registry.pb-c.h"

//  The yearly figures of a firm from kejin-registry into input: t0 its
//  latest year with figures, t1 and t2 the two before (all three needed);
//  a figure the firm did not report is missing (unknown), never 0
static int
s_registry_figures (kj_call_t *call, const char *code, ipo_board_input_t *input)
{
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    kj_client_t *client = kj_client_new (self->broker);
    kj_client_set_timeout (client, 3000);
    Kj__GetEnterpriseRequest get = KJ__GET_ENTERPRISE_REQUEST__INIT;
    get.code = (char *) code;
    Kj__EnterpriseReply *got = NULL;
    kj_status_t status;
    kj_call_opts_t opts = { .read_only = true, .retries = -1 };
    int code_rc = kj_client_call (client, "registry", "GetEnterprise",
                                  &get.base, &kj__enterprise_reply__descriptor,
                                  (ProtobufCMessage **) &got, &status, &opts);
    kj_client_destroy (&client);
    if (code_rc != KJ__CODE__OK) {
        //  The registry's refusal of the code is the caller's to fix;
        //  anything else is the registry not answering
        if (code_rc == KJ__CODE__NOT_FOUND)
            return kj_call_fail (call, KJ__CODE__NOT_FOUND, "firm",
                                 "firm: %s is not in the registry", code);
        if (code_rc == KJ__CODE__INVALID_ARGUMENT)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "firm",
                                 "firm: the registry refuses it: %s",
                                 status.message);
        int rc = kj_call_fail (call, KJ__CODE__UNAVAILABLE, "from_registry",
                               "from_registry: the registry did not answer "
                               "(%s); retry later",
                               status.message);
        return rc;
    }
    const Kj__Enterprise *e = got->enterprise;
    int latest = 0;
    for (size_t i = 0; e && i < e->n_figures; i++)
        if (e->figures [i]->year > latest)
            latest = e->figures [i]->year;
    int found = 0;
    for (size_t i = 0; e && i < e->n_figures; i++) {
        const Kj__YearFigures *year = e->figures [i];
        int t = latest - year->year;
        if (t < 0 || t > 2)
            continue;
        input->np_fen [t] = year->net_profit_fen;
        input->rev_fen [t] = year->revenue_fen;
        input->rd_fen [t] = year->rnd_fen;
        input->ocf_fen [t] = year->operating_cash_flow_fen;
        for (size_t n = 0; n < year->n_not_reported; n++) {
            const char *name = year->not_reported [n];
            input->missing |= streq (name, "net-profit") ? IPO_MISSING_NP (t)
                            : streq (name, "revenue")    ? IPO_MISSING_REV (t)
                            : streq (name, "rnd")        ? IPO_MISSING_RD (t)
                            : streq (name, "cash-flow")  ? IPO_MISSING_OCF (t)
                                                         : 0;
        }
        found |= 1 << t;
    }
    kj__enterprise_reply__free_unpacked (got, NULL);
    if (found != 7)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "from_registry",
                             "from_registry: the registry holds no figures "
                             "for three years running up to %d",
                             latest);
    return 0;
}

//  The shortfalls of an outcome for a reply, on the call's memory
static Kj__IpoShort **
s_shorts (kj_call_t *call, const ipo_board_outcome_t *near)
{
    Kj__IpoShort **shorts = (Kj__IpoShort **)
        kj_call_alloc (call, (near->shorts + 1) * sizeof (void *));
    for (size_t i = 0; i < near->shorts; i++) {
        Kj__IpoShort *s = (Kj__IpoShort *)
            kj_call_message (call, &kj__ipo_short__descriptor);
        s->figure = (char *) ipo_board_figure_name (near->short_of [i].figure);
        s->have = near->short_of [i].have;
        s->need = near->short_of [i].need;
        s->missing = near->short_of [i].missing;
        shorts [i] = s;
    }
    return shorts;
}

//  Fit: which standards the firm meets, and what it lacks for the nearest
int
ipo_fit_firm (kj_call_t *call, const ProtobufCMessage *request,
              ProtobufCMessage *reply)
{
    const Kj__IpoFitRequest *in = (const Kj__IpoFitRequest *) request;
    ipo_server_t *self = (ipo_server_t *) kj_call_state (call);
    if (!in->figures)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "figures",
                             "figures: required (market cap, ROE and NEEQ "
                             "at least)");
    ipo_board_input_t input;
    ipo_fit_input (in->figures, &input);
    int toward = -1;
    if (in->toward && *in->toward) {
        toward = ipo_board_from_code (in->toward);
        if (toward < 0)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "toward",
                                 "toward: unknown board '%.32s'; STAR, "
                                 "CHINEXT, MAIN, BSE, NEEQ or REGIONAL",
                                 in->toward);
    }
    if (in->from_registry) {
        if (ipo_server_text (call, "firm", in->firm, 1, 64)
            || s_registry_figures (call, in->firm, &input))
            return -1;
    }
    ipo_board_fit_t fit;
    kj_status_t status;
    if (ipo_board_fit (self->board, &input, IPO_BOARD_ALL, &fit, &status)) {
        char field [sizeof status.field];
        memcpy (field, status.field, sizeof field);
        snprintf (status.field, sizeof status.field, "figures.%.48s", field);
        return kj_call_fail_status (call, &status);
    }
    Kj__IpoFitReply *out = (Kj__IpoFitReply *) reply;
    out->version = (char *) self->board->version;
    out->meets = (char **) kj_call_alloc (call,
                                          (fit.count + 1) * sizeof (char *));
    char name [32];
    for (size_t i = 0; i < fit.count; i++)
        if (fit.outcome [i].met)
            out->meets [out->n_meets++] = kj_call_strdup (
                call, ipo_board_standard_name (fit.outcome [i].standard, name,
                                               sizeof name));
    if (fit.nearest >= 0) {
        const ipo_board_outcome_t *near = &fit.outcome [fit.nearest];
        out->nearest = kj_call_strdup (call,
                                       ipo_board_standard_name (near->standard,
                                                                name,
                                                                sizeof name));
        out->n_shorts = near->shorts;
        out->shorts = s_shorts (call, near);
    }
    //  Toward one board: the nearest of its standards, unless one is met
    ipo_board_fit_t board;
    if (toward >= 0
        && ipo_board_fit (self->board, &input, IPO_BOARD_BIT (toward), &board,
                          &status)
               == 0) {
        bool met = false;
        for (size_t i = 0; i < board.count; i++)
            met |= board.outcome [i].met;
        if (!met && board.nearest >= 0) {
            const ipo_board_outcome_t *near = &board.outcome [board.nearest];
            out->toward_nearest =
                kj_call_strdup (call,
                                ipo_board_standard_name (near->standard, name,
                                                         sizeof name));
            out->n_toward_shorts = near->shorts;
            out->toward_shorts = s_shorts (call, near);
        }
    }
    return 0;
}
