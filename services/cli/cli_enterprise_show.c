/*  =========================================================================
    cli_enterprise_show - `kejin enterprise show`, and an enterprise as
    people and --json see it, for every verb that answers with one

    The calls that change an enterprise and print what the registry
    answered (cli_enterprise_call) live here too: each verb of
    cli_enterprise*.c ends with one.
    =========================================================================
*/

#include "cli_enterprise_private.h"

//  --------------------------------------------------------------------------
//  Showing an enterprise

static const char *
s_yes (bool value)
{
    return value ? _ ("yes") : _ ("no");
}

void
cli_enterprise_print_stage (const Kj__Enterprise *e)
{
    const Kj__StageInfo *s = e->stage;
    if (!s)
        return;
    printf (_ ("  stage       %s"),
            cli_enum_label (&kj__stage__descriptor, "STAGE_", s->stage));
    printf (_ ("  rule %s, rules %s%s\n"), s->rule, s->version,
            s->needs_review ? _ (", needs review") : "");
    char reason [1024];
    printf ("              %s\n",
            cli_reason (s->reason, reason, sizeof reason));
    if (s->overridden)
        printf (_ ("              set by hand (%s); the rules say %s\n"),
                s->override_reason,
                cli_enum_label (&kj__stage__descriptor, "STAGE_", s->computed));
}

bool
cli_enterprise_reported (const Kj__YearFigures *f, const char *name)
{
    for (size_t i = 0; i < f->n_not_reported; i++)
        if (streq (f->not_reported [i], name))
            return false;
    return true;
}

//  A figure as shown: "not reported" when it has no value, else yuan, or
//  a count given as -1 - count. buf holds 64 bytes.
static const char *
s_figure (const Kj__YearFigures *f, const char *name, int64_t value, char *buf)
{
    if (!cli_enterprise_reported (f, name))
        return _ ("not reported");
    if (value < 0 && (streq (name, "staff") || streq (name, "tech-staff")))
        snprintf (buf, 64, "%" PRId64, -1 - value);
    else
        cli_yuan (value, buf, 64);
    return buf;
}

//  The lines of registry_check's field tables (its flags, counts and the
//  tax grade): a part's rows on one line under the part's heading, the
//  table's then the own table's in their order (so a new row shows with
//  no edit here), and the flags of e itself on the flags line, which ends
//  with first loan (an output of the registry, no row). A part e does not
//  hold has no line. Under zh_CN the Chinese heading, labels and comma.
typedef struct {
    const char *prefix;   //  of the rows' paths; "": e's own flags
    const char *head_en;  //  padded to the values' column
    const char *head_zh;
} s_line_t;

static const s_line_t s_lines [] = {
    { "credit.", "  credit      ", "  信用        " },
    { "ip.", "  IP          ", "  知识产权    " },
    { "", "  flags       ", "  标记        " },
};

static bool
s_on_line (const registry_field_t *f, const char *prefix)
{
    if (*prefix)
        return strncmp (f->path, prefix, strlen (prefix)) == 0;
    return f->kind == REGISTRY_FIELD_FLAG && !strchr (f->path, '.');
}

//  A row's value as shown; buf holds 32 bytes
static const char *
s_row_value (const registry_field_t *f, const void *value, char *buf)
{
    switch (f->kind) {
        case REGISTRY_FIELD_FLAG:
            return s_yes (*(const protobuf_c_boolean *) value);
        case REGISTRY_FIELD_COUNT:
            snprintf (buf, 32, "%d", *(const int32_t *) value);
            return buf;
        case REGISTRY_FIELD_ENUM:
            return cli_enum_label (f->type, f->prefix, *(const int *) value);
        default: {
            const char *text = *(char *const *) value;
            return *text ? text : _ ("not reported");
        }
    }
}

//  What comes before a line's item: its heading, or a comma
static const char *
s_before (const s_line_t *line, int shown, bool zh)
{
    if (shown)
        return zh ? "，" : ", ";
    return zh ? line->head_zh : line->head_en;
}

static void
s_print_rows (const Kj__Enterprise *e)
{
    bool zh = strncmp (kj_i18n_lang (), "zh", 2) == 0;
    for (size_t l = 0; l < sizeof s_lines / sizeof s_lines [0]; l++) {
        const s_line_t *line = &s_lines [l];
        int shown = 0;
        for (int n = 0; n < REGISTRY_ENTERPRISE_COLUMNS; n++) {
            const registry_field_t *f = registry_check_enterprise_column (
                (n + REGISTRY_ENTERPRISE_OWN) % REGISTRY_ENTERPRISE_COLUMNS);
            if (!s_on_line (f, line->prefix))
                continue;
            const void *value = registry_check_enterprise_field (e, f);
            if (!value)
                break;  //  the part is not there: nor its other rows
            char buf [32];
            printf ("%s%s %s", s_before (line, shown++, zh),
                    zh ? f->label_zh : f->label_en,
                    s_row_value (f, value, buf));
        }
        if (!*line->prefix)
            printf ("%s%s %s", s_before (line, shown++, zh),
                    zh ? "首贷" : "first loan", s_yes (e->first_loan));
        if (shown)
            printf ("\n");
    }
}

void
cli_enterprise_print (const Kj__Enterprise *e)
{
    char a [64], b [64], c [64], d [64];
    printf ("%s  %s\n", e->code, e->name);
    printf (_ ("  region      %s %s\n"), e->region,
            cli_region_name (e->region));
    //  What was never given is not reported, not a value
    const char *none = _ ("not reported");
    printf (_ ("  industry    %s\n"), *e->industry ? e->industry : none);
    printf (_ ("  founded     %s   size %s\n"),
            *e->founded_on ? e->founded_on : none,
            e->size_class ? cli_enum_label (&kj__size_class__descriptor,
                                            "SIZE_", e->size_class)
                          : none);
    printf (_ ("  status      %s\n"),
            cli_enum_label (&kj__entry_status__descriptor, "ENTRY_",
                            e->status));
    cli_enterprise_print_stage (e);
    s_print_rows (e);
    if (e->techsme) {
        const Kj__TechSmeScore *t = e->techsme;
        printf (_ ("  tech-SME    %d: %d/100 (科技人员 %d, 研发投入 %d, "
                   "科技成果 %d), %s\n"),
                t->year, t->total, t->tech_staff_score, t->rnd_score,
                t->ip_score,
                t->eligible    ? _ ("eligible")
                : t->undecided ? _ ("not judged")
                               : _ ("not eligible"));
        char reason [1024];
        if (!t->eligible && *t->reason)
            printf ("              %s\n",
                    cli_reason (t->reason, reason, sizeof reason));
    }
    printf (_ ("  version     %" PRIu64 ", updated %s\n"), e->version,
            cli_time (e->updated_at_us, a, sizeof a));

    if (e->n_figures == 0)
        printf (_ ("  figures     %s\n"), _ ("not reported"));
    else {
        printf (_ ("\nFigures (yuan)\n"));
        cli_table_t *table = cli_table_new (N_ ("YEAR"), N_ ("REVENUE"), "R&D",
                                            N_ ("NET PROFIT"), N_ ("ASSETS"),
                                            N_ ("CASH FLOW"), N_ ("HIGH-TECH"),
                                            N_ ("COST"), N_ ("STAFF"),
                                            N_ ("TECH"), NULL);
        for (size_t i = 0; i < e->n_figures; i++) {
            const Kj__YearFigures *f = e->figures [i];
            char year [16], staff [64], tech [64], e1 [64], e2 [64], e3 [64];
            snprintf (year, sizeof year, "%d", f->year);
            cli_table_row (table, year,
                           s_figure (f, "revenue", f->revenue_fen, a),
                           s_figure (f, "rnd", f->rnd_fen, b),
                           s_figure (f, "net-profit", f->net_profit_fen, c),
                           s_figure (f, "assets", f->total_assets_fen, d),
                           s_figure (f, "cash-flow", f->operating_cash_flow_fen,
                                     e1),
                           s_figure (f, "high-tech-revenue",
                                     f->high_tech_revenue_fen, e2),
                           s_figure (f, "cost", f->total_cost_fen, e3),
                           s_figure (f, "staff", -1 - f->staff, staff),
                           s_figure (f, "tech-staff", -1 - f->tech_staff,
                                     tech));
        }
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
    if (e->n_qualifications) {
        printf (_ ("\nQualifications\n"));
        cli_table_t *table = cli_table_new (N_ ("KIND"), N_ ("LEVEL"),
                                            N_ ("CERTIFICATE"), N_ ("GRANTED"),
                                            N_ ("EXPIRES"), "", NULL);
        for (size_t i = 0; i < e->n_qualifications; i++) {
            const Kj__Qualification *q = e->qualifications [i];
            cli_table_row (table,
                           cli_enum_label (&kj__qualification_kind__descriptor,
                                           "QUAL_", q->kind),
                           q->level ? cli_enum_label (&kj__level__descriptor,
                                                      "LEVEL_", q->level)
                                    : "-",
                           q->certificate, q->granted_on, q->expires_on,
                           q->expired ? _ ("expired") : "");
        }
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
    if (e->n_awards) {
        printf (_ ("\nAwards\n"));
        cli_table_t *table = cli_table_new (N_ ("NAME"), N_ ("LEVEL"),
                                            N_ ("YEAR"), N_ ("RANK"), NULL);
        for (size_t i = 0; i < e->n_awards; i++) {
            char year [16];
            snprintf (year, sizeof year, "%d", e->awards [i]->year);
            cli_table_row (table, e->awards [i]->name,
                           cli_enum_label (&kj__level__descriptor, "LEVEL_",
                                           e->awards [i]->level),
                           year, e->awards [i]->rank);
        }
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
    if (e->n_rounds) {
        printf (_ ("\nEquity rounds\n"));
        cli_table_t *table = cli_table_new (N_ ("ROUND"), N_ ("AMOUNT"),
                                            N_ ("CLOSED"), N_ ("INVESTORS"),
                                            NULL);
        for (size_t i = 0; i < e->n_rounds; i++)
            cli_table_row (table,
                           cli_enum_label (&kj__round__descriptor, "ROUND_",
                                           e->rounds [i]->round),
                           cli_yuan (e->rounds [i]->amount_fen, a, 64),
                           e->rounds [i]->closed_on, e->rounds [i]->investors);
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
    if (e->n_loans) {
        printf (_ ("\nBank loans\n"));
        cli_table_t *table = cli_table_new (N_ ("LENDER"), N_ ("AMOUNT"),
                                            N_ ("DRAWN"), N_ ("MATURES"),
                                            N_ ("OUTSTANDING"), NULL);
        for (size_t i = 0; i < e->n_loans; i++)
            cli_table_row (table, e->loans [i]->lender,
                           cli_yuan (e->loans [i]->amount_fen, a, 64),
                           e->loans [i]->drawn_on, e->loans [i]->matures_on,
                           s_yes (e->loans [i]->outstanding));
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
    if (e->n_chain_links) {
        printf (_ ("\nChain leaders\n"));
        cli_table_t *table = cli_table_new (N_ ("LEADER"), N_ ("CHAIN"), NULL);
        for (size_t i = 0; i < e->n_chain_links; i++)
            cli_table_row (table, e->chain_links [i]->leader_code,
                           e->chain_links [i]->chain);
        cli_table_print (table, stdout);
        cli_table_destroy (&table);
    }
}

//  A message as a JSON value.
json_t *
cli_enterprise_json (const ProtobufCMessage *message)
{
    char *text = kj_json_string (message, false);
    json_t *value = json_loads (text, 0, NULL);
    free (text);
    return value ? value : json_null ();
}

//  --json of a part of an enterprise: {"code": CODE, "<key>": value}, the
//  code under the name every command gives it (docs/cli.md).
void
cli_enterprise_print_coded (const char *code, const char *key, json_t *value)
{
    json_t *object = json_object ();
    json_object_set_new (object, "code", json_string (code));
    json_object_set_new (object, key, value);
    cli_print_object (object);
}

//  Print a reply's enterprise as JSON or for people, under the line
//  `what` (N_ () text, where %s stands for the code); free the reply.
static int
s_done (cli_t *cli, Kj__EnterpriseReply *reply, const char *what)
{
    if (cli->json)
        cli_print_json (&reply->enterprise->base);
    else {
        if (what) {
            //  what is marked N_ (); its %s, if any, is the code
            printf (_ (what), reply->enterprise->code);
            printf ("\n\n");
        }
        cli_enterprise_print (reply->enterprise);
    }
    kj__enterprise_reply__free_unpacked (reply, NULL);
    return CLI_OK;
}

//  Call a method of the registry that changes an enterprise and answers
//  with it; print it under the line `what` (s_done).
int
cli_enterprise_call (cli_t *cli, const char *method,
                     const ProtobufCMessage *request, const char *what)
{
    Kj__EnterpriseReply *reply = NULL;
    int rc = cli_call (cli, "registry", method, request,
                       &kj__enterprise_reply__descriptor,
                       (ProtobufCMessage **) &reply, false);
    return rc == CLI_OK ? s_done (cli, reply, what) : rc;
}

int
cli_enterprise_get (cli_t *cli, const char *code, Kj__EnterpriseReply **reply)
{
    Kj__GetEnterpriseRequest request = KJ__GET_ENTERPRISE_REQUEST__INIT;
    request.code = (char *) code;
    return cli_call (cli, "registry", "GetEnterprise", &request.base,
                     &kj__enterprise_reply__descriptor,
                     (ProtobufCMessage **) reply, true);
}

//  --------------------------------------------------------------------------
//  show

static int
s_history (cli_t *cli, const char *kind, const char *subject)
{
    Kj__HistoryReply *reply = NULL;
    int rc = cli_reg_history_call (cli, kind, subject, 1000, &reply);
    if (rc != CLI_OK)
        return rc;
    if (cli->json)
        cli_print_json (&reply->base);
    else {
        printf (_ ("\nAudit trail\n"));
        cli_table_t *table = cli_table_new (N_ ("WHEN"), N_ ("WHO"),
                                            N_ ("ACTION"), N_ ("BEFORE"),
                                            N_ ("AFTER"), N_ ("REASON"), NULL);
        for (size_t i = 0; i < reply->n_entries; i++) {
            const Kj__AuditEntry *a = reply->entries [i];
            char when [32];
            cli_table_row (table, cli_time (a->at_us, when, sizeof when),
                           a->who, a->action, a->before, a->after, a->reason);
        }
        if (reply->n_entries)
            cli_table_print (table, stdout);
        else
            printf (_ ("(nothing recorded yet)\n"));
        cli_table_destroy (&table);
    }
    kj__history_reply__free_unpacked (reply, NULL);
    return CLI_OK;
}

//  show CODE [--history]
static int
s_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *message)
{
    const Kj__EnterpriseReply *reply = (const Kj__EnterpriseReply *) message;
    if (cli->json)
        cli_print_json (&reply->enterprise->base);
    else
        cli_enterprise_print (reply->enterprise);
    return cli_args_flag (args, "history")
             ? s_history (cli, "enterprise", reply->enterprise->code)
             : CLI_OK;
}

const cli_call_verb_t cli_enterprise_show = {
    .spec = "history!",
    .positional = 1,
    .complaint = N_ ("enterprise show takes one credit code"),
    .service = "registry",
    .method = "GetEnterprise",
    .request_type = &kj__get_enterprise_request__descriptor,
    .reply_type = &kj__enterprise_reply__descriptor,
    .read_only = true,
    .show = s_shown,
};
