--  Batch matching and re-matching on change: the batches asked for, and
--  the latest proposals of each open demand (the best products, their
--  scores and the product versions relied on).

CREATE SEQUENCE batch_seq;

CREATE TABLE batch (
    id text PRIMARY KEY,
    region text NOT NULL DEFAULT '',
    top int NOT NULL CHECK (top BETWEEN 1 AND 20),
    state int NOT NULL DEFAULT 1,               --  kj.BatchState
    demands int NOT NULL DEFAULT 0,
    matched int NOT NULL DEFAULT 0,
    proposals bigint NOT NULL DEFAULT 0,
    ms bigint NOT NULL DEFAULT 0,
    requested_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now (),
    started_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX batch_queued ON batch (state, id);

CREATE TABLE demand_match (
    demand_id text PRIMARY KEY REFERENCES demand,
    source text NOT NULL,                       --  batch id or the change
    products text NOT NULL DEFAULT '',          --  ids, best first, commas
    scores text NOT NULL DEFAULT '',
    versions text NOT NULL DEFAULT '',          --  product versions
    passed int NOT NULL DEFAULT 0,
    rules_version text NOT NULL,
    at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX demand_open ON demand (state, id);
