--  A member's reference to its batch checked no more per row: the check
--  (a lookup and a row lock on the batch per member) cost more than the
--  rest of a member's COPY together (docs/scoring.md, "The scoring side's
--  database"). Members are written only by the fetch, in the transaction
--  that holds their batch's row FOR UPDATE, so the batch is there. The
--  cascade stays: a batch deleted takes its members with it, once per
--  statement.
ALTER TABLE member DROP CONSTRAINT member_batch_id_fkey;

CREATE FUNCTION member_gone_with_batch () RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM member WHERE batch_id IN (SELECT id FROM gone);
    RETURN NULL;
END
$$;

CREATE TRIGGER batch_gone AFTER DELETE ON batch
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION member_gone_with_batch ();
