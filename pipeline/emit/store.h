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

/* The schema both stores follow (column for column; SQLite has no jsonb
 * or date types and stores their text). */
#define NM_STORE_SCHEMA_VERSION "1"

#endif
