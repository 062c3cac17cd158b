--  Stage recomputation when the stage rules change (registry_server's
--  restage job, docs/rules/stages.md §3). The work list is the data
--  itself: an enterprise whose stage_version is older than the rule set in
--  force is to do, and recomputing it records the new version in the same
--  transaction as its stage_changed event. A batch killed at any moment
--  resumes where its last commit left it; no enterprise is done twice.

CREATE INDEX enterprise_stage_version ON enterprise (stage_version, code);

--  Progress of one recomputation, per rule set version
CREATE TABLE restage (
    version text PRIMARY KEY REFERENCES stage_rules (version),
    total bigint NOT NULL,             --  enterprises to do at the start
    done bigint NOT NULL DEFAULT 0,    --  recomputed so far
    moved bigint NOT NULL DEFAULT 0,   --  of which changed stage
    started_at timestamptz NOT NULL DEFAULT now (),
    finished_at timestamptz
);
