/*
 * source.h - records as the reader hands them out, and their parsing.
 */
#ifndef NM_SOURCE_H
#define NM_SOURCE_H

#include <jansson.h>

#include "../core/core.h"

enum { NM_REC_JSONL = 1, NM_REC_TEXT = 2 };

struct nm_record {
    const char *file; /* display name: the path, or "<stdin>" */
    long line;
    const char *raw;
    size_t raw_len;
    int kind; /* NM_REC_* */
};

/** A parsed record: the text and metadata, borrowed from root or owned. */
typedef struct nm__parsed {
    json_t *root;
    const char *text;
    size_t text_len;
    char *text_owned; /* text read from "text_file" */
    const char *id, *dct, *source;
    char *extra; /* passthrough fields, a JSON object */
    size_t extra_len;
    char idbuf[4200];
    char dctbuf[11];
} nm__parsed;

int nm__input_kind(const char *path, bool explicit_path);
/** Parse REC; on error ERR names the reason (the caller adds FILE:LINE). */
int nm__record_parse(const nm_record *rec, nm__parsed *p, unsigned flags, size_t max,
                     const nm_allocator *a, nm_err *err);
void nm__parsed_free(nm__parsed *p, const nm_allocator *a);

#endif
