/*
 * jsonl.c - the EMIT stage that serialises a document as one JSON record
 * (DESIGN.md section 3) into doc->out, without a trailing newline.
 *
 *   {"id":..,"dct":..,"source":..,<passthrough fields>,"spans":[
 *     {"start":S,"end":E,"type":T,"text":..,"value":..<attrs>}, ...]
 *    [,"tokens":[...],"sentences":[...]]}          (NM_PIPE_DEBUG_TOKENS)
 *
 * Keys absent from the input (no dct, no source) are left out rather than
 * written as null.  Strings are escaped here, not through a JSON library:
 * this is the hot path of every run and the grammar of a JSON string is
 * all it needs.
 */
#include <string.h>

#include "core.h"

typedef struct jsonl_state {
    const nm_model *m;
} jsonl_state;

static int jsonl_open(void **state, const nm_model *m, const nm_opts *o, nm_err *err)
{
    (void)o;
    jsonl_state *st = nm__calloc(&m->alloc, 1, sizeof(*st));
    if (!st)
        return nm__err_set(err, NM_ENOMEM, "out of memory");
    st->m = m;
    *state = st;
    return 0;
}

static void jsonl_close(void *state)
{
    jsonl_state *st = state;
    if (st)
        nm__free(&st->m->alloc, st);
}

static int put_field(nm_buf *b, bool *first, const char *key, const char *val)
{
    int rc;
    if (!val)
        return 0;
    if ((rc = nm_buf_puts(b, *first ? "{\"" : ",\"")) < 0 || (rc = nm_buf_puts(b, key)) < 0 ||
        (rc = nm_buf_puts(b, "\":")) < 0 || (rc = nm_buf_put_json_str(b, val, strlen(val))) < 0)
        return rc;
    *first = false;
    return 0;
}

static int jsonl_run(void *state, nm_doc *d, nm_err *err)
{
    (void)state;
    nm_buf *b = &d->out;
    bool first = true;
    int rc;

    nm_buf_clear(b);
    if ((rc = put_field(b, &first, "id", d->id)) < 0 || (rc = put_field(b, &first, "dct", d->dct)) < 0 ||
        (rc = put_field(b, &first, "source", d->source)) < 0)
        goto fail;
    if ((d->flags & NM_PIPE_PASSTHROUGH) && d->extra_json && d->extra_json_len > 2) {
        /* extra_json is an object "{...}": splice its members in */
        if ((rc = nm_buf_puts(b, first ? "{" : ",")) < 0 ||
            (rc = nm_buf_put(b, d->extra_json + 1, d->extra_json_len - 2)) < 0)
            goto fail;
        first = false;
    }
    if ((rc = nm_buf_puts(b, first ? "{\"spans\":[" : ",\"spans\":[")) < 0)
        goto fail;
    for (size_t i = 0; i < d->n_spans; i++) {
        const nm_span_rec *s = &d->spans[i];
        if ((rc = nm_buf_puts(b, i ? ",{\"start\":" : "{\"start\":")) < 0 ||
            (rc = nm_buf_put_uint(b, s->start)) < 0 || (rc = nm_buf_puts(b, ",\"end\":")) < 0 ||
            (rc = nm_buf_put_uint(b, s->end)) < 0 || (rc = nm_buf_puts(b, ",\"type\":")) < 0 ||
            (rc = nm_buf_put_json_str(b, s->type, strlen(s->type))) < 0 ||
            (rc = nm_buf_puts(b, ",\"text\":")) < 0 ||
            (rc = nm_buf_put_json_str(b, d->text + s->start, s->end - s->start)) < 0)
            goto fail;
        if (s->value_len && ((rc = nm_buf_puts(b, ",\"value\":")) < 0 ||
                             (rc = nm_buf_put_json_str(b, d->strings.ptr + s->value_off,
                                                       s->value_len)) < 0))
            goto fail;
        if (s->attrs_len && (rc = nm_buf_put(b, d->strings.ptr + s->attrs_off, s->attrs_len)) < 0)
            goto fail;
        if ((rc = nm_buf_putc(b, '}')) < 0)
            goto fail;
    }
    if ((rc = nm_buf_putc(b, ']')) < 0)
        goto fail;
    if (d->flags & NM_PIPE_DEBUG_TOKENS) {
        if ((rc = nm__doc_stems(d)) < 0 || (rc = nm_buf_puts(b, ",\"tokens\":[")) < 0)
            goto fail;
        for (size_t i = 0; i < d->n_toks; i++) {
            const nm_tok *t = &d->toks[i];
            if ((rc = nm_buf_printf(b, "%s{\"start\":%u,\"end\":%u,\"kind\":\"%s\",\"norm\":",
                                    i ? "," : "", (unsigned)t->start, (unsigned)t->end,
                                    nm_token_kind_name(t->kind))) < 0 ||
                (rc = nm_buf_put_json_str(b, d->strings.ptr + t->norm_off, t->norm_len)) < 0 ||
                (rc = nm_buf_puts(b, ",\"stem\":")) < 0 ||
                (rc = nm_buf_put_json_str(b, d->strings.ptr + t->stem_off, t->stem_len)) < 0 ||
                (rc = nm_buf_putc(b, '}')) < 0)
                goto fail;
        }
        if ((rc = nm_buf_puts(b, "],\"sentences\":[")) < 0)
            goto fail;
        for (size_t i = 0; i < d->n_sents; i++)
            if ((rc = nm_buf_printf(b, "%s{\"start\":%u,\"end\":%u}", i ? "," : "",
                                    (unsigned)d->sents[i].start, (unsigned)d->sents[i].end)) < 0)
                goto fail;
        if ((rc = nm_buf_putc(b, ']')) < 0)
            goto fail;
    }
    if ((rc = nm_buf_putc(b, '}')) < 0)
        goto fail;
    return 0;
fail:
    return nm__err_set(err, rc, "jsonl: %s", nm_strerror(rc));
}

const nm_stage_type nm__stage_jsonl = {
    "jsonl", NM_PHASE_EMIT, jsonl_open, jsonl_run, jsonl_close,
};
