/*
 * clean.c - the first stage: the document must be valid UTF-8 and within
 * the size cap before any other stage looks at it.
 *
 * Input: doc->text as the caller gave it.  Output: nothing added; an error
 * (NM_EUTF8 naming the byte offset, or NM_ELIMIT) rejects the document.
 * The text is never repaired: offsets must point into what the user gave.
 */
#include "core.h"

typedef struct clean_state {
    const nm_model *m;
    size_t max;
} clean_state;

static int clean_open(void **state, const nm_model *m, const nm_opts *o, nm_err *err)
{
    clean_state *st = nm__calloc(&m->alloc, 1, sizeof(*st));
    if (!st)
        return nm__err_set(err, NM_ENOMEM, "out of memory");
    st->m = m;
    st->max = o && o->max_text_len ? o->max_text_len : NM_DEFAULT_MAX_TEXT;
    *state = st;
    return 0;
}

static void clean_close(void *state)
{
    clean_state *st = state;
    if (st)
        nm__free(&st->m->alloc, st);
}

static int clean_run(void *state, nm_doc *d, nm_err *err)
{
    const clean_state *st = state;
    if (d->text_len > st->max)
        return nm__err_set(err, NM_ELIMIT, "text is %zu bytes, over the cap of %zu (--max-record)",
                           d->text_len, st->max);
    if (d->doc_flags & NM_DOC_UTF8_CHECKED)
        return 0;
    size_t bad = nm__utf8_check(d->text, d->text_len);
    if (bad != d->text_len)
        return nm__err_set(err, NM_EUTF8, "invalid UTF-8 at byte %zu of the text (0x%02x)", bad,
                           (unsigned char)d->text[bad]);
    return 0;
}

const nm_stage_type nm__stage_clean = {
    "clean", NM_PHASE_CLEAN, clean_open, clean_run, clean_close,
};
