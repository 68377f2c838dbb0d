/*
 * source.h - records as the reader hands them out, and their parsing.
 */
#ifndef NM_SOURCE_H
#define NM_SOURCE_H

#include "../core/core.h"

enum { NM_REC_JSONL = 1, NM_REC_TEXT = 2 };

struct nm_record {
    const char *file; /* display name: the path, or "<stdin>" */
    long line;
    const char *raw;
    size_t raw_len;
    int kind; /* NM_REC_* */
    /* set by a batch for the callbacks: the document's id (as in its
     * output record) and the SHA-256 of its text, or NULL */
    const char *id;
    const unsigned char *sha256;
};

/**
 * A parsed record.  One per worker, reused: its buffers keep their memory
 * between records.  text points into text_buf or into the raw record.
 */
typedef struct nm__parsed {
    const nm_allocator *alloc;
    size_t max;
    const char *text;
    size_t text_len;
    const char *dct; /* NULL if none */
    const char *extra; /* passthrough fields as a JSON object, or NULL */
    size_t extra_len;
    bool has_id, has_source;
    bool utf8_checked; /* text is known to be valid UTF-8 */
    nm_buf text_buf, id_buf, dct_buf, source_buf, path_buf;
    struct yajl_gen_t *gen;
} nm__parsed;

int nm__input_kind(const char *path, bool explicit_path);
void nm__parsed_init(nm__parsed *p, size_t max, const nm_allocator *a);
void nm__parsed_free(nm__parsed *p);
/** Parse REC into P; on error ERR says why (the caller adds FILE:LINE). */
int nm__record_parse(const nm_record *rec, nm__parsed *p, unsigned flags, nm_err *err);
const char *nm__parsed_id(const nm__parsed *p);
const char *nm__parsed_source(const nm__parsed *p);

#endif
