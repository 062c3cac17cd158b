--  Investment-loan linkage offers and roadshows with their responses.

CREATE SEQUENCE linkage_seq;
CREATE SEQUENCE roadshow_seq;

CREATE TABLE linkage (
    id text PRIMARY KEY,
    application_id text NOT NULL REFERENCES application,
    investor_id text NOT NULL,
    equity_fen bigint NOT NULL CHECK (equity_fen > 0),
    stake_bp int NOT NULL CHECK (stake_bp BETWEEN 1 AND 10000),
    note text NOT NULL DEFAULT '',
    enterprise_code text NOT NULL,
    offered_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now (),
    UNIQUE (application_id, investor_id)
);

CREATE TABLE roadshow (
    id text PRIMARY KEY,
    demand_id text NOT NULL REFERENCES demand,
    on_date date NOT NULL,
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now ()
);

CREATE TABLE roadshow_invitee (
    roadshow_id text NOT NULL REFERENCES roadshow,
    institution_id text NOT NULL,
    response int NOT NULL DEFAULT 0,            --  kj.RoadshowResponse
    note text NOT NULL DEFAULT '',
    recorded_by text NOT NULL DEFAULT '',
    responded_at timestamptz,
    PRIMARY KEY (roadshow_id, institution_id)
);
