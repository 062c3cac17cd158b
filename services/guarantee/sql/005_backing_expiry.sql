--  Backings recorded after their disbursement, and backings that wait too
--  long (docs/rules/guarantee.md, "Guarantees from matching's events").
--  The follower remembers a disbursement of an application no guarantor
--  backs yet (bounded by age and count), so that a backing recorded later
--  goes live at once from it; a backing still pending after
--  guarantee/backing_expire_s expires, with an event. An expired backing
--  may be recorded again.

CREATE TABLE disbursement (
    application_id text PRIMARY KEY,
    enterprise text NOT NULL,
    product_id text NOT NULL,
    amount_fen bigint NOT NULL,
    loan_date date NOT NULL,
    event_offset bigint NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX disbursement_seen ON disbursement (seen_at, application_id);

ALTER TABLE backing DROP CONSTRAINT backing_state_check;
ALTER TABLE backing ADD CONSTRAINT backing_state_check
    CHECK (state IN ('PENDING', 'LIVE', 'REFUSED', 'EXPIRED'));
CREATE INDEX backing_pending ON backing (created_at, application_id)
    WHERE state = 'PENDING';
