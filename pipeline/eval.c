/*
 * eval.c - scores system spans against gold spans.
 *
 * Per type T (spans of type T only):
 *   exact    a system span with the same [start, end) as a gold span
 *   overlap  one-to-one alignment of overlapping spans (below)
 *   P = matched / system spans, R = matched / gold spans, F1 = 2PR/(P+R)
 *
 * For the temporal types (DATE, TIME, DURATION, SET) TempEval-3 also scores
 * across types, as one class "TIMEX3":
 *   strict   exact span match, whatever the type
 *   relaxed  overlapping spans, aligned one to one
 *   type accuracy  = aligned pairs with the same type / aligned pairs
 *   value accuracy = aligned pairs with the same value / aligned pairs
 *   value F1 = value accuracy x relaxed F1 (and likewise type F1)
 * and per temporal type the value accuracy of its aligned pairs.
 *
 * Alignment: every overlapping (gold, system) pair is a candidate; pairs are
 * taken greedily, exact matches first, then by larger overlap, then by
 * position, each span at most once.  This is what "one-to-one alignment of
 * overlapping spans" means in TempEval-3's scorer, made deterministic.
 */
#include <yajl/yajl_tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"

#define MAX_TYPE 64
#define MAX_VALUE 128

typedef struct espan {
    size_t start, end;
    char type[MAX_TYPE];
    char value[MAX_VALUE];
    /* clause attributes */
    char status[16];
    char holder[MAX_VALUE];
    char until[32];
    int used;
} espan;

typedef struct counts {
    uint64_t gold, sys, exact, overlap, type_ok, value_ok;
    /* per record: gold has the type, system has it, both (sentence level
     * when a record is a sentence) */
    uint64_t rec_gold, rec_sys, rec_tp;
    /* clause attributes on overlapping pairs: status; holder and until
     * where gold gives them */
    uint64_t status_ok, holder_n, holder_ok, until_n, until_ok;
} counts;

typedef struct row {
    char type[MAX_TYPE];
    counts c;
} row;

struct nm_eval {
    nm_err err;
    char *types; /* filter, comma-separated, or NULL */
    row *rows;
    size_t n_rows, cap_rows;
    counts timex;
    bool any_timex;
    uint64_t n_docs;
    nm_buf report;
    nm_buf scratch;
    char (*map_from)[MAX_TYPE], (*map_to)[MAX_TYPE]; /* gold type map */
    size_t n_map;
    /* records with no gold span of the types scored, and of them those
     * where the system found one (false alarms on negatives) */
    uint64_t neg_records, neg_flagged;
    counts clause_rec; /* record level over all clause types together */
};

static bool is_clause(const char *t) { return !strncmp(t, "CLAUSE:", 7); }

static bool is_timex(const char *t)
{
    return !strcmp(t, "DATE") || !strcmp(t, "TIME") || !strcmp(t, "DURATION") || !strcmp(t, "SET");
}

int nm_eval_new(nm_eval **out)
{
    nm_eval *ev = nm__calloc(NULL, 1, sizeof(*ev));
    *out = ev;
    if (!ev)
        return NM_ENOMEM;
    nm_buf_init(&ev->report, (size_t)64 << 20, NULL);
    nm_buf_init(&ev->scratch, (size_t)1 << 31, NULL);
    return 0;
}

void nm_eval_free(nm_eval *ev)
{
    if (!ev)
        return;
    nm__free(NULL, ev->types);
    nm__free(NULL, ev->rows);
    nm_buf_free(&ev->report);
    nm_buf_free(&ev->scratch);
    nm__free(NULL, ev->map_from);
    nm__free(NULL, ev->map_to);
    nm__free(NULL, ev);
}

const char *nm_eval_errmsg(const nm_eval *ev) { return ev ? ev->err.msg : "out of memory"; }

int nm_eval_map_type(nm_eval *ev, const char *gold_type, const char *type)
{
    void *f = nm__realloc(NULL, ev->map_from, (ev->n_map + 1) * sizeof(*ev->map_from));
    if (!f)
        return NM_ENOMEM;
    ev->map_from = f;
    void *t = nm__realloc(NULL, ev->map_to, (ev->n_map + 1) * sizeof(*ev->map_to));
    if (!t)
        return NM_ENOMEM;
    ev->map_to = t;
    snprintf(ev->map_from[ev->n_map], MAX_TYPE, "%s", gold_type);
    snprintf(ev->map_to[ev->n_map], MAX_TYPE, "%s", type ? type : "");
    ev->n_map++;
    return 0;
}

/* The gold type T under the map; "" means: leave it out. */
static const char *mapped(const nm_eval *ev, const char *t)
{
    for (size_t i = 0; i < ev->n_map; i++)
        if (!strcmp(ev->map_from[i], t))
            return ev->map_to[i];
    return t;
}

int nm_eval_set_types(nm_eval *ev, const char *types)
{
    nm__free(NULL, ev->types);
    ev->types = NULL;
    if (types && *types && !(ev->types = nm__strndup(NULL, types, strlen(types))))
        return NM_ENOMEM;
    return 0;
}

static bool wanted(const nm_eval *ev, const char *type)
{
    if (!ev->types)
        return true;
    size_t tl = strlen(type);
    for (const char *p = ev->types; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n && p[n - 1] == '*') {
            if (tl >= n - 1 && !strncmp(type, p, n - 1))
                return true;
        } else if (n == tl && !strncmp(type, p, n)) {
            return true;
        }
        p += n + (e ? 1 : 0);
    }
    return false;
}

static row *get_row(nm_eval *ev, const char *type)
{
    for (size_t i = 0; i < ev->n_rows; i++)
        if (!strcmp(ev->rows[i].type, type))
            return &ev->rows[i];
    if (ev->n_rows == ev->cap_rows) {
        size_t c = ev->cap_rows ? ev->cap_rows * 2 : 32;
        row *p = nm__realloc(NULL, ev->rows, c * sizeof(*p));
        if (!p)
            return NULL;
        ev->rows = p;
        ev->cap_rows = c;
    }
    row *r = &ev->rows[ev->n_rows++];
    memset(r, 0, sizeof(*r));
    snprintf(r->type, sizeof(r->type), "%s", type);
    return r;
}

/* Read the "spans" of a record into a malloc'd array. */
static int load_spans(nm_eval *ev, const char *json, size_t len, const char *what, bool gold,
                      espan **out, size_t *n_out)
{
    char errbuf[256];
    int rc = 0;
    yajl_val root = NULL;
    static const char *const spans_path[] = {"spans", NULL};
    *out = NULL;
    *n_out = 0;
    /* yajl_tree wants a NUL-terminated string */
    nm_buf_clear(&ev->scratch);
    if (nm_buf_put(&ev->scratch, json, len) < 0)
        return nm__err_set(&ev->err, NM_ENOMEM, "out of memory");
    root = yajl_tree_parse(ev->scratch.ptr, errbuf, sizeof(errbuf));
    if (!root) {
        for (char *p = errbuf; *p; p++)
            if (*p == '\n')
                *p = ' ';
        return nm__err_set(&ev->err, NM_EPARSE, "%s record: invalid JSON: %s", what, errbuf);
    }
    yajl_val spans = yajl_tree_get(root, (const char **)spans_path, yajl_t_any);
    if (!spans)
        goto done;
    if (!YAJL_IS_ARRAY(spans)) {
        rc = nm__err_set(&ev->err, NM_EPARSE, "%s record: \"spans\" must be an array", what);
        goto done;
    }
    size_t n = spans->u.array.len;
    espan *arr = nm__calloc(NULL, n ? n : 1, sizeof(*arr));
    if (!arr) {
        rc = nm__err_set(&ev->err, NM_ENOMEM, "out of memory");
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        static const char *const p_start[] = {"start", NULL}, *const p_end[] = {"end", NULL},
                                 *const p_type[] = {"type", NULL}, *const p_value[] = {"value", NULL},
                                 *const p_status[] = {"status", NULL}, *const p_holder[] = {"holder", NULL},
                                 *const p_until[] = {"until", NULL};
        yajl_val sp = spans->u.array.values[i];
        yajl_val st = yajl_tree_get(sp, (const char **)p_start, yajl_t_number);
        yajl_val en = yajl_tree_get(sp, (const char **)p_end, yajl_t_number);
        yajl_val ty = yajl_tree_get(sp, (const char **)p_type, yajl_t_string);
        yajl_val va = yajl_tree_get(sp, (const char **)p_value, yajl_t_string);
        if (!st || !en || !ty || !YAJL_IS_INTEGER(st) || !YAJL_IS_INTEGER(en) ||
            YAJL_GET_INTEGER(st) < 0 || YAJL_GET_INTEGER(en) < YAJL_GET_INTEGER(st)) {
            nm__free(NULL, arr);
            rc = nm__err_set(&ev->err, NM_EPARSE,
                             "%s record: span %zu needs integer start <= end and a string type",
                             what, i);
            goto done;
        }
        const char *type = gold ? mapped(ev, YAJL_GET_STRING(ty)) : YAJL_GET_STRING(ty);
        if (!*type || !wanted(ev, type))
            continue;
        arr[k].start = (size_t)YAJL_GET_INTEGER(st);
        arr[k].end = (size_t)YAJL_GET_INTEGER(en);
        snprintf(arr[k].type, MAX_TYPE, "%s", type);
        snprintf(arr[k].value, MAX_VALUE, "%s", va ? YAJL_GET_STRING(va) : "");
        if (is_clause(type)) {
            yajl_val x = yajl_tree_get(sp, (const char **)p_status, yajl_t_string);
            snprintf(arr[k].status, sizeof(arr[k].status), "%s", x ? YAJL_GET_STRING(x) : "UNSPECIFIED");
            x = yajl_tree_get(sp, (const char **)p_holder, yajl_t_string);
            snprintf(arr[k].holder, sizeof(arr[k].holder), "%s", x ? YAJL_GET_STRING(x) : "");
            x = yajl_tree_get(sp, (const char **)p_until, yajl_t_string);
            snprintf(arr[k].until, sizeof(arr[k].until), "%s", x ? YAJL_GET_STRING(x) : "");
        }
        k++;
    }
    *out = arr;
    *n_out = k;
done:
    yajl_tree_free(root);
    return rc;
}

typedef struct pair {
    size_t g, s, ov;
    bool exact;
} pair;

static int cmp_pair(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->exact != y->exact)
        return x->exact ? -1 : 1;
    if (x->ov != y->ov)
        return x->ov > y->ov ? -1 : 1;
    if (x->g != y->g)
        return x->g < y->g ? -1 : 1;
    return x->s < y->s ? -1 : (x->s > y->s);
}

static bool in_class(const espan *e, const char *type)
{
    return type ? !strcmp(e->type, type) : is_timex(e->type);
}

/*
 * Score one class: the spans of TYPE, or with TYPE NULL all temporal spans
 * as one class.  Adds to C.
 */
static int score_class(espan *g, size_t ng, espan *s, size_t ns, const char *type, counts *c)
{
    pair *pairs = NULL;
    size_t np = 0, cap = 0;
    for (size_t i = 0; i < ng; i++) {
        if (!in_class(&g[i], type))
            continue;
        c->gold++;
        g[i].used = 0;
    }
    for (size_t j = 0; j < ns; j++) {
        if (!in_class(&s[j], type))
            continue;
        c->sys++;
        s[j].used = 0;
    }
    /* exact: one to one */
    for (size_t i = 0; i < ng; i++) {
        if (!in_class(&g[i], type))
            continue;
        for (size_t j = 0; j < ns; j++) {
            if (!in_class(&s[j], type) || s[j].used)
                continue;
            if (s[j].start == g[i].start && s[j].end == g[i].end) {
                s[j].used = 1;
                c->exact++;
                break;
            }
        }
    }
    for (size_t j = 0; j < ns; j++)
        s[j].used = 0;
    /* overlap: candidate pairs, then greedy */
    for (size_t i = 0; i < ng; i++) {
        if (!in_class(&g[i], type))
            continue;
        for (size_t j = 0; j < ns; j++) {
            if (!in_class(&s[j], type))
                continue;
            size_t lo = g[i].start > s[j].start ? g[i].start : s[j].start;
            size_t hi = g[i].end < s[j].end ? g[i].end : s[j].end;
            bool empty_same = g[i].start == g[i].end && s[j].start == g[i].start && s[j].end == g[i].end;
            if (hi <= lo && !empty_same)
                continue;
            if (np == cap) {
                size_t nc = cap ? cap * 2 : 64;
                pair *p = nm__realloc(NULL, pairs, nc * sizeof(*p));
                if (!p) {
                    nm__free(NULL, pairs);
                    return NM_ENOMEM;
                }
                pairs = p;
                cap = nc;
            }
            pairs[np++] = (pair){i, j, hi > lo ? hi - lo : 0,
                                 g[i].start == s[j].start && g[i].end == s[j].end};
        }
    }
    if (np)
        qsort(pairs, np, sizeof(*pairs), cmp_pair);
    for (size_t k = 0; k < np; k++) {
        espan *gg = &g[pairs[k].g], *ss = &s[pairs[k].s];
        if (gg->used || ss->used)
            continue;
        gg->used = ss->used = 1;
        c->overlap++;
        if (!strcmp(gg->type, ss->type))
            c->type_ok++;
        if (!strcmp(gg->value, ss->value))
            c->value_ok++;
        if (is_clause(gg->type)) {
            c->status_ok += !strcmp(gg->status, ss->status);
            if (gg->holder[0]) {
                c->holder_n++;
                c->holder_ok += !strcasecmp(gg->holder, ss->holder);
            }
            if (gg->until[0]) {
                c->until_n++;
                c->until_ok += !strcmp(gg->until, ss->until);
            }
        }
    }
    nm__free(NULL, pairs);
    return 0;
}

int nm_eval_add(nm_eval *ev, const char *gold, size_t gold_len, const char *sys, size_t sys_len)
{
    espan *g = NULL, *s = NULL;
    size_t ng = 0, ns = 0;
    int rc;
    if ((rc = load_spans(ev, gold, gold_len, "gold", true, &g, &ng)) < 0)
        goto done;
    if (sys && (rc = load_spans(ev, sys, sys_len, "system", false, &s, &ns)) < 0)
        goto done;
    ev->n_docs++;
    /* every type seen in gold or system gets a row */
    for (size_t pass = 0; pass < 2; pass++) {
        espan *arr = pass ? s : g;
        size_t n = pass ? ns : ng;
        for (size_t i = 0; i < n; i++)
            if (!get_row(ev, arr[i].type)) {
                rc = nm__err_set(&ev->err, NM_ENOMEM, "out of memory");
                goto done;
            }
    }
    for (size_t r = 0; r < ev->n_rows; r++) {
        bool present = false;
        for (size_t i = 0; i < ng && !present; i++)
            present = !strcmp(g[i].type, ev->rows[r].type);
        for (size_t j = 0; j < ns && !present; j++)
            present = !strcmp(s[j].type, ev->rows[r].type);
        if (present && (rc = score_class(g, ng, s, ns, ev->rows[r].type, &ev->rows[r].c)) < 0)
            goto done;
        bool gh = false, sh = false;
        for (size_t i = 0; i < ng && !gh; i++)
            gh = !strcmp(g[i].type, ev->rows[r].type);
        for (size_t j = 0; j < ns && !sh; j++)
            sh = !strcmp(s[j].type, ev->rows[r].type);
        counts *c = &ev->rows[r].c;
        c->rec_gold += gh;
        c->rec_sys += sh;
        c->rec_tp += gh && sh;
        if (is_clause(ev->rows[r].type)) {
            ev->clause_rec.rec_gold += gh;
            ev->clause_rec.rec_sys += sh;
            ev->clause_rec.rec_tp += gh && sh;
        }
    }
    if (ng == 0) {
        ev->neg_records++;
        ev->neg_flagged += ns > 0;
    }
    bool timex = false;
    for (size_t i = 0; i < ng; i++)
        timex |= is_timex(g[i].type);
    for (size_t j = 0; j < ns; j++)
        timex |= is_timex(s[j].type);
    if (timex) {
        ev->any_timex = true;
        if ((rc = score_class(g, ng, s, ns, NULL, &ev->timex)) < 0)
            goto done;
    }
done:
    if (rc == NM_ENOMEM)
        nm__err_set(&ev->err, rc, "out of memory");
    nm__free(NULL, g);
    nm__free(NULL, s);
    return rc;
}

/* ---------------------------------------------------------------- report */

static double ratio(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0.0; }
static double f1(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; }

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const row *)a)->type, ((const row *)b)->type);
}

typedef struct prf {
    double p, r, f;
} prf;

static prf make_prf(uint64_t tp, uint64_t gold, uint64_t sys)
{
    prf x = {ratio(tp, sys), ratio(tp, gold), 0};
    x.f = f1(x.p, x.r);
    return x;
}

static int emit_row(nm_eval *ev, int format, const char *name, const counts *c, bool temporal,
                    bool cross, bool first)
{
    nm_buf *b = &ev->report;
    prf ex = make_prf(c->exact, c->gold, c->sys), ov = make_prf(c->overlap, c->gold, c->sys);
    double tacc = ratio(c->type_ok, c->overlap), vacc = ratio(c->value_ok, c->overlap);
    int rc = 0;
    if (format == NM_EVAL_TABLE) {
        rc = nm_buf_printf(b, "%-26s %6llu %6llu  %5.3f %5.3f %5.3f  %5.3f %5.3f %5.3f", name,
                           (unsigned long long)c->gold, (unsigned long long)c->sys, ex.p, ex.r, ex.f,
                           ov.p, ov.r, ov.f);
        if (!rc && temporal)
            rc = cross ? nm_buf_printf(b, "  %5.3f %5.3f %5.3f", tacc, vacc, vacc * ov.f)
                       : nm_buf_printf(b, "      - %5.3f %5.3f", vacc, vacc * ov.f);
        if (!rc)
            rc = nm_buf_putc(b, '\n');
    } else if (format == NM_EVAL_TSV) {
        rc = nm_buf_printf(b,
                           "%s\tgold\t%llu\n%s\tsystem\t%llu\n%s\texact_p\t%.4f\n%s\texact_r\t%.4f\n"
                           "%s\texact_f1\t%.4f\n%s\toverlap_p\t%.4f\n%s\toverlap_r\t%.4f\n"
                           "%s\toverlap_f1\t%.4f\n",
                           name, (unsigned long long)c->gold, name, (unsigned long long)c->sys, name,
                           ex.p, name, ex.r, name, ex.f, name, ov.p, name, ov.r, name, ov.f);
        if (!rc && temporal && cross)
            rc = nm_buf_printf(b, "%s\ttype_accuracy\t%.4f\n", name, tacc);
        if (!rc && temporal)
            rc = nm_buf_printf(b, "%s\tvalue_accuracy\t%.4f\n%s\tvalue_f1\t%.4f\n", name, vacc,
                               name, vacc * ov.f);
    } else {
        /* rows of the "types" object are keyed; TIMEX3 and ALL stand alone */
        bool keyed = strcmp(name, "TIMEX3") != 0 && strcmp(name, "ALL") != 0;
        if (keyed)
            rc = nm_buf_printf(b, "%s\"%s\":", first ? "" : ",", name);
        if (rc == 0)
            rc = nm_buf_printf(b,
                           "{\"gold\":%llu,\"system\":%llu,"
                           "\"exact\":{\"tp\":%llu,\"p\":%.4f,\"r\":%.4f,\"f1\":%.4f},"
                           "\"overlap\":{\"tp\":%llu,\"p\":%.4f,\"r\":%.4f,\"f1\":%.4f}",
                           (unsigned long long)c->gold, (unsigned long long)c->sys, (unsigned long long)c->exact, ex.p, ex.r,
                           ex.f, (unsigned long long)c->overlap, ov.p, ov.r, ov.f);
        if (!rc && temporal && cross)
            rc = nm_buf_printf(b, ",\"type_accuracy\":%.4f,\"type_f1\":%.4f", tacc, tacc * ov.f);
        if (!rc && temporal)
            rc = nm_buf_printf(b, ",\"value_accuracy\":%.4f,\"value_f1\":%.4f", vacc, vacc * ov.f);
        if (!rc)
            rc = nm_buf_putc(b, '}');
    }
    return rc;
}

/* The clause rows again, by record (a sentence, in the clause corpora
 * and CUAD) and with their attributes, and the false alarms on negative
 * records.  Only when clause types were scored. */
static int emit_clauses(nm_eval *ev, int format)
{
    nm_buf *b = &ev->report;
    bool any = false;
    for (size_t i = 0; i < ev->n_rows; i++)
        any |= is_clause(ev->rows[i].type);
    if (!any)
        return 0;
    int rc = 0;
    counts attr = {0};
    if (format == NM_EVAL_TABLE)
        rc = nm_buf_printf(b, "\n%-26s %6s %6s  %-17s  %s\n%-26s %6s %6s  %5s %5s %5s  %6s %6s %6s\n", "clauses",
                           "", "", "per record", "attributes (overlapping spans)", "type", "gold", "system", "P", "R",
                           "F1", "status", "holder", "until");
    else if (format == NM_EVAL_JSON)
        rc = nm_buf_puts(b, ",\"clauses\":{");
    bool first = true;
    for (size_t i = 0; !rc && i <= ev->n_rows; i++) {
        const counts *c;
        const char *name;
        counts total;
        if (i < ev->n_rows) {
            if (!is_clause(ev->rows[i].type))
                continue;
            c = &ev->rows[i].c;
            name = ev->rows[i].type;
            attr.overlap += c->overlap;
            attr.status_ok += c->status_ok;
            attr.holder_n += c->holder_n;
            attr.holder_ok += c->holder_ok;
            attr.until_n += c->until_n;
            attr.until_ok += c->until_ok;
        } else {
            total = attr;
            total.rec_gold = ev->clause_rec.rec_gold;
            total.rec_sys = ev->clause_rec.rec_sys;
            total.rec_tp = ev->clause_rec.rec_tp;
            c = &total;
            name = "CLAUSE:ALL";
        }
        prf rp = make_prf(c->rec_tp, c->rec_gold, c->rec_sys);
        double st = ratio(c->status_ok, c->overlap), ho = ratio(c->holder_ok, c->holder_n),
               un = ratio(c->until_ok, c->until_n);
        if (format == NM_EVAL_TABLE) {
            rc = nm_buf_printf(b, "%-26s %6llu %6llu  %5.3f %5.3f %5.3f  %6.3f", name, (unsigned long long)c->rec_gold,
                               (unsigned long long)c->rec_sys, rp.p, rp.r, rp.f, st);
            if (!rc)
                rc = c->holder_n ? nm_buf_printf(b, " %6.3f", ho) : nm_buf_puts(b, "      -");
            if (!rc)
                rc = c->until_n ? nm_buf_printf(b, " %6.3f\n", un) : nm_buf_puts(b, "      -\n");
        } else if (format == NM_EVAL_TSV) {
            rc = nm_buf_printf(b,
                               "%s\trecord_p\t%.4f\n%s\trecord_r\t%.4f\n%s\trecord_f1\t%.4f\n"
                               "%s\tstatus_accuracy\t%.4f\n%s\tholder_accuracy\t%.4f\n%s\tuntil_accuracy\t%.4f\n",
                               name, rp.p, name, rp.r, name, rp.f, name, st, name, ho, name, un);
        } else {
            rc = nm_buf_printf(b,
                               "%s\"%s\":{\"records\":{\"gold\":%llu,\"system\":%llu,\"tp\":%llu,\"p\":%.4f,"
                               "\"r\":%.4f,\"f1\":%.4f},\"status_accuracy\":%.4f,\"holder_accuracy\":%.4f,"
                               "\"until_accuracy\":%.4f}",
                               first ? "" : ",", name, (unsigned long long)c->rec_gold, (unsigned long long)c->rec_sys,
                               (unsigned long long)c->rec_tp, rp.p, rp.r, rp.f, st, ho, un);
        }
        first = false;
    }
    double neg = ratio(ev->neg_flagged, ev->neg_records);
    if (!rc && format == NM_EVAL_TABLE)
        rc = nm_buf_printf(b, "negative records flagged: %llu of %llu (%.1f%%)\n", (unsigned long long)ev->neg_flagged,
                           (unsigned long long)ev->neg_records, 100 * neg);
    else if (!rc && format == NM_EVAL_TSV)
        rc = nm_buf_printf(b, "NEGATIVE\tflagged_rate\t%.4f\nNEGATIVE\trecords\t%llu\n", neg,
                           (unsigned long long)ev->neg_records);
    else if (!rc)
        rc = nm_buf_printf(b, "},\"negatives\":{\"records\":%llu,\"flagged\":%llu,\"rate\":%.4f}",
                           (unsigned long long)ev->neg_records, (unsigned long long)ev->neg_flagged, neg);
    return rc;
}

int nm_eval_report(nm_eval *ev, int format, const char **out)
{
    nm_buf *b = &ev->report;
    int rc = 0;
    counts all = {0};
    *out = "";
    nm_buf_clear(b);
    if (ev->n_rows)
        qsort(ev->rows, ev->n_rows, sizeof(*ev->rows), cmp_row);
    for (size_t i = 0; i < ev->n_rows; i++) {
        const counts *c = &ev->rows[i].c;
        all.gold += c->gold;
        all.sys += c->sys;
        all.exact += c->exact;
        all.overlap += c->overlap;
    }
    if (format == NM_EVAL_TABLE)
        rc = nm_buf_printf(b, "%-26s %6s %6s  %-17s  %-17s  %s\n%-26s %6s %6s  %5s %5s %5s  %5s %5s %5s  %5s %5s %5s\n",
                           "", "", "", "exact", "overlap", "temporal (TempEval-3)", "type", "gold",
                           "system", "P", "R", "F1", "P", "R", "F1", "type", "value", "valF1");
    else if (format == NM_EVAL_JSON)
        rc = nm_buf_printf(b, "{\"documents\":%llu,\"types\":{", (unsigned long long)ev->n_docs);
    for (size_t i = 0; !rc && i < ev->n_rows; i++)
        rc = emit_row(ev, format, ev->rows[i].type, &ev->rows[i].c, is_timex(ev->rows[i].type), false,
                      i == 0);
    if (!rc && format == NM_EVAL_JSON)
        rc = nm_buf_puts(b, "}");
    if (!rc && ev->any_timex) {
        if (format == NM_EVAL_JSON)
            rc = nm_buf_puts(b, ",\"timex3\":");
        if (!rc)
            rc = emit_row(ev, format, "TIMEX3", &ev->timex, true, true, true);
    }
    if (!rc && format == NM_EVAL_JSON)
        rc = nm_buf_puts(b, ",\"all\":");
    if (!rc)
        rc = emit_row(ev, format, "ALL", &all, false, false, true);
    if (!rc)
        rc = emit_clauses(ev, format);
    if (!rc && format == NM_EVAL_JSON)
        rc = nm_buf_puts(b, "}\n");
    if (!rc && format == NM_EVAL_TABLE)
        rc = nm_buf_printf(b, "%llu documents\n", (unsigned long long)ev->n_docs);
    if (rc < 0)
        return nm__err_set(&ev->err, rc, "report: %s", nm_strerror(rc));
    *out = b->ptr ? b->ptr : "";
    return 0;
}
