/*  =========================================================================
    registry_demo_figures - an enterprise's drawn figures, the
    qualifications those figures earn, and its stage and tech-SME score
    computed exactly as the registry would

    Part of registry_demo (registry_demo.h).
    =========================================================================
*/

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kj_util.h"
#include "registry_check.h"
#include "registry_demo.h"
#include "registry_demo_private.h"
#include "registry_techsme.h"
#include "registry_uscc.h"

//  --------------------------------------------------------------------------
//  Figures rows of the years drawn.

void
registry_demo_make_figures (registry_demo_rng_t *rng, registry_demo_t *self,
                            registry_demo_enterprise_t *x)
{
    Kj__Enterprise *e = &x->enterprise;
    int latest = self->config.today.year - 1;
    for (int k = 0; k < x->years; k++) {
        Kj__YearFigures *f = &x->figures [k];
        kj__year_figures__init (f);
        f->year = latest - k;
        f->revenue_fen = x->revenue [k];
        f->net_profit_fen = x->net_profit [k];
        int64_t staff = x->staff * (100 - 5 * k) / 100;
        f->staff = (int32_t) (staff < 1 ? 1 : staff);
        f->tech_staff = (int32_t) registry_demo_bp (f->staff, x->tech_bp);
        if (x->target == REGISTRY_STAGE_INCUBATION)
            f->rnd_fen = registry_demo_range (rng, WAN (10), WAN (200));
        else
            f->rnd_fen = registry_demo_bp (f->revenue_fen, x->rnd_bp);
        int64_t cost = f->revenue_fen - f->net_profit_fen;
        f->total_cost_fen = cost < f->rnd_fen ? f->rnd_fen : cost;
        f->high_tech_revenue_fen = registry_demo_bp (f->revenue_fen,
                                                     x->high_tech_bp);
        f->total_assets_fen = f->revenue_fen
                                ? registry_demo_bp (f->revenue_fen,
                                                    registry_demo_range (rng,
                                                                         6000,
                                                                         20000))
                                : registry_demo_range (rng, WAN (50),
                                                       WAN (500));
        f->operating_cash_flow_fen =
            f->net_profit_fen
            + registry_demo_bp (f->revenue_fen,
                                registry_demo_range (rng, -500, 1000));
    }
    //  The message lists years in order, as the registry returns them
    for (int k = 0; k < x->years; k++)
        x->figure_ptrs [k] = &x->figures [x->years - 1 - k];
    e->figures = x->figure_ptrs;
    e->n_figures = (size_t) x->years;
}

//  --------------------------------------------------------------------------
//  Qualifications that the figures earn (with the share of eligible firms
//  that hold one), each expiring after today.

static void
s_qualify (registry_demo_enterprise_t *x, int kind, const char *expires)
{
    Kj__Enterprise *e = &x->enterprise;
    size_t n = e->n_qualifications;
    Kj__Qualification *q = &x->quals [n];
    kj__qualification__init (q);
    q->kind = (Kj__QualificationKind) kind;
    kj_strlcpy (x->expires [n], expires, sizeof x->expires [n]);
    q->expires_on = x->expires [n];
    x->qual_ptrs [n] = q;
    e->n_qualifications = n + 1;
}

static void
s_year_end (int year, char buf [11])
{
    kj_check_date_format ((kj_date_t){ year, 12, 31 }, buf);
}

void
registry_demo_earn (registry_demo_t *self, registry_demo_rng_t *rng,
                    registry_demo_enterprise_t *x, bool force_high_tech)
{
    Kj__Enterprise *e = &x->enterprise;
    e->qualifications = x->qual_ptrs;
    e->n_qualifications = 0;
    int year = self->config.today.year;
    char date [11];
    const Kj__YearFigures *f = x->years ? &x->figures [0] : NULL;
    int64_t revenue = f ? f->revenue_fen : 0;
    int64_t rnd_sum = 0, revenue_sum = 0;
    for (int k = 0; k < x->years; k++) {
        rnd_sum += x->figures [k].rnd_fen;
        revenue_sum += x->figures [k].revenue_fen;
    }
    bool rnd_3 = revenue > 0 && f->rnd_fen * 100 >= revenue * 3;
    bool grew_10 = x->years >= 2 && revenue * 10 >= x->revenue [1] * 11;

    //  高新技术企业 (Art. 11): a year old, core IP, tech staff >= 10%,
    //  R&D by revenue band, high-tech revenue >= 60%
    int threshold = revenue <= WAN (5000) ? 5 : revenue <= YI (2) ? 4 : 3;
    bool high_tech = x->age_days >= 366 && e->ip->invention_patents >= 1 && f
                  && f->staff && f->tech_staff * 10 >= f->staff
                  && revenue_sum > 0 && rnd_sum * 100 >= revenue_sum * threshold
                  && f->high_tech_revenue_fen * 10 >= revenue * 6;
    if (high_tech && (force_high_tech || registry_demo_chance (rng, 700))) {
        //  Granted in the last three years, valid three
        int64_t granted = self->today - registry_demo_range (rng, 30, 1000);
        kj_date_t g = s_date (granted);
        kj_check_date_format ((kj_date_t){ g.year + 3, g.month,
                                           g.month == 2 && g.day == 29
                                               ? 28
                                               : g.day },
                              date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH, date);
    }
    //  科技型中小企业: the national grid on the latest year
    if (f) {
        registry_techsme_input_t input = registry_techsme_input (e, f);
        registry_techsme_result_t result;
        kj_status_t status;
        if (registry_techsme_evaluate (&input, &result, &status) == 0
            && result.eligible && registry_demo_chance (rng, 850)) {
            s_year_end (year, date);
            s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_TECH_SME, date);
        }
    }
    bool innovative = rnd_3 && grew_10 && e->ip->invention_patents >= 1;
    if (innovative && registry_demo_chance (rng, 450)) {
        s_year_end (year + 2, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_INNOVATIVE_SME, date);
    }
    bool srdi = rnd_3 && revenue >= WAN (1000) && e->ip->invention_patents >= 1
             && x->age_days >= 2 * 365 && registry_demo_chance (rng, 300);
    if (srdi) {
        s_year_end (year + 2, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_SRDI, date);
    }
    bool rnd_3_both = rnd_3 && x->years >= 2 && x->figures [1].revenue_fen
                   && x->figures [1].rnd_fen * 100
                          >= x->figures [1].revenue_fen * 3;
    if (srdi && revenue >= YI (1) && rnd_3_both && e->ip->invention_patents >= 2
        && registry_demo_chance (rng, 350)) {
        s_year_end (year + 2, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_LITTLE_GIANT, date);
    }
    if (x->target == REGISTRY_STAGE_STARTUP && f && f->staff
        && f->tech_staff * 10 >= f->staff * 3 && f->rnd_fen * 10 >= revenue
        && registry_demo_chance (rng, 200)) {
        s_year_end (year + 1, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_EAGLET, date);
    }
    if (x->years == MAX_YEARS && revenue >= WAN (5000)
        && revenue * 100 >= x->revenue [2] * 144
        && registry_demo_chance (rng, 400)) {
        s_year_end (year + 1, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_GAZELLE, date);
    }
    if (x->round.round >= KJ__ROUND__ROUND_C_PLUS && revenue >= YI (1)
        && registry_demo_chance (rng, 50)) {
        s_year_end (year + 1, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_UNICORN, date);
    }
    if (x->resident) {
        //  An incubation period of three to four years from founding
        int64_t until = self->today - x->age_days
                      + registry_demo_range (rng, 3 * 365, 4 * 365);
        if (until <= self->today)
            until = self->today + registry_demo_range (rng, 30, 365);
        kj_check_date_format (s_date (until), date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_INCUBATOR_RESIDENT, date);
    }
    bool reserve = (x->target == REGISTRY_STAGE_MATURE
                    && registry_demo_chance (rng, 600))
                || (x->target == REGISTRY_STAGE_GROWTH && revenue >= YI (1)
                    && registry_demo_chance (rng, 200));
    if (reserve) {
        s_year_end (year + 1, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_LISTING_RESERVE, date);
        e->listing_tutoring = x->target == REGISTRY_STAGE_MATURE
                           && registry_demo_chance (rng, 350);
    }
    (void) self;
}

//  --------------------------------------------------------------------------
//  The stage, as the registry computes it from the message.

registry_stage_t
registry_demo_classify (registry_demo_t *self, registry_demo_enterprise_t *x)
{
    Kj__Enterprise *e = &x->enterprise;
    registry_stage_input_t input = {
        .evaluated_on = self->config.today,
        .revenue_fen = x->revenue [0],
        .revenue_prev_fen = x->revenue [1],
        .revenue_prev2_fen = x->revenue [2],
        .net_profit_fen = x->net_profit [0],
        .net_profit_prev_fen = x->net_profit [1],
        .listing_tutoring = e->listing_tutoring,
        .board_standard = e->board_standard,
        .round = (registry_round_t) (e->n_rounds ? e->rounds [0]->round : 0),
    };
    input.founded_on = s_date (self->today - x->age_days);
    for (size_t q = 0; q < e->n_qualifications; q++)
        switch (e->qualifications [q]->kind) {
            case KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH:
                input.high_tech = true;
                break;
            case KJ__QUALIFICATION_KIND__QUAL_SRDI:
                input.srdi = true;
                break;
            case KJ__QUALIFICATION_KIND__QUAL_LITTLE_GIANT:
                input.little_giant = true;
                break;
            case KJ__QUALIFICATION_KIND__QUAL_INCUBATOR_RESIDENT:
                input.incubator_resident = true;
                break;
            default:
                break;
        }
    registry_stage_result_t result;
    kj_status_t status;
    if (registry_stage_classify (&self->rules, &input, &result, &status))
        return REGISTRY_STAGE_UNKNOWN;
    kj__stage_info__init (&x->stage);
    x->stage.stage = (Kj__Stage) result.stage;
    x->stage.computed = (Kj__Stage) result.stage;
    kj_strlcpy (x->rule, result.rule, sizeof x->rule);
    kj_strlcpy (x->reason, result.reason, sizeof x->reason);
    kj_strlcpy (x->version, result.version, sizeof x->version);
    x->stage.rule = x->rule;
    x->stage.reason = x->reason;
    x->stage.version = x->version;
    x->stage.needs_review = result.needs_review;
    e->stage = &x->stage;
    return result.stage;
}

//  The tech-SME grid on the latest year, into the message.
void
registry_demo_techsme (registry_demo_enterprise_t *x)
{
    Kj__Enterprise *e = &x->enterprise;
    e->techsme = NULL;
    if (!x->years)
        return;
    const Kj__YearFigures *f = &x->figures [0];
    registry_techsme_input_t input = registry_techsme_input (e, f);
    registry_techsme_result_t result;
    kj_status_t status;
    if (registry_techsme_evaluate (&input, &result, &status))
        return;
    kj_strlcpy (x->techsme_reason, result.reason, sizeof x->techsme_reason);
    registry_techsme_message (&result, f->year, x->techsme_reason, &x->techsme);
    e->techsme = &x->techsme;
}
