--  Schema "scoring" of kejin-scoring: batches, their members and chunks,
--  and the portraits (docs/scoring.md).

--  One batch: a year's active enterprises under one model version
CREATE TABLE batch (
    id bigserial PRIMARY KEY,
    year int NOT NULL,
    model text NOT NULL,
    version int NOT NULL,
    state text NOT NULL DEFAULT 'fetching'
        CHECK (state IN ('fetching', 'scoring', 'finished')),
    total bigint NOT NULL DEFAULT 0,
    scored bigint NOT NULL DEFAULT 0,
    stored bigint NOT NULL DEFAULT 0,
    changed bigint NOT NULL DEFAULT 0,
    chunks int NOT NULL DEFAULT 0,
    chunks_done int NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT now (),
    finished_at timestamptz
);
--  At most one unfinished batch per year and model version
CREATE UNIQUE INDEX batch_running ON batch (year, model, version)
    WHERE state <> 'finished';

--  The inputs of a batch, fetched from the registry once: the model's
--  columns in order (values, present), ordinal within the stage's cohort
CREATE TABLE member (
    batch_id bigint NOT NULL REFERENCES batch ON DELETE CASCADE,
    stage int NOT NULL,
    ord int NOT NULL,
    code text NOT NULL,
    region text NOT NULL,
    vals bigint [] NOT NULL,
    present boolean [] NOT NULL,
    PRIMARY KEY (batch_id, stage, ord)
);

--  A piece of a batch claimed by one worker (FOR UPDATE SKIP LOCKED):
--  members first_ord .. last_ord of a stage
CREATE TABLE chunk (
    batch_id bigint NOT NULL REFERENCES batch ON DELETE CASCADE,
    no int NOT NULL,
    stage int NOT NULL,
    first_ord int NOT NULL,
    last_ord int NOT NULL,
    done boolean NOT NULL DEFAULT false,
    PRIMARY KEY (batch_id, no)
);

--  One portrait, never overwritten
CREATE TABLE portrait (
    code text NOT NULL,
    year int NOT NULL,
    model text NOT NULL,
    version int NOT NULL,
    stage int NOT NULL,
    region text NOT NULL,
    points_milli bigint NOT NULL,
    bonus_milli bigint NOT NULL,
    scorecard_milli bigint NOT NULL,
    flags_milli bigint NOT NULL,
    score_milli bigint NOT NULL,
    percentile_milli bigint NOT NULL,
    grade text NOT NULL,
    stop text NOT NULL,
    line_known boolean NOT NULL,
    line_fen bigint NOT NULL,
    reasons text NOT NULL,          --  column:lost_micro:missing|...
    missing_count int NOT NULL,
    previous_grade text NOT NULL,
    batch_id bigint NOT NULL,
    scored_at timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (code, year, model, version)
);
CREATE INDEX portrait_year ON portrait (model, year, version);
