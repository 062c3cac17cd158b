--  Schema "matching" of kejin-matching: demands, the matches proposed for
--  them (with the versions relied on), applications and their moves.
--  Enterprises and products stay the registry's: only ids and versions
--  are kept here.

CREATE SEQUENCE demand_seq;
CREATE SEQUENCE match_seq;
CREATE SEQUENCE application_seq;

CREATE TABLE demand (
    id text PRIMARY KEY,
    enterprise_code text NOT NULL,
    amount_fen bigint NOT NULL CHECK (amount_fen > 0),
    term_months int NOT NULL CHECK (term_months BETWEEN 1 AND 360),
    purpose text NOT NULL DEFAULT '',
    instrument int NOT NULL,
    collateral int NOT NULL DEFAULT 0,          --  bit mask of kj.Collateral
    linkage boolean NOT NULL DEFAULT false,
    renewal boolean NOT NULL DEFAULT false,
    renews_matures_on date,
    renews_arrears boolean NOT NULL DEFAULT false,
    state int NOT NULL,                         --  kj.ApplicationState
    version bigint NOT NULL DEFAULT 1,
    entered_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX demand_enterprise ON demand (enterprise_code, id);

CREATE TABLE match (
    id text PRIMARY KEY,
    demand_id text NOT NULL REFERENCES demand,
    rules_version text NOT NULL,
    enterprise_version bigint NOT NULL,
    weights text NOT NULL,
    candidates int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX match_demand ON match (demand_id);

CREATE TABLE match_product (
    match_id text NOT NULL REFERENCES match,
    rank int NOT NULL,
    product_id text NOT NULL,
    product_version bigint NOT NULL,
    score bigint NOT NULL,
    explanation text NOT NULL,
    PRIMARY KEY (match_id, rank)
);

CREATE TABLE application (
    id text PRIMARY KEY,
    demand_id text NOT NULL REFERENCES demand,
    product_id text NOT NULL,
    product_type int NOT NULL,
    product_version bigint NOT NULL,
    product_max_fen bigint NOT NULL,
    institution_id text NOT NULL,
    enterprise_code text NOT NULL,
    rules_version text NOT NULL,
    state int NOT NULL,
    version bigint NOT NULL DEFAULT 1,
    amount_fen bigint NOT NULL DEFAULT 0,
    rate_bp int NOT NULL DEFAULT 0,
    term_months int NOT NULL DEFAULT 0,
    reason text NOT NULL DEFAULT '',
    renews_id text REFERENCES application,
    created_at timestamptz NOT NULL DEFAULT now (),
    updated_at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX application_enterprise ON application (enterprise_code);

--  Every move, with who made it: the history of overdue buckets too.
CREATE TABLE application_move (
    application_id text NOT NULL REFERENCES application,
    version bigint NOT NULL,
    from_state int NOT NULL,
    to_state int NOT NULL,
    actor text NOT NULL DEFAULT '',
    reason text NOT NULL DEFAULT '',
    at timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (application_id, version)
);
