--  Batch board fit at a million firms (issue 15): what a firm newly meets
--  (the standards it meets that it did not meet in the batch's previous
--  one) is worked out as its page is stored, so finishing a batch reads
--  the column instead of joining every firm with the previous batch again.
ALTER TABLE fit_result ADD COLUMN newly int NOT NULL DEFAULT 0;

UPDATE fit_result r SET newly = r.meets & ~coalesce ((
    SELECT p.meets FROM fit_batch b JOIN fit_result p
        ON p.batch = b.previous AND p.firm = r.firm
    WHERE b.id = r.batch), 0);

--  Codes are compared byte by byte: the primary key's million insertions
--  a batch skip the locale's collation (UTF-8 bytes sort in code point
--  order, as C.UTF-8 sorts them, so no order changes)
ALTER TABLE fit_result ALTER COLUMN firm TYPE text COLLATE "C";
