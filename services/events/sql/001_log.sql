--  The event log of one city: every appended event, by gapless offset.
--  envelope is the encoded kj.Envelope with offset and appended_at filled,
--  exactly the bytes that replay and live publication send.
CREATE TABLE log (
    off bigint PRIMARY KEY,
    topic text NOT NULL,
    producer text NOT NULL,
    envelope bytea NOT NULL,
    appended_at timestamptz NOT NULL
);

--  Per producer, the last outbox row (txid, id) the log holds: an append
--  takes only rows above it, which makes appending idempotent.
CREATE TABLE producers (
    producer text PRIMARY KEY,
    txid bigint NOT NULL,
    id bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now ()
);

--  One row: head (last offset, 0 when nothing was ever appended), tail
--  (first offset still held), bytes of envelopes held, and what Info shows.
CREATE TABLE meta (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    head bigint NOT NULL DEFAULT 0,
    tail bigint NOT NULL DEFAULT 1,
    bytes bigint NOT NULL DEFAULT 0,
    head_at timestamptz,
    writer text NOT NULL DEFAULT '',
    rate_per_s bigint NOT NULL DEFAULT 0
);
INSERT INTO meta DEFAULT VALUES;

--  Positions that subscribers report (Report), for lag in `kejin events
--  stats`.
CREATE TABLE subscribers (
    name text PRIMARY KEY,
    off bigint NOT NULL,
    seen_at timestamptz NOT NULL
);
