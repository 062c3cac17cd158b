--  The equity award and batch board fit (docs/rules/ipo.md).

--  An equity raise is a move that keeps the firm's state, with its amount
ALTER TABLE move ADD COLUMN amount_fen bigint NOT NULL DEFAULT 0
    CHECK (amount_fen >= 0);

--  An EQUITY claim is for one raise (its move); every other stage is
--  claimed once per firm (move 0)
ALTER TABLE claim ADD COLUMN move bigint NOT NULL DEFAULT 0;
DROP INDEX claim_once;
CREATE UNIQUE INDEX claim_once ON claim (firm, stage, move)
    WHERE status <> 'REFUSED';

--  A batch fit: of the whole registry (fetched by the fit job) or of
--  firms a caller sends in pages
CREATE TABLE fit_batch (
    id bigserial PRIMARY KEY,
    source text NOT NULL CHECK (source IN ('REGISTRY', 'UPLOAD')),
    state text NOT NULL
        CHECK (state IN ('FETCHING', 'RECEIVING', 'FINISHED', 'FAILED')),
    previous bigint NOT NULL DEFAULT 0,  --  finished batch compared with
    version text NOT NULL,
    firms bigint NOT NULL DEFAULT 0,
    meeting bigint NOT NULL DEFAULT 0,
    newly bigint NOT NULL DEFAULT 0,
    pages int NOT NULL DEFAULT 0,
    error text NOT NULL DEFAULT '',
    by_whom text NOT NULL DEFAULT '',
    started timestamptz NOT NULL DEFAULT now (),
    finished timestamptz
);
CREATE INDEX fit_batch_state ON fit_batch (state, id);

--  The firms of a batch that meet at least one standard: a bit per
--  standard of the table (its index). What a firm newly meets is read
--  against the batch's previous one when asked.
CREATE TABLE fit_result (
    batch bigint NOT NULL REFERENCES fit_batch ON DELETE CASCADE,
    firm text NOT NULL,
    city text NOT NULL DEFAULT '',
    meets int NOT NULL,
    PRIMARY KEY (batch, firm)
);
