#!/usr/bin/env python3
"""mdp_client.py: a plain Majordomo (MDP/0.1) client, as the zguide's
mdcliapi: one request, its reply frames printed one per line.

    mdp_client.py [--broker tcp://127.0.0.1:5555] [--key FILE.key_secret
                  --server-key broker.key] [--timeout MS] SERVICE [FRAME]...

A Kejin broker answers a plain client in plain frames: the worker's reply
as it sent it, or a refusal ["CODE"] ["message"] (docs/protocol.md,
"Errors from the broker itself"). Exit 0 when a reply came, 1 on timeout.
Needs python3-zmq; the keys are CZMQ certificates (`kejin keys new`).
"""
import argparse
import os
import sys

import zmq
import zmq.auth


def main():
    parser = argparse.ArgumentParser(description="one plain MDP request")
    parser.add_argument("--broker", default=os.environ.get(
        "KEJIN_NODE_BROKER", "tcp://127.0.0.1:5555"))
    parser.add_argument("--key", help="our secret certificate (CURVE)")
    parser.add_argument("--server-key", help="the broker's public certificate")
    parser.add_argument("--timeout", type=int, default=5000, help="ms")
    parser.add_argument("service")
    parser.add_argument("frames", nargs="*")
    args = parser.parse_args()
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    if args.key:
        if not args.server_key:
            parser.error("--key needs --server-key")
        sock.curve_publickey, sock.curve_secretkey = \
            zmq.auth.load_certificate(args.key)
        sock.curve_serverkey, _ = zmq.auth.load_certificate(args.server_key)
    sock.connect(args.broker)
    #  [] [MDPC01] [service] [body]...
    sock.send_multipart([b"", b"MDPC01", args.service.encode()]
                        + [frame.encode() for frame in args.frames])
    if not sock.poll(args.timeout):
        print("no reply within %d ms" % args.timeout, file=sys.stderr)
        return 1
    frames = sock.recv_multipart()
    #  [] [MDPC01] [service] [reply]...
    for frame in frames[3:]:
        print(frame.decode(errors="replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
