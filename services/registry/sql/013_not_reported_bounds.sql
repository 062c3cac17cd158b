--  A figure not reported is unknown, not 0 (docs/registry.md, "Figures
--  not reported"): tech staff are held to the staff only when the staff
--  count was reported, high-tech revenue to the revenue only when revenue
--  was. The two unnamed checks of 001 held them to 0.
ALTER TABLE figures
    DROP CONSTRAINT figures_check,
    DROP CONSTRAINT figures_check1,
    ADD CONSTRAINT figures_tech_staff_bound
        CHECK (tech_staff <= staff OR 'staff' = ANY (not_reported)),
    ADD CONSTRAINT figures_high_tech_bound
        CHECK (high_tech_revenue_fen <= revenue_fen
               OR 'revenue' = ANY (not_reported));
