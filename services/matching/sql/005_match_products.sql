--  A match's ranked products kept in the match's own row: one array per
--  column, in rank order (element i is rank i), written with the match in
--  one INSERT. Ten rows of match_product cost PostgreSQL about ten times
--  the match's own insert (a heap row, a primary-key entry and a foreign-
--  key check each); the arrays cost a fraction of one row. match_product
--  stays, as a view giving the same rows: rank and match_id come from the
--  array's position and its row, so (match_id, rank) is unique and every
--  row has its match by construction, and the checks below keep what the
--  table's NOT NULL columns kept (docs/matching-performance.md).

ALTER TABLE match
    ADD COLUMN product_ids text[] NOT NULL DEFAULT '{}',
    ADD COLUMN product_versions bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN scores bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN explanations text[] NOT NULL DEFAULT '{}',
    ADD COLUMN institution_ids text[] NOT NULL DEFAULT '{}',
    ADD COLUMN intercity boolean[] NOT NULL DEFAULT '{}';

UPDATE match m
SET product_ids = p.product_ids, product_versions = p.product_versions,
    scores = p.scores, explanations = p.explanations,
    institution_ids = p.institution_ids, intercity = p.intercity
FROM (SELECT match_id, array_agg (product_id ORDER BY rank) AS product_ids,
             array_agg (product_version ORDER BY rank) AS product_versions,
             array_agg (score ORDER BY rank) AS scores,
             array_agg (explanation ORDER BY rank) AS explanations,
             array_agg (institution_id ORDER BY rank) AS institution_ids,
             array_agg (intercity ORDER BY rank) AS intercity
      FROM match_product GROUP BY match_id) p
WHERE p.match_id = m.id;

--  One length for all, no NULL element
ALTER TABLE match ADD CONSTRAINT match_products_shape CHECK (
    cardinality (product_versions) = cardinality (product_ids)
    AND cardinality (scores) = cardinality (product_ids)
    AND cardinality (explanations) = cardinality (product_ids)
    AND cardinality (institution_ids) = cardinality (product_ids)
    AND cardinality (intercity) = cardinality (product_ids)
    AND array_position (product_ids, NULL) IS NULL
    AND array_position (product_versions, NULL) IS NULL
    AND array_position (scores, NULL) IS NULL
    AND array_position (explanations, NULL) IS NULL
    AND array_position (institution_ids, NULL) IS NULL
    AND array_position (intercity, NULL) IS NULL);

DROP TABLE match_product;

CREATE VIEW match_product AS
SELECT m.id AS match_id, p.rank::int AS rank, p.product_id,
       p.product_version, p.score, p.explanation, p.institution_id,
       p.intercity
FROM match m
CROSS JOIN LATERAL unnest (m.product_ids, m.product_versions, m.scores,
                           m.explanations, m.institution_ids, m.intercity)
    WITH ORDINALITY AS p (product_id, product_version, score, explanation,
                          institution_id, intercity, rank);
