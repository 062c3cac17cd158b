#!/usr/bin/env python3
"""A Kejin event subscriber in Python: every event once, in offset order,
kept across restarts.

Needs pyzmq, protobuf, and Python modules generated from Kejin's proto/
(from the top of the repository):

    mkdir -p py && protoc --python_out=py -Iproto proto/*.proto
    source run/node.env         # KEJIN_NODE_BROKER, KEJIN_NODE_PUB
    PYTHONPATH=py python3 docs/examples/subscriber.py \
        --key bank-1.key_secret --server-key broker.key \
        --offset-file my.offset --out events.txt --topic registry.

A node runs CURVE: --key is the secret certificate the node's operator
issued you (`kejin keys new bank-1 --role integrator --topics registry.`),
--server-key the broker's public certificate (run/keys/public/broker.key);
pyzmq reads both with zmq.auth.load_certificate.

It does what common/kj_subscriber.c does: replay from a stored offset until
caught up, then follow the live stream, holding each batch's events until
the batch's marker proves the batch complete; a lost marker, an incomplete
batch or an idle marker with a head beyond what we have is a gap, filled by
replay. Prints one line per event (offset, topic, key), to stdout or
appended to --out FILE. SIGTERM or Ctrl-C ends it cleanly: it stores its
offset and prints its counters as JSON on stderr.

Exactly once across restarts: --offset-file keeps "next size", the next
offset wanted and the size --out had when it was written. At start the
output is cut back to that size, so the lines written after the last save
(a kill -9 between the two writes) are written again, once. Without --out
the offset is saved after each poll: a kill -9 may repeat what was printed
since.
"""

import argparse
import calendar
import json
import os
import random
import re
import signal
import struct
import sys
import time

import zmq
import zmq.auth

import common_pb2
import events_pb2

MDPC = b"MDPC01"
MAGIC = b"KJ\x01"
OUT_OF_RANGE = 11
# Refusals a retry cannot change: an argument, a right, a city not served
FOR_GOOD = (3, 5, 7, OUT_OF_RANGE)
SILENCE_S = 3           # no marker this long: ask for the head by replay
NO_MARKER_S = 5         # no marker at all this long: say so


class ReplayError(Exception):
    """Replay refused for good (an offset before retention, a topic or
    city the key may not read, a city the node does not mirror)."""


class Stop(Exception):
    """The callback asked to stop (the event it got counts as delivered)."""


#  (secret certificate file, the broker's public certificate file), or None
#  on a node without keys
KEYS = None


def use_keys(sock):
    """Make sock a CURVE client with our key, of the broker's, if we have
    them. Call before connect."""
    if KEYS:
        public, secret = zmq.auth.load_certificate(KEYS[0])
        server, _ = zmq.auth.load_certificate(KEYS[1])
        if not secret:
            raise SystemExit("%s holds no secret key: --key is the secret "
                             "certificate (NAME.key_secret)" % KEYS[0])
        sock.curve_publickey = public
        sock.curve_secretkey = secret
        sock.curve_serverkey = server


class Client:
    """A minimal MDP/0.1 client with Kejin bodies (see docs/integrators.md)."""

    def __init__(self, ctx, endpoint, timeout_ms=3000):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        use_keys(self.sock)
        self.sock.connect(endpoint)
        self.timeout_ms = timeout_ms
        self.next_id = random.randint(1, 1 << 40)

    def call(self, service, method, request, reply_type, retries=2):
        request_id = self.next_id
        self.next_id += 1
        header = common_pb2.RequestHeader(request_id=request_id, method=method,
                                          timeout_ms=self.timeout_ms,
                                          retry_safe=True)
        for _ in range(retries + 1):
            self.sock.send_multipart([b"", MDPC, service.encode(),
                                      MAGIC + header.SerializeToString(),
                                      request.SerializeToString()])
            deadline = time.monotonic() + self.timeout_ms / 1000
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not self.sock.poll(int(left * 1000) + 1):
                    break
                frames = self.sock.recv_multipart()
                if len(frames) < 4 or frames[1] != MDPC:
                    continue
                if not frames[3].startswith(MAGIC):
                    raise RuntimeError(frames[3:])
                reply = common_pb2.ReplyHeader()
                reply.ParseFromString(frames[3][3:])
                if reply.request_id != request_id:
                    continue            # a late answer to an earlier call
                if reply.status.code != 0:
                    if reply.status.code in FOR_GOOD:
                        raise ReplayError(reply.status.message)
                    raise RuntimeError(reply.status.message)
                result = reply_type()
                result.ParseFromString(frames[4] if len(frames) > 4 else b"")
                return result
        raise TimeoutError("no answer from %s.%s" % (service, method))


# A mirrored city's stream at a hub: "anshan/registry.enterprise.updated"
CITY_PREFIX = re.compile(rb"[a-z][a-z0-9_]{0,30}/")


class Subscriber:
    def __init__(self, broker, pub, prefixes, start, callback, drop=0,
                 city=""):
        self.ctx = zmq.Context.instance()
        # At a hub, a mirrored city's log: its stream is "<city>/<topic>"
        self.city = city
        self.stream = (city + "/").encode() if city else b""
        self.client = Client(self.ctx, broker)
        self.pub_endpoint = pub
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.rcvhwm = 100000
        self.sub.linger = 0
        self.sub.setsockopt(zmq.SUBSCRIBE, self.stream + b"$batch")
        for prefix in prefixes or [""]:
            self.sub.setsockopt(zmq.SUBSCRIBE, self.stream + prefix.encode())
        use_keys(self.sub)
        self.sub.connect(pub)
        self.prefixes = prefixes
        self.start = start          # first offset wanted; 0: the oldest held
        self.next = None            # next offset to deliver
        self.callback = callback
        self.buffer = []            # (offset, Envelope), increasing
        self.markers = []           # BatchMarkers waiting while a replay is due
        self.repair_to = "head"     # replay due up to here (None: none)
        self.pending_gaps = 0
        self.drop = drop            # per mille of live messages dropped (tests)
        self.marker_at = self.created_at = time.monotonic()
        self.warned = False
        self.stats = dict(delivered=0, live=0, replayed=0, gaps_found=0,
                          gaps_repaired=0, markers=0)

    def matches(self, topic):
        return not self.prefixes or any(topic.startswith(p)
                                        for p in self.prefixes)

    def deliver(self, event, live):
        if event.offset < self.next:
            return
        self.next = event.offset + 1
        self.stats["delivered"] += 1
        self.stats["live" if live else "replayed"] += 1
        if self.callback(event):
            raise Stop()

    def need_replay(self, last, gap):
        if gap:
            self.stats["gaps_found"] += 1
            self.pending_gaps += 1
        if self.repair_to != "head" and (self.repair_to is None
                                         or last > self.repair_to):
            self.repair_to = last

    def repair(self):
        """Replay [next, repair_to], one reply per poll (so that the caller
        stores its offset between them); on a timeout, try again later."""
        while self.repair_to is not None:
            request = events_pb2.ReplayRequest(
                from_offset=self.start if self.next is None else self.next,
                to_offset=0 if self.repair_to == "head" else self.repair_to,
                prefixes=self.prefixes, max_events=1000, city=self.city)
            reply = self.client.call("events", "Replay", request,
                                     events_pb2.ReplayReply)
            if self.next is None:
                self.next = request.from_offset or reply.tail
            try:
                for event in reply.events:
                    self.deliver(event, False)
            except Stop:
                # the application has all it wanted: the gap is closed for it
                self.stats["gaps_repaired"] += self.pending_gaps
                self.pending_gaps = 0
                raise
            self.next = max(self.next, reply.next_offset)
            if self.next > reply.head or (self.repair_to != "head"
                                          and self.next > self.repair_to):
                break
            return                  # more to replay: on the next poll
        self.repair_to = None
        self.stats["gaps_repaired"] += self.pending_gaps
        self.pending_gaps = 0
        self.buffer = [e for e in self.buffer if e[0] >= self.next]

    def on_marker(self, marker):
        if marker.last < self.next:
            return                              # old news
        if marker.first == marker.last + 1:     # idle tick beyond us
            return self.need_replay(marker.last, True)
        if marker.first != self.next:           # lost markers, or a seam
            return self.need_replay(marker.last, marker.first > self.next)
        expected = sum(c.count for c in marker.counts if self.matches(c.topic))
        self.buffer = [e for e in self.buffer if e[0] >= self.next]
        batch = [e for e in self.buffer if e[0] <= marker.last]
        if len(batch) != expected:
            return self.need_replay(marker.last, True)
        for _, event in batch:
            self.deliver(event, True)
        self.buffer = self.buffer[len(batch):]
        self.next = marker.last + 1

    def on_message(self, frames):
        if len(frames) != 3 or len(frames[1]) != 8:
            return
        if self.drop and random.randrange(1000) < self.drop:
            return
        offset = struct.unpack(">Q", frames[1])[0]
        # Only our log's: the node's own, or the one city's we follow
        city = CITY_PREFIX.match(frames[0])
        if (city.group(0) if city else b"") != self.stream:
            return
        if frames[0][len(self.stream):] == b"$batch":
            marker = events_pb2.BatchMarker()
            marker.ParseFromString(frames[2])
            self.stats["markers"] += 1
            self.marker_at = time.monotonic()
            self.markers.append(marker)
            return
        if self.next is None or offset < self.next:
            return
        if self.buffer and self.buffer[-1][0] >= offset:
            return
        if len(self.buffer) >= 100000:
            return                              # full: the marker will tell
        event = events_pb2.Envelope()
        event.ParseFromString(frames[2])
        if self.matches(event.topic):
            event.offset = offset
            self.buffer.append((offset, event))

    def drain(self, timeout_ms):
        if self.sub.poll(timeout_ms):
            for _ in range(10000):
                try:
                    frames = self.sub.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                self.on_message(frames)

    def poll(self, timeout_ms=200):
        if (not self.warned and self.stats["markers"] == 0
                and time.monotonic() - self.created_at > NO_MARKER_S):
            print("no live marker from %s in %ds: is it the broker's XPUB "
                  "endpoint, the node's pub (KEJIN_NODE_PUB, 'pub' in kejin "
                  "status), and does kejin-events run? Until then events "
                  "come by replay only" % (self.pub_endpoint, NO_MARKER_S),
                  file=sys.stderr, flush=True)
            self.warned = True
        if (self.repair_to is None
                and time.monotonic() - self.marker_at > SILENCE_S):
            self.repair_to = "head"             # silence: ask for the head
            self.marker_at = time.monotonic()
        if self.repair_to is not None:
            try:
                self.repair()
            except (TimeoutError, RuntimeError) as error:
                print("replay failed, retrying: %s" % error, file=sys.stderr)
                time.sleep(0.5)
        self.drain(timeout_ms if self.repair_to is None else 0)
        while self.repair_to is None and self.markers:
            self.on_marker(self.markers.pop(0))


def load_schemas(client, path=None):
    """The node's schemas (events.Schemas), or a descriptor set file such as
    bin/kejin.desc: a function from a type name ("kj.Enterprise") to its
    message class, for payloads of any type, without generated modules."""
    from google.protobuf import descriptor_pb2, descriptor_pool
    from google.protobuf import message_factory
    if path:
        with open(path, "rb") as f:
            data = f.read()
    else:
        data = client.call("events", "Schemas", events_pb2.SchemasRequest(),
                           events_pb2.SchemasReply).descriptor_set
    pool = descriptor_pool.DescriptorPool()
    for proto in descriptor_pb2.FileDescriptorSet.FromString(data).file:
        pool.Add(proto)
    factory = message_factory.MessageFactory(pool)

    def message_class(name):
        descriptor = pool.FindMessageTypeByName(name)
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(descriptor)
        return factory.GetPrototype(descriptor)
    return message_class


def read_offset_file(path):
    """(next, size) from the offset file, or None if there is none."""
    try:
        with open(path) as f:
            fields = f.read().split()
    except FileNotFoundError:
        return None
    return int(fields[0]), int(fields[1]) if len(fields) > 1 else None


def write_offset_file(path, next_offset, size):
    """Replace the offset file atomically: write, fsync, rename."""
    temp = path + ".tmp"
    with open(temp, "w") as f:
        f.write("%d%s\n" % (next_offset, "" if size is None else " %d" % size))
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)


def parse_since(text):
    """'2026-12-01T08:00' (UTC) or with seconds -> µs since the epoch."""
    for layout in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return calendar.timegm(time.strptime(text.rstrip("Z"),
                                                 layout)) * 1000000
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(
        "'%s' is not a time like 2026-12-01T08:00 (UTC)" % text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broker", default=os.environ.get(
        "KEJIN_NODE_BROKER", "tcp://127.0.0.1:5555"))
    parser.add_argument("--pub", default=os.environ.get(
        "KEJIN_NODE_PUB", "tcp://127.0.0.1:5557"),
        help="the node's pub endpoint, the broker's XPUB (KEJIN_NODE_PUB)")
    keys_dir = os.environ.get("KEJIN_NODE_KEYS", "")
    parser.add_argument("--key", default=os.environ.get("KEJIN_KEY_FILE"),
                        help="your secret certificate (KEJIN_KEY_FILE); "
                             "none: connect without a key")
    parser.add_argument("--server-key", default=os.environ.get(
        "KEJIN_SERVER_KEY_FILE",
        keys_dir and os.path.join(keys_dir, "public", "broker.key")),
        help="the broker's public certificate (KEJIN_SERVER_KEY_FILE, "
             "else $KEJIN_NODE_KEYS/public/broker.key)")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--from", dest="start", type=int, default=None,
                       help="first offset (0: the oldest held); default: "
                            "the offset file's, else 1")
    start.add_argument("--since", type=parse_since, default=None,
                       help="first event appended at or after this UTC "
                            "time, e.g. 2026-12-01T08:00")
    parser.add_argument("--topic", action="append", default=[])
    parser.add_argument("--city", default="",
                        help="at a hub: a mirrored city's log (its name, "
                             "e.g. anshan), with that city's offsets")
    parser.add_argument("--offset-file",
                        help="keep the next offset here across restarts")
    parser.add_argument("--out", help="append the lines to this file")
    parser.add_argument("--decode", action="store_true",
                        help="add each payload as JSON, decoded with the "
                             "node's schemas (events.Schemas)")
    parser.add_argument("--schemas", help="decode with this descriptor set "
                                          "file (bin/kejin.desc) instead")
    parser.add_argument("--count", type=int, default=0,
                        help="stop after this many events (0: never)")
    parser.add_argument("--seconds", type=float, default=0,
                        help="stop after this long")
    parser.add_argument("--drop", type=int, default=0,
                        help="tests: drop this many per mille of live messages")
    args = parser.parse_args()
    if args.key:
        if not args.server_key:
            parser.error("--key needs --server-key, the broker's public "
                         "certificate")
        global KEYS
        KEYS = (args.key, args.server_key)
    if args.start is not None and args.start < 0:
        parser.error("--from: %d is not an offset (0, 1, 2, ...)" % args.start)

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))

    message_class = None
    if args.decode or args.schemas:
        message_class = load_schemas(Client(zmq.Context.instance(),
                                            args.broker), args.schemas)
    stored = read_offset_file(args.offset_file) if args.offset_file else None
    first = 1
    if args.start is not None:
        first = args.start
    elif args.since is not None:
        client = Client(zmq.Context.instance(), args.broker)
        reply = client.call("events", "OffsetForTime",
                            events_pb2.OffsetForTimeRequest(
                                time_us=args.since, city=args.city),
                            events_pb2.OffsetForTimeReply)
        first = reply.offset
        print("--since: from offset %d" % first, file=sys.stderr, flush=True)
    elif stored:
        first = stored[0]
    out = None
    if args.out:
        out = open(args.out, "ab")
        if stored and stored[1] is not None and args.start is None \
                and args.since is None:
            out.truncate(stored[1])
        elif not stored:
            out.truncate(0)
    size = [out.seek(0, os.SEEK_END) if out else None]
    count = [0]

    def on_event(event):
        line = "%d %s %s" % (event.offset, event.topic, event.key)
        if message_class:
            from google.protobuf import json_format
            payload = message_class(event.payload_type).FromString(
                event.payload)
            line += " " + json.dumps(json_format.MessageToDict(
                payload, preserving_proto_field_name=True),
                ensure_ascii=False, separators=(",", ":"))
        line += "\n"
        if out:
            out.write(line.encode())
            out.flush()
            size[0] += len(line.encode())
        else:
            sys.stdout.write(line)
            sys.stdout.flush()
        count[0] += 1
        return args.count and count[0] >= args.count

    subscriber = Subscriber(args.broker, args.pub, args.topic, first,
                            on_event, args.drop, args.city)
    saved = [None]

    def save():
        if (args.offset_file and subscriber.next is not None
                and subscriber.next != saved[0]):
            write_offset_file(args.offset_file, subscriber.next, size[0])
            saved[0] = subscriber.next

    end = time.monotonic() + args.seconds if args.seconds else None
    rc = 0
    try:
        while not stopping and not (end and time.monotonic() > end):
            subscriber.poll()
            save()
    except Stop:
        pass
    except ReplayError as error:
        print("cannot go on: %s" % error, file=sys.stderr)
        rc = 1
    save()
    stats = dict(subscriber.stats, next=subscriber.next)
    print(json.dumps(stats), file=sys.stderr, flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
