/*
 * doc.c - the document every stage reads and adds to.
 *
 * The text is borrowed and never edited.  Tokens, sentences and spans are
 * arrays that grow by doubling and are kept between documents (reset, not
 * freed), so a pipeline that has warmed up allocates nothing per document.
 * Array growth is capped by the text cap: a text of N bytes cannot make more
 * than N tokens, so no separate count cap is needed.
 */
#include <string.h>

#include <stdlib.h>

#include "core.h"

int nm__doc_init(nm_doc *d, const nm_allocator *a, size_t max_text)
{
    memset(d, 0, sizeof(*d));
    d->alloc = a;
    /* norm forms can be longer than the text (case folding expands, e.g.
     * U+0130 -> 3 bytes; NFKC up to 18x for a few code points): give room */
    nm_buf_init(&d->strings, max_text * 8 + 4096, a);
    nm_buf_init(&d->out, max_text * 8 + 65536, a);
    return 0;
}

void nm__doc_reset(nm_doc *d)
{
    d->n_toks = d->n_sents = d->n_spans = 0;
    nm_buf_clear(&d->strings);
    nm_buf_clear(&d->out);
    d->text = NULL;
    d->text_len = 0;
    d->stem_fn = NULL; /* set again by the normalize stage */
    d->stems_done = false;
}

/* Spans in text order: by start, the longer first, else as added. */
typedef struct span_ix {
    nm_span_rec s;
    size_t i;
} span_ix;

static int cmp_span_ix(const void *x, const void *y)
{
    const span_ix *a = x, *b = y;
    if (a->s.start != b->s.start)
        return a->s.start < b->s.start ? -1 : 1;
    if (a->s.end != b->s.end)
        return a->s.end > b->s.end ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

int nm__doc_sort_spans(nm_doc *d)
{
    bool sorted = true;
    for (size_t i = 1; i < d->n_spans && sorted; i++)
        if (d->spans[i].start < d->spans[i - 1].start ||
            (d->spans[i].start == d->spans[i - 1].start && d->spans[i].end > d->spans[i - 1].end))
            sorted = false;
    if (sorted)
        return 0;
    span_ix *t = nm__malloc(d->alloc, d->n_spans * sizeof(*t));
    if (!t)
        return NM_ENOMEM;
    for (size_t i = 0; i < d->n_spans; i++)
        t[i] = (span_ix){d->spans[i], i};
    qsort(t, d->n_spans, sizeof(*t), cmp_span_ix);
    for (size_t i = 0; i < d->n_spans; i++)
        d->spans[i] = t[i].s;
    nm__free(d->alloc, t);
    return 0;
}

int nm__doc_stems(nm_doc *d)
{
    if (d->stems_done || !d->stem_fn)
        return 0;
    int rc = d->stem_fn(d->stem_state, d);
    if (rc == 0)
        d->stems_done = true;
    return rc;
}

void nm__doc_free(nm_doc *d)
{
    nm__free(d->alloc, d->toks);
    nm__free(d->alloc, d->sents);
    nm__free(d->alloc, d->spans);
    nm_buf_free(&d->strings);
    nm_buf_free(&d->out);
    memset(d, 0, sizeof(*d));
}

static void *grow(const nm_allocator *a, void *arr, size_t *cap, size_t elem)
{
    size_t n = *cap ? *cap * 2 : 256;
    void *p = nm__realloc(a, arr, n * elem);
    if (p)
        *cap = n;
    return p;
}

nm_tok *nm__doc_add_tok(nm_doc *d)
{
    if (d->n_toks == d->cap_toks) {
        nm_tok *p = grow(d->alloc, d->toks, &d->cap_toks, sizeof(*p));
        if (!p)
            return NULL;
        d->toks = p;
    }
    nm_tok *t = &d->toks[d->n_toks++];
    memset(t, 0, sizeof(*t));
    return t;
}

nm_sent *nm__doc_add_sent(nm_doc *d)
{
    if (d->n_sents == d->cap_sents) {
        nm_sent *p = grow(d->alloc, d->sents, &d->cap_sents, sizeof(*p));
        if (!p)
            return NULL;
        d->sents = p;
    }
    return &d->sents[d->n_sents++];
}

nm_span_rec *nm__doc_add_span(nm_doc *d)
{
    if (d->n_spans == d->cap_spans) {
        nm_span_rec *p = grow(d->alloc, d->spans, &d->cap_spans, sizeof(*p));
        if (!p)
            return NULL;
        d->spans = p;
    }
    nm_span_rec *s = &d->spans[d->n_spans++];
    memset(s, 0, sizeof(*s));
    return s;
}

int nm__doc_str(nm_doc *d, const char *s, size_t n, uint32_t *off_out)
{
    size_t off = d->strings.len;
    int rc;
    if (off > UINT32_MAX - n - 1)
        return NM_ELIMIT;
    /* + 8: every string keeps 8 readable bytes after its start (the stem
     * cache loads words 8 bytes at a time) */
    if ((rc = nm_buf_grow(&d->strings, n + 1 + 8)) < 0)
        return rc;
    char *p = d->strings.ptr + off;
    memcpy(p, s, n);
    p[n] = '\0';
    d->strings.len += n + 1;
    *off_out = (uint32_t)off;
    return 0;
}
