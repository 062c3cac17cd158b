/*  =========================================================================
    cli_enterprise_update - `kejin enterprise update`: an enterprise's own
    fields, and its lists (awards, financing rounds, loans, chain links)
    added to or cleared, sent with the version read
    =========================================================================
*/

#include "cli_enterprise_private.h"

//  --------------------------------------------------------------------------
//  update

//  Split "a:b:c" into at most max fields (the last takes the rest).
static size_t
s_fields (const char *text, char **fields, size_t max, char *buffer,
          size_t size)
{
    snprintf (buffer, size, "%s", text);
    size_t n = 0;
    char *at = buffer;
    while (n < max) {
        fields [n++] = at;
        char *colon = n < max ? strchr (at, ':') : NULL;
        if (!colon)
            break;
        *colon = 0;
        at = colon + 1;
    }
    return n;
}

//  Lists: current items (unless cleared) plus those given. Each new item
//  is allocated; s_free_items frees them by the count of current ones.
static int
s_awards (cli_args_t *args, Kj__Enterprise *current, Kj__Enterprise *e,
          cli_mask_t *mask)
{
    zlist_t *all = cli_args_all (args, "award");
    bool clear = cli_args_flag (args, "clear-awards");
    if (!all && !clear)
        return 0;
    size_t keep = clear ? 0 : current->n_awards;
    size_t added = all ? zlist_size (all) : 0;
    e->awards = (Kj__Award **) zmalloc ((keep + added + 1) * sizeof (void *));
    for (size_t i = 0; i < keep; i++)
        e->awards [e->n_awards++] = current->awards [i];
    for (const char *v = all ? (const char *) zlist_first (all) : NULL; v;
         v = (const char *) zlist_next (all)) {
        char buffer [512], *f [4];
        size_t n = s_fields (v, f, 4, buffer, sizeof buffer);
        int level;
        int64_t year;
        if (n < 3
            || cli_parse_enum ("--award LEVEL", f [1], &kj__level__descriptor,
                               "LEVEL_", false, &level)
            || cli_parse_int ("--award YEAR", f [2], 1900, 2200, &year)) {
            fprintf (stderr,
                     _ ("kejin: --award takes NAME:LEVEL:YEAR[:RANK], "
                        "e.g. 中国创新创业大赛:national:2023:一等奖\n"));
            return -1;
        }
        Kj__Award *a = (Kj__Award *) zmalloc (sizeof (Kj__Award));
        kj__award__init (a);
        a->name = strdup (f [0]);
        a->level = (Kj__Level) level;
        a->year = (int32_t) year;
        a->rank = strdup (n > 3 ? f [3] : "");
        e->awards [e->n_awards++] = a;
    }
    cli_mask_add (mask, "awards");
    return 0;
}

static int
s_rounds (cli_args_t *args, Kj__Enterprise *current, Kj__Enterprise *e,
          cli_mask_t *mask)
{
    zlist_t *all = cli_args_all (args, "round");
    bool clear = cli_args_flag (args, "clear-rounds");
    if (!all && !clear)
        return 0;
    size_t keep = clear ? 0 : current->n_rounds;
    size_t added = all ? zlist_size (all) : 0;
    e->rounds = (Kj__EquityRound **) zmalloc ((keep + added + 1)
                                              * sizeof (void *));
    for (size_t i = 0; i < keep; i++)
        e->rounds [e->n_rounds++] = current->rounds [i];
    for (const char *v = all ? (const char *) zlist_first (all) : NULL; v;
         v = (const char *) zlist_next (all)) {
        char buffer [512], *f [4];
        size_t n = s_fields (v, f, 4, buffer, sizeof buffer);
        int round;
        int64_t fen;
        if (n < 3
            || cli_parse_enum ("--round ROUND", f [0], &kj__round__descriptor,
                               "ROUND_", false, &round)
            || cli_parse_yuan ("--round YUAN", f [1], &fen)) {
            fprintf (stderr,
                     _ ("kejin: --round takes ROUND:YUAN:DATE"
                        "[:INVESTORS], e.g. a:3000万:2023-06-30:某创投\n"));
            return -1;
        }
        Kj__EquityRound *r = (Kj__EquityRound *) zmalloc (
            sizeof (Kj__EquityRound));
        kj__equity_round__init (r);
        r->round = (Kj__Round) round;
        r->amount_fen = fen;
        r->closed_on = strdup (f [2]);
        r->investors = strdup (n > 3 ? f [3] : "");
        e->rounds [e->n_rounds++] = r;
    }
    cli_mask_add (mask, "rounds");
    return 0;
}

static int
s_loans (cli_args_t *args, Kj__Enterprise *current, Kj__Enterprise *e,
         cli_mask_t *mask)
{
    zlist_t *all = cli_args_all (args, "loan");
    bool clear = cli_args_flag (args, "clear-loans");
    if (!all && !clear)
        return 0;
    size_t keep = clear ? 0 : current->n_loans;
    size_t added = all ? zlist_size (all) : 0;
    e->loans = (Kj__BankLoan **) zmalloc ((keep + added + 1) * sizeof (void *));
    for (size_t i = 0; i < keep; i++)
        e->loans [e->n_loans++] = current->loans [i];
    for (const char *v = all ? (const char *) zlist_first (all) : NULL; v;
         v = (const char *) zlist_next (all)) {
        char buffer [512], *f [5];
        size_t n = s_fields (v, f, 5, buffer, sizeof buffer);
        int64_t fen;
        if (n < 3 || cli_parse_yuan ("--loan YUAN", f [1], &fen)
            || (n > 4 && !streq (f [4], "repaid"))) {
            fprintf (stderr,
                     _ ("kejin: --loan takes LENDER:YUAN:DRAWN"
                        "[:MATURES[:repaid]], e.g. 中国银行:500万:2024-01-15:"
                        "2025-01-14\n"));
            return -1;
        }
        Kj__BankLoan *l = (Kj__BankLoan *) zmalloc (sizeof (Kj__BankLoan));
        kj__bank_loan__init (l);
        l->lender = strdup (f [0]);
        l->amount_fen = fen;
        l->drawn_on = strdup (f [2]);
        l->matures_on = strdup (n > 3 ? f [3] : "");
        l->outstanding = n <= 4;
        e->loans [e->n_loans++] = l;
    }
    cli_mask_add (mask, "loans");
    return 0;
}

static int
s_links (cli_args_t *args, Kj__Enterprise *current, Kj__Enterprise *e,
         cli_mask_t *mask)
{
    zlist_t *all = cli_args_all (args, "link");
    bool clear = cli_args_flag (args, "clear-links");
    if (!all && !clear)
        return 0;
    size_t keep = clear ? 0 : current->n_chain_links;
    size_t added = all ? zlist_size (all) : 0;
    e->chain_links = (Kj__ChainLink **) zmalloc ((keep + added + 1)
                                                 * sizeof (void *));
    for (size_t i = 0; i < keep; i++)
        e->chain_links [e->n_chain_links++] = current->chain_links [i];
    for (const char *v = all ? (const char *) zlist_first (all) : NULL; v;
         v = (const char *) zlist_next (all)) {
        char buffer [512], *f [2];
        size_t n = s_fields (v, f, 2, buffer, sizeof buffer);
        Kj__ChainLink *c = (Kj__ChainLink *) zmalloc (sizeof (Kj__ChainLink));
        kj__chain_link__init (c);
        c->leader_code = strdup (f [0]);
        c->chain = strdup (n > 1 ? f [1] : "");
        e->chain_links [e->n_chain_links++] = c;
    }
    cli_mask_add (mask, "chain_links");
    return 0;
}

//  Free the items s_awards etc. added (those after the kept ones).
static void
s_free_added (Kj__Enterprise *current, Kj__Enterprise *e, cli_args_t *args)
{
    size_t keep = cli_args_flag (args, "clear-awards") ? 0 : current->n_awards;
    for (size_t i = keep; e->awards && i < e->n_awards; i++) {
        free (e->awards [i]->name);
        free (e->awards [i]->rank);
        free (e->awards [i]);
    }
    keep = cli_args_flag (args, "clear-rounds") ? 0 : current->n_rounds;
    for (size_t i = keep; e->rounds && i < e->n_rounds; i++) {
        free (e->rounds [i]->closed_on);
        free (e->rounds [i]->investors);
        free (e->rounds [i]);
    }
    keep = cli_args_flag (args, "clear-loans") ? 0 : current->n_loans;
    for (size_t i = keep; e->loans && i < e->n_loans; i++) {
        free (e->loans [i]->lender);
        free (e->loans [i]->drawn_on);
        free (e->loans [i]->matures_on);
        free (e->loans [i]);
    }
    keep = cli_args_flag (args, "clear-links") ? 0 : current->n_chain_links;
    for (size_t i = keep; e->chain_links && i < e->n_chain_links; i++) {
        free (e->chain_links [i]->leader_code);
        free (e->chain_links [i]->chain);
        free (e->chain_links [i]);
    }
    free (e->awards);
    free (e->rounds);
    free (e->loans);
    free (e->chain_links);
}

int
cli_enterprise_update (cli_t *cli, int argc, char **argv)
{
    char own [512], spec [640];
    snprintf (spec, sizeof spec,
              "%s award= round= loan= link= clear-awards! clear-rounds! "
              "clear-loans! clear-links! version=",
              cli_enterprise_own_spec (false, own, sizeof own));
    cli_args_t *args = cli_args_verb (
        argc, argv, spec, cli_enterprise_usage, 1, NULL,
        "enterprise update takes one credit code and the fields to change, "
        "e.g.\n  kejin enterprise update 91210100MA0QEK7B6N --tax-grade A "
        "--dishonest no");
    if (!args)
        return CLI_USAGE;
    const char *code = cli_args_positional (args, 0);
    Kj__UpdateEnterpriseRequest request = KJ__UPDATE_ENTERPRISE_REQUEST__INIT;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    Kj__CreditFlags credit = KJ__CREDIT_FLAGS__INIT;
    Kj__IpAssets ip = KJ__IP_ASSETS__INIT;
    cli_mask_t mask = { .count = 0 };
    e.code = (char *) code;
    int rc = CLI_USAGE;
    int64_t expected;
    if (cli_args_version (args, &expected)) {
        cli_args_destroy (&args);
        return CLI_USAGE;
    }
    //  The lists add to what is there: read it first, and make the update
    //  conditional on that version so that nothing added meanwhile is lost
    Kj__EnterpriseReply *current = NULL;
    Kj__Enterprise none = KJ__ENTERPRISE__INIT;
    bool lists = cli_args_flag (args, "award") || cli_args_flag (args, "round")
              || cli_args_flag (args, "loan") || cli_args_flag (args, "link")
              || cli_args_flag (args, "clear-awards")
              || cli_args_flag (args, "clear-rounds")
              || cli_args_flag (args, "clear-loans")
              || cli_args_flag (args, "clear-links");
    if (lists) {
        rc = cli_enterprise_get (cli, code, &current);
        if (rc != CLI_OK) {
            cli_args_destroy (&args);
            return rc;
        }
        if (!expected)
            expected = (int64_t) current->enterprise->version;
    }
    Kj__Enterprise *base = current ? current->enterprise : &none;
    if (cli_enterprise_own_fields (args, &e, &credit, &ip, &mask, false) == 0
        && s_awards (args, base, &e, &mask) == 0
        && s_rounds (args, base, &e, &mask) == 0
        && s_loans (args, base, &e, &mask) == 0
        && s_links (args, base, &e, &mask) == 0) {
        if (mask.count == 0)
            fprintf (stderr, _ ("kejin: nothing to change: give at least one "
                                "field (see `kejin enterprise --help`)\n"));
        else {
            request.enterprise = &e;
            request.update_mask = (char **) mask.names;
            request.n_update_mask = mask.count;
            request.expected_version = (uint64_t) expected;
            rc = cli_enterprise_call (cli, "UpdateEnterprise", &request.base,
                                      N_ ("Updated:"));
        }
    }
    s_free_added (base, &e, args);
    if (current)
        kj__enterprise_reply__free_unpacked (current, NULL);
    cli_args_destroy (&args);
    return rc;
}
