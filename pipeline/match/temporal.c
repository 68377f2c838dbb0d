/*
 * temporal.c - dates, times, durations and frequencies as TIMEX3 spans.
 *
 * Input: sentences and tokens.  Output: spans of type DATE, TIME, DURATION
 * or SET with a TIMEX3 value, and where they apply "mod" (START, APPROX...),
 * "bound" (until, since...: "until 2032" gives the DATE "2032" with
 * bound "until") and "anchor":"none" (a relative expression in a document
 * without a date: its value keeps X's where the anchor would have decided).
 *
 * How, per sentence:
 *
 *   tokens --trigger bits--> rules whose triggers occur (rules.c)
 *        --PCRE2 JIT-->      candidate matches; vetoes drop those they cover
 *        --template-->       value, evaluated against the anchor and tense
 *        --select-->         leftmost-longest, non-overlapping; rule order
 *                            breaks ties
 *        --extend-->         modifiers before/after ("nearly", "or so") join
 *                            the span; a bound word before it is recorded
 *
 * Value templates (models/temporal/rules.tsv): literal text and ${fn:args}.
 * An arg is a named group of the rule's pattern, or a literal.  Functions:
 *   year month day num ordnum   normalise one group
 *   md mref wd holiday qref href season   month-day, month, weekday, ...
 *                               resolved against the anchor (the nearest
 *                               month; a weekday in the past unless the
 *                               nearest tense cue looks ahead)
 *   rel:U,N[,x]   the unit U (a letter, or a group of unit words) N steps
 *                 from the anchor (N a number or this/last/next...)
 *   ago:N,U,S     N units before (S=-1) or after (S=1) the anchor
 *   dur:N,U durhalf:N,U   a duration P..; adverb:G  "weekly" -> P1W
 *   time:H,M,AP (date and time) hh:H,M,AP (time only) part:P decade:G
 *   century:N wdnum:G mod:G
 *
 * The anchor is the document date (the record's dct, or --dct); else a
 * dateline at the top of the article ("LONDON, Jan 21 (Reuters) -"), which
 * gives month and day, and a year only if it has one; else none.  The
 * machine's clock and time zone are never used.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <limits.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

/* ------------------------------------------------------------ templates */

enum {
    FN_YEAR = 1, FN_MONTH, FN_DAY, FN_NUM, FN_ORDNUM, FN_MD, FN_MREF, FN_WD, FN_HOLIDAY,
    FN_QREF, FN_HREF, FN_SEASON, FN_REL, FN_AGO, FN_DUR, FN_DURHALF, FN_ADVERB, FN_TIME,
    FN_PART, FN_DECADE, FN_CENTURY, FN_WDNUM, FN_MOD, FN_HH, FN_WYEAR, FN_YAGO, FN_QOF, FN_YQ, FN_DREF, FN_NAGO, FN_SY, FN_WKOF, FN_NTHWD, FN_DOM, FN_FOLWD, FN_OVN
};

static const struct {
    const char *name;
    int id, min_args, max_args;
} fns[] = {
    {"year", FN_YEAR, 1, 1},       {"month", FN_MONTH, 1, 1},   {"day", FN_DAY, 1, 1},
    {"num", FN_NUM, 1, 1},         {"ordnum", FN_ORDNUM, 1, 1}, {"md", FN_MD, 2, 2},
    {"mref", FN_MREF, 1, 1},       {"wd", FN_WD, 1, 1},         {"holiday", FN_HOLIDAY, 1, 1},
    {"qref", FN_QREF, 1, 1},       {"href", FN_HREF, 1, 1},     {"season", FN_SEASON, 1, 1},
    {"rel", FN_REL, 2, 3},         {"ago", FN_AGO, 3, 3},       {"dur", FN_DUR, 2, 2},
    {"durhalf", FN_DURHALF, 2, 2}, {"adverb", FN_ADVERB, 1, 1}, {"time", FN_TIME, 3, 3},
    {"part", FN_PART, 1, 1},       {"decade", FN_DECADE, 1, 1}, {"century", FN_CENTURY, 1, 1},
    {"wdnum", FN_WDNUM, 1, 1},     {"mod", FN_MOD, 1, 1},         {"hh", FN_HH, 3, 3},
    {"wyear", FN_WYEAR, 2, 2},     {"yago", FN_YAGO, 1, 1},       {"qof", FN_QOF, 2, 2},
    {"yq", FN_YQ, 1, 1},           {"dref", FN_DREF, 2, 2},
    {"nago", FN_NAGO, 3, 3},       {"sy", FN_SY, 1, 1},         {"wkof", FN_WKOF, 2, 2},
    {"nthwd", FN_NTHWD, 3, 3},     {"dom", FN_DOM, 1, 1},       {"folwd", FN_FOLWD, 1, 1},
    {"ovn", FN_OVN, 1, 1},
};

typedef struct targ {
    int group;       /* > 0: a named group of the pattern */
    char lit[24];    /* else this literal */
} targ;

typedef struct top {
    int fn;          /* 0: literal text */
    char lit[48];
    targ args[3];
    int n_args;
} top;

#define MAX_OPS 8

typedef struct tmpl {
    top ops[MAX_OPS];
    int n_ops;
} tmpl;

typedef struct trule {
    const char *type; /* "DATE", "TIME", "DURATION", "SET" */
    int span_group;   /* > 0: the group "span" gives the span */
    tmpl value;
    tmpl mod;         /* empty: none */
} trule;

static int parse_tmpl(const nm_rule *r, const char *src, tmpl *t, nm_err *err)
{
    memset(t, 0, sizeof(*t));
    for (const char *p = src; *p;) {
        if (t->n_ops == MAX_OPS)
            return nm__err_set(err, NM_EPARSE, "%s: template \"%s\" is too long", r->where, src);
        top *op = &t->ops[t->n_ops++];
        if (p[0] != '$' || p[1] != '{') {
            size_t n = strcspn(p, "$");
            if (n == 0)
                n = 1;
            if (n >= sizeof(op->lit))
                return nm__err_set(err, NM_EPARSE, "%s: literal too long in \"%s\"", r->where, src);
            memcpy(op->lit, p, n);
            p += n;
            continue;
        }
        const char *close = strchr(p, '}');
        const char *colon = strchr(p, ':');
        if (!close || !colon || colon > close)
            return nm__err_set(err, NM_EPARSE, "%s: expected ${fn:args} in \"%s\"", r->where, src);
        size_t fl = (size_t)(colon - p - 2);
        size_t k;
        for (k = 0; k < sizeof(fns) / sizeof(fns[0]); k++)
            if (strlen(fns[k].name) == fl && !strncmp(fns[k].name, p + 2, fl))
                break;
        if (k == sizeof(fns) / sizeof(fns[0]))
            return nm__err_set(err, NM_EPARSE, "%s: unknown function \"%.*s\"", r->where, (int)fl, p + 2);
        op->fn = fns[k].id;
        for (const char *a = colon + 1; a < close;) {
            size_t n = strcspn(a, ",}");
            if (op->n_args == 3 || n == 0 || n >= sizeof(op->args[0].lit))
                return nm__err_set(err, NM_EPARSE, "%s: bad arguments in \"%s\"", r->where, src);
            targ *ta = &op->args[op->n_args++];
            memcpy(ta->lit, a, n);
            ta->lit[n] = '\0';
            ta->group = nm__rule_group(r, ta->lit);
            a += n + (a[n] == ',');
        }
        if (op->n_args < fns[k].min_args || op->n_args > fns[k].max_args)
            return nm__err_set(err, NM_EPARSE, "%s: %s takes %d to %d arguments", r->where,
                               fns[k].name, fns[k].min_args, fns[k].max_args);
        p = close + 1;
    }
    return 0;
}

int nm__temporal_compile(nm_model *m)
{
    int rc;
    if (!m->temporal || !m->temporal_vetoes)
        return nm__err_set(&m->err, NM_EPARSE, "%s/MANIFEST.tsv: no file of kind \"%s\"", m->dir,
                           m->temporal ? "temporal-vetoes" : "temporal-rules");
    /* vetoes share the rules' trigger index: one pass finds both */
    m->temporal_vetoes->share = m->temporal;
    if ((rc = nm__rules_compile(m->temporal, m, &m->err)) < 0 ||
        (rc = nm__rules_compile(m->temporal_vetoes, m, &m->err)) < 0)
        return rc;
    /* tense cues are found by the trigger pass too */
    const nm_strtab *tense = nm__model_table(m, "tense");
    if (!tense)
        return nm__err_set(&m->err, NM_EPARSE, "temporal: the model has no table \"tense\"");
    if ((m->tense_past_id = nm__rules_word_trigger(m->temporal, "\x02tense:past", tense, "past")) < 0 ||
        (m->tense_future_id = nm__rules_word_trigger(m->temporal, "\x02tense:future", tense, "future")) < 0 ||
        (m->tense_ahead_id = nm__rules_word_trigger(m->temporal, "\x02tense:ahead", tense, "ahead")) < 0)
        return nm__err_set(&m->err, NM_ELIMIT, "temporal: no room for the tense triggers");
    if (nm__rules_seal(m->temporal, &m->alloc) < 0)
        return nm__err_set(&m->err, NM_ENOMEM, "out of memory");
    static const char *const types[] = {"DATE", "TIME", "DURATION", "SET"};
    for (size_t i = 0; i < m->temporal->n; i++) {
        nm_rule *r = &m->temporal->rules[i];
        trule *tr = nm__calloc(&m->alloc, 1, sizeof(*tr));
        if (!tr)
            return nm__err_set(&m->err, NM_ENOMEM, "out of memory");
        r->payload = tr;
        for (size_t k = 0; k < 4; k++)
            if (!strcmp(r->fields[1], types[k]))
                tr->type = types[k];
        if (!tr->type)
            return nm__err_set(&m->err, NM_EPARSE, "%s: type must be DATE, TIME, DURATION or SET, not \"%s\"",
                               r->where, r->fields[1]);
        if ((rc = parse_tmpl(r, r->fields[2], &tr->value, &m->err)) < 0)
            return rc;
        tr->span_group = nm__rule_group(r, "span");
        if (strcmp(r->fields[3], "-") != 0 && (rc = parse_tmpl(r, r->fields[3], &tr->mod, &m->err)) < 0)
            return rc;
        /* every group a template names must exist (a literal is fine only
         * where the function takes literals: checked when evaluated) */
    }
    return 0;
}

void nm__temporal_free_model(nm_model *m)
{
    if (m->temporal) {
        nm__rules_free(m->temporal, &m->alloc);
        nm__free(&m->alloc, m->temporal);
    }
    if (m->temporal_vetoes) {
        nm__rules_free(m->temporal_vetoes, &m->alloc);
        nm__free(&m->alloc, m->temporal_vetoes);
    }
    m->temporal = m->temporal_vetoes = NULL;
}

/* ------------------------------------------------------- calendar math */

static long days_from_civil(long y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, long *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* ISO weekday, Monday = 1. */
static int iso_wday(long days) { return (int)(((days % 7) + 7 + 3) % 7) + 1; }

static void iso_week(long days, long *wy, int *wn)
{
    long thursday = days - iso_wday(days) + 4;
    long y;
    int m, d;
    civil_from_days(thursday, &y, &m, &d);
    *wy = y;
    *wn = (int)((thursday - days_from_civil(y, 1, 1)) / 7 + 1);
}

/* --------------------------------------------------------- token search */

/* The first token of [b, e) whose end is past OFF (binary search: tokens
 * are in text order, and a sentence may be long). */
static size_t tok_ending_after(const nm_doc *d, size_t b, size_t e, size_t off)
{
    while (b < e) {
        size_t mid = b + (e - b) / 2;
        if (d->toks[mid].end <= off)
            b = mid + 1;
        else
            e = mid;
    }
    return b;
}

/* The first token of [b, e) that starts at or after OFF. */
static size_t tok_starting_from(const nm_doc *d, size_t b, size_t e, size_t off)
{
    while (b < e) {
        size_t mid = b + (e - b) / 2;
        if (d->toks[mid].start < off)
            b = mid + 1;
        else
            e = mid;
    }
    return b;
}

/* ------------------------------------------------------------- the stage */

typedef struct anchor {
    bool year_known, md_known; /* month and day known */
    long y;
    int m, d;
    long days; /* valid when both are known */
} anchor;

typedef struct cand {
    uint32_t start, end;
    uint32_t rule;
    uint32_t ov_off, n_pairs;    /* the match's groups, in st->ovs */
    uint32_t val_off, val_len;   /* in st->vals, once evaluated */
    char mod[16];
    bool day_default; /* a TIME on the anchor's day for want of its own */
    bool day_borrowed; /* a TIME whose day came from the anchor or the text before */
    bool no_anchor;
} cand;

typedef struct interval {
    uint32_t start, end;
} interval;

typedef struct temporal_state {
    const nm_model *m;
    nm_matcher mt, mt_veto;
    cand *cands;
    size_t n_cands, cap_cands;
    interval *vetoes;
    size_t n_vetoes, cap_vetoes;
    nm_buf vals;  /* candidate values */
    size_t *ovs;  /* the groups of every candidate, two offsets a group */
    size_t n_ovs, cap_ovs;
    nm_buf attrs; /* scratch for span attributes */
    nm_trigset trig;
    uint32_t *which; /* the rules a sentence triggers */
    const nm_strtab *t_month, *t_weekday, *t_number, *t_ordinal, *t_unit, *t_season, *t_daypart,
        *t_modifier, *t_bound, *t_decade, *t_holiday, *t_tense;
    const nm_strtab *mod_last; /* last words of the modifiers */
    int8_t *cues;              /* tense cue of each token of one sentence */
    size_t cap_cues, cue_sent_b, cue_sent_e;
    size_t cue_lo, cue_hi; /* the tokens whose cues are worked out */
    const nm_doc *cue_doc;
    nm_strtab mod_last_tab;
} temporal_state;

static void temporal_close(void *state)
{
    temporal_state *st = state;
    if (!st)
        return;
    nm__matcher_free(&st->mt);
    nm__matcher_free(&st->mt_veto);
    nm__trigset_free(&st->trig);

    nm__free(&st->m->alloc, st->cands);
    nm__free(&st->m->alloc, st->vetoes);
    nm_buf_free(&st->vals);
    nm__free(&st->m->alloc, st->ovs);
    nm_buf_free(&st->attrs);
    nm_strtab_free(&st->mod_last_tab);
    nm__free(&st->m->alloc, st->cues);
    nm__free(&st->m->alloc, st->which);
    nm__free(&st->m->alloc, st);
}

static int temporal_open(void **state, const nm_model *m, const nm_opts *o, nm_err *err)
{
    (void)o;
    temporal_state *st = nm__calloc(&m->alloc, 1, sizeof(*st));
    int rc = 0;
    if (!st)
        return nm__err_set(err, NM_ENOMEM, "out of memory");
    st->m = m;
    nm_buf_init(&st->vals, (size_t)1 << 26, &m->alloc);
    nm_buf_init(&st->attrs, 4096, &m->alloc);
    nm__trigset_init(&st->trig, &m->alloc);

    if (nm__matcher_init(&st->mt, m->temporal, &m->alloc) < 0 ||
        nm__matcher_init(&st->mt_veto, m->temporal_vetoes, &m->alloc) < 0) {
        rc = nm__err_set(err, NM_ENOMEM, "out of memory");
        goto done;
    }
    size_t most = m->temporal->n > m->temporal_vetoes->n ? m->temporal->n : m->temporal_vetoes->n;
    if (most > 64 * 64) {
        rc = nm__err_set(err, NM_ELIMIT, "temporal: more than %d rules", 64 * 64);
        goto done;
    }
    if (!(st->which = nm__calloc(&m->alloc, most ? most : 1, sizeof(uint32_t)))) {
        rc = nm__err_set(err, NM_ENOMEM, "out of memory");
        goto done;
    }
    struct {
        const nm_strtab **slot;
        const char *name;
    } need[] = {
        {&st->t_month, "month"},     {&st->t_weekday, "weekday"},   {&st->t_number, "number"},
        {&st->t_ordinal, "ordinal"}, {&st->t_unit, "unit"},         {&st->t_season, "season"},
        {&st->t_daypart, "daypart"}, {&st->t_modifier, "modifier"}, {&st->t_bound, "bound"},
        {&st->t_decade, "decade"},   {&st->t_holiday, "holiday"},   {&st->t_tense, "tense"},
    };
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        if (!(*need[i].slot = nm__model_table(m, need[i].name))) {
            rc = nm__err_set(err, NM_EPARSE, "temporal: the model has no table \"%s\"", need[i].name);
            goto done;
        }
    }
    /* the last word of each modifier ("least" of "at least") */
    if (nm_strtab_init(&st->mod_last_tab, 64, &m->alloc) < 0) {
        rc = nm__err_set(err, NM_ENOMEM, "out of memory");
        goto done;
    }
    st->mod_last = &st->mod_last_tab;
    for (size_t i = 0; i < st->t_modifier->n_slots; i++) {
        const nm_strtab_entry *e = &st->t_modifier->slots[i];
        if (e->key_off == UINT32_MAX)
            continue;
        const char *k = st->t_modifier->arena.ptr + e->key_off;
        const char *sp = strrchr(k, ' ');
        const char *w = sp ? sp + 1 : k;
        if (nm_strtab_put(&st->mod_last_tab, w, strlen(w), 1, NULL, 0) < 0) {
            rc = nm__err_set(err, NM_ENOMEM, "out of memory");
            goto done;
        }
    }
done:
    if (rc < 0) {
        temporal_close(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

/* Everything one evaluation needs. */
typedef struct ectx {
    temporal_state *st;
    const nm_doc *d;
    const nm_rule *r;
    const size_t *ov;
    int n_pairs;
    const anchor *a;
    int tense; /* -1 past, 0 unknown, 1 future; 2: not yet worked out */
    int *quarterly; /* the document reports by quarter: -1 not known yet */
    const anchor *ref; /* the date the text last named (year_known false: none) */
    char ref_gran;     /* its granularity: 'Y', 'Q', 'M' or 'D' */
    bool ref_here;     /* it is a day named earlier in this sentence */
    bool ref_same_sent; /* it was named earlier in this sentence */
    bool ref_recent;    /* ... or in one of the three sentences before */
    bool ref_fresh;     /* ... or in one of the six sentences before */
    const bool *now_named; /* the text has named a date of this year or last (a news story,
                            * whose "since September 1958" tells no story of 1958) */
    bool day_default;   /* a clock time put on the anchor's day for want of one */
    bool day_borrowed;  /* a clock time whose day came from elsewhere */
    size_t sb, se;  /* the sentence's tokens */
    bool cue_adjacent; /* the tense cue is the word just before */
    int prep;          /* the word before: PREP_NONE, PREP_IN, PREP_DEADLINE */
    bool no_anchor;
    bool fail;
} ectx;

static int tense_near(temporal_state *st, const nm_doc *d, size_t b, size_t e, size_t start,
                      size_t end);

enum { PREP_NONE, PREP_IN, PREP_DEADLINE, PREP_SINCE };

static bool tok_is(const nm_doc *d, const nm_tok *t, const char *w, size_t n)
{
    return t->kind == NM_TOK_WORD && t->norm_len == n && !memcmp(d->strings.ptr + t->norm_off, w, n);
}

/* Is the word W (N bytes) one of the COUNT words of LIST? */
static bool word_in(const char *w, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (list[i][0] == w[0] && strlen(list[i]) == n && !memcmp(list[i], w, n))
            return true;
    return false;
}

/* Is T a word of the static array LIST? */
#define TOK_IN(d, t, list)                                                                         \
    ((t)->kind == NM_TOK_WORD &&                                                                   \
     word_in((d)->strings.ptr + (t)->norm_off, (t)->norm_len, list, sizeof(list) / sizeof(list[0])))

static const char *table_val(const nm_strtab *t, const char *key)
{
    const nm_strtab_entry *e = nm_strtab_get(t, key, strlen(key));
    return e ? nm_strtab_val(t, e) : NULL;
}

/* "A B" into BUF (capped): two words joined by a space. */
static const char *join2(char *buf, size_t cap, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la + lb + 2 > cap)
        return "";
    memcpy(buf, a, la);
    buf[la] = ' ';
    memcpy(buf + la + 1, b, lb + 1);
    return buf;
}

/* "in/during March" takes the tense of its verb at any distance from the
 * anchor; "to/by/until/through/before/effective Nov. 16" names a deadline,
 * which a past-tense verb does not move into the past ("the offer was
 * extended to Nov. 16"). */
static int prep_kind(const nm_doc *d, const nm_tok *t)
{
#define IS(w) tok_is(d, t, w, sizeof(w) - 1)
    if (IS("in") || IS("during"))
        return PREP_IN;
    if (IS("since"))
        return PREP_SINCE;
    if (IS("to") || IS("by") || IS("until") || IS("till") || IS("through") || IS("before") ||
        IS("effective") || IS("around") || IS("into"))
        return PREP_DEADLINE;
#undef IS
    return PREP_NONE;
}

/* The tense around the match, worked out on first use only. */
static int get_tense(ectx *c)
{
    if (c->tense == 2) {
        c->tense = tense_near(c->st, c->d, c->sb, c->se, c->ov[0], c->ov[1]);
        /* is the deciding cue the word just before ("the year ended
         * Jan. 31", "met Monday")?  Which preposition leads in? */
        size_t first = tok_ending_after(c->d, c->sb, c->se, c->ov[0]);
        c->cue_adjacent = false;
        c->prep = PREP_NONE;
        if (first > c->sb) {
            c->cue_adjacent = c->tense != 0 && c->st->cues[first - 1 - c->sb] == c->tense;
            c->prep = prep_kind(c->d, &c->d->toks[first - 1]);
            /* "retroactive to January 1": the bound table knows the
             * two words for a start already past */
            if (c->prep == PREP_DEADLINE && first - 1 > c->sb) {
                char two[64];
                const char *b = table_val(
                    c->st->t_bound, join2(two, sizeof(two), c->d->strings.ptr + c->d->toks[first - 2].norm_off,
                                          c->d->strings.ptr + c->d->toks[first - 1].norm_off));
                if (b && !strcmp(b, "since"))
                    c->prep = PREP_SINCE;
            }
        }
    }
    return c->tense;
}

/* The text of an arg, lower-cased, into BUF. */
static const char *arg_text(ectx *c, const targ *ta, char *buf, size_t cap)
{
    if (ta->group <= 0)
        return ta->lit;
    if (ta->group >= c->n_pairs || c->ov[2 * ta->group] == PCRE2_UNSET) {
        buf[0] = '\0';
        return buf;
    }
    size_t s = c->ov[2 * ta->group], e = c->ov[2 * ta->group + 1], n = 0;
    for (size_t i = s; i < e && n + 1 < cap; i++) {
        unsigned char ch = (unsigned char)c->d->text[i];
        if (ch == '\n' || ch == '\t' || ch == '\r')
            ch = ' ';
        if (ch == ' ' && n && buf[n - 1] == ' ')
            continue;
        buf[n++] = (char)((ch >= 'A' && ch <= 'Z') ? ch | 32 : ch);
    }
    buf[n] = '\0';
    return buf;
}


/* Look KEY up, also without a final '.' or 's' (plurals: "mondays"). */
static const char *table_val_loose(const nm_strtab *t, const char *key)
{
    const char *v = table_val(t, key);
    size_t n = strlen(key);
    char buf[64];
    if (v || n == 0 || n >= sizeof(buf))
        return v;
    memcpy(buf, key, n + 1);
    if (buf[n - 1] == '.' || buf[n - 1] == 's') {
        buf[n - 1] = '\0';
        v = table_val(t, buf);
    }
    return v;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* A number from digits or words ("twenty-one", "a couple of"); -1 for a
 * vague one ("several"), -2 if not a number.  Halves: *half set. */
static long parse_number(ectx *c, const char *s, bool *half)
{
    *half = false;
    while (*s == ' ')
        s++;
    if (all_digits(s))
        return strtol(s, NULL, 10);
    char *end;
    double v = strtod(s, &end);
    if (end != s && *end == '\0') {
        long whole = (long)v;
        if (v - (double)whole > 0.4 && v - (double)whole < 0.6)
            *half = true;
        return whole;
    }
    if (s[0] == '\'' && all_digits(s + 1))
        return strtol(s + 1, NULL, 10);
    const char *tv = table_val(c->st->t_number, s);
    if (tv) {
        if (!strcmp(tv, "X"))
            return -1;
        if (!strcmp(tv, "0.5")) {
            *half = true;
            return 0;
        }
        return strtol(tv, NULL, 10);
    }
    /* twenty-one, twenty one */
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", s);
    char *sep = strpbrk(buf, "- ");
    if (sep) {
        *sep = '\0';
        const char *a = table_val(c->st->t_number, buf), *b = table_val(c->st->t_number, sep + 1);
        if (a && b && all_digits(a) && all_digits(b))
            return strtol(a, NULL, 10) + strtol(b, NULL, 10);
    }
    return -2;
}

static int parse_ordinal(ectx *c, const char *s)
{
    if (s[0] >= '0' && s[0] <= '9')
        return (int)strtol(s, NULL, 10);
    const char *v = table_val(c->st->t_ordinal, s);
    return v ? (int)strtol(v, NULL, 10) : -1;
}

static int parse_month(ectx *c, const char *s)
{
    if (all_digits(s))
        return (int)strtol(s, NULL, 10);
    const char *v = table_val_loose(c->st->t_month, s);
    return v ? (int)strtol(v, NULL, 10) : -1;
}

static long parse_year(ectx *c, const char *s)
{
    if (s[0] == '\'')
        s++;
    size_t n = strlen(s);
    if (!all_digits(s))
        return -1;
    long y = strtol(s, NULL, 10);
    if (n == 2) {
        /* two digits: the century that puts the year nearest the anchor */
        long base = c->a->year_known ? c->a->y : 2000;
        long guess = (base / 100) * 100 + y;
        if (guess > base + 20)
            guess -= 100;
        else if (guess < base - 80)
            guess += 100;
        y = guess;
    }
    return y;
}

/* The unit code of a unit word or letter. */
static const char *parse_unit(ectx *c, const char *s)
{
    const char *v = table_val(c->st->t_unit, s);
    if (v)
        return v;
    static const char *const codes[] = {"Y", "M", "W", "D", "H", "MIN", "S", "Q", "DE", "CE", "FN", "WE", "E", "C"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        char up[8];
        size_t n = strlen(s);
        if (n >= sizeof(up))
            break;
        for (size_t k = 0; k <= n; k++)
            up[k] = (char)((s[k] >= 'a' && s[k] <= 'z') ? s[k] - 32 : s[k]);
        if (!strcmp(up, codes[i]))
            return codes[i];
    }
    return NULL;
}

#define RECENT 1000 /* step: the latest one, this one if it is on now */

/* this/last/next ... as a step; or a signed number literal. */
static long floor_div(long a, long b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

static int parse_step(const char *s, bool *ok)
{
    *ok = true;
    if (!strcmp(s, "this") || !strcmp(s, "the") || !strcmp(s, "current") || !strcmp(s, "0"))
        return 0;
    if (!strcmp(s, "last") || !strcmp(s, "past") || !strcmp(s, "previous") || !strcmp(s, "prior"))
        return -1;
    if (!strcmp(s, "next") || !strcmp(s, "coming") || !strcmp(s, "following"))
        return 1;
    if (!strcmp(s, "recent"))
        return RECENT;
    char *end;
    long v = strtol(s, &end, 10);
    if (end != s && *end == '\0')
        return (int)v;
    *ok = false;
    return 0;
}

/*
 * A small printf for values: %d %ld with an optional 0-padded width, %s,
 * %c, %%.  Values are built for every candidate, and the C library's
 * vsnprintf was a tenth of the stage's time.
 */
static int put(nm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int put(nm_buf *b, const char *fmt, ...)
{
    char tmp[128];
    size_t n = 0;
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p && n < sizeof(tmp) - 24; p++) {
        if (*p != '%') {
            tmp[n++] = *p;
            continue;
        }
        p++;
        bool zero = false;
        int width = 0;
        if (*p == '0') {
            zero = true;
            p++;
        }
        while (*p >= '1' && *p <= '9')
            width = width * 10 + (*p++ - '0');
        bool is_long = false;
        if (*p == 'l') {
            is_long = true;
            p++;
        }
        if (*p == 'd') {
            long v = is_long ? va_arg(ap, long) : (long)va_arg(ap, int);
            char digits[24];
            int k = 0;
            bool neg = v < 0;
            unsigned long u = neg ? 0ul - (unsigned long)v : (unsigned long)v;
            do {
                digits[k++] = (char)('0' + u % 10);
                u /= 10;
            } while (u && k < 20);
            if (neg)
                tmp[n++] = '-';
            for (int pad = k; pad < width; pad++)
                tmp[n++] = zero ? '0' : ' ';
            while (k)
                tmp[n++] = digits[--k];
        } else if (*p == 's') {
            const char *sv = va_arg(ap, const char *);
            size_t l = strlen(sv);
            if (n + l >= sizeof(tmp) - 24) {
                va_end(ap);
                return NM_ELIMIT;
            }
            memcpy(tmp + n, sv, l);
            n += l;
        } else if (*p == 'c') {
            tmp[n++] = (char)va_arg(ap, int);
        } else if (*p == '%') {
            tmp[n++] = '%';
        } else {
            va_end(ap);
            return NM_EINVAL;
        }
    }
    va_end(ap);
    return nm_buf_put(b, tmp, n);
}


/*
 * Year for month M (and day D, 0 if none) without a year of its own: the
 * occurrence nearest the anchor, within half a year either way, unless the
 * nearest tense cue contradicts it by more than four months (a past cue
 * and a date four months ahead: it is the one before).  News names the
 * coming weeks in past-tense sentences all the time ("the offer was
 * extended to Nov. 16"), so a cue alone is weak evidence; measured on
 * TimeBank, this mix beats both nearest-only and tense-first.
 */
static long resolve_year(ectx *c, int m, int d)
{
    const anchor *a = c->a;
    long y = a->y;
    /* a story told of long ago ("One morning in May 1998 ... on Saturday,
     * May 16"): a month or day named in the last few sentences, five years
     * or more back, sets the year of a date in a sentence that does not
     * look ahead (news naming an old date and then this year's plans
     * does: "The crossings will open from April 1") */
    if (c->ref_recent && c->ref->year_known && c->ref->y <= a->y - 5 && !*c->now_named &&
        (c->ref_gran == 'M' || c->ref_gran == 'D') && a->year_known && get_tense(c) <= 0)
        return c->ref->y;
    if (!a->md_known)
        return y;
    long here = days_from_civil(y, m, d ? d : 15);
    if (here - a->days > 183)
        y--;
    else if (a->days - here > 183)
        y++;
    here = days_from_civil(y, m, d ? d : 15);
    if (y == a->y && m == a->m && !d)
        return y; /* the anchor's own month is this year's, whatever the tense */
    int tense = get_tense(c);
    /* a cue right before the date ("the year ended Jan. 31") is strong, and
     * so is a verb governing "in March"; a deadline stays ahead */
    long limit = c->cue_adjacent || c->prep == PREP_IN ? 0 : tense > 0 ? 30 : 120;
    if (tense < 0 && c->prep == PREP_DEADLINE && !c->cue_adjacent)
        limit = 183;
    if (c->prep == PREP_SINCE) /* "gained 40% since January": a January before now */
        return here > a->days ? y - 1 : y;
    if (tense < 0 && here - a->days > limit)
        y--;
    else if (tense > 0 && a->days - here > limit)
        y++;
    return y;
}

/* Is the date the text last named fine enough to count units U from it?
 * (years from any, quarters from a quarter or finer, months from a month
 * or a day, days and weeks from a day) */
static bool ref_fine(const ectx *c, const char *u)
{
    if (!c->ref_fresh)
        return false; /* named too long ago to be what "the previous month" means */
    char g = c->ref_gran;
    if (!strcmp(u, "DE") || !strcmp(u, "CE") || !strcmp(u, "E") || !strcmp(u, "C"))
        return c->ref->year_known;
    return c->ref->year_known && (u[0] == 'Y' || (u[0] == 'Q' && g != 'Y') ||
                                  (u[0] == 'M' && (g == 'M' || g == 'D')) || g == 'D');
}

/* A noun for an event that can lie ahead: "Saturday's game". */
static bool is_event_noun(const nm_doc *d, const nm_tok *t)
{
    static const char *const w[] = {"game", "match", "meeting", "vote", "election", "summit",
                                    "race", "final", "deadline", "auction", "launch", "debate",
                                    "hearing", "talks", "opening", "kick-off", "kickoff", "ceremony",
                                    "runoff", "referendum", "session", "conference", "event"};
    return TOK_IN(d, t, w);
}

/* Does the document report by quarter (worked out once, on first use)? */
static bool is_quarterly(ectx *c)
{
    if (*c->quarterly < 0) {
        *c->quarterly = 0;
        /* "the third quarter", "the quarter ended", "quarterly", "third-quarter";
         * not "a quarter of households", not "headquarters" */
        static const char *const before[] = {"first", "second", "third", "fourth", "the", "this",
                                             "last", "latest", "current", "fiscal", "same",
                                             "year-ago", "year-earlier", "previous", "prior"};
        for (size_t i = 0; i < c->d->n_toks && !*c->quarterly; i++) {
            const nm_tok *t = &c->d->toks[i];
            const char *w = c->d->strings.ptr + t->norm_off;
            const char *q = t->norm_len >= 7 ? strstr(w, "quarter") : NULL;
            if (!q)
                continue;
            if (q > w) {
                *c->quarterly = q[-1] == '-';
                continue;
            }
            if (!strcmp(w, "quarterly")) {
                *c->quarterly = 1;
                continue;
            }
            if (strcmp(w, "quarter") && strcmp(w, "quarters"))
                continue;
            if (i > 0) {
                const nm_tok *p = &c->d->toks[i - 1];
                if (TOK_IN(c->d, p, before))
                    *c->quarterly = 1;
            }
        }
    }
    return *c->quarterly != 0;
}

static void put_x_date(nm_buf *out, char unit)
{
    switch (unit) {
    case 'D': nm_buf_puts(out, "XXXX-XX-XX"); break;
    case 'W': nm_buf_puts(out, "XXXX-WXX"); break;
    case 'M': nm_buf_puts(out, "XXXX-XX"); break;
    case 'Q': nm_buf_puts(out, "XXXX-QX"); break;
    default: nm_buf_puts(out, "XXXX"); break;
    }
}

/* The anchor moved by N units of U, written at U's granularity. */
static int put_shifted(ectx *c, nm_buf *out, const char *u, long n)
{
    const anchor *a = c->a;
    char unit = u[0];
    if (!strcmp(u, "DE") || !strcmp(u, "E"))
        unit = 'E';
    else if (!strcmp(u, "CE") || !strcmp(u, "C"))
        unit = 'C';
    else if (!strcmp(u, "WE"))
        unit = 'K';
    else if (!strcmp(u, "MIN") || u[0] == 'H' || u[0] == 'S' || !strcmp(u, "FN"))
        unit = strcmp(u, "FN") ? 'D' : 'W';
    bool need_md = unit == 'D' || unit == 'W' || unit == 'M' || unit == 'Q' || unit == 'K';
    if (!a->year_known && a->md_known && (unit == 'D' || unit == 'M')) {
        /* a dateline without a year still fixes the month and the day:
         * count in a common year and leave the year open */
        long y;
        int m, d;
        c->no_anchor = true;
        if (unit == 'M') {
            long total = (a->m - 1) + n;
            return put(out, "XXXX-%02ld", ((total % 12) + 12) % 12 + 1);
        }
        civil_from_days(days_from_civil(2001, a->m, a->d) + n, &y, &m, &d);
        return put(out, "XXXX-%02d-%02d", m, d);
    }
    if (!a->year_known || (need_md && !a->md_known)) {
        c->no_anchor = true;
        put_x_date(out, unit == 'K' ? 'W' : unit);
        if (unit == 'K')
            nm_buf_puts(out, "-WE");
        return 0;
    }
    long y;
    int m, d;
    switch (unit) {
    case 'D':
        civil_from_days(a->days + n, &y, &m, &d);
        return put(out, "%04ld-%02d-%02d", y, m, d);
    case 'W':
    case 'K': {
        long wy;
        int wn;
        if (n == RECENT) /* the weekend: this one from Saturday on, else the last
                          * (the coming one in a sentence that looks ahead) */
            n = unit == 'K' && iso_wday(a->days) < 6 && get_tense(c) <= 0 && c->prep != PREP_DEADLINE
                    ? -1 : 0;
        iso_week(a->days + 7 * n, &wy, &wn);
        return put(out, unit == 'K' ? "%04ld-W%02d-WE" : "%04ld-W%02d", wy, wn);
    }
    case 'M': {
        long total = a->y * 12 + (a->m - 1) + n;
        return put(out, "%04ld-%02ld", total / 12, total % 12 + 1);
    }
    case 'Q': {
        long total = a->y * 4 + (a->m - 1) / 3 + n;
        return put(out, "%04ld-Q%ld", total / 4, total % 4 + 1);
    }
    case 'E':
        return put(out, "%03ld", a->y / 10 + n);
    case 'C':
        return put(out, "%02ld", a->y / 100 + n);
    default:
        return put(out, "%04ld", a->y + n);
    }
}

static int put_duration(nm_buf *out, long n, bool half, bool vague, const char *u)
{
    if (vague) {
        if (!strcmp(u, "H") || !strcmp(u, "MIN") || !strcmp(u, "S"))
            return put(out, "PTX%s", !strcmp(u, "MIN") ? "M" : u);
        if (!strcmp(u, "DE"))
            return put(out, "PXY"); /* "for decades": lengths are written in years */
        if (!strcmp(u, "CE"))
            return put(out, "PXC");
        if (!strcmp(u, "FN"))
            return put(out, "PXW");
        return put(out, "PX%s", u);
    }
    /* halves go down a unit: 1.5 years = 18 months */
    static const struct { const char *u, *down, *down_fmt; int mult; } halves[] = {
        {"Y", "M", "P%ldM", 12}, {"M", "D", "P%ldD", 30}, {"W", "D", "P%ldD", 7},
        {"D", "H", "PT%ldH", 24}, {"H", "MIN", "PT%ldM", 60}, {"MIN", "S", "PT%ldS", 60},
        {"DE", "Y", "P%ldY", 10}, {"CE", "Y", "P%ldY", 100},
    };
    if (half && n > 0) { /* 2 1/2 years = P2Y6M */
        if (!strcmp(u, "Y"))
            return put(out, "P%ldY6M", n);
        if (!strcmp(u, "D"))
            return put(out, "P%ldDT12H", n);
        if (!strcmp(u, "H"))
            return put(out, "PT%ldH30M", n);
        if (!strcmp(u, "MIN"))
            return put(out, "PT%ldM30S", n);
    }
    if (half) {
        for (size_t i = 0; i < sizeof(halves) / sizeof(halves[0]); i++)
            if (!strcmp(u, halves[i].u))
                return put(out, halves[i].down_fmt, n * halves[i].mult + halves[i].mult / 2);
    }
    if (!strcmp(u, "H"))
        return put(out, "PT%ldH", n);
    if (!strcmp(u, "MIN"))
        return put(out, "PT%ldM", n);
    if (!strcmp(u, "S"))
        return put(out, "PT%ldS", n);
    if (!strcmp(u, "DE"))
        return put(out, "P%ldY", 10 * n);
    if (!strcmp(u, "CE"))
        return put(out, "P%ldY", 100 * n); /* as a decade is P10Y */
    if (!strcmp(u, "FN"))
        return put(out, "P%ldW", 2 * n);
    return put(out, "P%ld%s", n, u);
}

/* Easter Sunday of year Y as a day number (the Gregorian computus). */
static long easter_day(long y)
{
    long a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25;
    long g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
    long l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
    long month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
    return days_from_civil(y, (int)month, (int)day);
}

/* The day of a moveable holiday in year Y, from its table value: "E+1"
 * (Easter Monday), "N4:4:11" (the fourth Thursday of November), "NL:1:05"
 * (the last Monday of May), each with an optional "+D" days after;
 * LONG_MIN if the value is not one of these. */
static long holiday_day(const char *v, long y)
{
    if (v[0] == 'E')
        return easter_day(y) + strtol(v + 1, NULL, 10);
    if (v[0] == 'T') { /* "T2025-01-29;2026-02-17;...": listed by year (lunar dates) */
        for (const char *p = v + 1; *p;) {
            long yy = strtol(p, NULL, 10);
            int mm = 0, dd = 0;
            if (strlen(p) >= 10 && sscanf(p + 5, "%d-%d", &mm, &dd) == 2 && yy == y)
                return days_from_civil(yy, mm, dd);
            const char *semi = strchr(p, ';');
            if (!semi)
                break;
            p = semi + 1;
        }
        return LONG_MIN;
    }
    int k, w, m;
    char last = 0;
    int plus = 0;
    if (sscanf(v, "N%d:%d:%d+%d", &k, &w, &m, &plus) >= 3 ||
        (sscanf(v, "N%c:%d:%d+%d", &last, &w, &m, &plus) >= 3 && last == 'L' && (k = 5))) {
        if (w < 1 || w > 7 || m < 1 || m > 12 || k < 1 || k > 5)
            return LONG_MIN;
        long first = days_from_civil(y, m, 1), day;
        if (k < 5) {
            day = first + (w - iso_wday(first) + 7) % 7 + 7 * (k - 1);
        } else {
            long next = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
            day = next - 1 - ((iso_wday(next - 1) - w + 7) % 7);
        }
        return day + plus;
    }
    return LONG_MIN;
}

/* Month and day from two args; false if either is not one. */
static bool parse_md(ectx *c, const char *ms, const char *ds, int *m, int *d)
{
    *m = parse_month(c, ms);
    *d = parse_ordinal(c, ds);
    return *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

static int eval_fn(ectx *c, const top *op, nm_buf *out)
{
    char b0[96], b1[96], b2[96];
    const char *a0 = op->n_args > 0 ? arg_text(c, &op->args[0], b0, sizeof(b0)) : "";
    const char *a1 = op->n_args > 1 ? arg_text(c, &op->args[1], b1, sizeof(b1)) : "";
    const char *a2 = op->n_args > 2 ? arg_text(c, &op->args[2], b2, sizeof(b2)) : "";
    const anchor *a = c->a;
    bool half = false, ok;
    long n;
    int m, d;

    switch (op->fn) {
    case FN_YEAR:
        n = parse_year(c, a0);
        return n < 0 ? (c->fail = true, 0) : put(out, "%04ld", n);
    case FN_MONTH:
        m = parse_month(c, a0);
        return m < 1 || m > 12 ? (c->fail = true, 0) : put(out, "%02d", m);
    case FN_DAY:
        d = parse_ordinal(c, a0);
        return d < 1 || d > 31 ? (c->fail = true, 0) : put(out, "%02d", d);
    case FN_NUM:
        n = parse_number(c, a0, &half);
        return n < 0 ? put(out, "X") : put(out, "%ld", n);
    case FN_ORDNUM:
        n = parse_ordinal(c, a0);
        return n < 1 ? (c->fail = true, 0) : put(out, "%ld", n);
    case FN_MD:
    case FN_MREF:
    case FN_HOLIDAY: {
        if (op->fn == FN_HOLIDAY) {
            const char *v = table_val(c->st->t_holiday, a0);
            if (!v)
                return c->fail = true, 0;
            if (v[0] == 'E' || v[0] == 'N' || v[0] == 'T') { /* moveable: Easter, "the fourth Thursday", listed */
                if (!a->year_known) {
                    c->no_anchor = true;
                    return put(out, "XXXX-XX-XX");
                }
                long day = holiday_day(v, a->y);
                if (day == LONG_MIN)
                    return c->fail = true, 0;
                long yy;
                civil_from_days(day, &yy, &m, &d);
                long y = resolve_year(c, m, d); /* this year's or another's, by tense */
                if (y != a->y && (day = holiday_day(v, y)) != LONG_MIN)
                    civil_from_days(day, &yy, &m, &d);
                return put(out, "%04ld-%02d-%02d", y, m, d);
            }
            if (sscanf(v, "%d-%d", &m, &d) != 2)
                return c->fail = true, 0;
        } else {
            m = parse_month(c, a0);
            d = op->fn == FN_MD ? parse_ordinal(c, a1) : 0;
            if (m < 1 || m > 12 || (op->fn == FN_MD && (d < 1 || d > 31)))
                return c->fail = true, 0;
        }
        if (!a->year_known) {
            c->no_anchor = true;
            return d ? put(out, "XXXX-%02d-%02d", m, d) : put(out, "XXXX-%02d", m);
        }
        long y = resolve_year(c, m, d);
        return d ? put(out, "%04ld-%02d-%02d", y, m, d) : put(out, "%04ld-%02d", y, m);
    }
    case FN_WD:
    case FN_WDNUM: {
        const char *v = table_val_loose(c->st->t_weekday, a0);
        if (!v)
            return c->fail = true, 0;
        int w = (int)strtol(v, NULL, 10);
        if (op->fn == FN_WDNUM)
            return put(out, "%d", w);
        if (!a->year_known || !a->md_known) {
            c->no_anchor = true;
            return put(out, "XXXX-WXX-%d", w);
        }
        int today = iso_wday(a->days);
        long days;
        /* "Friday's closing price": a possessive names a day that has been,
         * whatever the verb, unless what it owns is an event still to come
         * in a sentence that looks ahead ("before Saturday's game") */
        size_t after = tok_starting_from(c->d, c->sb, c->se, c->ov[1]);
        bool possessive = after < c->se && c->d->toks[after].start == c->ov[1] &&
                          tok_is(c->d, &c->d->toks[after], "'s", 2); /* norms fold the quote */
        if (possessive && !(after + 1 < c->se && is_event_noun(c->d, &c->d->toks[after + 1]) &&
                            get_tense(c) > 0))
            days = a->days - ((today - w + 7) % 7);
        else if (get_tense(c) > 0) /* "starts on Monday" said on a Monday: today */
            days = a->days + (w - today + 7) % 7;
        else
            days = a->days - ((today - w + 7) % 7);
        long y;
        civil_from_days(days, &y, &m, &d);
        return put(out, "%04ld-%02d-%02d", y, m, d);
    }
    case FN_QREF:
    case FN_HREF: {
        int q = parse_ordinal(c, a0);
        if (q < 1 || q > (op->fn == FN_QREF ? 4 : 2))
            return c->fail = true, 0;
        if (!a->year_known) {
            c->no_anchor = true;
            return put(out, op->fn == FN_QREF ? "XXXX-Q%d" : "XXXX-H%d", q);
        }
        /* a quarter later in the year than the anchor's is, unless the
         * sentence looks ahead, last year's (results are reported after) */
        long y = a->y;
        int cur = a->md_known ? (op->fn == FN_QREF ? (a->m - 1) / 3 + 1 : (a->m - 1) / 6 + 1) : q;
        int tq = get_tense(c);
        if (q > cur && tq <= 0)
            y--;
        else if (q < cur - 1 && tq > 0)
            y++; /* "expects to close by the end of the first quarter", said in
                  * November; the quarter just ended is still this year's */
        return put(out, op->fn == FN_QREF ? "%04ld-Q%d" : "%04ld-H%d", y, q);
    }
    case FN_SEASON: {
        const char *v = table_val(c->st->t_season, a0);
        return v ? nm_buf_puts(out, v) : (c->fail = true, 0);
    }
    case FN_REL: {
        int step = parse_step(a1, &ok);
        if (!ok)
            return c->fail = true, 0;
        if (!strcmp(a0, "S") && op->n_args == 3) { /* this/last/next season */
            const char *code = table_val(c->st->t_season, a2);
            if (!code)
                return c->fail = true, 0;
            if (!a->year_known) {
                c->no_anchor = true;
                return put(out, "XXXX-%s", code);
            }
            /* "last summer" is the latest summer before the season we are
             * in (said in October, this year's); "next fall" is next
             * calendar year's (the coming one is "this fall"); seasons
             * counted from March, December's winter running into the next
             * year */
            static const char *const order[] = {"SP", "SU", "FA", "WI"};
            int ti = -1;
            for (int k = 0; k < 4; k++)
                if (!strcmp(code, order[k]))
                    ti = k;
            if (ti < 0 || !a->md_known || (step != -1 && step != 1))
                return put(out, "%04ld-%s", a->y + step, code);
            long cur = a->m <= 2 ? (a->y - 1) * 4 + 3 : a->y * 4 + (a->m - 3) / 3;
            long y = step < 0 ? floor_div(cur - 1 - ti, 4) : a->y + 1; /* "next fall" said in April: 2026's */
            return put(out, "%04ld-%s", y, code);
        }
        if (op->n_args == 3 && !strcmp(a0, "W")) { /* last/next/this Friday */
            const char *v = table_val_loose(c->st->t_weekday, a2);
            if (!v)
                return c->fail = true, 0;
            int w = (int)strtol(v, NULL, 10);
            if (!a->year_known || !a->md_known) {
                c->no_anchor = true;
                return put(out, "XXXX-WXX-%d", w);
            }
            long monday = a->days - iso_wday(a->days) + 1 + 7L * step;
            long y;
            civil_from_days(monday + w - 1, &y, &m, &d);
            return put(out, "%04ld-%02d-%02d", y, m, d);
        }
        if (op->n_args == 3 && !strcmp(a0, "Y")) { /* last/next June */
            m = parse_month(c, a2);
            if (m < 1)
                return c->fail = true, 0;
            if (!a->year_known || !a->md_known) {
                c->no_anchor = true;
                return put(out, "XXXX-%02d", m);
            }
            /* "last June" is the latest June at least two months back (a
             * month just past is "in February", so "last February" said
             * in March is the year before); "next June" likewise ahead;
             * "this September" this year's */
            long y = a->y;
            if (step < 0 && m > a->m - 2)
                y--;
            else if (step > 0 && m < a->m + 2)
                y++;
            return put(out, "%04ld-%02d", y, m);
        }
        const char *u = parse_unit(c, a0);
        if (!u)
            return c->fail = true, 0;
        return put_shifted(c, out, u, step);
    }
    case FN_NAGO:   /* "two years later": from the date the text last named */
    case FN_AGO: {
        n = parse_number(c, a0, &half);
        const char *u = parse_unit(c, a1);
        long sign = strtol(a2, NULL, 10) < 0 ? -1 : 1;
        if (!u)
            return c->fail = true, 0;
        if (op->fn == FN_NAGO && ref_fine(c, u)) {
            const anchor *saved = c->a;
            c->a = c->ref;
            top o2 = *op;
            o2.fn = FN_AGO;
            int rc = eval_fn(c, &o2, out);
            c->a = saved;
            return rc;
        }
        if (n < 0) /* "several years ago" */
            return nm_buf_puts(out, sign < 0 ? "PAST_REF" : "FUTURE_REF");
        if (half) {
            if (!a->year_known)
                c->no_anchor = true;
            put_x_date(out, u[0]);
            return 0;
        }
        if (!strcmp(u, "DE"))
            return put_shifted(c, out, "DE", sign * n); /* "a decade ago": 201 */
        return put_shifted(c, out, u, sign * n);
    }
    case FN_DUR:
    case FN_DURHALF: {
        const char *u = parse_unit(c, a1);
        if (!u)
            return c->fail = true, 0;
        bool vague = !strcmp(a0, "X") || !strcmp(a0, "multi") || !strcmp(a0, "several") || !strcmp(a0, "many");
        n = vague ? 0 : parse_number(c, a0, &half);
        if (!vague && n == -1)
            vague = true;
        else if (!vague && n < 0)
            return c->fail = true, 0;
        /* "1986 YEAR" in a headline is a year, not 1,986 years */
        if (!vague && u[0] == 'Y' && n >= 1600 && n <= 2199 && strlen(a0) == 4)
            return c->fail = true, 0;
        if (op->fn == FN_DURHALF)
            half = true;
        return put_duration(out, n, half, vague, u);
    }
    case FN_ADVERB: {
        static const struct { const char *w, *v; } adv[] = {
            {"annually", "P1Y"}, {"yearly", "P1Y"}, {"monthly", "P1M"}, {"weekly", "P1W"},
            {"daily", "P1D"}, {"hourly", "PT1H"}, {"quarterly", "P3M"}, {"biannually", "P6M"},
            {"semiannually", "P6M"}, {"semi-annually", "P6M"},
        };
        for (size_t i = 0; i < sizeof(adv) / sizeof(adv[0]); i++)
            if (!strcmp(a0, adv[i].w))
                return nm_buf_puts(out, adv[i].v);
        return c->fail = true, 0;
    }
    case FN_TIME:
    case FN_HH: {
        long h = strtol(a0, NULL, 10), mi = strtol(a1, NULL, 10);
        if (a2[0] == 'p' && h < 12)
            h += 12;
        else if (a2[0] == 'a' && h == 12)
            h = 0;
        if (h > 24 || mi > 59)
            return c->fail = true, 0;
        if (op->fn == FN_HH)
            return put(out, "%02ld:%02ld", h, mi);
        /* "on Sept. 24 at 1 p.m.": the day of a date named just before, in
         * the same sentence; else the document's */
        if (c->ref_here)
            a = c->ref;
        else
            c->day_default = true; /* the anchor's day: it names no day of its own */
        c->day_borrowed = true; /* a day named after it may still be its own */
        if (!a->year_known || !a->md_known) {
            c->no_anchor = true;
            return put(out, "XXXX-XX-XXT%02ld:%02ld", h, mi);
        }
        return put(out, "%04ld-%02d-%02dT%02ld:%02ld", a->y, a->m, a->d, h, mi);
    }
    case FN_PART: {
        const char *v = table_val(c->st->t_daypart, a0);
        return v ? nm_buf_puts(out, v) : (c->fail = true, 0);
    }
    case FN_DECADE: {
        const char *v = table_val(c->st->t_decade, a0);
        if (v)
            return nm_buf_puts(out, v);
        if (a0[0] == '\'' && a0[1] >= '0' && a0[1] <= '9')
            return put(out, "%s%c", a0[1] >= '3' ? "19" : "20", a0[1]);
        if (strlen(a0) == 3 && a0[0] >= '0' && a0[0] <= '9' && a0[1] == '0' && a0[2] == 's')
            return put(out, "%s%c", a0[0] >= '3' ? "19" : "20", a0[0]); /* "the mid-90s" */
        if (strlen(a0) >= 4 && all_digits((char[]){a0[0], a0[1], a0[2], 0})) {
            if (a0[2] == '0' && a0[3] == '0' && a0[0] == '1') /* "the 1800s": a century */
                return nm_buf_put(out, a0, 2);
            return nm_buf_put(out, a0, 3);
        }
        return c->fail = true, 0;
    }
    case FN_WYEAR: { /* "nineteen ninety-six", "twenty oh five" */
        long hi = parse_number(c, a0, &half);
        const char *rest = a1;
        if (!strncmp(rest, "oh", 2) || rest[0] == 'o')
            rest += strcspn(rest, " -") + 1;
        long lo = parse_number(c, rest, &half);
        if (hi < 10 || lo < 0 || lo > 99)
            return c->fail = true, 0;
        return put(out, "%04ld", hi * 100 + lo);
    }
    case FN_QOF: { /* the quarter that ended on month M, day D: the latest one */
        if (!parse_md(c, a0, a1, &m, &d))
            return c->fail = true, 0;
        if (!a->year_known) {
            c->no_anchor = true;
            return put(out, "XXXX-Q%d", (m - 1) / 3 + 1);
        }
        long y = a->y;
        if (a->md_known && (m > a->m || (m == a->m && d > a->d)))
            y--;
        return put(out, "%04ld-Q%d", y, (m - 1) / 3 + 1);
    }
    case FN_YAGO:
        /* "rose 2.9% in June from a year earlier": a year before the date
         * named earlier in the sentence, at its granularity */
        if (c->ref_same_sent && c->ref->year_known && c->ref_gran != 'D') {
            const anchor *saved = c->a;
            c->a = c->ref;
            const char g[2] = {c->ref_gran == 'D' ? 'D' : c->ref_gran, 0};
            int rc = put_shifted(c, out, g, g[0] == 'Y' ? -1 : g[0] == 'Q' ? -4 : g[0] == 'M' ? -12 : -365);
            c->a = saved;
            return rc;
        }
        /* "a year earlier" in a quarterly report is the year-ago quarter */
        if (is_quarterly(c))
            return put_shifted(c, out, "Q", -5);
        return put_shifted(c, out, "Y", -1);
    case FN_DREF: {
        /* "the following year", "that month": from the date the text last
         * named (narrative time), when it is fine enough; else from the
         * document's date, as "next year" would be */
        int step = parse_step(a1, &ok);
        if (!ok)
            return c->fail = true, 0;
        const char *u = parse_unit(c, a0);
        if (!u)
            return c->fail = true, 0;
        if (!ref_fine(c, u))
            return put_shifted(c, out, u, step);
        const anchor *saved = c->a;
        c->a = c->ref;
        int rc = put_shifted(c, out, u, step);
        c->a = saved;
        return rc;
    }
    case FN_WKOF: { /* "the weekend of June 14-15": that date's ISO week */
        if (!parse_md(c, a0, a1, &m, &d))
            return c->fail = true, 0;
        if (!a->year_known) {
            c->no_anchor = true;
            return put(out, "XXXX-WXX");
        }
        long wy;
        int wn;
        iso_week(days_from_civil(resolve_year(c, m, d), m, d), &wy, &wn);
        return put(out, "%04ld-W%02d", wy, wn);
    }
    case FN_NTHWD: { /* "the third Tuesday of May": 1-4, or 5 for the last */
        int k = !strcmp(a0, "last") ? 5 : parse_ordinal(c, a0);
        const char *v = !strcmp(a1, "weekend") ? "6" : table_val_loose(c->st->t_weekday, a1);
        m = parse_month(c, a2);
        if (k < 1 || k > 5 || !v || m < 1 || m > 12)
            return c->fail = true, 0;
        int w = (int)strtol(v, NULL, 10);
        if (!a->year_known) {
            c->no_anchor = true;
            return put(out, "XXXX-%02d", m);
        }
        /* "The 2027 festival will move to the last weekend of June": a
         * year named earlier in the sentence */
        long y = c->ref_same_sent && c->ref_gran == 'Y' ? c->ref->y : resolve_year(c, m, 0);
        long first = days_from_civil(y, m, 1);
        long day;
        if (k < 5) {
            day = first + (w - iso_wday(first) + 7) % 7 + 7 * (k - 1);
        } else { /* the last: from the first of the next month, back */
            long next = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
            day = next - 1 - ((iso_wday(next - 1) - w + 7) % 7);
        }
        long yy;
        if (op->n_args == 3 && !strcmp(a1, "weekend")) { /* "the last weekend of June" */
            long wy;
            int wn;
            iso_week(day, &wy, &wn);
            return put(out, "%04ld-W%02d-WE", wy, wn);
        }
        civil_from_days(day, &yy, &m, &d);
        return put(out, "%04ld-%02d-%02d", yy, m, d);
    }
    case FN_FOLWD: { /* "the following Monday": the first Monday after the day the
                      * text last named (or after the anchor) */
        const char *v = table_val_loose(c->st->t_weekday, a0);
        if (!v)
            return c->fail = true, 0;
        int w = (int)strtol(v, NULL, 10);
        const anchor *from = c->ref->year_known && c->ref_gran == 'D' ? c->ref : a;
        if (!from->year_known || !from->md_known) {
            c->no_anchor = true;
            return put(out, "XXXX-WXX-%d", w);
        }
        int k = (w - iso_wday(from->days) + 7) % 7;
        long yy;
        civil_from_days(from->days + (k ? k : 7), &yy, &m, &d);
        return put(out, "%04ld-%02d-%02d", yy, m, d);
    }
    case FN_OVN: { /* "overnight": last night, or the coming one in a sentence
                    * that looks ahead ("overnight lows will fall") */
        if (!a->year_known || !a->md_known) {
            c->no_anchor = true;
            return put(out, "XXXX-XX-XXTNI");
        }
        long yy;
        civil_from_days(a->days - (get_tense(c) > 0 ? 0 : 1), &yy, &m, &d);
        return put(out, "%04ld-%02d-%02dTNI", yy, m, d);
    }
    case FN_DOM: { /* "on the 21st": a day of the anchor's month, or the next
                    * month's when it has passed and the sentence looks ahead */
        d = parse_ordinal(c, a0);
        if (d < 1 || d > 31)
            return c->fail = true, 0;
        if (!a->year_known || !a->md_known) {
            c->no_anchor = true;
            return put(out, "XXXX-XX-%02d", d);
        }
        long total = a->y * 12 + (a->m - 1);
        int t = get_tense(c);
        if (d < a->d && t > 0)
            total++;
        else if (d > a->d && t < 0)
            total--;
        return put(out, "%04ld-%02ld-%02d", total / 12, total % 12 + 1, d);
    }
    case FN_SY: {
        /* "in the spring": the year of the occurrence nearest the anchor,
         * moved by tense as a month would be (its first month decides);
         * a winter is named by the year it starts in */
        const char *code = table_val(c->st->t_season, a0);
        if (!code)
            return c->fail = true, 0;
        if (!a->year_known) {
            c->no_anchor = true;
            return put(out, "XXXX");
        }
        int start = !strcmp(code, "SP") ? 3 : !strcmp(code, "SU") ? 6 : !strcmp(code, "FA") ? 9 : 12;
        return put(out, "%04ld", resolve_year(c, start, 0)); /* a winter: the year it starts in */
    }
    case FN_YQ:
        /* "the 1988 period": in a quarterly report, that year's quarter
         * matching the one just reported; else the year */
        n = parse_year(c, a0);
        if (n < 0)
            return c->fail = true, 0;
        if (!is_quarterly(c))
            return put(out, "%04ld", n);
        if (!a->year_known || !a->md_known) {
            c->no_anchor = true;
            return put(out, "%04ld-QX", n);
        }
        return put(out, "%04ld-Q%d", n, (a->m - 1) / 3 ? (a->m - 1) / 3 : 4);
    case FN_CENTURY:
        n = strtol(a0, NULL, 10);
        return n < 1 ? (c->fail = true, 0) : put(out, "%02ld", n - 1);
    case FN_MOD: {
        const char *v = table_val(c->st->t_modifier, a0);
        return v ? nm_buf_puts(out, v) : 0;
    }
    }
    return c->fail = true, 0;
}

static int eval_tmpl(ectx *c, const tmpl *t, nm_buf *out)
{
    for (int i = 0; i < t->n_ops && !c->fail; i++) {
        int rc = t->ops[i].fn ? eval_fn(c, &t->ops[i], out) : nm_buf_puts(out, t->ops[i].lit);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Tense around the expression at [start, end): the cue nearest to it
 * within the sentence's tokens [b, e) decides (a future or past cue word
 * from the tense table, or a verb in -ed); none: unknown (0). */
#define TENSE_REACH 40
#define LEFT_FIRST 16
#define CUE_BARRIER 2  /* an infinitive's "to": the tense stops there */
#define CUE_TO_AHEAD 3 /* "set to", "is to": the verb after looks ahead */

/* Words in -ed that are no past tense: "speed", "hundred", "proceed". */
static bool ed_not_past(const char *w, size_t n)
{
    static const char *const words[] = {"speed", "proceed", "exceed", "succeed", "indeed", "breed",
                                        "bleed", "greed", "steed", "creed", "hundred", "sacred",
                                        "naked", "wicked", "rugged", "wretched", "beloved",
                                        "kindred", "jagged", "ragged"};
    return n > 0 && word_in(w, n, words, sizeof(words) / sizeof(words[0]));
}

/* An adjective that leaves the word after it a noun: "a first cut",
 * "a big hit". */
static bool noun_adjective(const nm_doc *d, const nm_tok *t)
{
    static const char *const words[] = {"first", "second", "third", "further", "final", "big",
                                        "small", "large", "major", "deep", "deeper", "sharp",
                                        "steep", "new", "surprise", "rate", "tax", "price",
                                        "quarter-point", "half-point", "job", "budget"};
    return TOK_IN(d, t, words);
}

static bool is_determiner(const nm_doc *d, const nm_tok *t)
{
    static const struct {
        const char *w;
        size_t n;
    } dets[] = {{"a", 1},    {"an", 2},    {"the", 3},   {"its", 3},   {"his", 3},
                {"her", 3},  {"our", 3},   {"this", 4},  {"that", 4},  {"your", 4},
                {"my", 2},   {"their", 5}, {"these", 5}, {"those", 5}};
    if (t->kind != NM_TOK_WORD || t->norm_len > 5)
        return false;
    const char *w = d->strings.ptr + t->norm_off;
    for (size_t i = 0; i < sizeof(dets) / sizeof(dets[0]); i++)
        if (dets[i].n == t->norm_len && dets[i].w[0] == w[0] && !memcmp(dets[i].w, w, t->norm_len))
            return true;
    return false;
}

static bool is_modal(const nm_doc *d, const nm_tok *t)
{
    return tok_is(d, t, "will", 4) || tok_is(d, t, "would", 5) || tok_is(d, t, "could", 5) ||
           tok_is(d, t, "can", 3) || tok_is(d, t, "should", 6) || tok_is(d, t, "might", 5) ||
           tok_is(d, t, "must", 4) || tok_is(d, t, "may", 3) || tok_is(d, t, "shall", 5);
}

/* "still", or a word in -ly: "a still unspecified date", "the newly
 * listed shares" */
static bool is_adverb(const nm_doc *d, const nm_tok *t)
{
    const char *w = d->strings.ptr + t->norm_off;
    return t->kind == NM_TOK_WORD &&
           ((t->norm_len > 3 && w[t->norm_len - 2] == 'l' && w[t->norm_len - 1] == 'y') ||
            tok_is(d, t, "still", 5));
}

/* A word that, before "to" + verb, puts the verb ahead: "set to resume",
 * "is to resume", "due to expire", "about to". */
static bool is_past_aux(const nm_doc *d, const nm_tok *t)
{
    return tok_is(d, t, "had", 3) || tok_is(d, t, "was", 3) || tok_is(d, t, "were", 4) ||
           tok_is(d, t, "been", 4);
}

static bool leads_ahead(const nm_doc *d, const nm_tok *t)
{
    static const char *const w[] = {"set", "is", "are", "due", "scheduled", "expected", "likely",
                                    "poised", "slated", "about", "going", "plans", "planned",
                                    "aims", "hopes", "intends", "wants", "seeks", "hoped", "plan",
                                    "aimed", "intended"};
    return TOK_IN(d, t, w);
}

/* Does T look like the verb of an infinitive (a lower-case word that is
 * no determiner)?  "to buy", "to be" but not "to $3 billion", "to the". */
static bool starts_verb(const nm_doc *d, const nm_tok *t)
{
    const char *w = d->text + t->start;
    return t->kind == NM_TOK_WORD && w[0] >= 'a' && w[0] <= 'z' && !is_determiner(d, t);
}

/* The cues of tokens [lo, hi) of the sentence [b, e): tense words come
 * from the trigger pass (st->trig holds this sentence's hits), -ed verbs
 * by their end. */
static void compute_cues(temporal_state *st, const nm_doc *d, size_t b, size_t e, size_t lo,
                         size_t hi)
{
    for (size_t i = lo; i < hi; i++) {
        const nm_tok *t = &d->toks[i];
        const char *w = d->strings.ptr + t->norm_off;
        st->cues[i - b] = (int8_t)(t->kind == NM_TOK_WORD && t->norm_len > 4 &&
                                           w[t->norm_len - 2] == 'e' && w[t->norm_len - 1] == 'd' &&
                                           !(w[0] == 'u' && w[1] == 'n') /* "unchanged": an adjective */ &&
                                           !ed_not_past(w, t->norm_len)
                                       ? -1 : 0);
    }
    /* past, future, and "ahead": a present-tense verb before the date
     * ("the store opens Monday") looks ahead; after it, it says nothing
     * ("Tuesday's declaration by Ford, which holds...") */
    const int ids[3] = {st->m->tense_past_id, st->m->tense_future_id, st->m->tense_ahead_id};
    const int8_t val[3] = {-1, 1, CUE_TO_AHEAD};
    for (int k = 0; k < 3; k++)
        for (int32_t h = st->trig.head[ids[k]]; h >= 0; h = st->trig.hits[h].next)
            if (st->trig.hits[h].tok >= lo && st->trig.hits[h].tok < hi)
                st->cues[st->trig.hits[h].tok - b] = val[k];
    /* a past participle after "be" looks ahead ("will be paid",
     * "expected to be completed"); one after a determiner is an adjective
     * ("a still unspecified date", "the combined company"); an infinitive
     * is a barrier: "agreed to buy it in February" does not say whether
     * February is past */
    for (size_t i = lo; i < hi; i++) {
        const nm_tok *p = i > b ? &d->toks[i - 1] : NULL;
        if (st->cues[i - b] == CUE_TO_AHEAD && p &&
            (tok_is(d, p, "to", 2) || (is_determiner(d, p) && !tok_is(d, p, "that", 4) &&
                                       !tok_is(d, p, "this", 4))))
            st->cues[i - b] = 0; /* "to meet": an infinitive; "the end": a noun */
        if (st->cues[i - b] == CUE_TO_AHEAD && i > b && d->text[d->toks[i].start] == 'M' &&
            tok_is(d, &d->toks[i], "may", 3))
            st->cues[i - b] = 0; /* "May" in mid-sentence is the month, not the modal */
        if (st->cues[i - b] == CUE_TO_AHEAD && i + 1 < e && tok_is(d, &d->toks[i + 1], "have", 4))
            st->cues[i - b] = -1; /* "may have peaked", "could have been": past */
        if (st->cues[i - b] < 0 && p) {
            if (tok_is(d, p, "be", 2) || tok_is(d, p, "is", 2) || tok_is(d, p, "are", 3))
                st->cues[i - b] = 1; /* "will be paid", "is planned", "are expected" */
            else if (is_modal(d, p))
                st->cues[i - b] = 1; /* "could cut", "will set": a base form after a modal */
            else if (tok_is(d, p, "stay", 4) || tok_is(d, p, "stays", 5) || tok_is(d, p, "remain", 6) ||
                     tok_is(d, p, "remains", 7))
                st->cues[i - b] = 0; /* "will stay closed until Friday": an adjective */
            else if (is_determiner(d, p) ||
                     (i - 1 > b && (is_adverb(d, p) || noun_adjective(d, p)) &&
                      is_determiner(d, p - 1)))
                st->cues[i - b] = 0; /* "a first cut", "a still unspecified date" */
        }
        if (st->cues[i - b] == 0 && i + 1 < e && tok_is(d, &d->toks[i], "due", 3) &&
            (tok_is(d, &d->toks[i + 1], "on", 2) || tok_is(d, &d->toks[i + 1], "by", 2) ||
             tok_is(d, &d->toks[i + 1], "in", 2) || tok_is(d, &d->toks[i + 1], "at", 2)) &&
            !(p && is_past_aux(d, p)) && !(i - 1 > b && is_past_aux(d, p - 1)))
            st->cues[i - b] = 1; /* "data due on Tuesday" */
        if (st->cues[i - b] == 0 && i + 1 < e && tok_is(d, &d->toks[i], "to", 2) &&
            starts_verb(d, &d->toks[i + 1]))
            st->cues[i - b] = p && leads_ahead(d, p) &&
                                      !(i - 1 > b && is_past_aux(d, p - 1)) &&
                                      !(i - 2 > b && is_past_aux(d, p - 2))
                                  ? CUE_TO_AHEAD
                                  : CUE_BARRIER;
    }
}

/* Make sure the cues of tokens [lo, hi) of sentence [b, e) are worked out:
 * once a sentence, and only as far as the expressions ask. */
static bool ensure_cues(temporal_state *st, const nm_doc *d, size_t b, size_t e, size_t lo,
                        size_t hi)
{
    if (st->cue_sent_b != b || st->cue_sent_e != e || st->cue_doc != d) {
        if (e - b > st->cap_cues) {
            size_t c = (e - b) + 64;
            int8_t *p = nm__realloc(&st->m->alloc, st->cues, c);
            if (!p)
                return false;
            st->cues = p;
            st->cap_cues = c;
        }
        st->cue_sent_b = b;
        st->cue_sent_e = e;
        st->cue_doc = d;
        st->cue_lo = st->cue_hi = lo;
    }
    if (lo < st->cue_lo) {
        compute_cues(st, d, b, e, lo, st->cue_lo);
        st->cue_lo = lo;
    }
    if (hi > st->cue_hi) {
        compute_cues(st, d, b, e, st->cue_hi, hi);
        st->cue_hi = hi;
    }
    return true;
}

static int tense_near(temporal_state *st, const nm_doc *d, size_t b, size_t e, size_t start, size_t end)
{
    size_t first = tok_ending_after(d, b, e, start);
    size_t last = tok_starting_from(d, b, e, end);
    /* the verb that governs a date mostly comes before it: a cue on the
     * left within LEFT_FIRST tokens wins over a nearer one on the right */
    if (!ensure_cues(st, d, b, e, first > b + LEFT_FIRST ? first - LEFT_FIRST : b, first))
        return 0; /* no memory: no tense, the nearest reading */
    bool barrier = false; /* past an infinitive: only a future cue counts */
    for (size_t dist = 1; dist <= LEFT_FIRST && first >= b + dist; dist++) {
        int cue = st->cues[first - dist - b];
        if (cue == CUE_TO_AHEAD)
            return 1;
        if (cue == CUE_BARRIER)
            barrier = true;
        else if (cue)
            return barrier && cue < 0 ? 0 : cue;
    }
    if (barrier)
        return 0;
    /* else the nearest cue either side; one further than TENSE_REACH
     * tokens says little about this expression, and the bound keeps a huge
     * sentence linear */
    if (!ensure_cues(st, d, b, e, first > b + TENSE_REACH ? first - TENSE_REACH : b,
                     last + TENSE_REACH < e ? last + TENSE_REACH : e))
        return 0;
    for (size_t dist = 1; dist <= e - b && dist <= TENSE_REACH; dist++) {
        int cue = dist > LEFT_FIRST && first >= b + dist ? st->cues[first - dist - b] : 0;
        if (cue)
            return cue == CUE_BARRIER ? 0 : cue == CUE_TO_AHEAD ? 1 : cue;
        cue = last + dist - 1 < e ? st->cues[last + dist - 1 - b] : 0;
        if (cue == -1 || cue == 1) /* an infinitive after the date does not govern it */
            return cue;
        if (first < b + dist && last + dist - 1 >= e)
            break;
    }
    return 0;
}

static int add_cand(temporal_state *st, const cand *c)
{
    if (st->n_cands == st->cap_cands) {
        size_t n = st->cap_cands ? st->cap_cands * 2 : 64;
        cand *p = nm__realloc(&st->m->alloc, st->cands, n * sizeof(*p));
        if (!p)
            return NM_ENOMEM;
        st->cands = p;
        st->cap_cands = n;
    }
    st->cands[st->n_cands++] = *c;
    return 0;
}

static int add_veto(temporal_state *st, uint32_t s, uint32_t e)
{
    if (st->n_vetoes == st->cap_vetoes) {
        size_t n = st->cap_vetoes ? st->cap_vetoes * 2 : 16;
        interval *p = nm__realloc(&st->m->alloc, st->vetoes, n * sizeof(*p));
        if (!p)
            return NM_ENOMEM;
        st->vetoes = p;
        st->cap_vetoes = n;
    }
    st->vetoes[st->n_vetoes++] = (interval){s, e};
    return 0;
}

static int cmp_cand(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end > b->end ? -1 : 1;
    return a->rule < b->rule ? -1 : (a->rule > b->rule);
}

/* The anchor of document D: its dct, else a dateline. */
static void find_anchor(temporal_state *st, const nm_doc *d, anchor *a)
{
    memset(a, 0, sizeof(*a));
    if (d->dct && nm__date_valid(d->dct)) {
        a->y = strtol(d->dct, NULL, 10);
        a->m = (int)strtol(d->dct + 5, NULL, 10);
        a->d = (int)strtol(d->dct + 8, NULL, 10);
        a->year_known = a->md_known = true;
        a->days = days_from_civil(a->y, a->m, a->d);
        return;
    }
    /* a dateline: "PLACE, Month Day[, Year] (Agency) -" at the start of a
     * line near the top (after a headline, often) */
    size_t lim = d->text_len < 400 ? d->text_len : 400;
    for (size_t i = 0; i < d->n_toks && d->toks[i].start < lim; i++) {
        const nm_tok *t = &d->toks[i];
        const char *nl = memchr(d->text + t->start, '\n', d->text_len - t->start);
        size_t first = nl ? (size_t)(nl - d->text) : d->text_len; /* the end of its line */
        if (i == 0 || d->toks[i - 1].kind != NM_TOK_PUNCT || d->text[d->toks[i - 1].start] != ',')
            continue;
        const char *v = table_val_loose(st->t_month, d->strings.ptr + t->norm_off);
        if (!v || i + 1 >= d->n_toks || d->toks[i + 1].kind != NM_TOK_NUMBER)
            continue;
        const char *dn = d->strings.ptr + d->toks[i + 1].norm_off;
        int day = all_digits(dn) ? (int)strtol(dn, NULL, 10) : 0;
        if (day < 1 || day > 31)
            continue;
        /* the dash or agency in parentheses after it makes it a dateline */
        bool dash = false;
        for (size_t k = i + 2; k < d->n_toks && k < i + 10 && d->toks[k].start < first + 2; k++) {
            const char *kn = d->strings.ptr + d->toks[k].norm_off;
            if (!strcmp(kn, "-") || !strcmp(kn, "--")) {
                dash = true;
                break;
            }
        }
        if (!dash)
            continue;
        a->m = (int)strtol(v, NULL, 10);
        a->d = day;
        a->md_known = true;
        if (i + 3 < d->n_toks && d->text[d->toks[i + 2].start] == ',' &&
            d->toks[i + 3].kind == NM_TOK_NUMBER && d->toks[i + 3].end - d->toks[i + 3].start == 4) {
            a->y = strtol(d->text + d->toks[i + 3].start, NULL, 10);
            a->year_known = true;
            a->days = days_from_civil(a->y, a->m, a->d);
        }
        return;
    }
}

/* Extend C over a modifier just before or after it; record a bound. */
static void extend(temporal_state *st, const nm_doc *d, cand *c, size_t sb, size_t se,
                   const char **bound, uint32_t lo, uint32_t hi)
{
    /* tokens of the span */
    size_t first = tok_starting_from(d, sb, se, c->start);
    size_t last = tok_ending_after(d, sb, se, c->end); /* first token past the span */
    *bound = NULL;
    /* a reference (PRESENT_REF, FUTURE_REF...) takes no modifier: "about
     * future earnings" is about the earnings */
    bool is_ref = c->val_len > 4 && !memcmp(st->vals.ptr + c->val_off + c->val_len - 4, "_REF", 4);
    /* up to three words before: a modifier joins, a bound is noted; only
     * worth a look if the word just before can end a modifier */
    for (size_t k = 3; k >= 1 && !is_ref; k--) {
        if (first < sb + k || first == sb)
            continue;
        const nm_tok *pt = &d->toks[first - 1];
        if (!nm_strtab_get(st->mod_last, d->strings.ptr + pt->norm_off, pt->norm_len))
            break;
        char buf[64];
        size_t n = 0;
        for (size_t j = first - k; j < first && n < sizeof(buf) - 1; j++) {
            const char *w = d->strings.ptr + d->toks[j].norm_off;
            size_t wl = strlen(w);
            if (n + wl + 2 >= sizeof(buf)) {
                n = sizeof(buf);
                break;
            }
            if (n)
                buf[n++] = ' ';
            memcpy(buf + n, w, wl + 1);
            n += wl;
        }
        if (n >= sizeof(buf) - 1)
            continue;
        const char *mod = table_val(st->t_modifier, buf);
        if (mod && d->toks[first - k].start >= lo) {
            if (!c->mod[0])
                snprintf(c->mod, sizeof(c->mod), "%s", mod);
            c->start = d->toks[first - k].start;
            first -= k;
            k = 4; /* look again before the modifier, for a bound */
            continue;
        }
    }
    if (first > sb) {
        /* two words first: "retroactive to" is since, "to" alone until */
        const char *w = d->strings.ptr + d->toks[first - 1].norm_off;
        const char *b = NULL;
        if (first > sb + 1) {
            char two[64];
            b = table_val(st->t_bound, join2(two, sizeof(two), d->strings.ptr + d->toks[first - 2].norm_off, w));
        }
        if (!b)
            b = table_val(st->t_bound, w);
        /* "a premium to Friday's closing price": a possessive date names
         * what it owns, it bounds nothing */
        if (b && last < se && d->toks[last].start == c->end &&
            !strcmp(d->strings.ptr + d->toks[last].norm_off, "'s"))
            b = NULL;
        *bound = b;
    }
    /* "or so", "or more", "or later", "and beyond" after it: only the
     * modifiers that open with "or" or "and" follow what they modify */
    if (!is_ref && last + 2 <= se &&
        (!strcmp(d->strings.ptr + d->toks[last].norm_off, "or") ||
         !strcmp(d->strings.ptr + d->toks[last].norm_off, "and"))) {
        char two[64];
        const char *mod = table_val(st->t_modifier, join2(two, sizeof(two), d->strings.ptr + d->toks[last].norm_off,
                                                           d->strings.ptr + d->toks[last + 1].norm_off));
        if (mod && d->toks[last + 1].end <= hi) {
            if (!c->mod[0])
                snprintf(c->mod, sizeof(c->mod), "%s", mod);
            c->end = d->toks[last + 1].end;
        }
    }
}

static int on_veto(const nm_rule *r, const size_t *ov, int n, void *payload)
{
    temporal_state *st = payload;
    int g = nm__rule_group(r, "v");
    size_t vs_ = ov[0], ve = ov[1];
    if (g > 0 && g < n && ov[2 * g] != PCRE2_UNSET) {
        vs_ = ov[2 * g];
        ve = ov[2 * g + 1];
    }
    return add_veto(st, (uint32_t)vs_, (uint32_t)ve);
}

typedef struct mctx {
    temporal_state *st;
    const nm_doc *d;
    const nm_sent *s;
    const anchor *a;
    int *quarterly;
    uint32_t rule;
    anchor ref; /* the date the text last named, for "the following year" */
    char ref_gran;
    const nm_sent *ref_sent; /* the sentence it is in */
    uint32_t ref_end;        /* and where its span ends */
    bool now_named;          /* a date of the anchor's year or the one before was named */
} mctx;

static int cmp_interval(const void *x, const void *y)
{
    const interval *a = x, *b = y;
    return a->start < b->start ? -1 : a->start > b->start;
}

/* Sort the sentence's vetoes and merge the overlapping ones, so that a
 * candidate is checked by binary search however many there are. */
static void settle_vetoes(temporal_state *st)
{
    if (st->n_vetoes < 2)
        return;
    qsort(st->vetoes, st->n_vetoes, sizeof(*st->vetoes), cmp_interval);
    size_t n = 0;
    for (size_t i = 0; i < st->n_vetoes; i++) {
        if (n && st->vetoes[i].start <= st->vetoes[n - 1].end) {
            if (st->vetoes[i].end > st->vetoes[n - 1].end)
                st->vetoes[n - 1].end = st->vetoes[i].end;
        } else {
            st->vetoes[n++] = st->vetoes[i];
        }
    }
    st->n_vetoes = n;
}

/* Does [s, e) overlap a veto?  (The vetoes are settled.) */
static bool vetoed(const temporal_state *st, size_t s, size_t e)
{
    size_t lo = 0, hi = st->n_vetoes;
    while (lo < hi) { /* the first veto starting at or after e */
        size_t mid = lo + (hi - lo) / 2;
        if (st->vetoes[mid].start < e)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && st->vetoes[lo - 1].end > s;
}

/* A match is only recorded here; its value is worked out if it wins the
 * selection (about two matches in five lose to a longer one). */
static int on_match(const nm_rule *r, const size_t *ov, int n, void *payload)
{
    mctx *m = payload;
    temporal_state *st = m->st;
    const trule *tr = r->payload;
    cand cd = {.start = (uint32_t)ov[0], .end = (uint32_t)ov[1], .rule = m->rule,
               .ov_off = (uint32_t)st->n_ovs, .n_pairs = (uint32_t)n};
    /* a group named "span" narrows the span to it: the rest is context */
    if (tr->span_group > 0 && tr->span_group < n && ov[2 * tr->span_group] != PCRE2_UNSET &&
        ov[2 * tr->span_group + 1] > ov[2 * tr->span_group]) {
        cd.start = (uint32_t)ov[2 * tr->span_group];
        cd.end = (uint32_t)ov[2 * tr->span_group + 1];
    }
    size_t need = st->n_ovs + 2 * (size_t)n;
    if (need > st->cap_ovs) {
        size_t c = need * 2 + 64;
        size_t *p = nm__realloc(&st->m->alloc, st->ovs, c * sizeof(*p));
        if (!p)
            return NM_ENOMEM;
        st->ovs = p;
        st->cap_ovs = c;
    }
    memcpy(st->ovs + st->n_ovs, ov, 2 * (size_t)n * sizeof(*ov));
    st->n_ovs = need;
    return add_cand(st, &cd);
}

/* Work out candidate C's value and mod.  @return 1 done, 0 the template
 * does not apply (the candidate is dropped), < 0 an error. */
static int evaluate(mctx *m, cand *cd)
{
    temporal_state *st = m->st;
    const nm_rule *r = &st->m->temporal->rules[cd->rule];
    const trule *tr = r->payload;
    const size_t *ov = st->ovs + cd->ov_off;
    int rc;
    ectx c = {.st = st, .d = m->d, .r = r, .ov = ov, .n_pairs = (int)cd->n_pairs, .a = m->a,
              .tense = 2, .quarterly = m->quarterly, .ref = &m->ref, .ref_gran = m->ref_gran,
              .ref_here = m->ref_gran == 'D' && m->ref_sent == m->s && cd->start >= m->ref_end &&
                          cd->start - m->ref_end <= 32,
              .ref_same_sent = m->ref_sent == m->s,
              .ref_recent = m->ref_sent && m->ref_sent + 3 >= m->s, .now_named = &m->now_named,
              .ref_fresh = m->ref_sent && m->ref_sent + 6 >= m->s, .sb = m->s->tok_begin,
              .se = m->s->tok_end};
    cd->val_off = (uint32_t)st->vals.len;
    if ((rc = eval_tmpl(&c, &tr->value, &st->vals)) < 0)
        return rc;
    if (c.fail) {
        st->vals.len = cd->val_off;
        return 0;
    }
    cd->val_len = (uint32_t)(st->vals.len - cd->val_off);
    if (tr->mod.n_ops) {
        nm_buf_clear(&st->attrs);
        if ((rc = eval_tmpl(&c, &tr->mod, &st->attrs)) < 0)
            return rc;
        if (st->attrs.len && st->attrs.len < sizeof(cd->mod))
            memcpy(cd->mod, st->attrs.ptr, st->attrs.len + 1);
    }
    cd->no_anchor = c.no_anchor;
    cd->day_default = c.day_default;
    cd->day_borrowed = c.day_borrowed;
    return 1;
}

static const trule *tr_of(const nm_rule_set *rs, const cand *c)
{
    return rs->rules[c->rule].payload;
}

/* A DATE value the text names becomes the reference of narrative
 * expressions after it: YYYY, YYYY-Qn, YYYY-MM, YYYY-MM-DD. */
static void note_ref(mctx *mc, const char *v, size_t n, uint32_t end)
{
    /* a TIME ("2025-01-14TEV") names its day */
    const char *tpos = memchr(v, 'T', n);
    if (tpos && tpos - v == 10)
        n = 10;
    for (size_t i = 0; i < 4; i++)
        if (i >= n || v[i] < '0' || v[i] > '9')
            return;
    anchor r = {.year_known = true, .y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0')};
    char g = 'Y';
    if (n == 7 && v[4] == '-' && v[5] == 'Q' && v[6] >= '1' && v[6] <= '4') {
        r.m = (v[6] - '1') * 3 + 1;
        r.d = 1;
        g = 'Q';
    } else if ((n == 7 || n == 10) && v[4] == '-' && isdigit((unsigned char)v[5]) &&
               isdigit((unsigned char)v[6])) {
        r.m = (v[5] - '0') * 10 + (v[6] - '0');
        r.d = 1;
        g = 'M';
        if (n == 10 && v[7] == '-' && isdigit((unsigned char)v[8]) && isdigit((unsigned char)v[9])) {
            r.d = (v[8] - '0') * 10 + (v[9] - '0');
            g = 'D';
        }
        if (r.m < 1 || r.m > 12 || r.d < 1 || r.d > 31)
            return;
    } else if (n != 4) {
        return;
    }
    if (g != 'Y') {
        r.md_known = true;
        r.days = days_from_civil(r.y, r.m, r.d);
    }
    mc->ref = r;
    mc->ref_gran = g;
    mc->ref_sent = mc->s;
    mc->ref_end = end;
}

/* If only " and ", " to " or a dash separates the TIME span A (on the
 * anchor's day for want of its own) from the TIME span B, A takes B's day:
 * both values are "YYYY-MM-DDT...", the day is rewritten in place. */
static void share_range_day(nm_doc *d, const nm_span_rec *a, const nm_span_rec *b)
{
    if (a->value_len < 11 || b->value_len < 11 || b->start < a->end || b->start - a->end > 5)
        return;
    const char *gap = d->text + a->end;
    size_t n = b->start - a->end;
    bool joined = (n == 5 && !memcmp(gap, " and ", 5)) || (n == 4 && !memcmp(gap, " to ", 4)) ||
                  (n == 1 && gap[0] == '-') || (n == 3 && !memcmp(gap, " - ", 3));
    char *av = d->strings.ptr + a->value_off;
    const char *bv = d->strings.ptr + b->value_off;
    if (joined && av[10] == 'T' && bv[10] == 'T' && bv[0] != 'X')
        memcpy(av, bv, 10);
}

/* If " on " or a space alone separates TIME span A (on the anchor's day
 * for want of its own) from DATE span B with a full date, A takes B's day. */
static void time_takes_day(nm_doc *d, const nm_span_rec *a, const nm_span_rec *b)
{
    if (a->value_len < 11 || b->value_len != 10 || b->start < a->end || b->start - a->end > 4)
        return;
    const char *gap = d->text + a->end;
    size_t n = b->start - a->end;
    bool joined = (n == 4 && !memcmp(gap, " on ", 4)) || (n == 1 && gap[0] == ' ');
    char *av = d->strings.ptr + a->value_off;
    const char *bv = d->strings.ptr + b->value_off;
    if (joined && av[10] == 'T' && bv[0] != 'X' && bv[4] == '-' && bv[7] == '-')
        memcpy(av, bv, 10);
}

static int temporal_run(void *state, nm_doc *d, nm_err *err)
{
    temporal_state *st = state;
    const nm_rule_set *rs = st->m->temporal, *vs = st->m->temporal_vetoes;
    anchor a;
    int rc = 0;

    find_anchor(st, d, &a);
    st->cue_doc = NULL; /* a new document: cues are looked up again */
    int quarterly = -1; /* worked out when a value first needs it */
    mctx mc = {.st = st, .d = d, .a = &a, .quarterly = &quarterly, .ref_gran = 'Y'};
    char adate[16] = ""; /* the anchor as YYYY-MM-DD, if it is a full date */
    if (a.year_known && a.md_known)
        snprintf(adate, sizeof(adate), "%04ld-%02d-%02d", a.y, a.m, a.d);
    for (size_t si = 0; si < d->n_sents; si++) {
        const nm_sent *s = &d->sents[si];
        if (s->tok_end <= s->tok_begin)
            continue;
        st->n_cands = st->n_vetoes = 0;
        st->n_ovs = 0;
        nm_buf_clear(&st->vals);
        if ((rc = nm__rules_sentence_triggers(rs, d, s->tok_begin, s->tok_end, &st->trig)) < 0)
            goto fail;
        mc.s = s;
        size_t nr = nm__rules_triggered(rs, &st->trig, st->which);
        for (size_t k = 0; k < nr; k++) {
            size_t ri = st->which[k];
            const nm_rule *r = &rs->rules[ri];
            mc.rule = (uint32_t)ri;
            if ((rc = nm__rule_each_match(&st->mt, r, d, &st->trig, s->tok_begin, s->tok_end,
                                          on_match, &mc)) < 0) {
                if (rc == NM_EINVAL)
                    nm__err_set(err, rc, "temporal: %s: matching failed", r->where);
                goto fail;
            }
        }
        if (!st->n_cands)
            continue;
        /* the vetoes, only where there is something to veto (most
         * sentences hold no candidate): a match that overlaps one is
         * dropped */
        size_t nv = nm__rules_triggered(vs, &st->trig, st->which);
        for (size_t k = 0; k < nv; k++) {
            const nm_rule *r = &vs->rules[st->which[k]];
            if ((rc = nm__rule_each_match(&st->mt_veto, r, d, &st->trig, s->tok_begin, s->tok_end,
                                          on_veto, st)) < 0)
                goto fail;
        }
        if (st->n_vetoes) {
            settle_vetoes(st);
            size_t kept = 0;
            for (size_t k = 0; k < st->n_cands; k++) {
                const size_t *ov = st->ovs + st->cands[k].ov_off; /* the whole match */
                if (!vetoed(st, ov[0], ov[1]))
                    st->cands[kept++] = st->cands[k];
            }
            st->n_cands = kept;
            if (!kept)
                continue;
        }
        qsort(st->cands, st->n_cands, sizeof(*st->cands), cmp_cand);
        uint32_t taken_end = s->start;
        size_t range_from = SIZE_MAX; /* a TIME on the default day that may open a range */
        for (size_t k = 0; k < st->n_cands; k++) {
            cand *c = &st->cands[k];
            if (c->start < taken_end)
                continue;
            int erc = evaluate(&mc, c);
            if (erc < 0) {
                rc = erc;
                goto fail;
            }
            if (erc == 0)
                continue; /* not a date after all: the next candidate may be */
            /* the next candidate that does not overlap bounds an extension */
            uint32_t hi = s->end;
            size_t lo_j = k + 1, hi_j = st->n_cands; /* binary search: sorted by start */
            while (lo_j < hi_j) {
                size_t mid = lo_j + (hi_j - lo_j) / 2;
                if (st->cands[mid].start < c->end)
                    lo_j = mid + 1;
                else
                    hi_j = mid;
            }
            if (lo_j < st->n_cands)
                hi = st->cands[lo_j].start;
            const char *bound;
            extend(st, d, c, s->tok_begin, s->tok_end, &bound, taken_end, hi);
            if (tr_of(rs, c)->type[0] != 'T' &&
                (tr_of(rs, c)->type[0] != 'D' || tr_of(rs, c)->type[1] != 'A'))
                bound = NULL; /* only a DATE or a TIME is a bound */
            taken_end = c->end;
            nm_span_rec *sp = nm__doc_add_span(d);
            if (!sp) {
                rc = NM_ENOMEM;
                goto fail;
            }
            const trule *tr = rs->rules[c->rule].payload;
            sp->start = c->start;
            sp->end = c->end;
            sp->type = tr->type;
            if ((rc = nm__doc_str(d, st->vals.ptr + c->val_off, c->val_len, &sp->value_off)) < 0)
                goto fail;
            sp->value_len = c->val_len;
            /* "the biggest drop since September 1958": a point of comparison,
             * not the time the story moves to */
            bool since = bound && !strcmp(bound, "since");
            /* "from 36.95 billion a year earlier": a comparison too */
            for (int op = 0; op < tr->value.n_ops && !since; op++)
                since = tr->value.ops[op].fn == FN_YAGO;
            if (((tr->type[0] == 'D' && tr->type[1] == 'A') || (tr->type[0] == 'T' && !c->day_default)) &&
                !since)
                note_ref(&mc, st->vals.ptr + c->val_off, c->val_len, c->end);
            /* a date of this year or last, other than the anchor's own day
             * (a dateline, "today"), makes this a story of now */
            if (tr->type[0] == 'D' && a.year_known && c->val_len >= 4 &&
                !(adate[0] && c->val_len == 10 && !memcmp(st->vals.ptr + c->val_off, adate, 10))) {
                const char *v = st->vals.ptr + c->val_off;
                long vy = isdigit((unsigned char)v[0]) ? strtol(v, NULL, 10) : 0;
                if (vy >= a.y - 1 && vy <= a.y + 1 && c->val_len >= 4 && isdigit((unsigned char)v[3]))
                    mc.now_named = true;
            }
            /* "between 2 a.m. and 8 a.m. UTC on Monday": the first time of a
             * range takes the day the second one names */
            if (tr->type[0] == 'T') {
                if (range_from != SIZE_MAX && !c->day_default)
                    share_range_day(d, &d->spans[range_from], sp);
                /* a clock time on the anchor's day ("at midnight" too) may
                 * still take a day named after it */
                bool on_anchor_day = adate[0] && c->val_len > 10 &&
                                     !memcmp(st->vals.ptr + c->val_off, adate, 10);
                range_from = c->day_borrowed || on_anchor_day ? d->n_spans - 1 : SIZE_MAX;
            } else {
                /* "14:32 local time on Jan. 24", "at 15:41 that day": the
                 * time takes the day named right after it */
                if (range_from != SIZE_MAX && tr->type[0] == 'D' && tr->type[1] == 'A')
                    time_takes_day(d, &d->spans[range_from], sp);
                range_from = SIZE_MAX;
            }
            nm_buf_clear(&st->attrs);
            if (c->mod[0]) {
                nm_buf_puts(&st->attrs, ",\"mod\":\"");
                nm_buf_puts(&st->attrs, c->mod);
                nm_buf_putc(&st->attrs, '"');
            }
            if (bound) {
                nm_buf_puts(&st->attrs, ",\"bound\":\"");
                nm_buf_puts(&st->attrs, bound);
                nm_buf_putc(&st->attrs, '"');
            }
            if (c->no_anchor)
                nm_buf_puts(&st->attrs, ",\"anchor\":\"none\"");
            if (st->attrs.len) {
                if ((rc = nm__doc_str(d, st->attrs.ptr, st->attrs.len, &sp->attrs_off)) < 0)
                    goto fail;
                sp->attrs_len = (uint32_t)st->attrs.len;
            }
        }
    }
    return 0;
fail:
    return err->code ? rc : nm__err_set(err, rc, "temporal: %s", nm_strerror(rc));
}

const nm_stage_type nm__stage_temporal = {
    "temporal", NM_PHASE_MATCH, temporal_open, temporal_run, temporal_close,
};
