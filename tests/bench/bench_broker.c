/*  =========================================================================
    bench_broker - kejin-broker beside a plain zmq_proxy hop and a direct
    DEALER->ROUTER echo, all measured in the same run, 64-byte bodies over
    loopback

    The client is a raw DEALER in this process that keeps N requests in
    flight and checks every reply (frames and body). Broker workers are
    separate processes: plain MDP/0.1 workers (tests/tools/mdp_echo, one
    request at a time) or Kejin credit workers (tests/tools/diag_worker,
    kj_worker with credit). The proxy hop is this program run again as
    `bench_broker proxy FILE` (ROUTER -> zmq_proxy -> DEALER, no protocol),
    its workers as `bench_broker rep ENDPOINT` (REP echo, one at a time),
    all separate processes like the broker's. The lb hop (`bench_broker
    lb FILE`, REQ workers as `bench_broker req ENDPOINT`) is the least hop
    under MDP/0.1's rule of one request per worker at a time: the proxy
    hop's DEALER pipelines 25 requests into each REP worker's connection,
    which MDP/0.1 forbids, so both baselines are printed. CPU is
    whole-process, every thread (ZeroMQ's I/O thread too), from
    /proc/PID/stat. Each rate is the median of three runs.
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include "kj_node.h"
#include <dirent.h>

#define BODY 64
#define RUNS 3
//  CURVE on/off pairs, interleaved (CURVE_ROUNDS), each run of a pair
//  short, so that both see the same load
#define ROUNDS  15
#define LEG_US  500000
#define RUN_US  1500000
#define WARM_US 300000

//  Frames a credit request crosses on the wire, each sealed and opened
//  once under CURVE: client -> broker 5 ([] MDPC01 service header body),
//  broker -> worker 7 ([] MDPW01 0x02 handle [] header body), the reply
//  back 7 and 5
#define CREDIT_FRAMES 24

typedef struct {
    double rate;        //  requests per second
    uint64_t p50, p99;  //  microseconds, at 1 in flight
    uint64_t count;     //  replies inside the measured windows
    uint64_t total;     //  replies, warm-up included
    double cpu_us;      //  CPU of the measured process per reply
    double switches;    //  its threads' context switches per reply
    double path_us;     //  CPU of every process on the path per reply:
                        //  this one (the client), the hop, its workers
} result_t;

typedef enum { REPLY_SAME, REPLY_KEJIN } check_t;

//  The message a client sends, frame by frame, pre-built once, and the
//  reply it must get: the same frames (REPLY_SAME, `skip` frames a worker
//  adds before the body left out), or a Kejin OK with the body echoed
typedef struct {
    int count;
    zframe_t *frames [6];
    check_t check;
    bool compact;  //  one KJC01 frame, frames [0]: a client sends every
                   //  request ready in one message, replies come several
                   //  to a message
} request_t;

static uint64_t s_bad_replies;

//  The worker processes running now
static pid_t s_workers [8];
static int s_nworkers;

//  With CURVE on: the client's key and the broker's public key, and the
//  workers' environment (KEJIN_NODE_KEYS, KEJIN_KEY)
static zcert_t *s_client_cert;
static int s_runs = RUNS;          //  runs of s_run, 1 while interleaving
static int64_t s_run_us = RUN_US;  //  how long each run measures
static char s_server_key [41];
static const char *s_worker_env [3];

//  --------------------------------------------------------------------------
//  The baseline: a ROUTER that echoes every message, in a thread; a CURVE
//  server when given a certificate (no ZAP handler: any client key)

typedef struct {
    char endpoint [256];  //  as bound
    zcert_t *cert;        //  or NULL
} echo_t;

static void
s_echo_actor (zsock_t *pipe, void *arg)
{
    echo_t *echo = (echo_t *) arg;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    if (echo->cert) {
        zcert_apply (echo->cert, router);
        zsock_set_curve_server (router, 1);
    }
    zsock_set_sndhwm (router, 0);
    zsock_set_rcvhwm (router, 0);
    zsock_bind (router, "tcp://127.0.0.1:*");
    strcpy (echo->endpoint, zsock_endpoint (router));
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != router)
            break;
        while (zsock_events (router) & ZMQ_POLLIN) {
            zmsg_t *msg = zmsg_recv (router);
            zmsg_send (&msg, router);
        }
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

//  --------------------------------------------------------------------------
//  Whole-process CPU time so far, in ns: utime + stime of every thread,
//  from /proc/PID/stat (clock ticks, 10 ms)

//  --------------------------------------------------------------------------
//  Whole-process CPU time so far, in ns: every thread (kj_test)

static uint64_t
s_cpu_ns (pid_t pid)
{
    return (uint64_t) kj_test_proc_cpu_us (pid, NULL) * 1000;
}

//  Context switches so far of every thread of pid, voluntary (it slept:
//  a wake-up) and not (it was preempted), from /proc/PID/task/*/status

static uint64_t
s_switches (pid_t pid)
{
    kj_test_sched_t sched = kj_test_proc_sched (pid);
    return sched.wakeups + sched.preempted;
}

//  CPU so far of every process on the path: this one, the hop (0: none)
//  and the workers
static uint64_t
s_path_cpu_ns (pid_t hop)
{
    uint64_t total = s_cpu_ns (getpid ()) + (hop ? s_cpu_ns (hop) : 0);
    for (int i = 0; i < s_nworkers; i++)
        total += s_cpu_ns (s_workers [i]);
    return total;
}

//  Is this a Kejin OK reply with the body echoed?
static bool
s_kejin_good (const void *head, size_t head_size, const void *body,
              size_t body_size)
{
    Kj__ReplyHeader *header = kj_proto_reply_header (head, head_size);
    Kj__EchoReply *echo = header
                            ? kj__echo_reply__unpack (NULL, body_size, body)
                            : NULL;
    bool good = header && echo && header->status
             && header->status->code == KJ__CODE__OK && echo->data.len == BODY;
    for (size_t i = 0; good && i < BODY; i++)
        good = echo->data.data [i] == 'x';
    if (header)
        kj__reply_header__free_unpacked (header, NULL);
    if (echo)
        kj__echo_reply__free_unpacked (echo, NULL);
    return good;
}

//  Check the replies of one KJC01 frame, each record
//  [4] "diag" [header] [EchoReply]; returns how many it held
static int
s_check_compact (zmq_msg_t *frame)
{
    const uint8_t *data = (const uint8_t *) zmq_msg_data (frame);
    const uint8_t *at = data + KJ_KJX_SIZE;
    const uint8_t *end = data + zmq_msg_size (frame);
    const uint8_t *record;
    size_t size;
    int count = 0, rc;
    if (!kj_compact_is (data, zmq_msg_size (frame), KJ_KJC)) {
        s_bad_replies++;
        return 1;
    }
    while ((rc = kj_compact_next (&at, end, &record, &size)) == 1) {
        kj_part_t parts [2];
        bool good = size >= 5
                 && memcmp (record,
                            "\x04"
                            "diag",
                            5)
                        == 0
                 && kj_compact_parts (record + 5, size - 5, parts, 2) == 2
                 && s_kejin_good (parts [0].data, parts [0].size,
                                  parts [1].data, parts [1].size);
        if (!good)
            s_bad_replies++;
        count++;
    }
    if (rc < 0)
        s_bad_replies++;
    return count ? count : 1;
}

//  Check one reply, all its frames received in msg; counts bad ones
static void
s_check (request_t *request, zmq_msg_t *frames, int count)
{
    bool good;
    if (request->check == REPLY_SAME) {
        good = count == request->count;
        for (int i = 0; good && i < count; i++)
            good = zmq_msg_size (&frames [i])
                    == zframe_size (request->frames [i])
                && memcmp (zmq_msg_data (&frames [i]),
                           zframe_data (request->frames [i]),
                           zmq_msg_size (&frames [i]))
                       == 0;
    }
    else
        //  [] [MDPC01] [diag] [reply header] [EchoReply]
        good = count == 5
            && s_kejin_good (zmq_msg_data (&frames [3]),
                             zmq_msg_size (&frames [3]),
                             zmq_msg_data (&frames [4]),
                             zmq_msg_size (&frames [4]));
    if (!good)
        s_bad_replies++;
}

static int
s_double_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

//  --------------------------------------------------------------------------
//  Keep `in_flight` requests going for the run; count and check replies,
//  and record latency when one at a time. With cpu_pid, CPU per reply of
//  that process over the whole of it.

static result_t
s_run (const char *endpoint, request_t *request, int in_flight, pid_t cpu_pid)
{
    result_t result = { 0 };
    double rates [RUNS] = { 0 };
    int runs = s_runs;
    kj_hist_t *hist = kj_hist_new ();
    uint64_t cpu_before = cpu_pid ? s_cpu_ns (cpu_pid) : 0;
    uint64_t switches_before = cpu_pid ? s_switches (cpu_pid) : 0;
    uint64_t path_before = s_path_cpu_ns (cpu_pid);
    for (int run = 0; run < runs; run++) {
        zsock_t *client = zsock_new (ZMQ_DEALER);
        if (s_client_cert)
            kj_keys_client (client, s_client_cert, s_server_key);
        zsock_connect (client, "%s", endpoint);
        zsock_set_sndhwm (client, 0);
        zsock_set_rcvhwm (client, 0);
        zsock_set_rcvtimeo (client, 5000);  //  a lost reply ends the run
        void *sock = zsock_resolve (client);
        zclock_sleep (50);
        int64_t start = kj_mono_us (), measured_from = start + WARM_US;
        int64_t end = measured_from + s_run_us;
        int64_t sent_at = 0;
        uint64_t counted = 0;
        int outstanding = 0;
        zchunk_t *batch = zchunk_new (NULL, 65536);
        while (true) {
            int64_t now = kj_mono_us ();
            if (request->compact && outstanding < in_flight && now < end) {
                //  Every request ready in one KJC01 frame
                zframe_t *one = request->frames [0];
                zchunk_set (batch, KJ_KJC, KJ_KJX_SIZE);
                for (; outstanding < in_flight; outstanding++)
                    zchunk_extend (batch, zframe_data (one) + KJ_KJX_SIZE,
                                   zframe_size (one) - KJ_KJX_SIZE);
                zmq_send (sock, zchunk_data (batch), zchunk_size (batch), 0);
                sent_at = now;
            }
            while (outstanding < in_flight && now < end) {
                for (int i = 0; i < request->count; i++)
                    zmq_send (sock, zframe_data (request->frames [i]),
                              zframe_size (request->frames [i]),
                              i < request->count - 1 ? ZMQ_SNDMORE : 0);
                outstanding++;
                sent_at = now;
            }
            if (outstanding == 0)
                break;
            zmq_msg_t frames [8];
            int count = 0;
            bool more = true;
            while (more) {
                zmq_msg_t *frame = &frames [count < 7 ? count : 7];
                zmq_msg_init (frame);
                if (zmq_msg_recv (frame, sock, 0) < 0) {
                    zmq_msg_close (frame);
                    break;
                }
                more = zmq_msg_more (frame);
                if (count < 7)
                    count++;
                else
                    zmq_msg_close (frame);
            }
            if (more) {
                fprintf (stderr, "bench_broker: a reply did not come\n");
                s_bad_replies++;
                for (int i = 0; i < count; i++)
                    zmq_msg_close (&frames [i]);
                break;
            }
            int replies = 1;
            if (request->compact && count == 1)
                replies = s_check_compact (&frames [0]);
            else
                s_check (request, frames, count);
            for (int i = 0; i < count; i++)
                zmq_msg_close (&frames [i]);
            outstanding -= replies;
            result.total += replies;
            now = kj_mono_us ();
            if (now >= measured_from && now < end) {
                counted += replies;
                if (in_flight == 1)
                    kj_hist_record (hist, (uint64_t) (now - sent_at));
            }
            //  The compact client answers every reply waiting at once
            if (request->compact && outstanding > 0
                && (zsock_events (client) & ZMQ_POLLIN))
                continue;
        }
        zchunk_destroy (&batch);
        rates [run] = (double) counted * 1e6 / s_run_us;
        result.count += counted;
        zsock_destroy (&client);
    }
    //  median of the runs
    for (int i = 0; i < runs; i++)
        for (int j = i + 1; j < runs; j++)
            if (rates [j] < rates [i]) {
                double t = rates [i];
                rates [i] = rates [j];
                rates [j] = t;
            }
    result.rate = rates [runs / 2];
    if (cpu_pid && result.total) {
        result.cpu_us = (double) (s_cpu_ns (cpu_pid) - cpu_before) / 1000.0
                      / (double) result.total;
        result.switches = (double) (s_switches (cpu_pid) - switches_before)
                        / (double) result.total;
    }
    if (result.total)
        result.path_us = (double) (s_path_cpu_ns (cpu_pid) - path_before)
                       / 1000.0 / (double) result.total;
    result.p50 = kj_hist_percentile (hist, 500);
    result.p99 = kj_hist_percentile (hist, 990);
    kj_hist_destroy (&hist);
    return result;
}

static void
s_request_plain (request_t *request, const char *service)
{
    char body [BODY];
    memset (body, 'x', BODY);
    request->count = 4;
    request->check = REPLY_SAME;
    request->compact = false;
    request->frames [0] = zframe_new (NULL, 0);
    request->frames [1] = zframe_new ("MDPC01", 6);
    request->frames [2] = zframe_new (service, strlen (service));
    request->frames [3] = zframe_new (body, BODY);
}

static void
s_request_kejin (request_t *request);

//  The same request in the compact framing: one KJC01 frame
static void
s_request_compact (request_t *request)
{
    request_t mdp;
    s_request_kejin (&mdp);
    zframe_t *head = mdp.frames [3], *body = mdp.frames [4];
    size_t size = KJ_KJX_SIZE + 4 + 5 + 2 * KJ_PART_HEAD + zframe_size (head)
                + zframe_size (body);
    zframe_t *frame = zframe_new (NULL, size);
    uint8_t *at = zframe_data (frame);
    memcpy (at, KJ_KJC, KJ_KJX_SIZE);
    kj_put_u32 (at + KJ_KJX_SIZE, (uint32_t) (size - KJ_KJX_SIZE - 4));
    memcpy (at + KJ_KJX_SIZE + 4,
            "\x04"
            "diag",
            5);
    at += KJ_KJX_SIZE + 9;
    at += kj_compact_put_part (at, zframe_data (head), zframe_size (head));
    kj_compact_put_part (at, zframe_data (body), zframe_size (body));
    for (int i = 0; i < mdp.count; i++)
        zframe_destroy (&mdp.frames [i]);
    memset (request, 0, sizeof *request);
    request->count = 1;
    request->frames [0] = frame;
    request->check = REPLY_KEJIN;
    request->compact = true;
}

static void
s_request_kejin (request_t *request)
{
    uint8_t body [BODY];
    memset (body, 'x', BODY);
    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    header.request_id = 1;
    header.method = "Echo";
    header.retry_safe = true;
    Kj__EchoRequest echo = KJ__ECHO_REQUEST__INIT;
    echo.data.data = body;
    echo.data.len = BODY;
    request->count = 5;
    request->check = REPLY_KEJIN;
    request->compact = false;
    request->frames [0] = zframe_new (NULL, 0);
    request->frames [1] = zframe_new ("MDPC01", 6);
    request->frames [2] = zframe_new ("diag", 4);
    request->frames [3] = kj_proto_frame (&header.base, true);
    request->frames [4] = kj_proto_frame (&echo.base, false);
}

//  Direct echo: [body]; through the proxy to a REP: [] [body]
static void
s_request_raw (request_t *request, bool envelope)
{
    char body [BODY];
    memset (body, 'x', BODY);
    request->count = 0;
    request->check = REPLY_SAME;
    request->compact = false;
    if (envelope)
        request->frames [request->count++] = zframe_new (NULL, 0);
    request->frames [request->count++] = zframe_new (body, BODY);
}

static void
s_request_free (request_t *request)
{
    for (int i = 0; i < request->count; i++)
        zframe_destroy (&request->frames [i]);
}

//  --------------------------------------------------------------------------
//  Worker processes: mdp_echo, diag_worker, or this program as a REP echo

static void
s_start_workers (const char *endpoint, int count, const char *kind)
{
    for (int i = 0; i < count; i++) {
        char log [512], name [32];
        snprintf (name, sizeof name, "w%d", s_nworkers);
        snprintf (log, sizeof log, "%s/bench-%s.log", kj_test_tmpdir (), name);
        const char *plain [] = { kj_tool_path ("mdp_echo"), endpoint, "echo",
                                 NULL };
        const char *kejin [] = { kj_tool_path ("diag_worker"),
                                 endpoint,
                                 "--credit",
                                 "100",
                                 "--instance",
                                 name,
                                 NULL };
        const char *rep [] = { "/proc/self/exe",
                               streq (kind, "req") ? "req" : "rep", endpoint,
                               NULL };
        char self [1024];
        ssize_t size = readlink ("/proc/self/exe", self, sizeof self - 1);
        if (size > 0) {
            self [size] = 0;
            rep [0] = self;
        }
        const char **argv = streq (kind, "credit") ? kejin : plain;
        if (streq (kind, "rep") || streq (kind, "req"))
            argv = rep;
        s_workers [s_nworkers++] = kj_test_spawn (argv,
                                                  s_worker_env [0]
                                                      ? s_worker_env
                                                      : NULL,
                                                  log);
    }
    zclock_sleep (300);
}

static void
s_stop_workers (void)
{
    while (s_nworkers)
        kj_test_kill (s_workers [--s_nworkers], SIGTERM, 3000);
}

//  `bench_broker rep ENDPOINT`: a REP echo, one request at a time, until
//  SIGTERM
static int
s_rep_main (const char *endpoint)
{
    void *ctx = zmq_ctx_new ();
    void *rep = zmq_socket (ctx, ZMQ_REP);
    zmq_connect (rep, endpoint);
    kj_signals_init ();
    while (!kj_stopping ()) {
        zmq_pollitem_t item = { rep, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 200) <= 0)
            continue;
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, rep, 0) >= 0)
            zmq_msg_send (&msg, rep, 0);
        zmq_msg_close (&msg);
    }
    zmq_close (rep);
    zmq_ctx_term (ctx);
    return 0;
}

//  A hop's socket bound to a free loopback port, without HWM; its
//  endpoint into endpoint. NULL if it cannot bind.
static void *
s_hop_bind (void *ctx, int type, char *endpoint, size_t size)
{
    void *sock = zmq_socket (ctx, type);
    int hwm = 0;
    zmq_setsockopt (sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_bind (sock, "tcp://127.0.0.1:*")) {
        zmq_close (sock);
        return NULL;
    }
    zmq_getsockopt (sock, ZMQ_LAST_ENDPOINT, endpoint, &size);
    return sock;
}

//  Where a hop listens, for s_hop_start: FILE written whole, then renamed
static int
s_hop_announce (const char *path, const char *front, const char *back)
{
    char temp [1024];
    snprintf (temp, sizeof temp, "%s.tmp", path);
    FILE *file = fopen (temp, "w");
    if (!file)
        return -1;
    fprintf (file, "front=%s\nback=%s\n", front, back);
    fclose (file);
    return rename (temp, path);
}

//  `bench_broker proxy FILE`: ROUTER and DEALER on free ports, written to
//  FILE as front= and back=, then zmq_proxy until killed. No protocol: the
//  least a hop between clients and workers can do.
static int
s_proxy_main (const char *path)
{
    void *ctx = zmq_ctx_new ();
    char front_ep [256], back_ep [256];
    void *front = s_hop_bind (ctx, ZMQ_ROUTER, front_ep, sizeof front_ep);
    void *back = s_hop_bind (ctx, ZMQ_DEALER, back_ep, sizeof back_ep);
    if (!front || !back || s_hop_announce (path, front_ep, back_ep))
        return 1;
    zmq_proxy (front, back, NULL);
    return 0;
}

//  `bench_broker lb FILE`: the least hop that keeps MDP/0.1's rule of one
//  request per worker (zguide's load-balancing broker, on one ROUTER as
//  the broker has): REQ workers say [W] [READY], requests are queued here
//  until a worker is free. Its loop is the broker's: blocking receives
//  (a message waiting costs no system call), each message handled as it
//  comes. Its endpoint goes to FILE as front= and back=.

#define LB_QUEUE 4096  //  requests queued at most (the client sends 100)

typedef struct {
    zmq_msg_t id, body;
} lb_request_t;

//  Receive one message of up to `max` frames; returns its frame count
//  (extra frames dropped), 0 on error
static int
s_lb_recv (void *sock, zmq_msg_t *frames, int max)
{
    int count = 0;
    while (true) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, sock, 0) < 0) {
            zmq_msg_close (&frame);
            return count;
        }
        bool more = zmq_msg_more (&frame);
        if (count < max)
            frames [count++] = frame;
        else
            zmq_msg_close (&frame);
        if (!more)
            return count;
    }
}

static int
s_lb_main (const char *path)
{
    void *ctx = zmq_ctx_new ();
    char endpoint [256];
    void *router = s_hop_bind (ctx, ZMQ_ROUTER, endpoint, sizeof endpoint);
    if (!router || s_hop_announce (path, endpoint, endpoint))
        return 1;
    static lb_request_t queue [LB_QUEUE];
    static zmq_msg_t ready [LB_QUEUE];
    size_t head = 0, queued = 0, nready = 0;
    while (true) {
        //  A client's [id] [] [body], a worker's [id] [] [W] [READY] or
        //  its reply [id] [] [client] [] [body]
        zmq_msg_t frames [5];
        int count = s_lb_recv (router, frames, 5);
        if (count == 0)
            break;
        if (count == 3 && queued < LB_QUEUE) {
            lb_request_t *request = &queue [(head + queued++) % LB_QUEUE];
            request->id = frames [0];
            request->body = frames [2];
            zmq_msg_close (&frames [1]);
            count = 0;
        }
        else if (count == 4 || count == 5) {
            if (count == 5) {
                zmq_msg_send (&frames [2], router, ZMQ_SNDMORE);
                zmq_msg_send (&frames [3], router, ZMQ_SNDMORE);
                zmq_msg_send (&frames [4], router, 0);
                count = 2;
            }
            ready [nready++] = frames [0];
            for (int i = 1; i < count; i++)
                zmq_msg_close (&frames [i]);
            count = 0;
        }
        for (int i = 0; i < count; i++)
            zmq_msg_close (&frames [i]);
        while (nready && queued) {
            lb_request_t *request = &queue [head];
            head = (head + 1) % LB_QUEUE;
            queued--;
            zmq_msg_t empty;
            zmq_msg_send (&ready [--nready], router, ZMQ_SNDMORE);
            zmq_msg_init (&empty);
            zmq_msg_send (&empty, router, ZMQ_SNDMORE);
            zmq_msg_send (&request->id, router, ZMQ_SNDMORE);
            zmq_msg_init (&empty);
            zmq_msg_send (&empty, router, ZMQ_SNDMORE);
            zmq_msg_send (&request->body, router, 0);
        }
    }
    return 0;
}

//  `bench_broker req ENDPOINT`: a REQ worker for the lb hop: READY, then
//  echoes each request, one at a time, until SIGTERM
static int
s_req_main (const char *endpoint)
{
    void *ctx = zmq_ctx_new ();
    void *req = zmq_socket (ctx, ZMQ_REQ);
    zmq_connect (req, endpoint);
    kj_signals_init ();
    zmq_send (req, "W", 1, ZMQ_SNDMORE);
    zmq_send (req, "READY", 5, 0);
    while (!kj_stopping ()) {
        zmq_pollitem_t item = { req, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 200) <= 0)
            continue;
        //  [client] [] [body], echoed as it came
        zmq_msg_t frames [3];
        int count = s_lb_recv (req, frames, 3);
        for (int i = 0; i < count; i++)
            zmq_msg_send (&frames [i], req, i < count - 1 ? ZMQ_SNDMORE : 0);
    }
    zmq_close (req);
    zmq_ctx_term (ctx);
    return 0;
}

//  Start this program as a hop (`proxy` or `lb`); its endpoints in front
//  and back
static pid_t
s_hop_start (const char *kind, char *front, char *back, size_t size)
{
    char path [512], log [512], self [1024];
    snprintf (path, sizeof path, "%s/bench-%s.endpoints", kj_test_tmpdir (),
              kind);
    snprintf (log, sizeof log, "%s/bench-%s.log", kj_test_tmpdir (), kind);
    unlink (path);
    ssize_t length = readlink ("/proc/self/exe", self, sizeof self - 1);
    if (length <= 0)
        return -1;
    self [length] = 0;
    const char *argv [] = { self, kind, path, NULL };
    pid_t pid = kj_test_spawn (argv, NULL, log);
    for (int waited = 0; waited < 5000; waited += 10) {
        if (kj_read_keyvalue (path, "front", front, size) == 0
            && kj_read_keyvalue (path, "back", back, size) == 0)
            return pid;
        zclock_sleep (10);
    }
    kj_test_kill (pid, SIGKILL, 1000);
    return -1;
}

static void
s_line (const char *setup, result_t r, double base, const char *target)
{
    char p50 [32] = "", p99 [32] = "", cpu [32] = "", switches [32] = "";
    if (r.p50) {
        snprintf (p50, sizeof p50, "%" PRIu64 " us", r.p50);
        snprintf (p99, sizeof p99, "%" PRIu64 " us", r.p99);
    }
    if (r.cpu_us > 0) {
        snprintf (cpu, sizeof cpu, "%.1f us", r.cpu_us);
        snprintf (switches, sizeof switches, "%.2f", r.switches);
    }
    printf ("  %-42s %9.0f  %7s  %7s  %8s  %5s  %5.2f  %s\n", setup, r.rate,
            p50, p99, cpu, switches, base > 0 ? r.rate / base : 0, target);
    fflush (stdout);
}

//  `bench_broker plain|credit|compact|proxy|lb N SECONDS`: one
//  configuration only, for profiling the hop (perf, strace) while it runs;
//  prints the hop's pid first (proxy: REP workers, lb: REQ workers).
//  DEPTH=n sets the requests in flight (100). ONCE=1: wait 2 s after the
//  pid (to attach strace -c), one run of SECONDS, then its replies, the
//  hop's CPU and context switches per reply, and 1 s before stopping.
static int
s_profile (const char *kind, int workers, int seconds)
{
    kj_broker_t broker = { 0 };
    char front [256], back [256];
    bool hop = streq (kind, "proxy") || streq (kind, "lb");
    pid_t pid;
    if (hop) {
        pid = s_hop_start (kind, front, back, sizeof front);
        if (pid <= 0)
            return 1;
    }
    else {
        if (kj_broker_start (&broker, 0,
                             (const char *[]){ "-s", "log/level=warn", NULL }))
            return 1;
        pid = broker.pid;
        kj_strlcpy (front, broker.endpoint, sizeof front);
        kj_strlcpy (back, broker.endpoint, sizeof back);
    }
    printf ("hop pid %d\n", (int) pid);
    fflush (stdout);
    bool credit = streq (kind, "credit");
    request_t request;
    if (hop)
        s_request_raw (&request, true);
    else if (streq (kind, "compact"))
        s_request_compact (&request);
    else if (credit)
        s_request_kejin (&request);
    else
        s_request_plain (&request, "echo");
    s_start_workers (back, workers,
                     streq (kind, "compact") ? "credit"
                     : streq (kind, "proxy") ? "rep"
                     : streq (kind, "lb")    ? "req"
                                             : kind);
    int depth = getenv ("DEPTH") ? atoi (getenv ("DEPTH")) : 100;
    bool once = getenv ("ONCE") != NULL;
    if (once) {
        zclock_sleep (2000);
        s_runs = 1;
        s_run_us = (int64_t) seconds * 1000000;
    }
    int64_t end = kj_mono_us () + (int64_t) seconds * 1000000;
    do {
        result_t r = s_run (front, &request, depth, pid);
        printf ("%s, %d workers, %d in flight: %.0f req/s, %.1f us CPU "
                "(%.1f us the whole path) and %.2f context switches per "
                "request, %" PRIu64 " replies\n",
                kind, workers, depth, r.rate, r.cpu_us, r.path_us, r.switches,
                r.total);
        fflush (stdout);
    } while (!once && kj_mono_us () < end);
    if (once)
        zclock_sleep (1000);
    s_stop_workers ();
    s_request_free (&request);
    if (hop)
        kj_test_kill (pid, SIGKILL, 3000);
    else
        kj_broker_stop (&broker, SIGTERM);
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc == 3 && streq (argv [1], "rep"))
        return s_rep_main (argv [2]);
    if (argc == 3 && streq (argv [1], "proxy"))
        return s_proxy_main (argv [2]);
    if (argc == 3 && streq (argv [1], "lb"))
        return s_lb_main (argv [2]);
    if (argc == 3 && streq (argv [1], "req"))
        return s_req_main (argv [2]);
    kj_log_init ("bench_broker", "error");
    if (argc == 4)
        return s_profile (argv [1], atoi (argv [2]), atoi (argv [3]));
    double load [3] = { 0 };
    getloadavg (load, 3);
    printf ("\nbench_broker: kejin-broker beside a plain zmq_proxy hop and a "
            "direct echo, measured in this run;\n%d-byte bodies, loopback, "
            "%ld cores, load average %.2f before the run (other work on the\n"
            "machine skews every figure: compare within one run); each rate "
            "the median of %d runs of %.1f s.\nCPU: the whole hop process "
            "(every thread) per request; sw/rq its threads' context "
            "switches per\nrequest (wake-ups, mostly). Every reply is "
            "checked.\n\n",
            BODY, sysconf (_SC_NPROCESSORS_ONLN), load [0], RUNS, RUN_US / 1e6);
    printf ("  %-42s %9s  %7s  %7s  %8s  %5s  %5s  %s\n", "setup", "req/s",
            "p50", "p99", "hop CPU", "sw/rq", "ratio", "ratio is to / target");

    //  Direct echo: no hop at all
    echo_t direct = { "", NULL };
    zactor_t *echo = zactor_new (s_echo_actor, &direct);
    const char *direct_endpoint = direct.endpoint;
    request_t direct_request;
    s_request_raw (&direct_request, false);
    result_t direct1 = s_run (direct_endpoint, &direct_request, 1, 0);
    s_line ("direct echo, 1 in flight", direct1, 0, "");
    result_t direct100 = s_run (direct_endpoint, &direct_request, 100, 0);
    s_line ("direct echo, 100 in flight", direct100, 0, "");
    s_request_free (&direct_request);
    zactor_destroy (&echo);

    //  The proxy hop, REP workers
    char front [256], back [256];
    pid_t proxy = s_hop_start ("proxy", front, back, sizeof front);
    if (proxy <= 0) {
        fprintf (stderr, "bench_broker: the proxy did not start\n");
        return 1;
    }
    request_t proxy_request;
    s_request_raw (&proxy_request, true);
    s_start_workers (back, 1, "rep");
    result_t proxy1 = s_run (front, &proxy_request, 1, 0);
    s_line ("proxy hop, 1 REP worker, 1 in flight", proxy1, direct1.rate,
            "direct echo");
    result_t proxy100_1 = s_run (front, &proxy_request, 100, proxy);
    s_line ("proxy hop, 1 REP worker, 100 in flight", proxy100_1,
            direct100.rate, "direct echo");
    s_start_workers (back, 3, "rep");
    result_t proxy100 = s_run (front, &proxy_request, 100, proxy);
    s_line ("proxy hop, 4 REP workers, 100 in flight", proxy100, direct100.rate,
            "direct echo");
    s_stop_workers ();
    kj_test_kill (proxy, SIGKILL, 3000);

    //  The same hop under MDP/0.1's rule, one request per worker at a time
    pid_t lb = s_hop_start ("lb", front, back, sizeof front);
    if (lb <= 0) {
        fprintf (stderr, "bench_broker: the lb hop did not start\n");
        return 1;
    }
    s_start_workers (back, 1, "req");
    result_t lb100_1 = s_run (front, &proxy_request, 100, lb);
    s_line ("lb hop, 1 REQ worker, 100 in flight", lb100_1, proxy100_1.rate,
            "proxy hop, 1 worker");
    s_start_workers (back, 3, "req");
    result_t lb100 = s_run (front, &proxy_request, 100, lb);
    s_line ("lb hop, 4 REQ workers, 100 in flight", lb100, proxy100.rate,
            "proxy hop, 4 workers");
    s_stop_workers ();
    s_request_free (&proxy_request);
    kj_test_kill (lb, SIGKILL, 3000);

    kj_broker_t broker;
    if (kj_broker_start (&broker, 0,
                         (const char *[]){ "-s", "log/level=warn", NULL })) {
        fprintf (stderr, "bench_broker: the broker did not start\n");
        return 1;
    }
    request_t plain, kejin, compact;
    s_request_plain (&plain, "echo");
    s_request_kejin (&kejin);
    s_request_compact (&compact);

    s_start_workers (broker.endpoint, 1, "plain");
    result_t r = s_run (broker.endpoint, &plain, 1, 0);
    s_line ("broker, 1 plain worker, 1 in flight", r, proxy1.rate,
            "proxy hop, 1 in flight");
    result_t plain1 = s_run (broker.endpoint, &plain, 100, broker.pid);
    s_line ("broker, 1 plain worker, 100 in flight", plain1, proxy100_1.rate,
            "proxy hop, 1 worker");
    s_start_workers (broker.endpoint, 1, "plain");
    r = s_run (broker.endpoint, &plain, 100, broker.pid);
    s_line ("broker, 2 plain workers, 100 in flight", r, proxy100.rate,
            "proxy hop, 4 workers");
    s_start_workers (broker.endpoint, 2, "plain");
    result_t plain4 = s_run (broker.endpoint, &plain, 100, broker.pid);
    s_line ("broker, 4 plain workers, 100 in flight", plain4, proxy100.rate,
            "proxy hop, 4 workers");
    s_stop_workers ();

    s_start_workers (broker.endpoint, 1, "credit");
    result_t credit1 = s_run (broker.endpoint, &kejin, 100, broker.pid);
    s_line ("broker, 1 credit worker, 100 in flight", credit1, proxy100_1.rate,
            "proxy hop, 1 worker: >= 0.6");
    s_start_workers (broker.endpoint, 1, "credit");
    result_t credit2 = s_run (broker.endpoint, &kejin, 100, broker.pid);
    s_line ("broker, 2 credit workers, 100 in flight", credit2, proxy100.rate,
            "proxy hop, 4 workers: >= 0.6");
    result_t credit_lat = s_run (broker.endpoint, &kejin, 1, broker.pid);
    s_line ("broker, 2 credit workers, 1 in flight", credit_lat, 0, "");
    r = s_run (broker.endpoint, &kejin, 200, broker.pid);
    s_line ("broker, 2 credit workers, 200 in flight", r, proxy100.rate,
            "(deeper: latency-bound)");
    s_stop_workers ();
    //  Kejin's compact framing end to end (KJC01 client, KJW01 workers)
    s_start_workers (broker.endpoint, 1, "credit");
    result_t compact1 = s_run (broker.endpoint, &compact, 100, broker.pid);
    s_line ("KJC01: broker, 1 credit worker, 100 in flight", compact1,
            proxy100_1.rate, "proxy hop, 1 worker: >= 0.6");
    s_start_workers (broker.endpoint, 1, "credit");
    result_t compact2 = s_run (broker.endpoint, &compact, 100, broker.pid);
    s_line ("KJC01: broker, 2 credit workers, 100 in flight", compact2,
            proxy100.rate, "proxy hop, 4 workers: >= 0.6");
    result_t compact_lat = s_run (broker.endpoint, &compact, 1, broker.pid);
    s_line ("KJC01: broker, 2 credit workers, 1 in flight", compact_lat,
            credit_lat.rate, "MDP client (latency)");
    s_stop_workers ();
    kj_broker_stop (&broker, SIGTERM);

    //  The same credit path with CURVE on every connection, its keys
    //  issued here: the cost of the encryption and the rights checks
    char keydir [600], keys_arg [620], keys_env [620];
    snprintf (keydir, sizeof keydir, "%s/keys", kj_test_tmpdir ());
    kj_keys_t *keys = kj_keys_new (keydir);
    kj_status_t status;
    kj_key_info_t info [3] = {
        { .name = "broker", .role = "peer" },
        { .name = "bench", .role = "operator" },
        { .name = "diag", .role = "service", .services = "diag" }
    };
    for (int i = 0; i < 3; i++)
        if (!keys || kj_keys_issue (keys, &info [i], NULL, &status)) {
            fprintf (stderr, "bench_broker: cannot issue keys in %s\n", keydir);
            return 1;
        }
    kj_strlcpy (s_server_key, info [0].key, sizeof s_server_key);
    s_client_cert = kj_keys_secret (keys, "bench");
    kj_keys_destroy (&keys);
    snprintf (keys_arg, sizeof keys_arg, "broker/keys=%s", keydir);
    snprintf (keys_env, sizeof keys_env, "KEJIN_NODE_KEYS=%s", keydir);
    s_worker_env [0] = keys_env;
    s_worker_env [1] = "KEJIN_KEY=diag";
    if (kj_broker_start (&broker, 0,
                         (const char *[]){ "-s", "log/level=warn", "-s",
                                           keys_arg, NULL })) {
        fprintf (stderr, "bench_broker: the broker with keys did not start\n");
        return 1;
    }
    s_start_workers (broker.endpoint, 1, "credit");
    result_t curve1 = s_run (broker.endpoint, &kejin, 100, broker.pid);
    s_line ("CURVE: broker, 1 credit worker, 100 in flight", curve1,
            credit1.rate, "CURVE off: >= 0.7");
    s_start_workers (broker.endpoint, 1, "credit");
    result_t curve2 = s_run (broker.endpoint, &kejin, 100, broker.pid);
    s_line ("CURVE: broker, 2 credit workers, 100 in flight", curve2,
            credit2.rate, "CURVE off: >= 0.7");
    result_t curve_lat = s_run (broker.endpoint, &kejin, 1, broker.pid);
    s_line ("CURVE: broker, 2 credit workers, 1 in flight", curve_lat,
            credit_lat.rate, "CURVE off (latency)");
    s_stop_workers ();
    s_start_workers (broker.endpoint, 1, "credit");
    result_t ccurve1 = s_run (broker.endpoint, &compact, 100, broker.pid);
    s_line ("CURVE KJC01: broker, 1 credit worker, 100 fl.", ccurve1,
            compact1.rate, "KJC01 off: >= 0.7");
    s_start_workers (broker.endpoint, 1, "credit");
    result_t ccurve2 = s_run (broker.endpoint, &compact, 100, broker.pid);
    s_line ("CURVE KJC01: broker, 2 credit workers, 100 fl.", ccurve2,
            compact2.rate, "KJC01 off: >= 0.7");
    result_t ccurve_lat = s_run (broker.endpoint, &compact, 1, broker.pid);
    s_line ("CURVE KJC01: broker, 2 credit workers, 1 in fl.", ccurve_lat,
            compact_lat.rate, "KJC01 off (latency)");
    s_stop_workers ();

    //  CURVE on beside off, interleaved: a broker of each kind up at once,
    //  each with its own credit workers; round by round one run off and
    //  one on (the order alternating), so that what the rest of the
    //  machine does falls on both alike. The ratio of each round's pair;
    //  the median and the spread of the rounds.
    kj_broker_t broker_off;
    if (kj_broker_start (&broker_off, 0,
                         (const char *[]){ "-s", "log/level=warn", NULL })) {
        fprintf (stderr, "bench_broker: the broker without keys did not "
                         "start\n");
        return 1;
    }
    int rounds = getenv ("CURVE_ROUNDS") ? atoi (getenv ("CURVE_ROUNDS"))
                                         : ROUNDS;
    if (rounds < 1 || rounds > 99)
        rounds = ROUNDS;
    double ratios [2][99], path_ratios [2][99];
    for (int workers = 1; workers <= 2; workers++) {
        const char *env = s_worker_env [0];
        s_worker_env [0] = NULL;
        s_start_workers (broker_off.endpoint, 1, "credit");
        s_worker_env [0] = env;
        s_start_workers (broker.endpoint, 1, "credit");
        s_runs = 1;
        s_run_us = LEG_US;
        for (int round = 0; round < rounds; round++) {
            result_t on = { 0 }, off = { 0 };
            for (int leg = 0; leg < 2; leg++) {
                bool curve = (leg + round) % 2 == 1;
                zcert_t *cert = s_client_cert;
                if (!curve)
                    s_client_cert = NULL;
                result_t r = s_run (curve ? broker.endpoint
                                          : broker_off.endpoint,
                                    &compact, 100,
                                    curve ? broker.pid : broker_off.pid);
                s_client_cert = cert;
                if (curve)
                    on = r;
                else
                    off = r;
            }
            ratios [workers - 1][round] = off.rate > 0 ? on.rate / off.rate : 0;
            path_ratios [workers - 1][round] = on.path_us > 0
                                                 ? off.path_us / on.path_us
                                                 : 0;
        }
        s_runs = RUNS;
        s_run_us = RUN_US;
    }
    s_stop_workers ();
    kj_broker_stop (&broker_off, SIGTERM);

    //  ZMQ's own CURVE cost, without the broker: the client's frames of a
    //  credit request echoed straight back, CURVE off then on, all in
    //  this process (client, echo thread, both I/O threads); each frame
    //  is sealed and opened twice per round trip
    request_t floor_request, one_frame;
    s_request_kejin (&floor_request);
    floor_request.check = REPLY_SAME;
    s_request_raw (&one_frame, false);
    double floor_us [2] = { 0, 0 }, one_us [2] = { 0, 0 };
    double floor_rate [2] = { 0, 0 };
    for (int curve = 0; curve < 2; curve++) {
        echo_t plain_echo = { "", curve ? zcert_new () : NULL };
        zactor_t *actor = zactor_new (s_echo_actor, &plain_echo);
        zcert_t *client_cert = s_client_cert;
        if (!curve)
            s_client_cert = NULL;
        else
            kj_strlcpy (s_server_key, zcert_public_txt (plain_echo.cert),
                        sizeof s_server_key);
        result_t r = s_run (plain_echo.endpoint, &floor_request, 100, 0);
        s_client_cert = client_cert;
        floor_us [curve] = r.path_us;
        floor_rate [curve] = r.rate;
        if (!curve)
            s_client_cert = NULL;
        one_us [curve] = s_run (plain_echo.endpoint, &one_frame, 100, 0)
                             .path_us;
        s_client_cert = client_cert;
        zactor_destroy (&actor);
        zcert_destroy (&plain_echo.cert);
    }
    //  Each way, what CURVE adds to a message is fixed + frames x per_frame
    double frames = (double) floor_request.count;
    double per_frame = (floor_us [1] - floor_us [0] - one_us [1] + one_us [0])
                     / (2 * (frames - 1));
    double fixed = (one_us [1] - one_us [0]) / 2 - per_frame;
    printf ("  ZMQ's CURVE alone, direct echo, 100 in flight, CPU per round "
            "trip off / on:\n    a credit request's %d frames %.1f / %.1f us "
            "(%.0f / %.0f req/s), one frame %.1f / %.1f us:\n    %.2f us per "
            "frame sent (seal + open) and %.2f us per message; a credit "
            "request\n    crosses %d frames in 4 messages through the "
            "broker\n",
            floor_request.count, floor_us [0], floor_us [1], floor_rate [0],
            floor_rate [1], one_us [0], one_us [1], per_frame, fixed,
            CREDIT_FRAMES);
    double added = CREDIT_FRAMES * per_frame + 4 * fixed;
    printf ("  CPU per request on the whole path (client, broker, workers), "
            "credit path, 2 workers,\n    100 in flight: %.1f us off, %.1f "
            "us on; ZMQ's CURVE work for its frames is %.1f us:\n    with "
            "only that added the path would run at %.2fx of CURVE off (the "
            "floor on 2 cores)\n",
            credit2.path_us, curve2.path_us, added,
            credit2.path_us > 0 ? credit2.path_us / (credit2.path_us + added)
                                : 0);
    s_request_free (&floor_request);
    s_request_free (&one_frame);
    zcert_destroy (&s_client_cert);

    double cpu_ratio = proxy100.cpu_us > 0 ? plain4.cpu_us / proxy100.cpu_us
                                           : 0;
    printf ("\n  broker CPU per request, 4 plain workers, 100 in flight: "
            "%.1f us = %.2fx the proxy hop's %.1f us (target <= 3x)\n",
            plain4.cpu_us, cpu_ratio, proxy100.cpu_us);
    printf ("  the same beside the lb hop (one request per worker, as "
            "MDP/0.1): %.2fx its %.1f us; with 1 worker %.2fx (%.1f us "
            "beside %.1f us)\n",
            lb100.cpu_us > 0 ? plain4.cpu_us / lb100.cpu_us : 0, lb100.cpu_us,
            lb100_1.cpu_us > 0 ? plain1.cpu_us / lb100_1.cpu_us : 0,
            plain1.cpu_us, lb100_1.cpu_us);
    printf ("  credit path, 1 worker, 100 in flight: %.2fx the proxy hop's "
            "throughput with 1 worker (target >= 0.6x)\n",
            proxy100_1.rate > 0 ? credit1.rate / proxy100_1.rate : 0);
    printf ("  CURVE on, credit path, 100 in flight: %.2fx (1 worker) and "
            "%.2fx (2 workers) the throughput with CURVE off (target >= "
            "0.7x: at most 30%% slower); p50 at 1 in flight %" PRIu64 " us "
            "beside %" PRIu64 " us\n",
            credit1.rate > 0 ? curve1.rate / credit1.rate : 0,
            credit2.rate > 0 ? curve2.rate / credit2.rate : 0, curve_lat.p50,
            credit_lat.p50);
    printf ("  compact framing (KJC01/KJW01), 100 in flight: %.2fx the proxy "
            "hop's throughput with 1 worker (target >= 0.6x); CURVE on at "
            "%.2fx (1 worker) and %.2fx (2 workers) of off (target >= 0.7x); "
            "p50 at 1 in flight %" PRIu64 " us beside %" PRIu64 " us\n",
            proxy100_1.rate > 0 ? compact1.rate / proxy100_1.rate : 0,
            compact1.rate > 0 ? ccurve1.rate / compact1.rate : 0,
            compact2.rate > 0 ? ccurve2.rate / compact2.rate : 0,
            ccurve_lat.p50, compact_lat.p50);
    for (int w = 0; w < 2; w++) {
        qsort (ratios [w], rounds, sizeof (double), s_double_cmp);
        qsort (path_ratios [w], rounds, sizeof (double), s_double_cmp);
        printf ("  CURVE on/off interleaved, KJC01, %d worker%s, 100 in "
                "flight, %d rounds of %.1f s each way: median %.2fx "
                "(%.2f-%.2fx) the throughput off (target >= 0.7x); whole "
                "path CPU per request off/on median %.2fx (%.2f-%.2fx)\n",
                w + 1, w ? "s" : "", rounds, LEG_US / 1e6,
                ratios [w][rounds / 2], ratios [w][0], ratios [w][rounds - 1],
                path_ratios [w][rounds / 2], path_ratios [w][0],
                path_ratios [w][rounds - 1]);
    }
    printf ("  whole path CPU per request (client, broker, workers), KJC01, "
            "100 in flight: 1 worker %.1f us off, %.1f us on (%.2fx); 2 "
            "workers %.1f / %.1f us (%.2fx):\n    on 2 cores the path's "
            "CPU bounds throughput, so these ratios are what load leaves "
            "of the rates\n",
            compact1.path_us, ccurve1.path_us,
            ccurve1.path_us > 0 ? compact1.path_us / ccurve1.path_us : 0,
            compact2.path_us, ccurve2.path_us,
            ccurve2.path_us > 0 ? compact2.path_us / ccurve2.path_us : 0);
    printf ("  replies checked: every one; wrong or missing: %" PRIu64 "\n\n",
            s_bad_replies);
    s_request_free (&compact);
    s_request_free (&plain);
    s_request_free (&kejin);
    kj_broker_stop (&broker, SIGTERM);
    return s_bad_replies ? 1 : 0;
}
