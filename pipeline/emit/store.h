/*
 * store.h - what the database stores (sqlite.c, pg.c) share: the handle,
 * and the operations each one provides.
 */
#ifndef NM_STORE_H
#define NM_STORE_H

#include <stdatomic.h>

#include "core.h"

typedef struct nm__store_ops {
    /* store one document inside the current batch (SHA: 64 hex digits) */
    int (*put)(nm_store *st, const char *id, const char *sha, const char *json, size_t len);
    /* commit the batch (nothing to do if none is open) */
    int (*commit)(nm_store *st);
    /* free everything; an open batch is rolled back */
    void (*close)(nm_store *st);
} nm__store_ops;

struct nm_store {
    const nm__store_ops *ops;
    void *impl;
    char label[256]; /* how messages name the store: "sqlite:x.db", "postgresql://host/db" */
    char err[1024];
    nm_store_stats st;   /* committed */
    nm_store_stats pend; /* of the open batch: added to st when it commits */
    size_t batch_docs, batch_bytes;
    size_t pend_docs, pend_bytes;
    _Atomic bool broken; /* an error happened: no more writes (set by the writer thread) */
    struct nm__store_queue *queue; /* the writer thread's (store.c), or NULL */
};

/* Start the writer thread (without one, puts write on the caller's thread). */
int nm__store_start_writer(nm_store *st);
/* Commit the open batch, on the thread that owns the store's connection. */
int nm__store_commit(nm_store *st);

/* Set the store's message ("LABEL: ...") and return NM_EDB. */
int nm__store_fail(nm_store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int nm__sqlite_open(nm_store *st, const char *path);
int nm__pg_open(nm_store *st, const char *url);

/* ------------------------------------------------------------ record.c */

/* The members of a span that get a column of their own (in this order). */
enum { NM_SPAN_TYPE, NM_SPAN_TEXT, NM_SPAN_VALUE, NM_SPAN_ID, NM_SPAN_STATUS, NM_SPAN_HOLDER,
       NM_SPAN_COUNTERPARTY, NM_SPAN_SCOPE, NM_SPAN_SINCE, NM_SPAN_UNTIL, NM_SPAN_NFIELDS };
extern const char *const nm__span_keys[NM_SPAN_NFIELDS];

/* A span as the stores write it: FIELD[f] NULL when the member is absent
 * (strings unescaped, NUL-terminated, LEN[f] bytes). */
typedef struct nm__span_row {
    long long start, end;
    long long seq;     /* its index in the record's "spans" */
    const char *kind;  /* entity, temporal or clause */
    const char *field[NM_SPAN_NFIELDS];
    size_t len[NM_SPAN_NFIELDS];
    bool has[NM_SPAN_NFIELDS];
    int challenged;    /* -1 absent, 0, 1 */
} nm__span_row;

/* What a record says besides its spans (members malloc'd, or NULL). */
typedef struct nm__record_info {
    char *dct, *source;
    uint64_t n_spans;
} nm__record_info;

typedef int (*nm__span_fn)(void *ctx, const nm__span_row *row);

/* Read an output record (of document ID): FN for each span, in order (a
 * negative return stops the reading and is returned: FN reports its own
 * errors); INFO gets the rest (free it with nm__record_info_free).  SCRATCH:
 * a buffer kept between calls.  @return 0, or NM_EDB / FN's error with the
 * message on ST (not a JSON record, out of memory) */
int nm__record_read(nm_store *st, const char *id, const char *json, size_t len, nm__span_fn fn, void *ctx,
                    nm__record_info *info, nm_buf *scratch);
void nm__record_info_free(nm__record_info *info);

/* The schema both stores follow (column for column; SQLite has no jsonb
 * or date types and stores their text). */
#define NM_STORE_SCHEMA_VERSION "1"

/* The cap of a store's buffers: a batch's rows, a record's fields (a
 * record is at most 16x the text cap; a batch at most batch_bytes plus
 * one record). */
#define NM_STORE_MAX_BUF ((size_t)1 << 40)

#endif
