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

//  One item of a list from its option's text "a:b:c", every part of it
//  allocated; NULL when the text is not of the form (complained of)
typedef ProtobufCMessage *(s_item_fn) (const char *text);

static ProtobufCMessage *
s_award (const char *text)
{
    char buffer [512], *f [4];
    size_t n = s_fields (text, f, 4, buffer, sizeof buffer);
    int level;
    int64_t year;
    if (n < 3
        || cli_parse_enum ("--award LEVEL", f [1], &kj__level__descriptor,
                           "LEVEL_", false, &level)
        || cli_parse_int ("--award YEAR", f [2], 1900, 2200, &year)) {
        fprintf (stderr, _ ("kejin: --award takes NAME:LEVEL:YEAR[:RANK], "
                            "e.g. 中国创新创业大赛:national:2023:一等奖\n"));
        return NULL;
    }
    Kj__Award *a = (Kj__Award *) zmalloc (sizeof (Kj__Award));
    kj__award__init (a);
    a->name = strdup (f [0]);
    a->level = (Kj__Level) level;
    a->year = (int32_t) year;
    a->rank = strdup (n > 3 ? f [3] : "");
    return &a->base;
}

static ProtobufCMessage *
s_round (const char *text)
{
    char buffer [512], *f [4];
    size_t n = s_fields (text, f, 4, buffer, sizeof buffer);
    int round;
    int64_t fen;
    if (n < 3
        || cli_parse_enum ("--round ROUND", f [0], &kj__round__descriptor,
                           "ROUND_", false, &round)
        || cli_parse_yuan ("--round YUAN", f [1], &fen)) {
        fprintf (stderr, _ ("kejin: --round takes ROUND:YUAN:DATE"
                            "[:INVESTORS], e.g. a:3000万:2023-06-30:某创投\n"));
        return NULL;
    }
    Kj__EquityRound *r = (Kj__EquityRound *) zmalloc (sizeof (Kj__EquityRound));
    kj__equity_round__init (r);
    r->round = (Kj__Round) round;
    r->amount_fen = fen;
    r->closed_on = strdup (f [2]);
    r->investors = strdup (n > 3 ? f [3] : "");
    return &r->base;
}

static ProtobufCMessage *
s_loan (const char *text)
{
    char buffer [512], *f [5];
    size_t n = s_fields (text, f, 5, buffer, sizeof buffer);
    int64_t fen;
    if (n < 3 || cli_parse_yuan ("--loan YUAN", f [1], &fen)
        || (n > 4 && !streq (f [4], "repaid"))) {
        fprintf (stderr,
                 _ ("kejin: --loan takes LENDER:YUAN:DRAWN"
                    "[:MATURES[:repaid]], e.g. 中国银行:500万:2024-01-15:"
                    "2025-01-14\n"));
        return NULL;
    }
    Kj__BankLoan *l = (Kj__BankLoan *) zmalloc (sizeof (Kj__BankLoan));
    kj__bank_loan__init (l);
    l->lender = strdup (f [0]);
    l->amount_fen = fen;
    l->drawn_on = strdup (f [2]);
    l->matures_on = strdup (n > 3 ? f [3] : "");
    l->outstanding = n <= 4;
    return &l->base;
}

static ProtobufCMessage *
s_link (const char *text)
{
    char buffer [512], *f [2];
    size_t n = s_fields (text, f, 2, buffer, sizeof buffer);
    Kj__ChainLink *c = (Kj__ChainLink *) zmalloc (sizeof (Kj__ChainLink));
    kj__chain_link__init (c);
    c->leader_code = strdup (f [0]);
    c->chain = strdup (n > 1 ? f [1] : "");
    return &c->base;
}

//  The lists update adds to or clears: the option that adds an item, the
//  flag that clears the list, the Enterprise field (also the mask name)
static const struct {
    const char *option, *clear, *field;
    s_item_fn *item;
} s_lists [] = {
    { "award", "clear-awards", "awards", s_award },
    { "round", "clear-rounds", "rounds", s_round },
    { "loan", "clear-loans", "loans", s_loan },
    { "link", "clear-links", "chain_links", s_link },
};
#define S_LISTS (sizeof s_lists / sizeof s_lists [0])

//  A list's count and items in an Enterprise, by its field's descriptor
static size_t *
s_count (Kj__Enterprise *e, size_t list)
{
    const ProtobufCFieldDescriptor
        *field = protobuf_c_message_descriptor_get_field_by_name (
            &kj__enterprise__descriptor, s_lists [list].field);
    assert (field && field->label == PROTOBUF_C_LABEL_REPEATED);
    return (size_t *) ((char *) e + field->quantifier_offset);
}

static ProtobufCMessage ***
s_items (Kj__Enterprise *e, size_t list)
{
    const ProtobufCFieldDescriptor
        *field = protobuf_c_message_descriptor_get_field_by_name (
            &kj__enterprise__descriptor, s_lists [list].field);
    return (ProtobufCMessage ***) ((char *) e + field->offset);
}

//  How many of current's items a list keeps: none when cleared
static size_t
s_kept (cli_args_t *args, Kj__Enterprise *current, size_t list)
{
    return cli_args_flag (args, s_lists [list].clear)
             ? 0
             : *s_count (current, list);
}

//  A list into e: current's items (unless cleared), then those given,
//  each allocated (s_free_added frees them); 0, or -1 on a bad item
static int
s_list (cli_args_t *args, Kj__Enterprise *current, Kj__Enterprise *e,
        cli_mask_t *mask, size_t list)
{
    zlist_t *all = cli_args_all (args, s_lists [list].option);
    if (!all && !cli_args_flag (args, s_lists [list].clear))
        return 0;
    size_t keep = s_kept (args, current, list);
    size_t added = all ? zlist_size (all) : 0;
    size_t *count = s_count (e, list);
    ProtobufCMessage **items = (ProtobufCMessage **) zmalloc (
        (keep + added + 1) * sizeof (void *));
    *s_items (e, list) = items;
    for (*count = 0; *count < keep; (*count)++)
        items [*count] = (*s_items (current, list)) [*count];
    for (const char *v = all ? (const char *) zlist_first (all) : NULL; v;
         v = (const char *) zlist_next (all)) {
        ProtobufCMessage *item = s_lists [list].item (v);
        if (!item)
            return -1;
        items [(*count)++] = item;
    }
    cli_mask_add (mask, s_lists [list].field);
    return 0;
}

//  Free the items s_list added (those after the kept ones) and the lists.
static void
s_free_added (Kj__Enterprise *current, Kj__Enterprise *e, cli_args_t *args)
{
    for (size_t list = 0; list < S_LISTS; list++) {
        ProtobufCMessage **items = *s_items (e, list);
        for (size_t i = s_kept (args, current, list);
             items && i < *s_count (e, list); i++)
            protobuf_c_message_free_unpacked (items [i], NULL);
        free (items);
    }
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
        argc, argv, spec, cli_enterprise_usage (), 1, NULL,
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
    bool lists = false;
    for (size_t list = 0; list < S_LISTS; list++)
        lists |= cli_args_flag (args, s_lists [list].option)
              || cli_args_flag (args, s_lists [list].clear);
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
    int bad = cli_enterprise_own_fields (args, &e, &credit, &ip, &mask, false);
    for (size_t list = 0; !bad && list < S_LISTS; list++)
        bad = s_list (args, base, &e, &mask, list);
    rc = CLI_USAGE;
    if (!bad && mask.count == 0)
        fprintf (stderr, _ ("kejin: nothing to change: give at least one "
                            "field (see `kejin enterprise --help`)\n"));
    else if (!bad) {
        request.enterprise = &e;
        request.update_mask = (char **) mask.names;
        request.n_update_mask = mask.count;
        request.expected_version = (uint64_t) expected;
        rc = cli_enterprise_call (cli, "UpdateEnterprise", &request.base,
                                  N_ ("Updated:"));
    }
    s_free_added (base, &e, args);
    if (current)
        kj__enterprise_reply__free_unpacked (current, NULL);
    cli_args_destroy (&args);
    return rc;
}
