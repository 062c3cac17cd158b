--  Guarantees from matching's loan events (docs/rules/guarantee.md,
--  "Guarantees from matching's events"). Staff record that a guarantor
--  backs an application; matching.loan.disbursed makes its guarantee,
--  matching.loan.defaulted records a default notice. The follower's next
--  offset is stored in the transaction of the change it made: nothing is
--  applied twice, nothing lost.

CREATE TABLE follow (
    stream text PRIMARY KEY,
    next_offset bigint NOT NULL CHECK (next_offset >= 1)
);

CREATE TABLE backing (
    application_id text PRIMARY KEY,
    guarantor_id text NOT NULL REFERENCES guarantor,
    agreement_id text NOT NULL,
    product_category text NOT NULL,
    guarantee_fee_bp int NOT NULL,
    reguarantee_fee_bp int NOT NULL,
    city text NOT NULL,
    backed_by text NOT NULL,
    state text NOT NULL DEFAULT 'PENDING'
        CHECK (state IN ('PENDING', 'LIVE', 'REFUSED')),
    reason text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now ()
);

CREATE TABLE default_notice (
    id bigserial PRIMARY KEY,
    loan_id text NOT NULL REFERENCES guarantee,
    source text NOT NULL,
    event_offset bigint,
    noticed_on date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now (),
    CONSTRAINT default_notice_once UNIQUE (event_offset)
);
CREATE INDEX default_notice_loan ON default_notice (loan_id);

--  Events for applications no guarantor backs: counted, logged once each.
CREATE TABLE follow_skip (
    application_id text PRIMARY KEY,
    events bigint NOT NULL
);
