--  What the reports group by: the enterprise's city and stage when the
--  demand was posted, and per product proposed its institution and
--  whether it served the enterprise across cities (the intercity rule).

ALTER TABLE demand ADD COLUMN region text NOT NULL DEFAULT '',
                   ADD COLUMN stage int NOT NULL DEFAULT 0;
ALTER TABLE match_product ADD COLUMN institution_id text NOT NULL DEFAULT '',
                          ADD COLUMN intercity boolean NOT NULL DEFAULT false;
