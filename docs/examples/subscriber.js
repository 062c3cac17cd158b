#!/usr/bin/env node
//  A Kejin event subscriber in Node: every event once, in offset order,
//  kept across restarts. Needs npm `zeromq` 6 and `protobufjs` 7 only
//  (docs/examples/package.json), and no copy of Kejin's proto files: it
//  asks the node for its schemas (Events.Schemas, a compiled descriptor
//  set) and decodes every message, payloads included, with them.
//
//      cd docs/examples && npm ci --ignore-scripts
//      node subscriber.js --broker "$KEJIN_NODE_BROKER" \
//          --pub "$KEJIN_NODE_PUB" --key bank-1.key_secret \
//          --server-key broker.key --offset-file my.offset --topic registry.
//
//  A node runs CURVE: --key is the secret certificate the node's operator
//  issued you (`kejin keys new bank-1 --role integrator --topics
//  registry.`), --server-key the broker's public certificate
//  (run/keys/public/broker.key). Both are zcert text files; readCert below
//  takes the Z85 keys out of them.
//
//  It follows the rules of docs/integrators.md, as common/kj_subscriber.c
//  and subscriber.py do: replay from the stored offset until caught up,
//  then live, holding each batch's events until its marker proves the
//  batch complete; a lost marker, an incomplete batch, or an idle marker
//  showing a head beyond us is a gap, filled by replay. One line per event
//  (offset topic key; --decode adds the payload as JSON), to stdout or
//  appended to --out FILE. Its counters as JSON on stderr at the end
//  (SIGTERM and SIGINT end it cleanly).
//
//  Exactly once across restarts: --offset-file keeps "next size": the next
//  offset wanted and the size --out had when it was written. At start the
//  output is cut back to that size, so the lines written after the last
//  save (a kill -9 between the two writes) are written again, once.

"use strict";

const fs = require("fs");
const zmq = require("zeromq");
const protobuf = require("protobufjs");
require("protobufjs/ext/descriptor");

const MDPC = Buffer.from("MDPC01");
const MAGIC = Buffer.from([0x4b, 0x4a, 0x01]);      // "KJ\x01"
const OUT_OF_RANGE = 11;
//  Refusals a retry cannot change: an argument, a right, a city not served
const FOR_GOOD = [3, 5, 7, OUT_OF_RANGE];
const SILENCE_MS = 3000;        // no marker this long: ask for the head
const NO_MARKER_MS = 5000;      // no marker ever this long: say so
const BUFFER_MAX = 100000;

//  Just enough of common.proto and events.proto to ask for the schemas;
//  everything else comes from the node's descriptor set.
const BOOT = protobuf.Root.fromJSON({ nested: { kj: { nested: {
    RequestHeader: { fields: {
        request_id: { type: "uint64", id: 1 }, method: { type: "string", id: 2 },
        timeout_ms: { type: "uint32", id: 3 }, retry_safe: { type: "bool", id: 5 } } },
    Status: { fields: {
        code: { type: "int32", id: 1 }, message: { type: "string", id: 2 },
        field: { type: "string", id: 3 } } },
    ReplyHeader: { fields: {
        request_id: { type: "uint64", id: 1 }, status: { type: "Status", id: 2 } } },
    SchemasReply: { fields: {
        descriptor_set: { type: "bytes", id: 1 },
        files: { rule: "repeated", type: "string", id: 2 } } }
} } } });

class ReplayError extends Error {}      // refused for good (retention,
                                        // rights, a city not mirrored)
class Stop extends Error {}             // the callback asked to stop

const num = (v) => (v === undefined || v === null) ? 0
                 : typeof v === "number" ? v : Number(v.toString());

//  One message from sock, or null after timeoutMs
async function receive(sock, timeoutMs) {
    sock.receiveTimeout = timeoutMs;
    try {
        return await sock.receive();
    } catch (error) {
        if (error.code === "EAGAIN")
            return null;
        throw error;
    }
}

//  CURVE options of every socket: empty on a node without keys, else our
//  key and the broker's (main fills them from --key and --server-key)
const CURVE = {};

//  The Z85 public and secret keys of a zcert file (ZPL text:
//  curve / public-key = "...", secret-key = "...")
function readCert(path) {
    const text = fs.readFileSync(path, "utf8");
    const get = (name) => {
        const m = text.match(new RegExp(`^\\s*${name}\\s*=\\s*"(.{40})"`, "m"));
        return m ? m[1] : null;
    };
    return { publicKey: get("public-key"), secretKey: get("secret-key") };
}

//  A minimal MDP/0.1 client with Kejin bodies (docs/protocol.md)
class Client {
    constructor(endpoint, timeoutMs = 3000) {
        this.sock = new zmq.Dealer({ linger: 0, ...CURVE });
        this.sock.connect(endpoint);
        this.timeoutMs = timeoutMs;
        this.nextId = 1 + Math.floor(Math.random() * 2 ** 40);
        this.types = BOOT;
    }

    type(name) {
        return this.types.lookupType(name);
    }

    async call(service, method, requestType, request, replyType,
               retries = 2) {
        const id = this.nextId++;
        const header = this.types.lookupType("kj.RequestHeader");
        const head = Buffer.concat([MAGIC, Buffer.from(header.encode(
            header.create({ request_id: id, method, timeout_ms: this.timeoutMs,
                            retry_safe: true })).finish())]);
        const body = requestType
            ? Buffer.from(requestType.encode(requestType.create(request)).finish())
            : Buffer.alloc(0);
        for (let attempt = 0; attempt <= retries; attempt++) {
            await this.sock.send([Buffer.alloc(0), MDPC, service, head, body]);
            const deadline = Date.now() + this.timeoutMs;
            for (;;) {
                const left = deadline - Date.now();
                if (left <= 0)
                    break;
                const frames = await receive(this.sock, left);
                if (frames === null)
                    break;
                if (frames.length < 4 || !frames[1].equals(MDPC)
                ||  !frames[3].subarray(0, 3).equals(MAGIC))
                    continue;
                const reply = this.types.lookupType("kj.ReplyHeader")
                                  .decode(frames[3].subarray(3));
                if (num(reply.request_id) !== id)
                    continue;           // a late answer to an earlier call
                const status = reply.status || {};
                if (status.code) {
                    const text = `${service}.${method}: ${status.message}`;
                    if (FOR_GOOD.includes(status.code))
                        throw new ReplayError(text);
                    throw new Error(text);
                }
                return replyType.decode(frames[4] || Buffer.alloc(0));
            }
        }
        const error = new Error(`no answer from ${service}.${method}`);
        error.code = "TIMEOUT";
        throw error;
    }

    //  The node's own schemas (Events.Schemas), or a descriptor set file
    async loadSchemas(file) {
        let set;
        if (file)
            set = fs.readFileSync(file);
        else
            set = (await this.call("events", "Schemas", null, null,
                                   BOOT.lookupType("kj.SchemasReply")))
                  .descriptor_set;
        this.types = protobuf.Root.fromDescriptor(Buffer.from(set));
        return this.types;
    }

    close() {
        this.sock.close();
    }
}

//  A mirrored city's stream at a hub: "anshan/registry.enterprise.updated"
const CITY_PREFIX = /^[a-z][a-z0-9_]{0,30}\//;

class Subscriber {
    constructor(client, pub, prefixes, start, callback, drop = 0, city = "") {
        this.client = client;
        this.pubEndpoint = pub;
        //  At a hub, a mirrored city's log: its stream is "<city>/<topic>"
        this.city = city;
        this.stream = city ? `${city}/` : "";
        this.sub = new zmq.Subscriber({ receiveHighWaterMark: 100000,
                                        linger: 0, ...CURVE });
        this.sub.subscribe(this.stream + "$batch");
        for (const prefix of prefixes.length ? prefixes : [""])
            this.sub.subscribe(this.stream + prefix);
        this.sub.connect(pub);
        this.prefixes = prefixes;
        this.start = start;     // first offset wanted; 0: the oldest held
        this.next = null;       // next offset to deliver
        this.callback = callback;
        this.buffer = [];       // [offset, Envelope], increasing
        this.markers = [];      // BatchMarkers waiting while a replay is due
        this.repairTo = "head"; // replay due up to here (null: none)
        this.pendingGaps = 0;
        this.drop = drop;       // per mille of live messages dropped (tests)
        this.markerAt = Date.now();
        this.createdAt = Date.now();
        this.warned = false;
        this.T = {
            envelope: client.type("kj.Envelope"),
            marker: client.type("kj.BatchMarker"),
            replayRequest: client.type("kj.ReplayRequest"),
            replayReply: client.type("kj.ReplayReply")
        };
        this.stats = { delivered: 0, live: 0, replayed: 0, gaps_found: 0,
                       gaps_repaired: 0, markers: 0 };
    }

    matches(topic) {
        return !this.prefixes.length
            || this.prefixes.some((p) => topic.startsWith(p));
    }

    deliver(event, offset, live) {
        if (offset < this.next)
            return;
        this.next = offset + 1;
        this.stats.delivered++;
        this.stats[live ? "live" : "replayed"]++;
        if (this.callback(event, offset))
            throw new Stop();
    }

    needReplay(last, gap) {
        if (gap) {
            this.stats.gaps_found++;
            this.pendingGaps++;
        }
        if (this.repairTo !== "head"
        &&  (this.repairTo === null || last > this.repairTo))
            this.repairTo = last;
    }

    closeGaps() {
        this.stats.gaps_repaired += this.pendingGaps;
        this.pendingGaps = 0;
    }

    //  Replay [next, repairTo], one reply per poll (so that the caller
    //  stores its offset between them); on a timeout, try again later
    async repair() {
        while (this.repairTo !== null) {
            const from = this.next === null ? this.start : this.next;
            const reply = await this.client.call("events", "Replay",
                this.T.replayRequest,
                { from_offset: from,
                  to_offset: this.repairTo === "head" ? 0 : this.repairTo,
                  prefixes: this.prefixes, max_events: 1000,
                  city: this.city },
                this.T.replayReply);
            if (this.next === null)
                this.next = from || num(reply.tail);
            try {
                for (const event of reply.events)
                    this.deliver(event, num(event.offset), false);
            } catch (error) {
                if (error instanceof Stop)
                    this.closeGaps();   // the application has what it wanted
                throw error;
            }
            this.next = Math.max(this.next, num(reply.next_offset));
            if (this.next > num(reply.head)
            ||  (this.repairTo !== "head" && this.next > this.repairTo))
                break;
            return;                     // more to replay: on the next poll
        }
        this.repairTo = null;
        this.closeGaps();
        this.buffer = this.buffer.filter((e) => e[0] >= this.next);
    }

    onMarker(marker) {
        const first = num(marker.first), last = num(marker.last);
        if (last < this.next)
            return;                             // old news
        if (first === last + 1)                 // idle tick beyond us
            return this.needReplay(last, true);
        if (first !== this.next)                // lost markers, or a seam
            return this.needReplay(last, first > this.next);
        let expected = 0;
        for (const c of marker.counts)
            if (this.matches(c.topic))
                expected += c.count;
        this.buffer = this.buffer.filter((e) => e[0] >= this.next);
        const batch = this.buffer.filter((e) => e[0] <= last);
        if (batch.length !== expected)
            return this.needReplay(last, true);
        for (const [offset, event] of batch)
            this.deliver(event, offset, true);
        this.buffer = this.buffer.slice(batch.length);
        this.next = last + 1;
    }

    onMessage(frames) {
        if (frames.length !== 3 || frames[1].length !== 8)
            return;
        if (this.drop && Math.random() * 1000 < this.drop)
            return;
        const offset = Number(frames[1].readBigUInt64BE(0));
        //  Only our log's: the node's own, or the one city's we follow
        const topic = frames[0].toString();
        const city = CITY_PREFIX.exec(topic);
        if ((city ? city[0] : "") !== this.stream)
            return;
        if (topic.slice(this.stream.length) === "$batch") {
            this.stats.markers++;
            this.markerAt = Date.now();
            this.markers.push(this.T.marker.decode(frames[2]));
            return;
        }
        if (this.next === null || offset < this.next)
            return;
        const tail = this.buffer[this.buffer.length - 1];
        if (tail && tail[0] >= offset)
            return;
        if (this.buffer.length >= BUFFER_MAX)
            return;                             // full: the marker will tell
        const event = this.T.envelope.decode(frames[2]);
        if (this.matches(event.topic))
            this.buffer.push([offset, event]);
    }

    //  Wait up to timeoutMs for live messages, then take what is waiting
    async drain(timeoutMs) {
        let frames = await receive(this.sub, timeoutMs);
        for (let count = 0; frames !== null && count < 10000; count++) {
            this.onMessage(frames);
            frames = await receive(this.sub, 0);
        }
    }

    async poll(timeoutMs = 200) {
        const now = Date.now();
        if (!this.warned && this.stats.markers === 0
        &&  now - this.createdAt > NO_MARKER_MS) {
            process.stderr.write(`no live marker from ${this.pubEndpoint} in `
                + `${NO_MARKER_MS / 1000}s: is it the broker's XPUB endpoint, `
                + `the node's pub (KEJIN_NODE_PUB, 'pub' in kejin status), `
                + `and does kejin-events run? Until then events come by `
                + `replay only\n`);
            this.warned = true;
        }
        if (this.repairTo === null && now - this.markerAt > SILENCE_MS) {
            this.repairTo = "head";             // silence: ask for the head
            this.markerAt = now;
        }
        if (this.repairTo !== null) {
            try {
                await this.repair();
            } catch (error) {
                if (error instanceof Stop || error instanceof ReplayError)
                    throw error;
                process.stderr.write(`replay failed, retrying: ${error.message}\n`);
                await new Promise((resolve) => setTimeout(resolve, 500));
            }
        }
        await this.drain(this.repairTo === null ? timeoutMs : 0);
        while (this.repairTo === null && this.markers.length)
            this.onMarker(this.markers.shift());
    }

    close() {
        this.sub.close();
    }
}

//  --------------------------------------------------------------------------
//  The offset file: "next size", replaced atomically

function readOffsetFile(path) {
    try {
        const [next, size] = fs.readFileSync(path, "utf8").trim().split(/\s+/);
        return { next: Number(next), size: size === undefined ? null
                                                              : Number(size) };
    } catch (error) {
        if (error.code === "ENOENT")
            return null;
        throw error;
    }
}

function writeOffsetFile(path, next, size) {
    const temp = `${path}.tmp`;
    const fd = fs.openSync(temp, "w");
    fs.writeSync(fd, `${next} ${size === null ? "" : size}\n`.replace(" \n", "\n"));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(temp, path);
}

function parseArgs(argv) {
    const args = { broker: process.env.KEJIN_NODE_BROKER || "tcp://127.0.0.1:5555",
                   pub: process.env.KEJIN_NODE_PUB || "tcp://127.0.0.1:5557",
                   from: null, since: null, topics: [], city: "", offsetFile: null,
                   out: null, count: 0, seconds: 0, drop: 0, decode: false,
                   schemas: null, key: process.env.KEJIN_KEY_FILE || null,
                   serverKey: process.env.KEJIN_SERVER_KEY_FILE
                       || (process.env.KEJIN_NODE_KEYS
                           ? `${process.env.KEJIN_NODE_KEYS}/public/broker.key`
                           : null) };
    const usage = "usage: subscriber.js [--broker EP] [--pub EP] [--key FILE "
        + "--server-key FILE] [--from N | "
        + "--since TIME] [--topic PREFIX]... [--city CITY] [--offset-file PATH] "
        + "[--out FILE] "
        + "[--decode] [--schemas FILE] [--count N] [--seconds S]";
    for (let i = 2; i < argv.length; i++) {
        const arg = argv[i], value = argv[i + 1];
        const need = () => {
            if (value === undefined) {
                console.error(`${arg} needs a value\n${usage}`);
                process.exit(2);
            }
            i++;
            return value;
        };
        switch (arg) {
            case "--broker": args.broker = need(); break;
            case "--pub": args.pub = need(); break;
            case "--key": args.key = need(); break;
            case "--server-key": args.serverKey = need(); break;
            case "--from": args.from = Number(need()); break;
            case "--since": args.since = need(); break;
            case "--topic": args.topics.push(need()); break;
            case "--city": args.city = need(); break;
            case "--offset-file": args.offsetFile = need(); break;
            case "--out": args.out = need(); break;
            case "--count": args.count = Number(need()); break;
            case "--seconds": args.seconds = Number(need()); break;
            case "--drop": args.drop = Number(need()); break;
            case "--schemas": args.schemas = need(); break;
            case "--decode": args.decode = true; break;
            default:
                console.error(usage);
                process.exit(arg === "-h" || arg === "--help" ? 0 : 2);
        }
    }
    if (args.from !== null && !(Number.isInteger(args.from) && args.from >= 0)) {
        console.error(`--from: '${argv[argv.indexOf("--from") + 1]}' is not an offset (0, 1, 2, ...)`);
        process.exit(2);
    }
    return args;
}

//  "2026-12-01T08:00" (UTC unless it names a zone) -> µs since the epoch
function parseSince(text) {
    const day = /^\d{4}-\d\d-\d\d$/.test(text);
    const zoned = /T.*(Z|[+-]\d\d:?\d\d)$/.test(text);
    const ms = Date.parse(day ? `${text}T00:00Z` : zoned ? text : `${text}Z`);
    if (Number.isNaN(ms)) {
        console.error(`--since: '${text}' is not a time like 2026-12-01T08:00 (UTC)`);
        process.exit(2);
    }
    return ms * 1000;
}

async function main() {
    const args = parseArgs(process.argv);
    if (args.key) {
        if (!args.serverKey) {
            console.error("--key needs --server-key, the broker's public certificate");
            process.exit(2);
        }
        const ours = readCert(args.key), theirs = readCert(args.serverKey);
        if (!ours.secretKey) {
            console.error(`${args.key} holds no secret key: --key is the secret certificate (NAME.key_secret)`);
            process.exit(2);
        }
        CURVE.curvePublicKey = ours.publicKey;
        CURVE.curveSecretKey = ours.secretKey;
        CURVE.curveServerKey = theirs.publicKey;
    }
    const client = new Client(args.broker);
    let stopping = false;
    process.on("SIGTERM", () => { stopping = true; });
    process.on("SIGINT", () => { stopping = true; });
    let types;
    for (;;) {
        try {
            types = await client.loadSchemas(args.schemas);
            break;
        } catch (error) {
            if (error.code !== "TIMEOUT" || stopping)
                throw error;
            process.stderr.write(`${error.message}: retrying\n`);
        }
    }

    //  Where to start: --from, --since, else the offset file, else 1
    const stored = args.offsetFile ? readOffsetFile(args.offsetFile) : null;
    let start = 1;
    if (args.from !== null)
        start = args.from;
    else
    if (args.since !== null) {
        const reply = await client.call("events", "OffsetForTime",
            types.lookupType("kj.OffsetForTimeRequest"),
            { time_us: parseSince(args.since), city: args.city },
            types.lookupType("kj.OffsetForTimeReply"));
        start = num(reply.offset);
        process.stderr.write(`--since ${args.since}: from offset ${start}\n`);
    }
    else
    if (stored)
        start = stored.next;
    let out = null;
    if (args.out) {
        out = fs.openSync(args.out, "a+");
        if (stored && stored.size !== null && args.from === null
        &&  args.since === null)
            fs.ftruncateSync(out, stored.size);
        else
        if (!stored)
            fs.ftruncateSync(out, 0);
    }
    let size = out === null ? null : fs.fstatSync(out).size;

    let count = 0;
    const onEvent = (event, offset) => {
        let line = `${offset} ${event.topic} ${event.key}`;
        if (args.decode) {
            const type = types.lookupType(event.payload_type);
            line += " " + JSON.stringify(type.toObject(type.decode(event.payload),
                { longs: String, enums: String, bytes: String }));
        }
        line += "\n";
        if (out === null)
            process.stdout.write(line);
        else
            size += fs.writeSync(out, line);
        count++;
        return args.count && count >= args.count;
    };

    const subscriber = new Subscriber(client, args.pub, args.topics, start,
                                      onEvent, args.drop, args.city);
    let saved = null;
    const save = () => {
        if (args.offsetFile && subscriber.next !== null
        &&  subscriber.next !== saved) {
            writeOffsetFile(args.offsetFile, subscriber.next, size);
            saved = subscriber.next;
        }
    };
    const end = args.seconds ? Date.now() + args.seconds * 1000 : null;
    let rc = 0;
    try {
        while (!stopping && !(end && Date.now() > end)) {
            await subscriber.poll();
            save();
        }
    } catch (error) {
        if (error instanceof ReplayError) {
            process.stderr.write(`cannot go on: ${error.message}\n`);
            rc = 1;
        }
        else
        if (!(error instanceof Stop))
            throw error;
    }
    save();
    process.stderr.write(JSON.stringify({ ...subscriber.stats,
                                          next: subscriber.next }) + "\n");
    subscriber.close();
    client.close();
    if (out !== null)
        fs.closeSync(out);
    return rc;
}

main().then((rc) => process.exit(rc), (error) => {
    process.stderr.write(`subscriber.js: ${error.stack || error}\n`);
    process.exit(1);
});
