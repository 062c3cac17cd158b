--  Each portrait's share of the best per model column (in the model's
--  column order), for the PSI per indicator of Compare: basis points
--  rounded down, -1 not reported, -2 a column that is not an indicator or
--  a bonus. Portraits stored before have none (and count in no band).
ALTER TABLE portrait ADD COLUMN shares smallint [] NOT NULL DEFAULT '{}';
