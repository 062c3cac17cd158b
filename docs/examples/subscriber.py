#!/usr/bin/env python3
"""A Kejin event subscriber in Python: every event once, in offset order.

Needs pyzmq, protobuf, and Python modules generated from Kejin's proto/:

    protoc --python_out=py -Iproto proto/*.proto
    PYTHONPATH=py python3 subscriber.py --broker tcp://127.0.0.1:5555 \
        --pub tcp://127.0.0.1:5557 --from 1 --topic registry.

It does what common/kj_subscriber.c does: replay from a stored offset until
caught up, then follow the live stream, holding each batch's events until
the batch's marker proves the batch complete; a lost marker, an incomplete
batch or an idle marker with a head beyond what we have is a gap, filled by
replay. Prints one line per event: offset, topic, key. At the end it prints
its counters as JSON on stderr.
"""

import argparse
import json
import os
import random
import struct
import sys
import time

import zmq

import common_pb2
import events_pb2

MDPC = b"MDPC01"
MAGIC = b"KJ\x01"
OUT_OF_RANGE = 11


class ReplayError(Exception):
    """Replay refused for good (e.g. an offset before retention)."""


class Stop(Exception):
    """The callback asked to stop (the event it got counts as delivered)."""


class Client:
    """A minimal MDP/0.1 client with Kejin bodies (see docs/integrators.md)."""

    def __init__(self, ctx, endpoint, timeout_ms=3000):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.linger = 0
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
                    if reply.status.code == OUT_OF_RANGE:
                        raise ReplayError(reply.status.message)
                    raise RuntimeError(reply.status.message)
                result = reply_type()
                result.ParseFromString(frames[4] if len(frames) > 4 else b"")
                return result
        raise TimeoutError("no answer from %s.%s" % (service, method))


class Subscriber:
    def __init__(self, broker, pub, prefixes, start, callback, drop=0):
        self.ctx = zmq.Context.instance()
        self.client = Client(self.ctx, broker)
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.rcvhwm = 100000
        self.sub.linger = 0
        self.sub.setsockopt(zmq.SUBSCRIBE, b"$batch")
        for prefix in prefixes or [""]:
            self.sub.setsockopt(zmq.SUBSCRIBE, prefix.encode())
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
        self.marker_at = time.monotonic()
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
        """Replay [next, repair_to]; on a timeout, try again later."""
        while self.repair_to is not None:
            request = events_pb2.ReplayRequest(
                from_offset=self.start if self.next is None else self.next,
                to_offset=0 if self.repair_to == "head" else self.repair_to,
                prefixes=self.prefixes, max_events=1000)
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
            self.drain(0)
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
        if frames[0] == b"$batch":
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
        if (self.repair_to is None
                and time.monotonic() - self.marker_at > 3):
            self.repair_to = "head"             # silence: ask for the head
            self.marker_at = time.monotonic()
        if self.repair_to is not None:
            try:
                self.repair()
            except (TimeoutError, RuntimeError) as error:
                print("replay failed, retrying: %s" % error, file=sys.stderr)
                time.sleep(0.5)
        self.drain(timeout_ms)
        while self.repair_to is None and self.markers:
            self.on_marker(self.markers.pop(0))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broker", default="tcp://127.0.0.1:5555")
    parser.add_argument("--pub", default="tcp://127.0.0.1:5557")
    parser.add_argument("--from", dest="start", type=int, default=1)
    parser.add_argument("--topic", action="append", default=[])
    parser.add_argument("--count", type=int, default=0,
                        help="stop after this many events (0: never)")
    parser.add_argument("--seconds", type=float, default=0,
                        help="stop after this long")
    parser.add_argument("--drop", type=int, default=0,
                        help="tests: drop this many per mille of live messages")
    args = parser.parse_args()

    count = [0]

    def on_event(event):
        print("%d %s %s" % (event.offset, event.topic, event.key), flush=True)
        count[0] += 1
        return args.count and count[0] >= args.count

    subscriber = Subscriber(args.broker, args.pub, args.topic, args.start,
                            on_event, args.drop)
    end = time.monotonic() + args.seconds if args.seconds else None
    try:
        while not (end and time.monotonic() > end):
            subscriber.poll()
    except Stop:
        pass
    except ReplayError as error:
        print("cannot go on: %s" % error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    stats = dict(subscriber.stats, next=subscriber.next)
    print(json.dumps(stats), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
