/*  =========================================================================
    cli_ipo_upload - `kejin ipo fit run --csv FILE`: a CSV file of firms
    sent to kejin-ipo in pages, as one batch fit, with pages in flight
    while the next is read
    =========================================================================
*/

#include "cli_reg.h"
#include "cli_ipo.h"
#include "ipo.pb-c.h"
#include "ipo_board.h"
#include "ipo_fit.h"

//  --------------------------------------------------------------------------
//  kejin ipo fit run --csv FILE: the firms of the file sent to kejin-ipo
//  in pages, as one batch fit. The first page starts the batch; then up
//  to S_UPLOAD_FLIGHT pages are in flight while the next is read (each
//  is a transaction of its own in the service, so the daemon's workers
//  and copies store them side by side); the last, sent once every other
//  page is stored, finishes the batch.

//  Firms per FitBatch call unless --page says fewer: the service's limit,
//  which keeps a call of the longest ids and figures far below the
//  broker's 64 MiB
#define S_UPLOAD_PAGE IPO_FIT_PAGE_MAX
//  Pages in flight at once
#define S_UPLOAD_FLIGHT 3
//  Attempts at a page the service was unavailable for, same key each
#define S_UPLOAD_ATTEMPTS 3

typedef struct {
    size_t count;
    uint64_t request;  //  in flight as this request; 0: not sent
    unsigned seq;      //  the page's number in the batch
    int attempts;
    Kj__IpoFitFirm *firms;
    Kj__IpoFigures *figures;
    Kj__IpoFitFirm **list;
    char (*ids) [CLI_IPO_ID_MAX + 1];
} s_page_t;

typedef struct {
    cli_t *cli;
    uint64_t batch;
    size_t size;  //  firms a page
    size_t sent;  //  firms the service took
    unsigned pages;
    size_t offsets [IPO_FIG_COUNT + 32];   //  of each input field in figures
    s_page_t *page [S_UPLOAD_FLIGHT + 1];  //  the last is being filled
    int rc;  //  once the service refused, or did not answer
} s_upload_t;

//  A page of size firms, or NULL
static s_page_t *
s_page_new (size_t size)
{
    s_page_t *self = (s_page_t *) calloc (1, sizeof (s_page_t));
    if (self) {
        self->firms = (Kj__IpoFitFirm *) calloc (size, sizeof *self->firms);
        self->figures = (Kj__IpoFigures *) calloc (size, sizeof *self->figures);
        self->list = (Kj__IpoFitFirm **) calloc (size, sizeof *self->list);
        self->ids = calloc (size, sizeof *self->ids);
    }
    assert (self && self->firms && self->figures && self->list && self->ids);
    return self;
}

static void
s_page_destroy (s_page_t **self_p)
{
    s_page_t *self = *self_p;
    if (self) {
        free (self->firms);
        free (self->figures);
        free (self->list);
        free (self->ids);
        free (self);
        *self_p = NULL;
    }
}

//  The request of a page (last: the batch's last)
static void
s_upload_request (s_upload_t *self, s_page_t *page, bool last,
                  Kj__IpoFitBatchRequest *request)
{
    kj__ipo_fit_batch_request__init (request);
    request->batch = self->batch;
    request->firms = page->list;
    request->n_firms = page->count;
    request->last = last;
}

//  A page the service took: counted, shown, and its slot free again
static void
s_upload_took (s_upload_t *self, s_page_t *page,
               const Kj__IpoFitBatchReply *reply)
{
    self->batch = reply->batch->id;
    self->sent += page->count;
    page->count = 0;
    page->request = 0;
    if (!self->cli->json && isatty (STDERR_FILENO)) {
        fprintf (stderr, "\r");
        fprintf (stderr, _ ("batch %llu: %zu firms sent"),
                 (unsigned long long) self->batch, self->sent);
    }
}

//  Send a page without waiting, under the key of its place in the batch
//  (a page sent again is done once); 0 or -1
static int
s_upload_post (s_upload_t *self, s_page_t *page)
{
    Kj__IpoFitBatchRequest request;
    s_upload_request (self, page, false, &request);
    char key [64];
    snprintf (key, sizeof key, "ipo-fit-%llu-%u",
              (unsigned long long) self->batch, page->seq);
    kj_call_opts_t opts = { .timeout_ms = self->cli->timeout_ms,
                            .idempotency_key = key };
    page->attempts++;
    page->request = kj_client_send (cli_client (self->cli), "ipo", "FitBatch",
                                    &request.base, &opts);
    return page->request ? 0 : -1;
}

//  The service refused a page, or never answered: say so as cli_call
//  does, and keep the exit code
static void
s_upload_refused (s_upload_t *self, int code, const kj_status_t *status)
{
    if (!self->cli->json && isatty (STDERR_FILENO) && self->sent)
        fprintf (stderr, "\n");
    if (self->cli->json) {
        json_t *error = json_pack ("{s:s,s:s,s:s}", "error",
                                   kj_code_name (code), "field", status->field,
                                   "message", status->message);
        char *text = json_dumps (error, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fprintf (stderr, "%s\n", text);
        free (text);
        json_decref (error);
    }
    else {
        fprintf (stderr, "%s: %s", self->cli->prog, kj_code_name (code));
        if (*status->field)
            fprintf (stderr, " (%s)", status->field);
        fprintf (stderr, ": %s\n", status->message);
    }
    self->rc = cli_exit_code (code);
}

//  Wait for one answer to a page in flight; 0, or -1 once the service
//  refused a page or did not answer in time
static int
s_upload_wait (s_upload_t *self)
{
    uint64_t id;
    Kj__IpoFitBatchReply *reply = NULL;
    kj_status_t status;
    int code = kj_client_recv (cli_client (self->cli), self->cli->timeout_ms,
                               &id, &kj__ipo_fit_batch_reply__descriptor,
                               (ProtobufCMessage **) &reply, &status);
    if (code < 0) {
        kj_status_set (&status, KJ__CODE__DEADLINE_EXCEEDED, NULL,
                       "kejin-ipo did not answer within %d ms",
                       self->cli->timeout_ms);
        s_upload_refused (self, KJ__CODE__DEADLINE_EXCEEDED, &status);
        return -1;
    }
    s_page_t *page = NULL;
    for (int i = 0; i < S_UPLOAD_FLIGHT; i++)
        if (self->page [i]->request == id)
            page = self->page [i];
    int rc = 0;
    if (!page)
        ;  //  an answer to an attempt sent again since
    else if (code == KJ__CODE__OK)
        s_upload_took (self, page, reply);
    else if (code == KJ__CODE__UNAVAILABLE
             && page->attempts < S_UPLOAD_ATTEMPTS) {
        zclock_sleep (200 * page->attempts);
        rc = s_upload_post (self, page);
    }
    else {
        s_upload_refused (self, code, &status);
        rc = -1;
    }
    if (reply)
        kj__ipo_fit_batch_reply__free_unpacked (reply, NULL);
    return rc;
}

//  Send the page being filled: the first (which starts the batch) and the
//  last (which finishes it, after every other page is stored) with a call,
//  the others in flight. 0, or -1 when the service refused (said on
//  stderr).
static int
s_upload_send (s_upload_t *self, bool last)
{
    s_page_t *filled = self->page [S_UPLOAD_FLIGHT];
    filled->seq = self->pages++;
    if (self->batch && !last) {
        //  A free slot, waiting for one when every page is in flight
        while (true) {
            for (int i = 0; i < S_UPLOAD_FLIGHT; i++)
                if (!self->page [i]->request) {
                    self->page [S_UPLOAD_FLIGHT] = self->page [i];
                    self->page [i] = filled;
                    filled->attempts = 0;
                    return s_upload_post (self, filled);
                }
            if (s_upload_wait (self))
                return -1;
        }
    }
    for (int i = 0; i < S_UPLOAD_FLIGHT; i++)
        while (self->page [i]->request)
            if (s_upload_wait (self))
                return -1;
    Kj__IpoFitBatchRequest request;
    s_upload_request (self, filled, last, &request);
    Kj__IpoFitBatchReply *reply = NULL;
    int rc = cli_call (self->cli, "ipo", "FitBatch", &request.base,
                       &kj__ipo_fit_batch_reply__descriptor,
                       (ProtobufCMessage **) &reply, false);
    if (rc != CLI_OK) {
        self->rc = rc;
        return -1;
    }
    s_upload_took (self, filled, reply);
    kj__ipo_fit_batch_reply__free_unpacked (reply, NULL);
    return 0;
}

static int
s_upload_row (cli_ipo_reader_t *reader, void *arg)
{
    s_upload_t *self = (s_upload_t *) arg;
    ipo_board_input_t input;
    if (cli_ipo_fit_cells (reader, &input))
        return 0;  //  reported; the other firms go on
    s_page_t *page = self->page [S_UPLOAD_FLIGHT];
    size_t i = page->count++;
    kj__ipo_fit_firm__init (&page->firms [i]);
    kj__ipo_figures__init (&page->figures [i]);
    snprintf (page->ids [i], sizeof page->ids [i], "%s", reader->cells [0]);
    page->firms [i].firm = page->ids [i];
    page->firms [i].city = "";
    page->firms [i].figures = &page->figures [i];
    //  Every field of the input into the message's field of its name
    size_t f = 0;
    for (const ipo_board_field_t *field = ipo_board_fields; field->name;
         field++, f++)
        memcpy ((char *) &page->figures [i] + self->offsets [f],
                (const char *) &input + field->offset, sizeof (int64_t));
    page->list [i] = &page->firms [i];
    if (page->count == self->size && s_upload_send (self, false))
        return -1;
    return 0;
}

int
cli_ipo_upload (cli_t *cli, cli_args_t *args)
{
    int64_t size = S_UPLOAD_PAGE;
    const char *page = cli_args_get (args, "page");
    if (page && cli_parse_int ("page", page, 1, S_UPLOAD_PAGE, &size))
        return CLI_USAGE;
    s_upload_t *self = (s_upload_t *) calloc (1, sizeof (s_upload_t));
    assert (self);
    self->cli = cli;
    self->size = (size_t) size;
    for (int i = 0; i <= S_UPLOAD_FLIGHT; i++)
        self->page [i] = s_page_new (self->size);
    const char *header [32];
    size_t n = 0;
    header [n++] = "id";
    for (const ipo_board_field_t *field = ipo_board_fields; field->name;
         field++) {
        if (field->in_csv)
            header [n++] = field->name;
        const ProtobufCFieldDescriptor
            *to = protobuf_c_message_descriptor_get_field_by_name (
                &kj__ipo_figures__descriptor, field->name);
        assert (to && to->type == PROTOBUF_C_TYPE_INT64);
        self->offsets [field - ipo_board_fields] = to->offset;
    }
    header [n] = NULL;
    int rc = cli_ipo_read (cli, cli_args_get (args, "csv"), header,
                           s_upload_row, self);
    if (self->rc == 0 && (self->batch || self->page [S_UPLOAD_FLIGHT]->count))
        s_upload_send (self, true);  //  the rest, and the batch finished
    if (!cli->json && isatty (STDERR_FILENO) && self->sent)
        fprintf (stderr, "\n");
    if (self->rc)
        rc = self->rc;
    else if (self->batch) {
        int shown = cli_ipo_fit_follow (cli, self->batch);
        if (rc == CLI_OK)
            rc = shown;
    }
    for (int i = 0; i <= S_UPLOAD_FLIGHT; i++)
        s_page_destroy (&self->page [i]);
    free (self);
    return rc;
}
