/*  =========================================================================
    kj_stub - a stand-in for the broker and one Kejin service together
    =========================================================================
*/

#include "kj_stub.h"
#include <pthread.h>
#include <stdatomic.h>

struct _kj_stub_t {
    zsock_t *router;  //  used by the thread only, once started
    char endpoint [64];
    kj_stub_fn *handler;
    void *arg;
    atomic_bool done;
    pthread_t thread;
};

//  --------------------------------------------------------------------------
//  One request: [client] [] [MDPC01] [service] [header] [payload]

static void
s_answer (kj_stub_t *self, zmsg_t *msg)
{
    zframe_t *client = zmsg_pop (msg);
    zframe_t *empty = zmsg_pop (msg);
    zframe_t *proto = zmsg_pop (msg);
    zframe_t *service = zmsg_pop (msg);
    zframe_t *head = zmsg_pop (msg);
    zframe_t *body = zmsg_pop (msg);
    Kj__RequestHeader *header = head
                                  ? kj_proto_request_header (zframe_data (head),
                                                             zframe_size (head))
                                  : NULL;
    assert (client && service && header);
    char *name = zframe_strdup (service);
    kj_status_t status;
    kj_status_ok (&status);
    zframe_t *payload = NULL;
    if (streq (name, "kejin.broker") && streq (header->method, "Hello"))
        //  A kj_client asking for the compact framing: this stand-in
        //  speaks MDP only, as a broker without it answers
        kj_status_set (&status, KJ__CODE__UNIMPLEMENTED, "method",
                       "kejin.broker has no method 'Hello'");
    else
        payload = self->handler (name, header, body, &status, self->arg);
    zmsg_t *out = zmsg_new ();
    zmsg_append (out, &client);
    zmsg_append (out, &empty);
    zmsg_append (out, &proto);
    zmsg_append (out, &service);
    zmsg_append (out, &(zframe_t *){
                          kj_proto_reply_frame (header->request_id, &status) });
    if (payload)
        zmsg_append (out, &payload);
    zmsg_send (&out, self->router);
    free (name);
    kj__request_header__free_unpacked (header, NULL);
    zframe_destroy (&head);
    zframe_destroy (&body);
}

static void *
s_thread (void *arg)
{
    kj_stub_t *self = (kj_stub_t *) arg;
    while (!atomic_load (&self->done)) {
        zmsg_t *msg = zmsg_recv (self->router);
        if (msg)
            s_answer (self, msg);
        zmsg_destroy (&msg);
    }
    return NULL;
}

kj_stub_t *
kj_stub_new (kj_stub_fn *handler, void *arg)
{
    kj_stub_t *self = (kj_stub_t *) zmalloc (sizeof (kj_stub_t));
    self->handler = handler;
    self->arg = arg;
    self->router = zsock_new (ZMQ_ROUTER);
    assert (self->router);
    int port = zsock_bind (self->router, "tcp://127.0.0.1:*");
    assert (port > 0);
    snprintf (self->endpoint, sizeof self->endpoint, "tcp://127.0.0.1:%d",
              port);
    zsock_set_rcvtimeo (self->router, 50);
    int rc = pthread_create (&self->thread, NULL, s_thread, self);
    assert (rc == 0);
    return self;
}

void
kj_stub_destroy (kj_stub_t **self_p)
{
    if (*self_p) {
        kj_stub_t *self = *self_p;
        atomic_store (&self->done, true);
        pthread_join (self->thread, NULL);
        zsock_destroy (&self->router);
        free (self);
        *self_p = NULL;
    }
}

const char *
kj_stub_endpoint (kj_stub_t *self)
{
    return self->endpoint;
}
