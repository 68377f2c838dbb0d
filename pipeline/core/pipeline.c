/*
 * pipeline.c - the stage runner and the result accessors.
 *
 * A pipeline is the per-thread half of the library: the stages' states
 * (stemmer, caches, scratch) and one reusable nm_doc.  Stages come from the
 * registry below, are kept sorted by phase (stable, so registry order
 * decides within a phase) and run in that order over each document:
 *
 *   clean -> tokenize -> normalize -> sentences -> entities -> temporal -> jsonl
 *
 * A stage that fails stops the run; its message is copied to the pipeline.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

struct nm_result {
    nm_doc doc;
};

typedef struct stage_inst {
    const nm_stage_type *type;
    void *state;
} stage_inst;

struct nm_pipeline {
    const nm_model *m;
    nm_opts opts;
    nm_err err;
    stage_inst *stages;
    size_t n_stages;
    nm_result res;
};

/* Every stage of the library.  New stages are added here. */
static const nm_stage_type *const registry[] = {
    &nm__stage_clean,
    &nm__stage_tokenize,
    &nm__stage_normalize,
    &nm__stage_sentences,
    &nm__stage_entities,
    &nm__stage_temporal,
    &nm__stage_clauses,
    &nm__stage_jsonl,
};
#define N_REGISTRY (sizeof(registry) / sizeof(registry[0]))

void nm_pipeline_free(nm_pipeline *p)
{
    if (!p)
        return;
    const nm_allocator *a = &p->m->alloc;
    for (size_t i = 0; i < p->n_stages; i++)
        if (p->stages[i].state)
            p->stages[i].type->close(p->stages[i].state);
    nm__free(a, p->stages);
    nm__doc_free(&p->res.doc);
    nm__free(a, p);
}

int nm_pipeline_new(nm_pipeline **out, const nm_model *m, const nm_pipeline_opts *opts)
{
    int rc = 0;
    *out = NULL;
    if (!m)
        return NM_EINVAL;
    nm_pipeline *p = nm__calloc(&m->alloc, 1, sizeof(*p));
    if (!p)
        return NM_ENOMEM;
    p->m = m;
    if (opts)
        p->opts = *opts;
    if (!p->opts.max_text_len)
        p->opts.max_text_len = NM_DEFAULT_MAX_TEXT;
    nm__doc_init(&p->res.doc, &m->alloc, p->opts.max_text_len);
    if (!(p->stages = nm__calloc(&m->alloc, N_REGISTRY, sizeof(*p->stages)))) {
        rc = NM_ENOMEM;
        goto done;
    }
    /* with "until", the stages after the named one are left out (EMIT
     * stages stay: there must be output) */
    size_t last = N_REGISTRY;
    if (p->opts.until) {
        for (size_t i = 0; i < N_REGISTRY; i++)
            if (!strcmp(registry[i]->name, p->opts.until))
                last = i;
        if (last == N_REGISTRY) {
            rc = NM_EINVAL;
            goto done;
        }
    }
    /* insertion sort by phase: stable, and the registry is short */
    for (size_t i = 0; i < N_REGISTRY; i++) {
        if (i > last && registry[i]->phase != NM_PHASE_EMIT)
            continue;
        size_t j = p->n_stages++;
        while (j > 0 && p->stages[j - 1].type->phase > registry[i]->phase) {
            p->stages[j] = p->stages[j - 1];
            j--;
        }
        p->stages[j].type = registry[i];
        p->stages[j].state = NULL;
    }
    for (size_t i = 0; i < p->n_stages; i++) {
        if ((rc = p->stages[i].type->open(&p->stages[i].state, m, &p->opts, &p->err)) < 0)
            goto done;
    }
done:
    if (rc < 0) {
        nm_pipeline_free(p);
        p = NULL;
    }
    *out = p;
    return rc;
}

const char *nm_pipeline_errmsg(const nm_pipeline *p)
{
    return p ? p->err.msg : "out of memory";
}

int nm_pipeline_run(nm_pipeline *p, const char *text, size_t text_len, const nm_doc_opts *o,
                    const nm_result **out)
{
    nm_doc *d = &p->res.doc;
    int rc = 0;

    *out = NULL;
    nm__err_clear(&p->err);
    if (!text && text_len)
        return nm__err_set(&p->err, NM_EINVAL, "text is NULL");
    nm__doc_reset(d);
    d->text = text ? text : "";
    d->text_len = text_len;
    d->id = o ? o->id : NULL;
    d->dct = o ? o->dct : NULL;
    d->source = o ? o->source : NULL;
    d->extra_json = o ? o->extra_json : NULL;
    d->extra_json_len = o ? o->extra_json_len : 0;
    d->flags = p->opts.flags;
    d->doc_flags = o ? o->flags : 0;
    if (d->dct && !nm__date_valid(d->dct))
        return nm__err_set(&p->err, NM_EINVAL, "dct \"%s\" is not a YYYY-MM-DD date", d->dct);
    bool sorted = false;
    for (size_t i = 0; i < p->n_stages; i++) {
        if (!sorted && p->stages[i].type->phase == NM_PHASE_EMIT) {
            if ((rc = nm__doc_sort_spans(d)) < 0)
                return nm__err_set(&p->err, rc, "out of memory");
            sorted = true;
        }
        if ((rc = p->stages[i].type->run(p->stages[i].state, d, &p->err)) < 0)
            return rc;
    }
    if (!sorted && (rc = nm__doc_sort_spans(d)) < 0)
        return nm__err_set(&p->err, rc, "out of memory");
    *out = &p->res;
    return 0;
}

/* ---------------------------------------------------------------- result */

const char *nm_token_kind_name(int kind)
{
    static const char *const names[] = {"?", "WORD", "NUMBER", "PUNCT", "SYMBOL",
                                        "URL", "EMAIL", "HASHTAG", "MENTION"};
    return kind > 0 && kind <= NM_TOK_MENTION ? names[kind] : "?";
}

const nm_doc *nm__result_doc(const nm_result *r) { return &r->doc; }

size_t nm_result_n_spans(const nm_result *r) { return r ? r->doc.n_spans : 0; }
size_t nm_result_n_tokens(const nm_result *r) { return r ? r->doc.n_toks : 0; }
size_t nm_result_n_sentences(const nm_result *r) { return r ? r->doc.n_sents : 0; }

int nm_result_span(const nm_result *r, size_t i, nm_span *out)
{
    if (!r || i >= r->doc.n_spans)
        return NM_EINVAL;
    const nm_span_rec *s = &r->doc.spans[i];
    out->start = s->start;
    out->end = s->end;
    out->type = s->type;
    out->value = s->value_len ? r->doc.strings.ptr + s->value_off : NULL;
    return 0;
}

int nm_result_token(const nm_result *r, size_t i, nm_token *out)
{
    if (!r || i >= r->doc.n_toks)
        return NM_EINVAL;
    /* stems are worked out on first demand: the result is the pipeline's
     * own (not shared between threads), so filling them in here is safe */
    int rc = nm__doc_stems((nm_doc *)&r->doc);
    if (rc < 0)
        return rc;
    const nm_tok *t = &r->doc.toks[i];
    out->start = t->start;
    out->end = t->end;
    out->norm = r->doc.strings.ptr + t->norm_off;
    out->stem = r->doc.strings.ptr + t->stem_off;
    out->kind = t->kind;
    return 0;
}

int nm_result_sentence(const nm_result *r, size_t i, size_t *start, size_t *end)
{
    if (!r || i >= r->doc.n_sents)
        return NM_EINVAL;
    *start = r->doc.sents[i].start;
    *end = r->doc.sents[i].end;
    return 0;
}

int nm_result_json(const nm_result *r, const char **out, size_t *out_len)
{
    if (!r)
        return NM_EINVAL;
    *out = r->doc.out.ptr ? r->doc.out.ptr : "";
    *out_len = r->doc.out.len;
    return 0;
}
