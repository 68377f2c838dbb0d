/*
 * clauses.c - contract clause types in deal coverage: which term a sentence
 * talks about (exclusivity, a right of first refusal, a revenue share...),
 * what happened to it (granted, removed, retained...), who holds it, over
 * whom, and until when.
 *
 * Model (models/clauses/, docs/clauses.md):
 *   triggers.tsv  TYPE STATUS PATTERN: the phrases that name a type; a TYPE
 *                 of "!" or "!TYPE" makes the line a veto ("exclusive
 *                 interview" names no clause)
 *   cues.tsv      CLASS PATTERN: status verbs and adjectives (GRANTED ...),
 *                 NEGATION, CEASE ("no longer"), CHALLENGE (a regulator or a
 *                 court acts), REPLACE, CONDITION ("if", "unless")
 *   variants.tsv  a table: British and American spellings (licence/license)
 *
 * A PATTERN is a sequence of elements separated by spaces, matched on
 * tokens: a word (or "a|b|c") matches a token whose Snowball stem is the
 * word's, spelling variants folded, so "licence", "licensed" and "license"
 * are one word to a rule; "x?" is optional; "~N" skips up to N tokens;
 * "@DATE", "@ORG"... match a span of that type found by an earlier stage;
 * "[" and "]" mark the part reported as the span (default: all of it).
 * Patterns are tokenised by the model's own tokenizer when the model loads,
 * so a rule and the text are cut the same way, and are indexed by their
 * first element: the cost of a sentence follows its words, not the number
 * of rules.
 *
 * Per sentence: trigger matches (the longest wins where two overlap; vetoed
 * ones go), then for each the status from the nearest status cue of its
 * clause (negation flips it, "no longer" removes, a modal makes it
 * PROPOSED), "challenged" when a challenge cue is in the sentence, holder
 * and counterparty from the entity spans of the sentence (subject or
 * possessor vs. the object of with/from/over...), and since/until from the
 * DATE spans of the temporal stage that carry a bound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clauses.h"
#include "rules.h" /* nm__model_table */

const char *const nm__clause_type_names[CL_NTYPES] = {
#define X(n) #n,
    NM_CLAUSE_TYPES(X)
#undef X
};

const char *const nm__clause_status_names[ST_PROPOSED + 1] = {
    "UNSPECIFIED", "GRANTED", "REMOVED", "RETAINED", "MODIFIED", "EXTENDED", "PROPOSED",
};

/* The span type of each clause type ("CLAUSE:ROFR"). */
static const char *const span_names[CL_NTYPES] = {
#define X(n) "CLAUSE:" #n,
    NM_CLAUSE_TYPES(X)
#undef X
};

static const char *const cue_class_names[CUE_NCLASSES] = {
    "UNSPECIFIED", "GRANTED", "REMOVED", "RETAINED", "MODIFIED", "EXTENDED", "PROPOSED",
    "NEGATION", "CEASE", "CHALLENGE", "REPLACE", "CONDITION", "SELL", "WILL", "NEUTRAL", "OBLIGATION",
};

/* Span types a pattern may name with "@". */
static const char *const span_types[] = {"DATE", "TIME", "DURATION", "SET", "MONEY", "PERCENT",
                                         "ORG", "PER", "LOC", "MISC"};
#define N_SPAN_TYPES (sizeof(span_types) / sizeof(span_types[0]))

struct nm_cl_slot {
    uint32_t key; /* 0: empty */
    uint32_t off, n;
};

/* ------------------------------------------------------------- loading */

typedef struct load_ctx {
    bool cues;
} load_ctx;

static int on_line(nm_model *m, const char *path, long lineno, char **f, int nf, void *payload)
{
    const load_ctx *lc = payload;
    nm_clauses *cl = m->clauses;
    int need = lc->cues ? 2 : 3;
    if (nf < need)
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: expected %d TAB-separated fields", path, lineno, need);
    char where[600];
    snprintf(where, sizeof(where), "%s:%ld", path, lineno);
    int rc = 0;
    /* KIND, CLASS, STATUS, PATTERN, WHERE, each NUL-terminated */
    if ((rc = nm_buf_put(&cl->raw, lc->cues ? "C" : "T", 2)) < 0 ||
        (rc = nm_buf_put(&cl->raw, f[0], strlen(f[0]) + 1)) < 0 ||
        (rc = nm_buf_put(&cl->raw, lc->cues ? "-" : f[1], strlen(lc->cues ? "-" : f[1]) + 1)) < 0 ||
        (rc = nm_buf_put(&cl->raw, f[need - 1], strlen(f[need - 1]) + 1)) < 0 ||
        (rc = nm_buf_put(&cl->raw, where, strlen(where) + 1)) < 0)
        return nm__err_set(&m->err, rc, "out of memory");
    cl->n_raw++;
    return 0;
}

int nm__clauses_load(nm_model *m, const char *mpath, long mline, const char *rel, bool cues)
{
    (void)mpath;
    (void)mline;
    if (!m->clauses) {
        nm_clauses *cl = nm__calloc(&m->alloc, 1, sizeof(*cl));
        if (!cl)
            return nm__err_set(&m->err, NM_ENOMEM, "out of memory");
        m->clauses = cl;
        nm_buf_init(&cl->arena, (size_t)1 << 24, &m->alloc);
        nm_buf_init(&cl->raw, (size_t)1 << 26, &m->alloc);
    }
    load_ctx lc = {cues};
    return nm__model_read_tsv(m, rel, cues ? "clause-cues" : "clause-triggers", cues ? 2 : 3, on_line, &lc);
}

static void index_free(const nm_allocator *a, nm_cl_index *ix)
{
    nm__free(a, ix->slots);
    nm__free(a, ix->ids);
    memset(ix, 0, sizeof(*ix));
}

void nm__clauses_free(nm_model *m)
{
    nm_clauses *cl = m->clauses;
    if (!cl)
        return;
    nm__free(&m->alloc, cl->pats);
    nm__free(&m->alloc, cl->elems);
    nm__free(&m->alloc, cl->keys);
    index_free(&m->alloc, &cl->triggers);
    index_free(&m->alloc, &cl->cues);
    nm_buf_free(&cl->arena);
    nm_buf_free(&cl->raw);
    if (cl->variants) {
        nm_strtab_free(cl->variants);
        nm__free(&m->alloc, cl->variants);
    }
    nm__free(&m->alloc, cl);
    m->clauses = NULL;
}

/* ------------------------------------------------------------ building */

/* The key of a stem or norm: its nm_hash, never 0. */
static inline uint32_t key_of(const char *s, size_t n)
{
    uint32_t h = nm_hash(s, n);
    return h ? h : 1;
}

/* The folded key of token T of D (stems must be done): the stem of a word
 * (through the variants table), the norm of anything else. */
static uint32_t tok_key(const nm_strtab *variants, const uint64_t *bloom, const nm_doc *d, const nm_tok *t,
                        bool by_norm)
{
    bool stem = !by_norm && t->kind == NM_TOK_WORD && t->stem_len;
    const char *s = d->strings.ptr + (stem ? t->stem_off : t->norm_off);
    size_t n = stem ? t->stem_len : t->norm_len;
    /* a word's norm carries its hash (normalize) */
    bool same = t->kind == NM_TOK_WORD && t->hash && (!stem || (t->stem_off == t->norm_off && t->stem_len == t->norm_len));
    uint32_t h = same ? t->hash : nm_hash(s, n); /* a stem that is its norm shares its hash */
    if (bloom && !((bloom[(h % CL_BLOOM_BITS) / 64] >> (h % 64)) & 1))
        return h ? h : 1;
    if (variants && variants->n_used) {
        const nm_strtab_entry *e = nm_strtab_get_h(variants, s, n, h);
        if (e) {
            const char *v = nm_strtab_val(variants, e);
            return key_of(v, strlen(v));
        }
    }
    return h ? h : 1;
}

/* The index key of patterns that start with a span of TYPE ("@DATE"). */
static uint32_t span_key(const char *type)
{
    char k[16];
    int n = snprintf(k, sizeof(k), "@%s", type);
    return key_of(k, (size_t)n);
}

typedef struct build_ctx {
    nm_model *m;
    nm_clauses *cl;
    nm_pipeline *p;
    nm_strtab vstems; /* stem of a variant spelling -> stem of the canonical one */
} build_ctx;

/* Tokenise WORD with the model's pipeline: it must be one token; its key. */
static int word_key(build_ctx *b, const char *word, const char *where, bool by_norm, uint32_t *key)
{
    const nm_result *r;
    int rc = nm_pipeline_run(b->p, word, strlen(word), NULL, &r);
    if (rc < 0)
        return nm__err_set(&b->m->err, rc, "%s: \"%s\": %s", where, word, nm_pipeline_errmsg(b->p));
    nm_doc *d = (nm_doc *)r; /* nm_result is a doc (pipeline.c) */
    if (d->n_toks != 1)
        return nm__err_set(&b->m->err, NM_EPARSE,
                           "%s: \"%s\" is %zu tokens to the tokenizer; write one token an element",
                           where, word, d->n_toks);
    if ((rc = nm__doc_stems(d)) < 0)
        return nm__err_set(&b->m->err, rc, "out of memory");
    *key = by_norm ? tok_key(b->cl->wvariants, NULL, d, &d->toks[0], true)
                   : tok_key(&b->vstems, NULL, d, &d->toks[0], false);
    return 0;
}

static int parse_class(const char *s, bool cues, int *cls, bool *veto)
{
    *veto = false;
    if (cues) {
        for (int i = ST_GRANTED; i < CUE_NCLASSES; i++)
            if (!strcmp(s, cue_class_names[i])) {
                *cls = i;
                return 0;
            }
        return -1;
    }
    if (s[0] == '!') {
        *veto = true;
        s++;
        if (!*s) {
            *cls = -1;
            return 0;
        }
    }
    for (int i = 0; i < CL_NTYPES; i++)
        if (!strcmp(s, nm__clause_type_names[i])) {
            *cls = i;
            return 0;
        }
    return -1;
}

/* Compile one pattern line into cl->pats / elems / keys. */
static int compile_line(build_ctx *b, const char *kind, const char *cls_s, const char *status_s,
                        const char *pattern, const char *where)
{
    nm_clauses *cl = b->cl;
    const nm_allocator *a = &b->m->alloc;
    bool cues = kind[0] == 'C';
    nm_cl_pattern pat = {0};
    if (parse_class(cls_s, cues, &pat.cls, &pat.veto) < 0)
        return nm__err_set(&b->m->err, NM_EPARSE, "%s: unknown %s \"%s\"", where,
                           cues ? "cue class" : "clause type", cls_s);
    pat.status = -1;
    /* "news", "contract", "STATUS", "STATUS,news" or "STATUS,contract" */
    size_t sl = strlen(status_s);
    static const char *const regs[] = {"news", "contract"};
    for (int r = 0; r < 2 && !cues; r++) {
        size_t rl = strlen(regs[r]);
        if (sl >= rl && !strcmp(status_s + sl - rl, regs[r]) && (sl == rl || status_s[sl - rl - 1] == ',')) {
            pat.news_only = r == 0;
            pat.contract_only = r == 1;
            sl = sl == rl ? 0 : sl - rl - 1;
        }
    }
    if (!cues && sl && !(sl == 1 && status_s[0] == '-')) {
        for (int i = 0; i <= ST_PROPOSED; i++)
            if (strlen(nm__clause_status_names[i]) == sl && !strncmp(status_s, nm__clause_status_names[i], sl))
                pat.status = i;
        if (pat.status < 0)
            return nm__err_set(&b->m->err, NM_EPARSE, "%s: unknown status \"%s\"", where, status_s);
    }
    size_t at = b->cl->arena.len;
    if (nm_buf_put(&cl->arena, where, strlen(where) + 1) < 0)
        return nm__err_set(&b->m->err, NM_ENOMEM, "out of memory");
    pat.where = (const char *)(uintptr_t)at; /* an offset until the arena stops moving */
    pat.elem_off = (uint32_t)cl->n_elems;
    char buf[1024];
    if (strlen(pattern) >= sizeof(buf))
        return nm__err_set(&b->m->err, NM_EPARSE, "%s: pattern too long", where);
    strcpy(buf, pattern);
    bool bracket = false, any_bracket = strchr(pattern, '[') != NULL;
    char *save = NULL;
    for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (!strcmp(w, "[") || !strcmp(w, "]")) {
            if (bracket == (w[0] == '['))
                return nm__err_set(&b->m->err, NM_EPARSE, "%s: unbalanced [ ]", where);
            bracket = w[0] == '[';
            continue;
        }
        nm_cl_elem el = {0};
        el.in_span = any_bracket ? bracket : 1;
        size_t n = strlen(w);
        if (n > 1 && w[n - 1] == '?') {
            el.opt = 1;
            w[--n] = '\0';
        }
        if (w[0] == '~') {
            char *end;
            long g = strtol(w + 1, &end, 10);
            if (*end || g < 1 || g > 20)
                return nm__err_set(&b->m->err, NM_EPARSE, "%s: a gap is ~1 to ~20, not \"%s\"", where, w);
            el.kind = EL_GAP;
            el.gap = (uint8_t)g;
        } else if (w[0] == '@') {
            el.kind = EL_SPAN;
            for (size_t i = 0; i < N_SPAN_TYPES; i++)
                if (!strcmp(w + 1, span_types[i]))
                    el.span_type = span_types[i];
            if (!el.span_type)
                return nm__err_set(&b->m->err, NM_EPARSE, "%s: unknown span type \"%s\"", where, w);
        } else {
            el.kind = EL_WORD;
            /* cues list their inflections: they match words as written
             * (a stem would make "provider" a "provide", "refusal" a
             * "refuse"); a trigger word with '=' does too */
            el.by_norm = cues || w[0] == '=';
            if (w[0] == '=')
                w++;
            el.alt_off = (uint32_t)cl->n_keys;
            char *save2 = NULL;
            for (char *alt = strtok_r(w, "|", &save2); alt; alt = strtok_r(NULL, "|", &save2)) {
                uint32_t k = 0;
                int rc;
                if ((rc = word_key(b, alt, where, el.by_norm, &k)) < 0)
                    return rc;
                if (nm__grow(a, (void **)&cl->keys, &cl->cap_keys, cl->n_keys + 1, sizeof(*cl->keys)) < 0)
                    return nm__err_set(&b->m->err, NM_ENOMEM, "out of memory");
                cl->keys[cl->n_keys++] = k;
                el.n_alt++;
            }
            if (!el.n_alt)
                return nm__err_set(&b->m->err, NM_EPARSE, "%s: empty alternative", where);
        }
        if (pat.n_elem == 0 && (el.kind == EL_GAP || el.opt))
            return nm__err_set(&b->m->err, NM_EPARSE,
                               "%s: a pattern starts with a word or a span that is not optional", where);
        if (pat.n_elem == 0 && el.kind == EL_SPAN) { /* indexed by the span type's key */
            el.alt_off = (uint32_t)cl->n_keys;
            el.n_alt = 1;
            if (nm__grow(a, (void **)&cl->keys, &cl->cap_keys, cl->n_keys + 1, sizeof(*cl->keys)) < 0)
                return nm__err_set(&b->m->err, NM_ENOMEM, "out of memory");
            cl->keys[cl->n_keys++] = span_key(el.span_type);
        }
        if (nm__grow(a, (void **)&cl->elems, &cl->cap_elems, cl->n_elems + 1, sizeof(*cl->elems)) < 0)
            return nm__err_set(&b->m->err, NM_ENOMEM, "out of memory");
        cl->elems[cl->n_elems++] = el;
        pat.n_elem++;
    }
    if (bracket)
        return nm__err_set(&b->m->err, NM_EPARSE, "%s: unbalanced [ ]", where);
    if (!pat.n_elem)
        return nm__err_set(&b->m->err, NM_EPARSE, "%s: empty pattern", where);
    if (nm__grow(a, (void **)&cl->pats, &cl->cap_pats, cl->n_pats + 1, sizeof(*cl->pats)) < 0)
        return nm__err_set(&b->m->err, NM_ENOMEM, "out of memory");
    cl->pats[cl->n_pats++] = pat;
    return 0;
}

typedef struct key_id {
    uint32_t key, id;
} key_id;

static int cmp_key_id(const void *x, const void *y)
{
    const key_id *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Index the patterns whose kind is CUES by every key of their first element. */
static int build_index(nm_model *m, nm_clauses *cl, bool cues, nm_cl_index *ix)
{
    const nm_allocator *a = &m->alloc;
    size_t n = 0;
    for (size_t i = 0; i < cl->n_pats; i++)
        if ((cl->pats[i].status == -2) == cues)
            n += cl->elems[cl->pats[i].elem_off].n_alt;
    key_id *kv = nm__calloc(a, n ? n : 1, sizeof(*kv));
    if (!kv)
        return NM_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < cl->n_pats; i++) {
        if ((cl->pats[i].status == -2) != cues)
            continue;
        const nm_cl_elem *el = &cl->elems[cl->pats[i].elem_off];
        for (uint32_t q = 0; q < el->n_alt; q++)
            kv[k++] = (key_id){cl->keys[el->alt_off + q], (uint32_t)i};
    }
    qsort(kv, n, sizeof(*kv), cmp_key_id);
    size_t u = 0; /* "provide|provides" may be one stem twice: once an entry */
    for (size_t i = 0; i < n; i++)
        if (!u || kv[i].key != kv[u - 1].key || kv[i].id != kv[u - 1].id)
            kv[u++] = kv[i];
    n = u;
    size_t slots = 64;
    while (slots < n * 2)
        slots *= 2;
    ix->slots = nm__calloc(a, slots, sizeof(*ix->slots));
    ix->ids = nm__calloc(a, n ? n : 1, sizeof(*ix->ids));
    if (!ix->slots || !ix->ids) {
        nm__free(a, kv);
        return NM_ENOMEM;
    }
    ix->mask = slots - 1;
    ix->n_ids = n;
    for (size_t g = 0; g < n;) {
        size_t end = g + 1;
        while (end < n && kv[end].key == kv[g].key)
            end++;
        size_t s = kv[g].key & ix->mask;
        while (ix->slots[s].key)
            s = (s + 1) & ix->mask;
        ix->slots[s] = (struct nm_cl_slot){kv[g].key, (uint32_t)g, (uint32_t)(end - g)};
        g = end;
    }
    for (size_t i = 0; i < n; i++)
        ix->ids[i] = kv[i].id;
    nm__free(a, kv);
    return 0;
}

static const struct nm_cl_slot *index_get(const nm_cl_index *ix, uint32_t key)
{
    if (!ix->slots)
        return NULL;
    for (size_t s = key & ix->mask;; s = (s + 1) & ix->mask) {
        if (ix->slots[s].key == key)
            return &ix->slots[s];
        if (!ix->slots[s].key)
            return NULL;
    }
}

/* The variants table is of words; rules and text meet on stems: stem both
 * sides with the model's own stemmer. */
static int build_variants(build_ctx *b)
{
    const nm_strtab *v = nm__model_table(b->m, "variants");
    if (!v)
        return 0;
    for (size_t i = 0; i < v->n_slots; i++) {
        const nm_strtab_entry *e = &v->slots[i];
        if (e->key_off == UINT32_MAX)
            continue;
        const char *words[2] = {v->arena.ptr + e->key_off, nm_strtab_val(v, e)};
        char stems[2][128];
        for (int k = 0; k < 2; k++) {
            const nm_result *r;
            int rc = nm_pipeline_run(b->p, words[k], strlen(words[k]), NULL, &r);
            if (rc < 0)
                return nm__err_set(&b->m->err, rc, "clauses: variant \"%s\": %s", words[k],
                                   nm_pipeline_errmsg(b->p));
            nm_doc *d = (nm_doc *)r;
            if (d->n_toks != 1)
                return nm__err_set(&b->m->err, NM_EPARSE, "clauses: variant \"%s\" is not one word", words[k]);
            if ((rc = nm__doc_stems(d)) < 0)
                return nm__err_set(&b->m->err, rc, "out of memory");
            const nm_tok *t = &d->toks[0];
            snprintf(stems[k], sizeof(stems[k]), "%.*s", (int)(t->stem_len ? t->stem_len : t->norm_len),
                     d->strings.ptr + (t->stem_len ? t->stem_off : t->norm_off));
        }
        if (strcmp(stems[0], stems[1]) != 0 &&
            nm_strtab_put(&b->vstems, stems[0], strlen(stems[0]), 0, stems[1], strlen(stems[1])) < 0)
            return nm__err_set(&b->m->err, NM_ENOMEM, "out of memory");
    }
    return 0;
}

int nm__clauses_build(nm_model *m)
{
    nm_clauses *cl = m->clauses;
    if (!cl)
        return 0;
    build_ctx b = {m, cl, NULL, {0}};
    int rc = 0;
    nm_pipeline_opts po = {0};
    po.until = "normalize";
    if (nm_strtab_init(&b.vstems, 64, &m->alloc) < 0)
        return nm__err_set(&m->err, NM_ENOMEM, "out of memory");
    if ((rc = nm_pipeline_new(&b.p, m, &po)) < 0) {
        rc = nm__err_set(&m->err, rc, "clauses: cannot tokenise the rules: %s", nm_strerror(rc));
        goto done;
    }
    cl->wvariants = nm__model_table(m, "variants");
    if ((rc = build_variants(&b)) < 0)
        goto done;
    const char *p = cl->raw.ptr;
    for (size_t i = 0; i < cl->n_raw; i++) {
        const char *kind = p, *cls = kind + strlen(kind) + 1, *status = cls + strlen(cls) + 1;
        const char *pattern = status + strlen(status) + 1, *where = pattern + strlen(pattern) + 1;
        p = where + strlen(where) + 1;
        size_t before = cl->n_pats;
        if ((rc = compile_line(&b, kind, cls, status, pattern, where)) < 0)
            goto done;
        if (kind[0] == 'C' && cl->n_pats > before)
            cl->pats[cl->n_pats - 1].status = -2; /* marks a cue */
    }
    for (size_t i = 0; i < cl->n_pats; i++)
        cl->pats[i].where = cl->arena.ptr + (uintptr_t)cl->pats[i].where;
    const nm_strtab *vt[2] = {&b.vstems, cl->wvariants};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; vt[k] && i < vt[k]->n_slots; i++) {
            const nm_strtab_entry *e = &vt[k]->slots[i];
            if (e->key_off == UINT32_MAX)
                continue;
            uint32_t h = e->hash;
            cl->vbloom[(h % CL_BLOOM_BITS) / 64] |= 1ull << (h % 64);
        }
    if ((rc = build_index(m, cl, false, &cl->triggers)) < 0 || (rc = build_index(m, cl, true, &cl->cues)) < 0) {
        rc = nm__err_set(&m->err, rc, "out of memory");
        goto done;
    }
    /* the variants as stems, for the text: kept in the model */
    cl->variants = NULL;
done:
    nm_pipeline_free(b.p);
    nm_buf_free(&cl->raw);
    cl->n_raw = 0;
    if (rc == 0) {
        nm_strtab *keep = nm__malloc(&m->alloc, sizeof(*keep));
        if (!keep) {
            nm_strtab_free(&b.vstems);
            return nm__err_set(&m->err, NM_ENOMEM, "out of memory");
        }
        *keep = b.vstems;
        cl->variants = keep;
    } else {
        nm_strtab_free(&b.vstems);
    }
    return rc;
}

/* -------------------------------------------------------------- running */

typedef struct dspan {
    uint32_t tb, te; /* tokens */
    uint32_t key;    /* span_key of its type */
    const char *type;
    const nm_span_rec *rec;
    int32_t next; /* next span starting at the same token, or -1 */
} dspan;

typedef struct found {
    uint32_t b, e; /* the reported span, tokens */
    uint32_t me;   /* where the whole match ends */
    int type;
    int status;  /* the trigger's own, or -1 */
    bool dead;
} found;

typedef struct cue {
    uint32_t b, e;
    int cls;
} cue;

typedef struct cl_state {
    const nm_model *m;
    const nm_doc *d; /* the document being run */
    const nm_clauses *cl;
    uint32_t *keys;  /* per token of the document: the key of its stem */
    uint32_t *nkeys; /* and of its norm */
    size_t cap_keys, cap_nkeys;
    int32_t *span_at; /* per token: first dspan starting there, or -1 */
    size_t cap_span_at;
    dspan *spans;
    size_t n_spans, cap_spans;
    found *found;
    size_t n_found, cap_found;
    cue *cues;
    size_t n_cues, cap_cues;
    uint32_t *ss; /* the spans of the sentence (chunk) being read, indices into spans */
    size_t n_ss, cap_ss;
    nm_buf attrs;
    uint32_t span_keys[N_SPAN_TYPES]; /* span_key of each span type, worked out once */
    bool contract; /* the sentence is in contract language (outside quotes) */
    uint32_t qlegal_b[8], qlegal_e[8]; /* quoted contract language in news */
    size_t n_qlegal;
    bool reg_done;        /* contract and qlegal_* worked out for [reg_b, reg_e) */
    char season[4];       /* the second year of a "2030-31 season" until (no NUL) */
    nm_span_rec *role_recs; /* the records of ROLE spans ("the league") */
    size_t cap_role_recs;
    size_t reg_b, reg_e;
} cl_state;

typedef struct mctx {
    const nm_clauses *cl;
    const nm_doc *d;
    cl_state *st;
    size_t e;       /* sentence end */
    size_t sb, se;  /* the reported part, growing as elements match */
    size_t end;     /* token after the match */
    int depth;
} mctx;

static bool word_ok(const mctx *c, const nm_cl_elem *el, size_t t)
{
    uint32_t k = el->by_norm ? c->st->nkeys[t] : c->st->keys[t];
    for (uint32_t q = 0; q < el->n_alt; q++)
        if (c->cl->keys[el->alt_off + q] == k)
            return true;
    return false;
}

/* The token after a span of TYPE starting at token T, or 0. */
static size_t span_end(const mctx *c, const char *type, size_t t)
{
    for (int32_t i = c->st->span_at[t]; i >= 0; i = c->st->spans[i].next)
        if (!strcmp(c->st->spans[i].type, type) && c->st->spans[i].te <= c->e)
            return c->st->spans[i].te;
    return 0;
}

static void mark(mctx *c, const nm_cl_elem *el, size_t b, size_t e)
{
    if (!el->in_span || e <= b)
        return;
    if (b < c->sb)
        c->sb = b;
    if (e > c->se)
        c->se = e;
}

static bool match_from(mctx *c, const nm_cl_pattern *p, uint32_t ei, size_t t)
{
    if (ei == p->n_elem) {
        c->end = t;
        return true;
    }
    if (++c->depth > 4096) /* patterns are short; a bound all the same */
        return false;
    const nm_cl_elem *el = &c->cl->elems[p->elem_off + ei];
    switch (el->kind) {
    case EL_GAP:
        for (size_t k = 0; k <= el->gap && t + k <= c->e; k++)
            if (match_from(c, p, ei + 1, t + k)) {
                if (k && ei + 1 < p->n_elem && el->in_span)
                    mark(c, el, t, t + k);
                return true;
            }
        return false;
    case EL_WORD:
        if (t < c->e && word_ok(c, el, t) && match_from(c, p, ei + 1, t + 1)) {
            mark(c, el, t, t + 1);
            return true;
        }
        return el->opt && match_from(c, p, ei + 1, t);
    default: {
        size_t end = t < c->e ? span_end(c, el->span_type, t) : 0;
        if (end && match_from(c, p, ei + 1, end)) {
            mark(c, el, t, end);
            return true;
        }
        return el->opt && match_from(c, p, ei + 1, t);
    }
    }
}

static int push(const nm_allocator *a, void **arr, size_t *n, size_t *cap, size_t elem)
{
    if (nm__grow(a, arr, cap, *n + 1, elem) < 0)
        return NM_ENOMEM;
    (*n)++;
    return 0;
}


/* Where triggers of two types overlap, the more specific type wins ("a
 * perpetual licence" is a PERPETUAL_LICENSE, "grants it a right of first
 * offer" a ROFR), then the longer. */
static int rank_of(int type)
{
    switch (type) {
    case CL_PERPETUAL_LICENSE:
    case CL_TERMINATION_FEE:
    case CL_ROFR:
    case CL_IP_OWNERSHIP:
    case CL_NO_POACH:
    case CL_PRICING_MFN:
        return 2;
    case CL_LICENSE_GRANT:
    case CL_CAPACITY_SUPPLY:
    case CL_EQUITY_GOVERNANCE:
    case CL_TERMINATION_TRIGGER:
        return 0;
    default:
        return 1;
    }
}

static bool party_at(const cl_state *st, size_t t);
static void find_register(cl_state *st, const nm_doc *d, size_t b, size_t e);

/* Try pattern P at token T of sentence [.., e): a match goes to st->cues,
 * to the vetoes, or to st->found. */
static int try_pattern(cl_state *st, const nm_doc *d, const nm_cl_pattern *p, size_t t, size_t e, bool cues,
                       uint32_t *veto_b, uint32_t *veto_e, int *veto_cls, size_t *n_veto)
{
    const nm_allocator *a = &st->m->alloc;
    if ((p->news_only || p->contract_only) && !st->reg_done)
        find_register(st, d, st->reg_b, st->reg_e);
    if (p->news_only && st->contract)
        return 0;
    bool quoted_legal = false;
    for (size_t q = 0; (p->news_only || p->contract_only) && q < st->n_qlegal; q++)
        quoted_legal |= t >= st->qlegal_b[q] && t < st->qlegal_e[q];
    if ((p->news_only && quoted_legal) || (p->contract_only && !st->contract && !quoted_legal))
        return 0;
    mctx c = {st->cl, d, st, e, SIZE_MAX, 0, 0, 0};
    if (!match_from(&c, p, 0, t))
        return 0;
    if (c.sb >= c.se) { /* only optional parts inside [ ] matched */
        c.sb = t;
        c.se = c.end;
    }
    if (cues) {
        /* a status word inside a name is no cue ("Corbel Pay", "Strike
         * Energy"); a regulator's name still challenges */
        if (p->cls != CUE_CHALLENGE && (party_at(st, c.sb) || party_at(st, c.se - 1)))
            return 0;
        /* "until the end of the season": a noun, no removal */
        if (c.sb > 0 && nm__norm_is(d, c.sb, "end") && (nm__norm_is(d, c.sb - 1, "the") || nm__norm_is(d, c.sb - 1, "an")))
            return 0;
        if (push(a, (void **)&st->cues, &st->n_cues, &st->cap_cues, sizeof(*st->cues)) < 0)
            return NM_ENOMEM;
        st->cues[st->n_cues - 1] = (cue){(uint32_t)c.sb, (uint32_t)c.se, p->cls};
    } else if (p->veto) {
        if (*n_veto < 64) {
            veto_b[*n_veto] = (uint32_t)c.sb;
            veto_e[*n_veto] = (uint32_t)c.se;
            veto_cls[(*n_veto)++] = p->cls;
        }
    } else {
        if (push(a, (void **)&st->found, &st->n_found, &st->cap_found, sizeof(*st->found)) < 0)
            return NM_ENOMEM;
        st->found[st->n_found - 1] =
            (found){(uint32_t)c.sb, (uint32_t)c.se, (uint32_t)c.end, p->cls, p->status, false};
    }
    return 0;
}

/* Every match of the patterns of index IX in sentence [b, e): triggers into
 * st->found (vetoes kill what they overlap), or cues into st->cues. */
static int find_matches(cl_state *st, const nm_doc *d, size_t b, size_t e, bool cues)
{
    const nm_clauses *cl = st->cl;
    const nm_cl_index *ix = cues ? &cl->cues : &cl->triggers;
    size_t first = st->n_found;
    /* vetoes: collected here, applied after */
    uint32_t veto_b[64], veto_e[64];
    int veto_cls[64];
    size_t n_veto = 0;
    int rc2;
    for (size_t t = b; t < e; t++) {
        /* the token's own key, then those of the spans that start at it */
        int32_t sp = st->span_at[t];
        for (bool own = true; own || sp >= 0; own = false) {
        const struct nm_cl_slot *s;
        if (own) {
            s = index_get(ix, cues ? st->nkeys[t] : st->keys[t]);
            if (!cues && st->nkeys[t] != st->keys[t]) {
                /* a trigger whose first word is "=word" is indexed by the
                 * word as written: try that next */
                const struct nm_cl_slot *s2 = index_get(ix, st->nkeys[t]);
                if (s2 && !s) {
                    s = s2;
                } else if (s2 && s) {
                    /* both: run the norm's patterns here, the stem's below */
                    for (uint32_t q = 0; q < s2->n; q++)
                        if ((rc2 = try_pattern(st, d, &cl->pats[ix->ids[s2->off + q]], t, e, cues, veto_b, veto_e,
                                               veto_cls, &n_veto)) < 0)
                            return rc2;
                }
            }
        } else {
            s = index_get(ix, st->spans[sp].key);
            sp = st->spans[sp].next;
        }
        if (!s)
            continue;
        for (uint32_t q = 0; q < s->n; q++)
            if ((rc2 = try_pattern(st, d, &cl->pats[ix->ids[s->off + q]], t, e, cues, veto_b, veto_e, veto_cls,
                                   &n_veto)) < 0)
                return rc2;
        }
    }
    if (cues)
        return 0;
    for (size_t i = first; i < st->n_found; i++) {
        found *f = &st->found[i];
        for (size_t v = 0; v < n_veto && !f->dead; v++)
            if ((veto_cls[v] < 0 || veto_cls[v] == f->type) && veto_b[v] < f->e && f->b < veto_e[v])
                f->dead = true;
    }
    /* a head noun right after a trigger is part of it: "no-poach pact",
     * "exclusivity clause", "non-compete provisions" */
    static const char *const heads[] = {"clause", "clauses", "provision", "provisions", "agreement", "agreements",
                                        "pact", "pacts", "deal", "deals", "arrangement", "arrangements", "accord",
                                        "terms", "ban", "truce", "pledge", "covenant", "covenants", "obligation",
                                        "obligations", "restriction", "restrictions", "rule", "rules", "option",
                                        "protections", "protection", "commitment", "commitments", "period"};
    for (size_t i = first; i < st->n_found; i++) {
        found *f = &st->found[i];
        if (f->e >= e || f->e != f->me)
            continue;
        if (NM__NORM_IN(d, f->e, heads) && !NM__NORM_IN(d, f->e - 1, heads))
            f->e++;
    }
    /* overlaps: the longer wins (then the earlier, then the rule higher up) */
    for (size_t i = first; i < st->n_found; i++) {
        found *f = &st->found[i];
        if (f->dead)
            continue;
        for (size_t j = first; j < st->n_found; j++) {
            found *g = &st->found[j];
            if (j == i || g->dead || !(g->b < f->e && f->b < g->e))
                continue;
            uint32_t lf = f->e - f->b, lg = g->e - g->b;
            int rf = rank_of(f->type), rg = rank_of(g->type);
            bool sg = g->status >= 0, sf = f->status >= 0;
            if (rg > rf ||
                (rg == rf && (lg > lf || (lg == lf && (sg > sf || (sg == sf && (g->b < f->b || (g->b == f->b && j < i)))))))) {
                f->dead = true;
                break;
            }
        }
    }
    /* "first dibs on any new computing capacity": what a right of first
     * refusal is on is its scope, not another clause */
    for (size_t i = first; i < st->n_found; i++) {
        const found *r = &st->found[i];
        if (r->dead || r->type != CL_ROFR || r->e >= e || !(nm__norm_is(d, r->e, "on") || nm__norm_is(d, r->e, "over")))
            continue;
        for (size_t j = first; j < st->n_found; j++) {
            found *g = &st->found[j];
            if (!g->dead && j != i && g->b > r->e && g->b <= r->e + 5 &&
                (g->type == CL_CAPACITY_SUPPLY || g->type == CL_LICENSE_GRANT || g->type == CL_EQUITY_GOVERNANCE))
                g->dead = true;
        }
    }
    return 0;
}

/* The token index of byte offset OFF (the token that holds or follows it). */
static size_t tok_at(const nm_doc *d, uint32_t off)
{
    size_t lo = 0, hi = d->n_toks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->toks[mid].end <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool is_party_type(const char *t);

/* Parties named by their role ("the league", "its customers", "the
 * streamer"): the holder of a term is as often one of these as a name.
 * A ROLE span is a determiner, up to two lower-case words and a role noun,
 * or a bare plural role noun; none overlaps a name. */
static size_t role_at(const nm_doc *d, size_t t, size_t n)
{
    static const char *const roles[] = {
        "league", "club", "clubs", "team", "streamer", "broadcaster", "label", "labels", "carmaker", "automaker",
        "utility", "airline", "airlines", "studio", "studios", "publisher", "publishers", "franchisees", "franchisee",
        "customers", "customer", "clients", "client", "suppliers", "supplier", "retailers", "retailer", "players",
        "employees", "staff", "artists", "farmers", "growers", "tenant", "tenants", "landlord", "landlords", "buyer",
        "buyers", "seller", "sellers", "government", "council", "university", "lenders", "lender", "insurer",
        "developer", "developers", "manufacturer", "licensee", "licensor", "union", "federation", "association",
        "operator", "operators", "drugmaker", "chipmaker", "miner", "shipper", "investor", "investors",
        "shareholders", "owner", "owners", "merchants", "restaurants", "dealers", "hospitals", "pilots", "chefs",
        "executives", "partner", "partners", "distributor", "distributors", "subscribers", "users", "members"};
    static const char *const plural_bare[] = {"customers", "clients", "suppliers", "retailers", "players",
                                              "employees", "artists", "farmers", "growers", "tenants", "buyers",
                                              "sellers", "lenders", "developers", "franchisees", "merchants",
                                              "restaurants", "dealers", "publishers", "investors", "shareholders",
                                              "subscribers", "users", "members", "owners"};
    static const char *const dets[] = {"the", "its", "their", "his", "her"};
    static const char *const glue[] = {"that", "which", "who", "to", "of", "and", "or", "for", "with", "by", "in",
                                       "on", "at", "from", "as", "demand", "plan", "decision", "right", "rights"};
    if (NM__NORM_IN(d, t, dets)) {
        for (size_t k = t + 1; k < n && k <= t + 3; k++) {
            const nm_tok *w = &d->toks[k];
            if (w->kind != NM_TOK_WORD || (w->flags & NM_TF_UPPER_INITIAL) || NM__NORM_IN(d, k, glue))
                return 0;
            if (NM__NORM_IN(d, k, roles))
                return k + 1 - t;
        }
        return 0;
    }
    const nm_tok *w = &d->toks[t];
    /* not "Cobblestone Coffee franchisees": a name's own people */
    if (w->kind == NM_TOK_WORD && !(w->flags & NM_TF_UPPER_INITIAL) && NM__NORM_IN(d, t, plural_bare) &&
        !(t > 0 && (NM__NORM_IN(d, t - 1, dets) || (d->toks[t - 1].flags & NM_TF_UPPER_INITIAL))))
        return 1;
    return 0;
}

/* The ROLE spans of tokens [b, e), appended to st->spans and to the
 * chunk's st->ss (not to span_at: no pattern names them).  Worked out only
 * for a chunk with a clause to emit; the caller drops them after. */
static int index_roles(cl_state *st, const nm_doc *d, size_t b, size_t e)
{
    const nm_allocator *a = &st->m->alloc;
    size_t n_roles = 0;
    bool named = false;
    for (int pass = 0; pass < 2; pass++) {
        size_t k = 0;
        for (size_t t = b; t < e; t++) {
            size_t len = role_at(d, t, e);
            if (!len)
                continue;
            named = false;
            for (size_t u = t; u < t + len && !named; u++)
                for (int32_t j = st->span_at[u]; j >= 0 && !named; j = st->spans[j].next)
                    named = is_party_type(st->spans[j].type) || !strcmp(st->spans[j].type, "LOC") ||
                            !strcmp(st->spans[j].type, "MISC");
            if (named)
                continue;
            if (pass == 0) {
                n_roles++;
            } else {
                nm_span_rec *r = &st->role_recs[k++];
                memset(r, 0, sizeof(*r));
                r->start = d->toks[t].start;
                r->end = d->toks[t + len - 1].end;
                r->type = "ROLE";
                if (push(a, (void **)&st->spans, &st->n_spans, &st->cap_spans, sizeof(*st->spans)) < 0)
                    return NM_ENOMEM;
                dspan *s = &st->spans[st->n_spans - 1];
                *s = (dspan){(uint32_t)t, (uint32_t)(t + len), 0x524F4C45u, "ROLE", r, -1};
                if (push(a, (void **)&st->ss, &st->n_ss, &st->cap_ss, sizeof(*st->ss)) < 0)
                    return NM_ENOMEM;
                st->ss[st->n_ss - 1] = (uint32_t)(st->n_spans - 1);
            }
            t += len - 1;
        }
        if (pass == 0 && n_roles &&
            nm__grow(a, (void **)&st->role_recs, &st->cap_role_recs, n_roles, sizeof(*st->role_recs)) < 0)
            return NM_ENOMEM;
        if (!n_roles)
            break;
    }
    return 0;
}

/* The earlier stages' spans, by the token they start at. */
static int index_spans(cl_state *st, const nm_doc *d)
{
    const nm_allocator *a = &st->m->alloc;
    if (nm__grow(a, (void **)&st->span_at, &st->cap_span_at, d->n_toks + 1, sizeof(*st->span_at)) < 0)
        return NM_ENOMEM;
    for (size_t i = 0; i <= d->n_toks; i++)
        st->span_at[i] = -1;
    st->n_spans = 0;
    for (size_t i = 0; i < d->n_spans; i++) {
        const nm_span_rec *r = &d->spans[i];
        const char *type = NULL;
        size_t type_ix = 0;
        for (size_t k = 0; k < N_SPAN_TYPES && !type; k++)
            if (!strcmp(r->type, span_types[k])) {
                type = span_types[k];
                type_ix = k;
            }
        if (!type || r->end <= r->start)
            continue;
        size_t tb = tok_at(d, r->start), te = tok_at(d, r->end - 1) + 1;
        if (tb >= d->n_toks || d->toks[tb].start != r->start)
            continue; /* not on a token boundary */
        if (push(a, (void **)&st->spans, &st->n_spans, &st->cap_spans, sizeof(*st->spans)) < 0)
            return NM_ENOMEM;
        dspan *s = &st->spans[st->n_spans - 1];
        *s = (dspan){(uint32_t)tb, (uint32_t)te, st->span_keys[type_ix], type, r, st->span_at[tb]};
        st->span_at[tb] = (int32_t)(st->n_spans - 1);
    }
    return 0;
}

/* ------------------------------------------------------------ analysis */


static bool is_boundary(const nm_doc *d, size_t t)
{
    return nm__norm_is(d, t, ";") || nm__norm_is(d, t, ":");
}

static bool is_party_type(const char *t) { return !strcmp(t, "ORG") || !strcmp(t, "PER") || !strcmp(t, "ROLE"); }

/* Does an entity (a party) cover token T? */
static bool party_at(const cl_state *st, size_t t)
{
    for (size_t j = 0; j < st->n_ss; j++)
        if (st->spans[st->ss[j]].tb <= t && t < st->spans[st->ss[j]].te && is_party_type(st->spans[st->ss[j]].type))
            return true;
    return false;
}

/* Auxiliaries and adverbs between a trigger and the verb after it. */
static bool is_aux(const nm_doc *d, size_t t)
{
    static const char *const words[] = {"is", "was", "were", "are", "be", "been", "being", "has", "have", "had",
                                        "will", "would", "shall", "should", "can", "could", "may", "might", "must",
                                        "still", "now", "also", "to", "not", "n't", "already", "then", "quietly",
                                        "effectively", "formally", "largely", "fully", "officially", "finally",
                                        "in", "place", "get", "got", "gets"};
    return NM__NORM_IN(d, t, words);
}

/* A token that opens another clause: ';', "but", "while", ", and"... */
static bool is_clause_break(const nm_doc *d, size_t t)
{
    static const char *const words[] = {";", "but", "while", "whereas", "although", "though", "however", "yet"};
    if (NM__NORM_IN(d, t, words))
        return true;
    return t > 0 && nm__norm_is(d, t, "and") && nm__norm_is(d, t - 1, ",");
}

/* The status of clause F from the cues of sentence [b, e). */
static int status_of(const cl_state *st, const nm_doc *d, const found *f0, size_t b, size_t e)
{
    /* the whole match counts as the trigger: "a [ten-year] network-sharing
     * agreement signed on Tuesday" is governed by "signed" */
    found fx = *f0;
    if (fx.me > fx.e)
        fx.e = fx.me;
    const found *f = &fx;
    /* the clause: no further than a ';' or ':' */
    size_t lo = b, hi = e;
    for (size_t t = f->b; t > b; t--)
        if (is_boundary(d, t - 1) || is_clause_break(d, t - 1)) {
            lo = t;
            break;
        }
    /* a label opening a line or a bullet ("- Audit rights: narrowed from
     * quarterly to once a year"): the words after its colon are its clause */
    bool label = f->e < e && nm__norm_is(d, f->e, ":") &&
                 (f->b == b || nm__norm_is(d, f->b - 1, "-") || nm__norm_is(d, f->b - 1, "•") ||
                  (d->toks[f->b].flags & NM_TF_NEWLINE_BEFORE));
    for (size_t t = label ? f->e + 1 : f->e; t < e; t++)
        if (is_boundary(d, t)) {
            hi = t;
            break;
        }
    /* the nearest status cue: left within 8 tokens, right within 6, ties
     * to the left (active voice is news's habit) */
    const cue *best = NULL;
    long best_d = 1 << 30;
    for (size_t i = 0; i < st->n_cues; i++) {
        const cue *c = &st->cues[i];
        if (c->cls < ST_GRANTED ||
            (c->cls > ST_EXTENDED && c->cls != CUE_REPLACE && c->cls != CUE_SELL && c->cls != CUE_WILL &&
             c->cls != CUE_NEUTRAL) ||
            c->b < lo || c->e > hi)
            continue;
        long dist;
        if (c->e <= f->b) {
            /* a verb before ", which" governs the noun it follows, not a
             * term in the relative clause ("renew the contract, which
             * lapses in 2026") */
            bool rel = false;
            for (size_t t = c->e; t + 1 < f->b && !rel; t++)
                rel = nm__norm_is(d, t, ",") && (nm__norm_is(d, t + 1, "which") || nm__norm_is(d, t + 1, "who"));
            if (rel)
                continue;
            dist = (long)(f->b - c->e) * 2;
        } else if (c->b >= f->e) {
            if (c->b == f->e + 1 && nm__norm_is(d, f->e, "to"))
                continue; /* "the exclusive right to sell": what the right is */
            if (label && c->b > f->e && c->b - f->e <= 8) { /* after the label's colon */
                long dl = (long)(c->b - f->e) * 2 + 1;
                if (dl < best_d) {
                    best_d = dl;
                    best = c;
                }
                continue;
            }
            /* a cue after the trigger governs it only through auxiliaries
             * ("exclusivity was dropped", "rights have been extended", "the
             * ROFR remains") */
            bool through = true;
            static const char *const rel[] = {"it", "they", "which", "that", "we", "he", "she"};
            static const char *const after_rel[] = {"in", "on", "at", "with", "last", "this", "earlier", "until",
                                                    "through", ",", ".", ";"};
            size_t from = f->e;
            if (c->b > f->e && NM__NORM_IN(d, f->e, rel) && (c->e >= hi || NM__NORM_IN(d, c->e, after_rel)))
                from++; /* "the 15-year lease it signed in 2018", not "deals that kept copies off" */
            for (size_t t = from; t < c->b && through; t++)
                through = is_aux(d, t);
            /* or across the trigger's own phrase ("rights on handball
             * coverage have been extended"): an auxiliary just before the
             * verb, no punctuation on the way */
            if (!through && c->b > f->e + 1 && c->b - f->e <= 8 && is_aux(d, c->b - 1)) {
                through = true;
                for (size_t t = f->e; t < c->b && through; t++)
                    through = (d->toks[t].kind != NM_TOK_PUNCT || nm__norm_is(d, t, "'")) && !party_at(st, t) &&
                              !nm__norm_is(d, t, "and") && !nm__norm_is(d, t, "or");
            }
            /* or across a prepositional phrase straight to a verb with no
             * object of its own ("its indemnity for grounded aircraft
             * remains in place", not "clauses with platforms keep rates
             * high") */
            static const char *const preps[] = {"for", "on", "over", "in", "of", "to", "with", "from", "covering",
                                                "between"};
            static const char *const ends[] = {"in", "intact", "unchanged", "until", "through", "to", "from",
                                               "by", ",", ".", ";"};
            if (!through && c->b > f->e + 1 && c->b - f->e <= 8 && NM__NORM_IN(d, f->e, preps) &&
                c->cls >= ST_GRANTED && c->cls <= ST_EXTENDED &&
                (c->e >= hi || NM__NORM_IN(d, c->e, ends) || (is_aux(d, c->b - 1) && c->b - f->e > 2))) {
                /* the parties of "the standstill between A and B has been
                 * lengthened" are the phrase's own */
                through = true;
                for (size_t t = f->e; t < c->b && through; t++)
                    through = d->toks[t].kind != NM_TOK_PUNCT || nm__norm_is(d, t, "'") || nm__norm_is(d, t, "'s");
            }
            if (!through)
                continue;
            dist = (long)(c->b - f->e) * 2 + 1;
        } else {
            continue; /* inside the trigger */
        }
        size_t reach = c->cls == CUE_REPLACE ? 12 : 8;
        if ((c->e <= f->b && f->b - c->e > reach) || (c->b >= f->e && c->b - f->e > 8))
            continue;
        if (dist < best_d) {
            best_d = dist;
            best = c;
        }
    }
    /* a term in apposition names what the main clause did ("agreed to
     * spend $1.8 billion, a minimum commitment"; "ended the requirement,
     * a tie-in"): the main verb governs it */
    size_t ap = f->b;
    if (ap > lo && nm__norm_is(d, ap - 1, "so-called"))
        ap--;
    /* (", the largest spending commitment": a determiner and an adjective) */
    if (ap > lo + 2 && nm__norm_is(d, ap - 2, "the") && nm__norm_is(d, ap - 3, ",") &&
        d->toks[ap - 1].kind == NM_TOK_WORD && !(d->toks[ap - 1].flags & NM_TF_UPPER_INITIAL))
        ap--;
    bool apposition = ap > lo + 1 && (nm__norm_is(d, ap - 1, "a") || nm__norm_is(d, ap - 1, "an") || nm__norm_is(d, ap - 1, "the")) &&
                      nm__norm_is(d, ap - 2, ",");
    if (apposition) {
        /* unless a relative clause after it says more ("a tie-in the
         * regulator has told it to scrap", "a guarantee it added") */
        const cue *main = NULL, *rel = NULL;
        size_t stop = f->e;
        while (stop < hi && stop < f->e + 8 && d->toks[stop].kind != NM_TOK_PUNCT)
            stop++;
        for (size_t i = 0; i < st->n_cues; i++) {
            const cue *c = &st->cues[i];
            if (c->cls < ST_GRANTED || c->cls > ST_PROPOSED || c->b < lo)
                continue;
            if (c->e <= ap - 2 && c->cls != ST_PROPOSED && (!main || c->b < main->b))
                main = c;
            if (c->b >= f->e && c->e <= stop && (!rel || c->b < rel->b) &&
                !(c->cls == ST_PROPOSED && (nm__norm_is(d, c->b, "could") || nm__norm_is(d, c->b, "might") ||
                                            nm__norm_is(d, c->b, "may"))))
                rel = c; /* ("a takeover provision that could put off bidders": comment) */
        }
        if (rel || main)
            best = rel ? rel : main;
    }
    int status = best ? best->cls : (f->status >= 0 ? f->status : ST_UNSPECIFIED);
    /* the term as a verb in the perfect or passive: "has licensed its
     * catalogue to Netflix", "was assigned to the fund" */
    static const char *const made_verbs[] = {"licensed", "sublicensed", "assigned", "transferred"};
    static const char *const perfect[] = {"has", "have", "had", "was", "were"};
    if (!best && f->b > lo && NM__NORM_IN(d, f->b, made_verbs) && NM__NORM_IN(d, f->b - 1, perfect))
        status = ST_GRANTED;
    /* "can be renewed twice", "may be extended": what the contract allows */
    if (!best && f->status >= 0 && f->b >= lo + 2 && nm__norm_is(d, f->b - 1, "be") &&
        (nm__norm_is(d, f->b - 2, "can") || nm__norm_is(d, f->b - 2, "may") || nm__norm_is(d, f->b - 2, "could")))
        status = ST_UNSPECIFIED;
    /* "takes a commission of 30%", "pays the chain a royalty": what a
     * contract does, described, not a term granted */
    static const char *const habitual[] = {"takes", "pays", "earns", "collects", "charges"};
    if (best && best->cls == ST_GRANTED && NM__NORM_IN(d, best->b, habitual) &&
        !(best->b > lo && (nm__norm_is(d, best->b - 1, "now") || nm__norm_is(d, best->b - 1, "also"))))
        status = ST_UNSPECIFIED;
    /* "will still take a 12% commission": kept, whatever the verb */
    if (best && best->cls == ST_GRANTED && best->b >= lo + 1 &&
        (nm__norm_is(d, best->b - 1, "still") || (best->b >= lo + 2 && nm__norm_is(d, best->b - 2, "still"))))
        status = ST_RETAINED;
    if (best && best->cls == CUE_SELL) /* selling a stake ends it; selling a licence grants one */
        status = f->type == CL_EQUITY_GOVERNANCE || f->type == CL_IP_OWNERSHIP ? ST_REMOVED : ST_GRANTED;
    if (best && best->cls == CUE_WILL) /* "will share revenue": a commitment */
        status = ST_GRANTED;
    if (best && best->cls == CUE_NEUTRAL) /* "exercised its right": reported, not changed */
        status = f->type == CL_RENEWAL_EXTENSION ? ST_EXTENDED : ST_UNSPECIFIED; /* bar an option to renew */
    if (best && best->cls == CUE_REPLACE) {
        /* "replaced X with Y": X goes, Y comes */
        bool after_with = false;
        for (size_t t = best->e; t < f->b; t++)
            after_with |= nm__norm_is(d, t, "with") || nm__norm_is(d, t, "by") || nm__norm_is(d, t, "for");
        status = f->b >= best->e && after_with ? ST_GRANTED : ST_REMOVED;
    }
    /* negation just before the cue (or before the trigger if no cue) */
    /* ("will not renew": between the commitment and the term) */
    size_t anchor = best && best->cls != CUE_WILL ? (best->b < f->b ? best->b : f->b) : f->b;
    bool negated = false, ceased = false, modal = false, condition = false, demand = false, cond_after = false;
    bool modal_verb = false, modal_negated = false;
    for (size_t i = 0; i < st->n_cues; i++) {
        const cue *c = &st->cues[i];
        if (c->b < lo || c->e > hi)
            continue;
        if (c->cls == CUE_NEGATION && c->e <= anchor && anchor - c->e <= 3)
            negated = true;
        if (c->cls == CUE_CEASE && c->e <= f->b && f->b - c->e <= 6)
            ceased = true;
        bool across_rel = false; /* "weighing whether to renew the contract, which lapses in 2026" */
        for (size_t t = c->e; c->cls == ST_PROPOSED && t + 1 < f->b && !across_rel; t++)
            across_rel = nm__norm_is(d, t, ",") && (nm__norm_is(d, t + 1, "which") || nm__norm_is(d, t + 1, "who"));
        if (c->cls == ST_PROPOSED && c->e <= anchor && anchor - c->e <= 6 && !across_rel) {
            modal = true;
            /* "could", "might", "may": a possibility, which a condition
             * after the term makes the term's own condition */
            modal_verb |= nm__norm_is(d, c->b, "could") || nm__norm_is(d, c->b, "might") || nm__norm_is(d, c->b, "may");
            /* "would not seek a renewal": a decision against it */
            for (size_t j = 0; j < st->n_cues; j++)
                if (st->cues[j].cls == CUE_NEGATION && st->cues[j].e <= c->b && c->b - st->cues[j].e <= 1 &&
                    st->cues[j].b >= lo)
                    modal_negated = true;
        }
        if (c->cls == ST_PROPOSED && best && c->b >= best->e && c->e <= f->b && !apposition) /* "will seek a renewal" */
            modal = demand = true;
        if (c->cls == CUE_CONDITION && c->e <= f->b)
            condition = true;
        if (c->cls == CUE_CONDITION && c->b >= f->e)
            cond_after = true;
    }
    /* "gave it no audit rights" (a term that says its own absence, "without
     * penalty", is not negated twice) */
    bool absent = false; /* "includes no liability cap": the term is absent */
    if (f->b > lo && f->status < 0 && (nm__norm_is(d, f->b - 1, "no") || nm__norm_is(d, f->b - 1, "without")))
        negated = absent = true;
    /* "the licence is not perpetual" */
    if (f->b > lo + 1 && f->status < 0 && nm__norm_is(d, f->b - 1, "not") &&
        (nm__norm_is(d, f->b - 2, "is") || nm__norm_is(d, f->b - 2, "are") || nm__norm_is(d, f->b - 2, "was") ||
         nm__norm_is(d, f->b - 2, "were")))
        negated = absent = true;
    /* "must pay", "shall indemnify": what a contract imposes, not a change */
    for (size_t i = 0; best && i < st->n_cues; i++) {
        const cue *c = &st->cues[i];
        if (c->cls == CUE_OBLIGATION && c->e <= best->b && c->b >= lo &&
            (best->b - c->e <= 2 || (best->b - c->e <= 6 && best->b > lo && nm__norm_is(d, best->b - 1, "to"))))
            status = ST_UNSPECIFIED; /* "obliges each outlet to buy" */
    }
    /* "will not compete": the promise itself, for the terms that are
     * promises not to do something; "will not renew" ends a renewal */
    if (negated && best && best->cls == CUE_WILL &&
        (f->type == CL_NON_COMPETE || f->type == CL_NO_POACH || f->type == CL_NON_DISPARAGEMENT ||
         f->type == CL_EXCLUSIVITY || f->type == CL_LIABILITY_INDEMNITY))
        negated = false;
    /* "lets it terminate upon a change of control": ending the deal is
     * what these terms do, not what happens to them */
    if (best && best->cls == ST_REMOVED &&
        (f->type == CL_TERMINATION_TRIGGER || f->type == CL_CHANGE_OF_CONTROL || f->type == CL_POST_TERMINATION ||
         f->type == CL_TERMINATION_FEE)) {
        const nm_tok *k = &d->toks[best->b];
        const char *w = d->strings.ptr + k->norm_off;
        if ((k->norm_len >= 7 && !memcmp(w, "terminat", 7)) || (k->norm_len >= 5 && !memcmp(w, "cancel", 5)) ||
            (k->norm_len >= 3 && !memcmp(w, "end", 3)) || (k->norm_len >= 5 && !memcmp(w, "expir", 5)) ||
            (k->norm_len >= 4 && !memcmp(w, "laps", 4)))
            status = ST_UNSPECIFIED;
    }
    if (negated) { /* "did not renew" ends it; "did not change" keeps it */
        if (status == ST_GRANTED || status == ST_RETAINED || status == ST_EXTENDED ||
            (absent && status == ST_UNSPECIFIED))
            status = ST_REMOVED;
        else if (status == ST_REMOVED || status == ST_MODIFIED)
            status = ST_RETAINED;
    }
    if (ceased || (absent && !modal)) /* "with no exit fee owed": absent, whatever the verb */
        status = ST_REMOVED;
    /* a term that says its own absence ("non-exclusive", "royalty-free",
     * "unbundle") is removed whatever verb grants the rest */
    if (f->status == ST_REMOVED && status != ST_PROPOSED)
        status = ST_REMOVED;
    if (f->type == CL_RENEWAL_EXTENSION && status == ST_GRANTED) /* a renewal agreed is a term extended */
        status = ST_EXTENDED;
    /* "the clause extends until 2030": how long it runs, not a change */
    if (best && best->cls == ST_EXTENDED && best->e < hi &&
        (nm__norm_is(d, best->b, "extends") || nm__norm_is(d, best->b, "extend")) &&
        (nm__norm_is(d, best->e, "until") || nm__norm_is(d, best->e, "through") || nm__norm_is(d, best->e, "till")))
        status = ST_UNSPECIFIED;
    if (status == ST_EXTENDED && best && best->cls == ST_EXTENDED) {
        /* lengthened only if a date or a length follows */
        bool timed = false;
        for (size_t j = 0; j < st->n_ss && !timed; j++) {
            const dspan *s = &st->spans[st->ss[j]];
            timed = (!strcmp(s->type, "DATE") || !strcmp(s->type, "DURATION")) && s->tb >= (best ? best->e : f->e) &&
                    s->te <= hi;
        }
        if (!timed)
            status = ST_MODIFIED;
    }
    /* "an 8% royalty on gross sales, up from 6%" */
    for (size_t t = f->e; t + 2 < hi && t < f->e + 8; t++)
        if (nm__norm_is(d, t, ",") && (nm__norm_is(d, t + 1, "up") || nm__norm_is(d, t + 1, "down")) &&
            nm__norm_is(d, t + 2, "from")) {
            status = ST_MODIFIED;
            break;
        }
    /* "the authority ruled the lock-in unlawful" */
    static const char *const unlawful[] = {"unlawful", "unenforceable", "illegal", "invalid", "void"};
    if (f->e < hi && NM__NORM_IN(d, f->e, unlawful))
        for (size_t t = f->b > lo + 4 ? f->b - 4 : lo; t < f->b; t++)
            if (nm__norm_is(d, t, "ruled") || nm__norm_is(d, t, "declared") || nm__norm_is(d, t, "found") ||
                nm__norm_is(d, t, "deemed")) {
                status = ST_REMOVED;
                break;
            }
    /* "renews itself automatically ... unless either party objects": how
     * the contract runs, not a renewal */
    if (f->type == CL_RENEWAL_EXTENSION && f->status >= 0 && !best && cond_after)
        status = ST_UNSPECIFIED;
    /* "dropped its demand for a price clause": a proposal withdrawn */
    if (demand && best && best->cls == ST_REMOVED && best->e <= f->b)
        modal = false;
    if (modal) {
        /* "could end access if", "could lose that right if": a condition
         * of the clause, not a plan */
        status = (f->type == CL_TERMINATION_TRIGGER && modal_verb) || (cond_after && modal_verb) ? ST_UNSPECIFIED
                                                                                                  : ST_PROPOSED;
        if (modal_negated)
            status = ST_REMOVED;
    }
    if (condition && f->type == CL_TERMINATION_TRIGGER)
        status = ST_UNSPECIFIED;
    /* "requires it to pay a break-up fee if", "would owe ... if": what a
     * condition would cost, not a term granted */
    if (cond_after && (status == ST_GRANTED || status == ST_REMOVED) && best) {
        for (size_t t = lo; t < best->b; t++)
            if ((nm__norm_is(d, t, "would") && best->b - t <= 4) || nm__norm_is(d, t, "requires") || nm__norm_is(d, t, "require") ||
                nm__norm_is(d, t, "required") || nm__norm_is(d, t, "must") || nm__norm_is(d, t, "obliges")) {
                status = ST_UNSPECIFIED;
                break;
            }
    }
    if (f->type == CL_TERM_EXPIRY && status == ST_REMOVED) /* "expires", "ends": when, never a removal */
        status = ST_UNSPECIFIED;
    static const char *const made[] = {"signed", "signs", "sign", "signing", "struck", "strikes", "inked", "inks",
                                       "sealed", "clinched", "agreed", "agrees", "reached", "concluded"};
    bool signing = best && best->cls == ST_GRANTED && (best->b >= f->e || NM__NORM_IN(d, best->b, made));
    bool still = best && best->cls == ST_RETAINED && nm__norm_is(d, best->b, "still");
    if (f->type == CL_TERM_EXPIRY && ((status == ST_RETAINED && !still) || (status == ST_GRANTED && !signing))) {
        /* "the deal ends in 2030": when it ends, not that it ended */
        for (size_t j = 0; j < st->n_ss; j++)
            if (!strcmp(st->spans[st->ss[j]].type, "DATE") && st->spans[st->ss[j]].tb >= f->e && st->spans[st->ss[j]].te <= hi)
                status = ST_UNSPECIFIED;
    }
    return status;
}

static bool is_party(const dspan *s) { return is_party_type(s->type); }

/* Is the entity at token T the object of a preposition? */
static bool after_prep(const nm_doc *d, size_t t, size_t b)
{
    static const char *const preps[] = {"with", "from", "over", "to", "against", "by", "for", "on",
                                        "between", "of", "at", "and", "than", "in"};
    if (t <= b)
        return false;
    return NM__NORM_IN(d, t - 1, preps);
}

/* Does the entity ending at token TE stand as a possessor ("OpenAI's")? */
static bool possessive(const nm_doc *d, size_t te, size_t e)
{
    return te < e && (nm__norm_is(d, te, "'s") || nm__norm_is(d, te, "'"));
}

static void parties_of(const cl_state *st, const nm_doc *d, const found *f, size_t b, size_t e,
                       const dspan **holder, const dspan **counter)
{
    const dspan *subj = NULL, *poss = NULL, *obj = NULL;
    size_t obj_dist = SIZE_MAX;
    for (size_t j = 0; j < st->n_ss; j++) {
        const dspan *s = &st->spans[st->ss[j]];
        if (!is_party(s) || s->tb < b || s->te > e || (s->tb < f->e && f->b < s->te))
            continue;
        /* a name that is another clause's trigger ("the ROFR clause") is no party */
        bool trig = false;
        for (size_t i = 0; i < st->n_found && !trig; i++)
            trig = !st->found[i].dead && st->found[i].b < s->te && s->tb < st->found[i].e;
        if (trig)
            continue;
        if (s->te <= f->b && possessive(d, s->te, e)) {
            if (f->b - s->te <= 3)
                poss = s; /* "OpenAI's exclusive cloud provider", "its new licence" */
            continue;     /* a possessor is no subject */
        }
        if (after_prep(d, s->tb, b)) {
            size_t dist = s->te <= f->b ? f->b - s->te : s->tb - f->e;
            if (dist < obj_dist && dist <= 10) {
                obj = s;
                obj_dist = dist;
            }
            continue;
        }
        if (s->te <= f->b && (!subj || s->tb > subj->tb))
            subj = s; /* the nearest before the trigger */
    }
    /* "OpenAI's exclusive cloud provider": the possessor of a role is
     * the other party; "Microsoft's right of first refusal": the possessor
     * of a right holds it */
    static const char *const roles[] = {"provider", "partner", "supplier", "distributor", "licensee", "broadcaster",
                                        "carrier", "vendor", "seller", "agent", "sponsor", "reseller", "retailer",
                                        "platform", "licensor", "host", "customer", "client", "buyer"};
    bool role = NM__NORM_IN(d, f->e - 1, roles);
    if (poss && !role) {
        *holder = poss;
        *counter = subj ? subj : obj;
    } else {
        *holder = subj ? subj : poss;
        *counter = subj && poss ? poss : obj;
    }
    /* two mentions of one name are one party */
    if (*holder && *counter && (*holder)->rec->end - (*holder)->rec->start == (*counter)->rec->end - (*counter)->rec->start &&
        !memcmp(d->text + (*holder)->rec->start, d->text + (*counter)->rec->start,
                (*holder)->rec->end - (*holder)->rec->start))
        *counter = NULL;
    /* "X granted Y a licence", "X will pay Y a fee": the party right after
     * a verb of giving gets the term; the giver is the other party */
    static const char *const gives[] = {"grant", "grants", "granted", "granting", "give", "gives", "gave", "given",
                                        "award", "awards", "awarded", "pay", "pays", "paid", "paying", "owe", "owes",
                                        "owed", "hand", "hands", "handed", "offer", "offers", "offered", "sold", "sell",
                                        "sells", "guarantee", "guarantees", "guaranteed", "promised", "promise",
                                        "indemnify", "indemnifies", "indemnified", "indemnifying"};
    for (size_t j = 0; j < st->n_ss; j++) {
        const dspan *s = &st->spans[st->ss[j]];
        if (!is_party(s) || s->tb <= b || s->te > f->b || f->b - s->te > 8)
            continue;
        if (!NM__NORM_IN(d, s->tb - 1, gives))
            continue;
        const dspan *giver = *holder && (*holder)->tb < s->tb ? *holder : subj;
        *holder = s;
        *counter = giver && giver != s ? giver : *counter;
        if (*counter == s)
            *counter = NULL;
        break;
    }
    /* the term as a verb of giving ("licensed its platform to Kivu",
     * "assigned the patents to Ferrovia"): the party after "to" gets it */
    static const char *const give_verbs[] = {"licensed", "sublicensed", "assign", "assigns", "assigned", "assigning",
                                             "transfer", "transfers", "transferred", "transferring"};
    if (NM__NORM_IN(d, f->b, give_verbs)) {
        for (size_t j = 0; j < st->n_ss; j++) {
            const dspan *s = &st->spans[st->ss[j]];
            /* ("a licence to Lumen's models": what is licensed, not to whom) */
            if (!is_party(s) || s->tb < f->e || s->tb - f->e > 8 || !nm__norm_is(d, s->tb - 1, "to") ||
                possessive(d, s->te, e))
                continue;
            const dspan *giver = subj ? subj : *holder;
            *holder = s;
            *counter = giver != s ? giver : NULL;
            break;
        }
    }
    /* "the airline" after "Brisa Airlines": the role names the company */
    for (int side = 0; side < 2; side++) {
        const dspan **pp = side ? counter : holder;
        const dspan *r = *pp;
        if (!r || strcmp(r->type, "ROLE") != 0 || !nm__norm_is(d, r->tb, "the"))
            continue;
        const nm_tok *head = &d->toks[r->te - 1];
        const char *hw = d->strings.ptr + head->norm_off;
        for (size_t j = 0; j < st->n_ss; j++) {
            const dspan *s = &st->spans[st->ss[j]];
            if (strcmp(s->type, "ORG") != 0 || s->tb < b || s->te > e || s->te > r->tb)
                continue;
            const nm_tok *last = &d->toks[s->te - 1];
            if (last->norm_len >= head->norm_len && head->norm_len >= 3 &&
                !memcmp(d->strings.ptr + last->norm_off, hw, head->norm_len)) {
                *pp = s;
                break;
            }
        }
    }
    if (*counter && *holder && (*counter)->tb == (*holder)->tb)
        *counter = NULL;
}

/* The value of a DATE span, and its bound ("until", "since"...), from its
 * record. */
static bool date_bound(const nm_doc *d, const dspan *s, const char **bound, size_t *blen, const char **val,
                       size_t *vlen)
{
    const nm_span_rec *r = s->rec;
    if (!r->value_len)
        return false;
    const char *a = d->strings.ptr + r->attrs_off;
    const char *k = r->attrs_len ? memmem(a, r->attrs_len, "\"bound\":\"", 9) : NULL;
    if (!k) {
        /* no bound recorded: the word before it ("to 2029") */
        static const char *const words[] = {"to", "until", "through", "till", "thru", "into", "from", "since"};
        /* "between 2016 and 2021": from the first, until the second */
        bool second = s->tb >= 3 && nm__norm_is(d, s->tb - 1, "and") && nm__norm_is(d, s->tb - 3, "between");
        bool first = s->tb >= 1 && nm__norm_is(d, s->tb - 1, "between");
        if (first || second) {
            *bound = first ? "since" : "until";
            *blen = 5;
            *val = d->strings.ptr + r->value_off;
            *vlen = r->value_len;
            return true;
        }
        for (size_t i = 0; s->tb > 0 && i < sizeof(words) / sizeof(words[0]); i++)
            if (nm__norm_is(d, s->tb - 1, words[i])) {
                *bound = words[i];
                *blen = strlen(words[i]);
                *val = d->strings.ptr + r->value_off;
                *vlen = r->value_len;
                return true;
            }
        return false;
    }
    k += 9;
    const char *q = memchr(k, '"', (size_t)(a + r->attrs_len - k));
    if (!q)
        return false;
    *bound = k;
    *blen = (size_t)(q - k);
    *val = d->strings.ptr + r->value_off;
    *vlen = r->value_len;
    return true;
}

static bool bound_is(const char *b, size_t n, const char *const *set)
{
    for (; *set; set++)
        if (strlen(*set) == n && !memcmp(*set, b, n))
            return true;
    return false;
}

/* A DATE "the 2030-31 season" (or 2030/31) whose value is the first year:
 * the second year, in OUT (4 bytes).  False for any other date. */
static bool season_end(const nm_doc *d, const dspan *s, const char *v, size_t vn, char out[4])
{
    if (vn != 4)
        return false;
    for (size_t t = s->tb; t + 1 < s->te; t++) {
        const nm_tok *k = &d->toks[t];
        const char *w = d->text + k->start;
        size_t n = k->end - k->start;
        /* "2030-31" one token, or "2030" "-" "31" / "2030" "/" "31" */
        const char *yy = NULL;
        if (n == 7 && (w[4] == '-' || w[4] == '/') && !memcmp(w, v, 4))
            yy = w + 5;
        else if (n == 4 && !memcmp(w, v, 4) && t + 2 < s->te && d->toks[t + 2].end - d->toks[t + 2].start == 2 &&
                 (d->text[d->toks[t + 1].start] == '-' || d->text[d->toks[t + 1].start] == '/'))
            yy = d->text + d->toks[t + 2].start;
        if (!yy || yy[0] < '0' || yy[0] > '9' || yy[1] < '0' || yy[1] > '9')
            continue;
        int y1 = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
        int y2 = (y1 / 100) * 100 + (yy[0] - '0') * 10 + (yy[1] - '0');
        if (y2 != y1 + 1 && !(y1 % 100 == 99 && y2 == (y1 / 100) * 100)) /* "1999-00" */
            continue;
        if (y1 % 100 == 99)
            y2 = y1 + 1;
        if (y2 > 9999)
            return false;
        for (int i = 3; i >= 0; i--, y2 /= 10)
            out[i] = (char)('0' + y2 % 10);
        return true;
    }
    return false;
}

/* Does the bound DATE S belong to clause F?  To every clause before it
 * with no status cue between ("keeps a ROFR on new capacity through 2030":
 * both), else, if none, to the nearest clause after it. */
static bool owns_date(const cl_state *st, const found *f, const dspan *s)
{
    bool any_before = false;
    const found *after = NULL;
    for (size_t i = 0; i < st->n_found; i++) {
        const found *g = &st->found[i];
        if (g->dead)
            continue;
        if (g->e <= s->tb) {
            /* cut off by a conjunction that opens another clause, or by a
             * status verb that governs a later clause */
            bool cut = false;
            for (size_t t = g->e; t < s->tb && !cut; t++)
                cut = is_clause_break(st->d, t);
            for (size_t k = 0; k < st->n_cues && !cut; k++) {
                const cue *c = &st->cues[k];
                if (c->cls < ST_GRANTED || (c->cls > ST_EXTENDED && c->cls != CUE_REPLACE) || c->b < g->e ||
                    c->e > s->tb)
                    continue;
                for (size_t j = 0; j < st->n_found && !cut; j++)
                    cut = !st->found[j].dead && st->found[j].b >= c->e && st->found[j].e <= s->tb;
            }
            if (!cut) {
                any_before = true;
                if (g == f)
                    return true;
            }
        }
        if (g->b >= s->te && (!after || g->b < after->b))
            after = g;
    }
    return !any_before && after == f;
}

static int put_attr(nm_buf *b, const char *k, const char *v, size_t n)
{
    int rc;
    if ((rc = nm_buf_printf(b, ",\"%s\":", k)) < 0)
        return rc;
    return nm_buf_put_json_str(b, v, n);
}

/* A party's name as written, grown over capitalised words next to it
 * that the tagger left out ("Pinecrest Studios" where it found only
 * "Studios"), but not over words that start sentences or name nothing. */
static bool name_word(const nm_doc *d, size_t t)
{
    static const char *const not_names[] = {"the", "a", "an", "in", "on", "at", "for", "under", "after", "before",
                                            "as", "but", "and", "while", "when", "if", "its", "their", "his", "her",
                                            "this", "that", "these", "those", "regulators", "officials", "shares"};
    const nm_tok *k = &d->toks[t];
    if (k->kind != NM_TOK_WORD || !(k->flags & NM_TF_UPPER_INITIAL))
        return false;
    return !NM__NORM_IN(d, t, not_names);
}

static bool head_word(const nm_doc *d, size_t t)
{
    static const char *const heads[] = {
        "studios", "studio", "health", "sports", "records", "diagnostics", "compute", "systems", "networks",
        "network", "energy", "bio", "biotech", "labs", "lab", "motors", "airways", "airlines", "air", "foods",
        "bank", "capital", "pharma", "pharmaceuticals", "therapeutics", "logic", "analytics", "data", "cloud",
        "robotics", "media", "games", "pictures", "entertainment", "telecom", "mobile", "power", "gas", "oil",
        "mining", "metals", "gold", "steel", "holdings", "group", "partners", "ventures", "technologies", "tech",
        "software", "soft", "foods", "stores", "brands", "apparel", "realty", "reit", "insurance", "financial",
        "pay", "markets", "exchange", "wealth", "dynamics", "industries", "solutions", "labs", "imaging",
        "devices", "semiconductor", "chips", "auto", "aerospace", "aviation", "shipping", "logistics", "grid",
        "utilities", "kraft", "radio", "tv", "broadcasting", "publishing", "books", "music", "labs", "ai",
        "vaccines", "cells", "turbines", "towers", "outlets", "cellars", "dairy", "bakehouse", "minerals",
        "renewables", "satellite", "telecoms", "broadband", "components", "entertainment", "semiconductors"};
    return NM__NORM_IN(d, t, heads);
}

static bool is_name_type(const char *t)
{
    return !strcmp(t, "ORG") || !strcmp(t, "PER") || !strcmp(t, "LOC") || !strcmp(t, "MISC");
}

static bool in_any_span(const cl_state *st, size_t t)
{
    for (size_t j = 0; j < st->n_ss; j++)
        if (st->spans[st->ss[j]].tb <= t && t < st->spans[st->ss[j]].te)
            return true;
    return false;
}

static int put_party(const cl_state *st, nm_buf *a, const char *key, const nm_doc *d, const dspan *p, size_t b,
                     size_t e)
{
    size_t tb = p->tb, te = p->te;
    /* a name the tagger cut in two ("Nexio" MISC + "Robotics" ORG): the
     * name span that ends where this one starts, with no space lost */
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t j = 0; j < st->n_ss && tb > b; j++) {
            const dspan *q = &st->spans[st->ss[j]];
            if (q->te == tb && q->tb >= b && q != p && is_name_type(q->type) &&
                d->toks[tb].kind == NM_TOK_WORD && !(d->toks[tb].flags & NM_TF_NEWLINE_BEFORE)) {
                tb = q->tb;
                grew = true;
            }
        }
    }
    /* "Studios" found alone in "Pinecrest Studios", "Kestrel" alone in
     * "Kestrel Compute": a company's head word and the word next to it */
    if (head_word(d, tb) && tb > b && name_word(d, tb - 1) && !in_any_span(st, tb - 1) &&
        !(d->toks[tb].flags & NM_TF_NEWLINE_BEFORE))
        tb--;
    if (te < e && head_word(d, te) && name_word(d, te) && !in_any_span(st, te) &&
        !(d->toks[te].flags & NM_TF_NEWLINE_BEFORE))
        te++;
    return put_attr(a, key, d->text + d->toks[tb].start, d->toks[te - 1].end - d->toks[tb].start);
}

/* The scope of clause F: the noun phrase after "on", "over", "for",
 * "covering" or "to" right after the trigger ("a right of first refusal on
 * new capacity through 2030": "new capacity"), up to punctuation, a bound
 * word, a clause word or a date; leading determiners left out.  Returns
 * false if there is none. */
static bool scope_of(const cl_state *st, const nm_doc *d, const found *f, size_t e, size_t *sb, size_t *se)
{
    static const char *const preps[] = {"on", "over", "for", "covering", "to", "in"};
    static const char *const stops[] = {"until", "through", "till", "by", "from", "with", "and", "but", "which",
                                        "that", "who", "as", "if", "unless", "when", "while", "after", "before",
                                        "at", "under", "since", "starting", "than", "is", "are", "was", "were",
                                        "will", "would", "could", "has", "have", "had", "its", "their", "for",
                                        "to"};
    static const char *const dets[] = {"the", "a", "an", "any", "all", "its", "their", "his", "her", "this",
                                       "that", "these", "those", "some", "each", "every"};
    /* "to" before a verb is a purpose, not what the term covers ("a
     * provider to capture a share", "first dibs to host") */
    static const char *const verbs[] = {"use", "capture", "host", "sell", "buy", "build", "develop", "make", "run",
                                        "train", "serve", "offer", "provide", "supply", "distribute", "market",
                                        "operate", "launch", "acquire", "keep", "take", "expand", "compete",
                                        "deliver", "show", "broadcast", "stream", "produce", "manufacture"};
    size_t t = f->e;
    if (t >= e || !NM__NORM_IN(d, t, preps))
        return false;
    if (nm__norm_is(d, t, "to") && t + 1 < e && NM__NORM_IN(d, t + 1, verbs))
        return false;
    t++;
    while (t < e && NM__NORM_IN(d, t, dets))
        t++;
    size_t b = t;
    for (; t < e && t - b < 6; t++) {
        const nm_tok *k = &d->toks[t];
        if (k->kind == NM_TOK_PUNCT && !(k->flags & NM_TF_HYPHEN) && !nm__norm_is(d, t, "'s"))
            break;
        bool stop = NM__NORM_IN(d, t, stops);
        for (size_t j = 0; j < st->n_ss && !stop; j++)
            stop = st->spans[st->ss[j]].tb == t && (!strcmp(st->spans[st->ss[j]].type, "DATE") ||
                                                    !strcmp(st->spans[st->ss[j]].type, "MONEY"));
        for (size_t i = 0; i < st->n_found && !stop; i++)
            stop = !st->found[i].dead && st->found[i].b == t;
        for (size_t i = 0; i < st->n_cues && !stop; i++) /* "... damage remains in place" */
            stop = st->cues[i].b == t && st->cues[i].cls >= ST_GRANTED && st->cues[i].cls <= ST_PROPOSED;
        if (stop)
            break;
    }
    if (t == b)
        return false;
    *sb = b;
    *se = t;
    return true;
}

/* A name the tagger missed in the subject's place: capitalised words
 * opening the sentence ("Nimbus is pressing for...", "Halvard will
 * retain..."), followed by a verb, before the trigger. */
static bool subject_name(const cl_state *st, const nm_doc *d, const found *f, size_t b, size_t *sb, size_t *se)
{
    static const char *const verbs[] = {"is", "was", "has", "have", "had", "will", "would", "said", "says", "agreed",
                                        "signed", "can", "could", "may", "must", "plans", "wants", "and"};
    (void)st;
    size_t t = b;
    while (t < f->b && t - b < 4 && name_word(d, t) && d->toks[t].kind == NM_TOK_WORD)
        t++;
    if (t == b || t >= f->b)
        return false;
    if (!NM__NORM_IN(d, t, verbs) || nm__norm_is(d, t, "and"))
        return false; /* "X and Y will...": two parties, not one name */
    *sb = b;
    *se = t;
    return true;
}

/* ------------------------------------------------------------ the stage */

static int cl_open(void **state, const nm_model *m, const nm_opts *o, nm_err *err)
{
    (void)o;
    cl_state *st = nm__calloc(&m->alloc, 1, sizeof(*st));
    if (!st)
        return nm__err_set(err, NM_ENOMEM, "out of memory");
    st->m = m;
    st->cl = m->clauses;
    nm_buf_init(&st->attrs, 1 << 16, &m->alloc);
    for (size_t k = 0; k < N_SPAN_TYPES; k++)
        st->span_keys[k] = span_key(span_types[k]);
    *state = st;
    return 0;
}

static void cl_close(void *state)
{
    cl_state *st = state;
    if (!st)
        return;
    const nm_allocator *a = &st->m->alloc;
    nm__free(a, st->keys);
    nm__free(a, st->nkeys);
    nm__free(a, st->span_at);
    nm__free(a, st->spans);
    nm__free(a, st->role_recs);
    nm__free(a, st->found);
    nm__free(a, st->cues);
    nm__free(a, st->ss);
    nm_buf_free(&st->attrs);
    nm__free(a, st);
}

static int emit(cl_state *st, nm_doc *d, const found *f, size_t b, size_t e)
{
    int rc;
    static const char *const until_words[] = {"until", "through", "till", "to", "into", "by", "before", NULL};
    static const char *const since_words[] = {"since", "from", "starting", "beginning", NULL};
    int status = status_of(st, d, f, b, e);
    bool challenged = false;
    for (size_t i = 0; i < st->n_cues; i++)
        challenged |= st->cues[i].cls == CUE_CHALLENGE && st->cues[i].b >= b && st->cues[i].e <= e;
    const dspan *holder, *counter;
    parties_of(st, d, f, b, e, &holder, &counter);
    size_t subj_b = 0, subj_e = 0;
    bool subj_name = !holder && subject_name(st, d, f, b, &subj_b, &subj_e);
    /* since / until: a DATE with a bound belongs to the clause nearest
     * before it ("keeps a ROFR on new capacity through 2030"), else to the
     * nearest after */
    const char *until = NULL, *since = NULL;
    size_t until_n = 0, since_n = 0, until_dist = SIZE_MAX, since_dist = SIZE_MAX;
    for (size_t j = 0; j < st->n_ss; j++) {
        const dspan *s = &st->spans[st->ss[j]];
        const char *bw, *v;
        size_t bn, vn;
        if (strcmp(s->type, "DATE") != 0 || s->tb < b || s->te > e || !date_bound(d, s, &bw, &bn, &v, &vn) ||
            !owns_date(st, f, s))
            continue;
        size_t dist = s->tb >= f->e ? s->tb - f->e : (f->b - s->te) + 100;
        if (bound_is(bw, bn, until_words) && dist < until_dist) {
            until = v;
            until_n = vn;
            until_dist = dist;
            /* "until the end of the 2030-31 season": a season that spans
             * two years ends in the second */
            if (season_end(d, s, v, vn, st->season)) {
                until = st->season;
                until_n = 4;
            }
        } else if (bound_is(bw, bn, since_words) && dist < since_dist) {
            since = v;
            since_n = vn;
            since_dist = dist;
        }
    }
    if (!until && f->type == CL_TERM_EXPIRY) {
        /* "expires in March", "runs to 2031": the date right after */
        for (size_t j = 0; j < st->n_ss; j++) {
            const dspan *s = &st->spans[st->ss[j]];
            if (!strcmp(s->type, "DATE") && s->tb > f->e && s->tb <= f->e + 3 && s->te <= e &&
                s->rec->value_len &&
                (nm__norm_is(d, s->tb - 1, "in") || nm__norm_is(d, s->tb - 1, "on") || nm__norm_is(d, s->tb - 1, "at") ||
                 nm__norm_is(d, s->tb - 1, "by") || nm__norm_is(d, s->tb - 1, "after") || nm__norm_is(d, s->tb - 1, "until") ||
                 nm__norm_is(d, s->tb - 1, "through") || nm__norm_is(d, s->tb - 1, "to"))) {
                /* "the lease it signed in 2018": when it was made */
                static const char *const made[] = {"signed", "agreed", "struck", "inked", "sealed", "reached", "made"};
                if (s->tb >= 2 && NM__NORM_IN(d, s->tb - 2, made))
                    break;
                until = d->strings.ptr + s->rec->value_off;
                until_n = s->rec->value_len;
                break;
            }
        }
    }
    size_t scope_b = 0, scope_e = 0;
    bool has_scope = scope_of(st, d, f, e, &scope_b, &scope_e);
    nm_buf *a = &st->attrs;
    nm_buf_clear(a);
    if ((rc = nm_buf_printf(a, ",\"status\":\"%s\"", nm__clause_status_names[status])) < 0 ||
        (challenged && (rc = nm_buf_puts(a, ",\"challenged\":true")) < 0) ||
        (holder && (rc = put_party(st, a, "holder", d, holder, b, e)) < 0) ||
        (subj_name && (rc = put_attr(a, "holder", d->text + d->toks[subj_b].start,
                                     d->toks[subj_e - 1].end - d->toks[subj_b].start)) < 0) ||
        (counter && (rc = put_party(st, a, "counterparty", d, counter, b, e)) < 0) ||
        (has_scope && (rc = put_attr(a, "scope", d->text + d->toks[scope_b].start,
                                     d->toks[scope_e - 1].end - d->toks[scope_b].start)) < 0) ||
        (since && (rc = put_attr(a, "since", since, since_n)) < 0) ||
        (until && (rc = put_attr(a, "until", until, until_n)) < 0))
        return rc;
    nm_span_rec *sp = nm__doc_add_span(d);
    if (!sp)
        return NM_ENOMEM;
    sp->start = d->toks[f->b].start;
    sp->end = d->toks[f->e - 1].end;
    sp->type = span_names[f->type];
    if ((rc = nm__doc_str(d, a->ptr, a->len, &sp->attrs_off)) < 0)
        return rc;
    sp->attrs_len = (uint32_t)a->len;
    return 0;
}

/* A contract's own words for its parties and itself, capitalised as
 * defined terms mid-sentence: "this Agreement", "the Licensee", "either
 * Party", "Section 4.2".  News writes them in lower case, or names a
 * political party ("the Labour Party": a capitalised word before it). */
static bool defined_term(const nm_doc *d, size_t b, size_t t)
{
    static const char *const parties[] = {"agreement", "licensee", "licensor", "licensees", "licensors",
                                          "sublicensee", "party", "parties", "distributor", "supplier",
                                          "customer", "affiliate", "affiliates", "company", "contractor",
                                          "manufacturer", "reseller", "franchisee", "franchisor", "term",
                                          "territory", "products", "services", "licensed"};
    static const char *const before[] = {"this", "the", "either", "each", "other", "such", "both", "any",
                                         "neither", "that"};
    const nm_tok *k = &d->toks[t];
    if (t == b || k->kind != NM_TOK_WORD)
        return false;
    if (nm__norm_is(d, t, "forth") && nm__norm_is(d, t - 1, "set")) /* "as set forth in" */
        return true;
    if (!(k->flags & NM_TF_UPPER_INITIAL))
        return false;
    if (nm__norm_is(d, t, "rights") && t >= b + 2 && nm__norm_is(d, t - 1, "property") &&
        (d->toks[t - 1].flags & NM_TF_UPPER_INITIAL) && (d->toks[t - 2].flags & NM_TF_UPPER_INITIAL))
        return true; /* "Intellectual Property Rights" */
    if (d->toks[t - 1].kind == NM_TOK_WORD && (d->toks[t - 1].flags & NM_TF_UPPER_INITIAL))
        return false; /* "Labour Party", "Paris Agreement" */
    if (NM__NORM_IN(d, t, parties) && NM__NORM_IN(d, t - 1, before))
        return true;
    static const char *const refs[] = {"section", "article", "clause", "exhibit", "schedule", "annex"};
    return t + 1 < d->n_toks && NM__NORM_IN(d, t, refs) && d->toks[t + 1].kind == NM_TOK_NUMBER &&
           (k->flags & NM_TF_UPPER_INITIAL);
}

/* Is sentence [b, e) in contract language?  Sets st->contract and the
 * quoted stretches of it (st->qlegal_*). */
static void find_register(cl_state *st, const nm_doc *d, size_t b, size_t e)
{
    /* contract language names terms it does not grant ("the License
     * Fee", "upon expiry of the License"): some news triggers stay out */
    static const char *const legal[] = {"hereby", "hereunder", "herein", "hereof", "hereto", "thereof",
                                        "therein", "pursuant", "notwithstanding", "shall", "foregoing",
                                        "hereinafter", "aforesaid", "thereunder", "therefor", "whereas",
                                        "herewith", "thereto"};
    /* news quoting a contract ("royalties 'shall continue to be
     * payable'") is news outside the quotes */
    st->reg_done = true;
    st->contract = false;
    st->n_qlegal = 0;
    size_t qopen = SIZE_MAX;
    bool qlegal = false;
    for (size_t t = b; t < e && !st->contract; t++) {
        const nm_tok *k = &d->toks[t];
        if (k->kind == NM_TOK_PUNCT && k->norm_len == 1 &&
            (d->strings.ptr[k->norm_off] == '\'' || d->strings.ptr[k->norm_off] == '"')) {
            if (qopen == SIZE_MAX) {
                qopen = t;
                qlegal = false;
            } else {
                if (qlegal && st->n_qlegal < sizeof(st->qlegal_b) / sizeof(st->qlegal_b[0])) {
                    st->qlegal_b[st->n_qlegal] = (uint32_t)qopen;
                    st->qlegal_e[st->n_qlegal++] = (uint32_t)t;
                }
                qopen = SIZE_MAX;
            }
            continue;
        }
        bool legal_here = NM__NORM_IN(d, t, legal) || defined_term(d, b, t);
        if (qopen != SIZE_MAX)
            qlegal |= legal_here;
        else
            st->contract = legal_here;
    }
    if (qopen != SIZE_MAX && qlegal) /* a quote left open: its words count */
        st->contract = true;
}

/* Read tokens [b, e) of a sentence: triggers, then cues, then the spans. */
static int read_chunk(cl_state *st, nm_doc *d, size_t b, size_t e)
{
    int rc;
    st->n_found = 0;
    st->n_cues = 0;
    st->n_ss = 0;
    for (size_t t = b; t < e; t++)
        for (int32_t k = st->span_at[t]; k >= 0; k = st->spans[k].next)
            if (st->spans[k].te <= e) {
                if ((rc = push(&st->m->alloc, (void **)&st->ss, &st->n_ss, &st->cap_ss, sizeof(*st->ss))) < 0)
                    return rc;
                st->ss[st->n_ss - 1] = (uint32_t)k;
            }
    st->reg_done = false; /* worked out when a trigger first asks */
    st->reg_b = b;
    st->reg_e = e;
    if ((rc = find_matches(st, d, b, e, false)) < 0)
        return rc;
    bool live = false;
    for (size_t i = 0; i < st->n_found; i++)
        live |= !st->found[i].dead;
    if (!live)
        return 0;
    size_t n_real = st->n_spans;
    if ((rc = index_roles(st, d, b, e)) < 0 || (rc = find_matches(st, d, b, e, true)) < 0)
        return rc;
    for (size_t i = 0; i < st->n_found; i++)
        if (!st->found[i].dead && (rc = emit(st, d, &st->found[i], b, e)) < 0)
            return rc;
    st->n_spans = n_real; /* the chunk's ROLE spans go */
    return 0;
}

static int cl_run(void *state, nm_doc *d, nm_err *err)
{
    cl_state *st = state;
    const nm_clauses *cl = st->cl;
    int rc;
    if (!cl || !cl->n_pats || !d->n_toks)
        return 0;
    st->d = d;
    if ((rc = nm__doc_stems(d)) < 0)
        goto fail;
    if ((rc = nm__grow(&st->m->alloc, (void **)&st->keys, &st->cap_keys, d->n_toks, sizeof(*st->keys))) < 0 ||
        (rc = nm__grow(&st->m->alloc, (void **)&st->nkeys, &st->cap_nkeys, d->n_toks, sizeof(*st->nkeys))) < 0)
        goto fail;
    bool any = false;
    for (size_t t = 0; t < d->n_toks; t++) {
        st->keys[t] = tok_key(cl->variants, cl->vbloom, d, &d->toks[t], false);
        st->nkeys[t] = tok_key(cl->wvariants, cl->vbloom, d, &d->toks[t], true);
        any |= !any && (index_get(&cl->triggers, st->keys[t]) != NULL ||
                        index_get(&cl->triggers, st->nkeys[t]) != NULL);
    }
    for (size_t i = 0; i < d->n_spans && !any; i++) {
        const nm_span_rec *r = &d->spans[i];
        if (r->type[0] >= 'A' && r->type[0] <= 'Z' && strncmp(r->type, "CLAUSE:", 7) != 0)
            for (size_t k = 0; k < N_SPAN_TYPES && !any; k++)
                any = !strcmp(r->type, span_types[k]) && index_get(&cl->triggers, st->span_keys[k]) != NULL;
    }
    if (!any)
        return 0; /* no trigger word at all: done after a probe a token (probing stops at the first) */
    if ((rc = index_spans(st, d)) < 0)
        goto fail;
    for (size_t si = 0; si < d->n_sents; si++) {
        /* a sentence is read in chunks of CHUNK tokens: a clause never runs
         * that long, and a "sentence" of a million words (hostile or broken
         * input) costs linear time, not quadratic */
        enum { CHUNK = 400 };
        for (size_t b = d->sents[si].tok_begin, e; b < d->sents[si].tok_end; b = e) {
            e = d->sents[si].tok_end - b > CHUNK ? b + CHUNK : d->sents[si].tok_end;
            if ((rc = read_chunk(st, d, b, e)) < 0)
                goto fail;
        }
    }
    return 0;
fail:
    return nm__err_set(err, rc, "clauses: %s", nm_strerror(rc));
}

const nm_stage_type nm__stage_clauses = {
    "clauses", NM_PHASE_RESOLVE, cl_open, cl_run, cl_close,
};
