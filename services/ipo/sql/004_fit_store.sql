--  Batch board fit at a million firms (issue 15), the results cheaper to
--  store. The foreign key from fit_result to fit_batch checked every row
--  inserted with a query of its own (PostgreSQL's referential trigger,
--  SELECT ... FOR KEY SHARE of the batch's row): measured on pages of
--  25,000, 19 us of the database's CPU a firm with it, 5.6 us without,
--  two thirds of a million firms' storing. The handler checks the batch
--  itself (it locks the batch's row in the page's transaction and refuses
--  a batch not RECEIVING, rolling the page back), and the batches dropped
--  take their results with them by an explicit DELETE (ipo_store.c).
ALTER TABLE fit_result DROP CONSTRAINT IF EXISTS fit_result_batch_fkey;

--  Results of batches already dropped (none while the key held)
DELETE FROM fit_result r
    WHERE NOT EXISTS (SELECT 1 FROM fit_batch b WHERE b.id = r.batch);
