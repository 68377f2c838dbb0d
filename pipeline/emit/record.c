/*
 * record.c - what the stores read of an output record: its dct and source,
 * and a row for each span, with yajl's event parser (the record is ours:
 * the columns come straight from its members, nothing is built).
 */
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "store.h"

const char *const nm__span_keys[NM_SPAN_NFIELDS] = {
    "type", "text", "value", "id", "status", "holder", "counterparty", "scope", "since", "until",
};

/* The reader's state: yajl's callbacks fill a row for each object of the
 * top-level "spans" array and hand it on when the object ends. */
typedef struct span_reader {
    nm__span_row row;
    int depth;      /* 1: the record; 2: "spans"; 3: a span */
    bool in_spans;  /* inside the top-level "spans" array */
    int field;      /* the member whose value comes next: NM_SPAN_*, -1 start, -2 end,
                       -3 challenged, -4 anything else */
    int top;        /* the record's member whose value comes next: 1 dct, 2 source */
    nm__record_info *info;
    nm__span_fn fn;
    void *ctx;
    nm_buf *buf;    /* field values, NUL-separated (the caller's scratch) */
    size_t off[NM_SPAN_NFIELDS];
    int rc;
} span_reader;

static int sr_key(void *ctx, const unsigned char *k, size_t n)
{
    span_reader *r = ctx;
    if (r->depth == 1) {
        r->in_spans = n == 5 && !memcmp(k, "spans", 5);
        r->top = n == 3 && !memcmp(k, "dct", 3) ? 1 : n == 6 && !memcmp(k, "source", 6) ? 2 : 0;
        return 1;
    }
    if (r->depth != 3 || !r->in_spans)
        return 1;
    r->field = -4;
    if (n == 5 && !memcmp(k, "start", 5))
        r->field = -1;
    else if (n == 3 && !memcmp(k, "end", 3))
        r->field = -2;
    else if (n == 10 && !memcmp(k, "challenged", 10))
        r->field = -3;
    for (int f = 0; f < NM_SPAN_NFIELDS && r->field == -4; f++)
        if (strlen(nm__span_keys[f]) == n && !memcmp(k, nm__span_keys[f], n))
            r->field = f;
    return 1;
}

static bool at_span_member(const span_reader *r) { return r->in_spans && r->depth == 3; }

static int sr_string(void *ctx, const unsigned char *v, size_t n)
{
    span_reader *r = ctx;
    if (r->depth == 1 && r->top) { /* the record's dct or source */
        char **dst = r->top == 1 ? &r->info->dct : &r->info->source;
        free(*dst);
        if (!(*dst = malloc(n + 1))) {
            r->rc = NM_ENOMEM;
            return 0;
        }
        memcpy(*dst, v, n);
        (*dst)[n] = '\0';
        return 1;
    }
    if (!at_span_member(r) || r->field < 0)
        return 1;
    size_t off = r->buf->len;
    if (nm_buf_put(r->buf, v, n) < 0 || nm_buf_putc(r->buf, '\0') < 0) {
        r->rc = NM_ENOMEM;
        return 0;
    }
    r->off[r->field] = off;
    r->row.len[r->field] = n;
    r->row.has[r->field] = true;
    return 1;
}

static int sr_integer(void *ctx, long long v)
{
    span_reader *r = ctx;
    if (at_span_member(r) && r->field == -1)
        r->row.start = v;
    else if (at_span_member(r) && r->field == -2)
        r->row.end = v;
    return 1;
}

static int sr_boolean(void *ctx, int v)
{
    span_reader *r = ctx;
    if (at_span_member(r) && r->field == -3)
        r->row.challenged = v;
    return 1;
}

static int sr_start_map(void *ctx)
{
    span_reader *r = ctx;
    r->depth++;
    if (at_span_member(r)) { /* a new span */
        nm_buf_clear(r->buf);
        r->row.start = r->row.end = -1;
        r->row.challenged = -1;
        memset(r->row.has, 0, sizeof(r->row.has));
    }
    return 1;
}

static int sr_end_map(void *ctx)
{
    span_reader *r = ctx;
    if (at_span_member(r)) {
        nm__span_row *row = &r->row;
        for (int f = 0; f < NM_SPAN_NFIELDS; f++)
            row->field[f] = row->has[f] ? r->buf->ptr + r->off[f] : NULL;
        const char *type = row->has[NM_SPAN_TYPE] ? row->field[NM_SPAN_TYPE] : "";
        row->kind = !strncmp(type, "CLAUSE:", 7) ? "clause"
                    : (!strcmp(type, "DATE") || !strcmp(type, "TIME") || !strcmp(type, "DURATION") ||
                       !strcmp(type, "SET")) ? "temporal" : "entity";
        int rc = r->fn(r->ctx, row);
        row->seq++;
        r->info->n_spans++;
        if (rc < 0) {
            r->rc = rc;
            return 0;
        }
    }
    r->depth--;
    return 1;
}

static int sr_start_array(void *ctx)
{
    span_reader *r = ctx;
    r->depth++;
    return 1;
}

static int sr_end_array(void *ctx)
{
    span_reader *r = ctx;
    r->depth--;
    if (r->depth == 1)
        r->in_spans = false;
    return 1;
}

static const yajl_callbacks span_callbacks = {
    NULL, sr_boolean, sr_integer, NULL, NULL, sr_string, sr_start_map, sr_key, sr_end_map,
    sr_start_array, sr_end_array,
};


int nm__record_read(nm_store *st, const char *id, const char *json, size_t len, nm__span_fn fn, void *ctx,
                    nm__record_info *info, nm_buf *scratch)
{
    memset(info, 0, sizeof(*info));
    span_reader r = {.info = info, .fn = fn, .ctx = ctx, .buf = scratch};
    yajl_handle h = yajl_alloc(&span_callbacks, NULL, &r);
    if (!h)
        return nm__store_fail(st, "out of memory");
    yajl_config(h, yajl_dont_validate_strings, 1); /* the pipeline wrote it: UTF-8 already */
    yajl_status ys = yajl_parse(h, (const unsigned char *)json, len);
    if (ys == yajl_status_ok)
        ys = yajl_complete_parse(h);
    yajl_free(h);
    if (r.rc == NM_ENOMEM)
        return nm__store_fail(st, "out of memory");
    if (r.rc < 0)
        return r.rc; /* FN's, reported by it */
    if (ys != yajl_status_ok)
        return nm__store_fail(st, "document \"%s\": its record is not valid JSON", id);
    return 0;
}

void nm__record_info_free(nm__record_info *info)
{
    free(info->dct);
    free(info->source);
    info->dct = info->source = NULL;
}
