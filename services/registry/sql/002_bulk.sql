--  Bulk imports of the registry (registry_bulk): every import, its chunks
--  and the problems found, and the staging tables where valid rows wait
--  for the commit. Everything an import is lives here, never in a worker's
--  memory, so that its chunks may go to any worker thread of any copy of
--  kejin-registry, and a chunk sent twice is staged once.
--
--  An import is all-or-nothing per file: ImportCommit moves the staged rows
--  into the registry's tables in one transaction only when no row of the
--  file failed; either way the staged rows are then deleted.

CREATE TABLE bulk_import (
    id bigserial PRIMARY KEY,
    kind text NOT NULL
        CHECK (kind IN ('enterprises', 'figures', 'institutions', 'products')),
    file_name text NOT NULL DEFAULT '',
    header text NOT NULL,                   --  the file's first line
    total_bytes bigint NOT NULL DEFAULT 0,
    --  The one "today" of the import: dates in the file may not be after
    --  it, and stages are computed on it
    today date NOT NULL DEFAULT current_date,
    state text NOT NULL DEFAULT 'open'
        CHECK (state IN ('open', 'committed', 'refused', 'aborted')),
    rows bigint NOT NULL DEFAULT 0,         --  set by the commit
    imported bigint NOT NULL DEFAULT 0,
    error_count bigint NOT NULL DEFAULT 0,
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now (),
    finished_at timestamptz,
    --  The commit's answer (kj.ImportCommitReply), given again to a commit
    --  asked twice
    reply bytea
);
CREATE INDEX bulk_import_open ON bulk_import (created_at) WHERE state = 'open';

--  One row per chunk received: a chunk whose (import, seq) is here was
--  staged, and a retry of it gets this row's counts and errors back.
CREATE TABLE bulk_chunk (
    import_id bigint NOT NULL REFERENCES bulk_import (id) ON DELETE CASCADE,
    seq integer NOT NULL CHECK (seq >= 0),
    first_line integer NOT NULL,
    last_line integer NOT NULL DEFAULT 0,
    bytes integer NOT NULL DEFAULT 0,
    rows integer NOT NULL DEFAULT 0,
    accepted integer NOT NULL DEFAULT 0,
    rejected integer NOT NULL DEFAULT 0,
    errors integer NOT NULL DEFAULT 0,      --  found; at most 10,000 kept
    received_at timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (import_id, seq)
);

--  Problems found: by the chunk that found them (seq), or by the commit's
--  checks across the file (seq -1: duplicates, codes already registered,
--  references to nothing).
CREATE TABLE bulk_error (
    import_id bigint NOT NULL REFERENCES bulk_import (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    line integer NOT NULL,
    field text NOT NULL,
    reason text NOT NULL,
    value text NOT NULL DEFAULT ''
);
CREATE INDEX bulk_error_import ON bulk_error (import_id, seq, line);

--  Staging: one table per kind, the rows of every open import keyed by
--  import_id and the line they start on. UNLOGGED and without indexes:
--  written once by COPY, read once by the commit, deleted after it. The
--  columns are those of the registry's tables, with the values already
--  checked and the stage already computed.
CREATE UNLOGGED TABLE bulk_enterprise (
    import_id bigint NOT NULL,
    line integer NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    region text NOT NULL,
    industry text NOT NULL,
    founded_on date,
    size_class text NOT NULL,
    status text NOT NULL,
    stage text NOT NULL,
    stage_rule text NOT NULL,
    stage_reason text NOT NULL,
    stage_version text NOT NULL,
    stage_review boolean NOT NULL,
    listing_tutoring boolean NOT NULL,
    board_standard boolean NOT NULL,
    chain_leader boolean NOT NULL,
    dishonest boolean NOT NULL,
    abnormal boolean NOT NULL,
    tax_grade text NOT NULL,
    invention_patents integer NOT NULL,
    class2_ip integer NOT NULL,
    pledged_ip integer NOT NULL,
    round text,                             --  the latest round, if any
    round_closed_on date,
    round_amount_fen bigint,
    qual_kinds text[] NOT NULL,             --  qualifications, kind by kind
    qual_expires date[] NOT NULL
);

CREATE UNLOGGED TABLE bulk_figures (
    import_id bigint NOT NULL,
    line integer NOT NULL,
    code text NOT NULL,
    year integer NOT NULL,
    revenue_fen bigint NOT NULL,
    rnd_fen bigint NOT NULL,
    net_profit_fen bigint NOT NULL,
    total_assets_fen bigint NOT NULL,
    operating_cash_flow_fen bigint NOT NULL,
    high_tech_revenue_fen bigint NOT NULL,
    total_cost_fen bigint NOT NULL,
    staff integer NOT NULL,
    tech_staff integer NOT NULL
);

CREATE UNLOGGED TABLE bulk_institution (
    import_id bigint NOT NULL,
    line integer NOT NULL,
    id text NOT NULL,
    name text NOT NULL,
    type text NOT NULL,
    uscc text NOT NULL,
    regions text[] NOT NULL,
    contact text NOT NULL,
    sponsor_code text NOT NULL
);

CREATE UNLOGGED TABLE bulk_product (
    import_id bigint NOT NULL,
    line integer NOT NULL,
    id text NOT NULL,
    institution_id text NOT NULL,
    name text NOT NULL,
    type text NOT NULL,
    min_amount_fen bigint NOT NULL,
    max_amount_fen bigint NOT NULL,
    min_term_months integer NOT NULL,
    max_term_months integer NOT NULL,
    rate_bp integer NOT NULL,
    collateral text[] NOT NULL,
    stages text[] NOT NULL,
    qualifications text[] NOT NULL,
    any_qualifications text[] NOT NULL,
    min_grade text NOT NULL,
    regions text[] NOT NULL,
    valid_from date NOT NULL,
    valid_to date,
    description text NOT NULL
);
