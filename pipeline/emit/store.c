/*
 * store.c - nm_store: records into a database, in batches, keyed by
 * document id and text digest.  The stores themselves are sqlite.c and
 * pg.c; this file picks one by the URL and counts batches.
 *
 * Invariant: a document counts as stored only once the transaction of its
 * batch has committed; after any error the store takes no more writes (the
 * caller reports it and stops), so nothing is half-written and reported
 * as done.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

int nm__store_fail(nm_store *st, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* one line: libpq's messages end in newlines */
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    snprintf(st->err, sizeof(st->err), "%s: %s", st->label, msg);
    st->broken = true;
    return NM_EDB;
}

/* The URL as messages show it: a PostgreSQL password left out. */
static void set_label(nm_store *st, const char *url)
{
    snprintf(st->label, sizeof(st->label), "%s", url);
    char *at = strchr(st->label, '@'), *scheme = strstr(st->label, "://");
    if (at && scheme) {
        char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
        if (colon)
            memmove(colon, at, strlen(at) + 1);
    }
}

int nm_store_open(nm_store **out, const char *url, const nm_store_opts *opts, char *errbuf,
                  size_t errbuf_len)
{
    *out = NULL;
    if (errbuf && errbuf_len)
        errbuf[0] = '\0';
    nm_store *st = calloc(1, sizeof(*st));
    if (!st) {
        if (errbuf)
            snprintf(errbuf, errbuf_len, "out of memory");
        return NM_ENOMEM;
    }
    set_label(st, url);
    st->batch_docs = opts && opts->batch_docs ? opts->batch_docs : 2000;
    st->batch_bytes = opts && opts->batch_bytes ? opts->batch_bytes : (size_t)32 << 20;
    int rc;
    if (!strncmp(url, "sqlite:", 7) && url[7]) {
        rc = nm__sqlite_open(st, url + 7);
    } else if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
        rc = nm__pg_open(st, url);
    } else {
        snprintf(st->err, sizeof(st->err),
                 "%s: expected sqlite:PATH or postgresql://... (a libpq connection URI)", st->label);
        rc = NM_EINVAL;
    }
    if (rc < 0) {
        if (errbuf)
            snprintf(errbuf, errbuf_len, "%s", st->err);
        if (st->ops)
            st->ops->close(st);
        free(st);
        return rc;
    }
    nm__store_start_writer(st);
    *out = st;
    return 0;
}

/* ------------------------------------------------------ the writer thread
 *
 * The database work runs on a thread of its own, so that it overlaps the
 * caller's (reading input, running the pipeline's batch): nm_store_put
 * copies the record into a queue, bounded in bytes, and returns.  The
 * writer stores each record and commits every batch.  An error on the
 * writer marks the store broken; the caller's next put or flush sees it.
 * The store's other fields are the writer's while it runs, the caller's
 * while the queue is empty and the writer waits (nm_store_flush waits for
 * that). */

typedef struct job {
    struct job *next;
    size_t len;
    char sha[65];
    char *id; /* points into data, after json */
    char data[];
} job;

#define QUEUE_MAX ((size_t)8 << 20)

struct nm__store_queue {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t more, room, idle;
    job *head, *tail;
    size_t bytes;
    bool busy, stop;
    bool waiting; /* the writer sleeps on more */
    bool full;    /* the caller sleeps on room */
};

/* Store one record; commit when the batch is full.  The writer's side. */
static int store_one(nm_store *st, const char *id, const char *sha, const char *json, size_t len)
{
    int rc = st->ops->put(st, id, sha, json, len);
    if (rc < 0)
        return rc;
    st->pend_docs++;
    st->pend_bytes += len;
    if (st->pend_docs >= st->batch_docs || st->pend_bytes >= st->batch_bytes)
        return nm__store_commit(st);
    return 0;
}

static void *writer_main(void *arg)
{
    nm_store *st = arg;
    struct nm__store_queue *q = st->queue;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->head && !q->stop) {
            q->waiting = true;
            pthread_cond_wait(&q->more, &q->mu);
            q->waiting = false;
        }
        if (!q->head)
            break;
        job *j = q->head;
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
        q->busy = true;
        pthread_mutex_unlock(&q->mu);
        if (!st->broken)
            (void)store_one(st, j->id, j->sha, j->data, j->len); /* an error marks the store */
        pthread_mutex_lock(&q->mu);
        q->bytes -= j->len;
        q->busy = false;
        free(j);
        if (q->full) /* the caller waits for room */
            pthread_cond_signal(&q->room);
        if (!q->head)
            pthread_cond_broadcast(&q->idle);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

/* Wait until the writer has stored everything queued. */
static void wait_idle(nm_store *st)
{
    struct nm__store_queue *q = st->queue;
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    while (q->head || q->busy)
        pthread_cond_wait(&q->idle, &q->mu);
    pthread_mutex_unlock(&q->mu);
}

int nm__store_start_writer(nm_store *st)
{
    struct nm__store_queue *q = calloc(1, sizeof(*q));
    if (!q)
        return nm__store_fail(st, "out of memory");
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->more, NULL);
    pthread_cond_init(&q->room, NULL);
    pthread_cond_init(&q->idle, NULL);
    st->queue = q;
    if (pthread_create(&q->th, NULL, writer_main, st) != 0) {
        st->queue = NULL;
        free(q);
        return 0; /* no thread: the caller's thread writes */
    }
    return 0;
}

static void stop_writer(nm_store *st)
{
    struct nm__store_queue *q = st->queue;
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->th, NULL);
    for (job *j = q->head, *n; j; j = n) {
        n = j->next;
        free(j);
    }
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->more);
    pthread_cond_destroy(&q->room);
    pthread_cond_destroy(&q->idle);
    free(q);
    st->queue = NULL;
}

int nm_store_put(nm_store *st, const char *id, const unsigned char sha256[32], const char *json,
                 size_t json_len)
{
    char sha[65];
    if (st->broken)
        return NM_EDB;
    nm__hex(sha256, 32, sha);
    struct nm__store_queue *q = st->queue;
    if (!q)
        return store_one(st, id, sha, json, json_len);
    size_t idn = strlen(id);
    job *j = malloc(sizeof(*j) + json_len + idn + 2);
    if (!j)
        return nm__store_fail(st, "out of memory");
    j->next = NULL;
    j->len = json_len;
    memcpy(j->sha, sha, sizeof(sha));
    memcpy(j->data, json, json_len);
    j->data[json_len] = '\0';
    j->id = j->data + json_len + 1;
    memcpy(j->id, id, idn + 1);
    pthread_mutex_lock(&q->mu);
    while (q->bytes && q->bytes + json_len > QUEUE_MAX) {
        q->full = true;
        pthread_cond_wait(&q->room, &q->mu);
        q->full = false;
    }
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    q->bytes += json_len;
    if (q->waiting)
        pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->mu);
    return st->broken ? NM_EDB : 0;
}

int nm__store_commit(nm_store *st)
{
    if (st->broken)
        return NM_EDB;
    if (!st->pend_docs)
        return 0;
    int rc = st->ops->commit(st);
    if (rc < 0)
        return rc;
    st->pend_docs = st->pend_bytes = 0;
    st->st.n_new += st->pend.n_new;
    st->st.n_same += st->pend.n_same;
    st->st.n_replaced += st->pend.n_replaced;
    st->st.n_spans += st->pend.n_spans;
    st->st.n_commits++;
    memset(&st->pend, 0, sizeof(st->pend));
    return 0;
}

int nm_store_flush(nm_store *st)
{
    wait_idle(st);
    return nm__store_commit(st);
}

int nm_store_close(nm_store *st, char *errbuf, size_t errbuf_len)
{
    if (!st)
        return 0;
    int rc = nm_store_flush(st);
    stop_writer(st);
    if (rc < 0 && errbuf && errbuf_len)
        snprintf(errbuf, errbuf_len, "%s", st->err);
    st->ops->close(st);
    free(st);
    return rc;
}

const char *nm_store_errmsg(const nm_store *st)
{
    if (!st)
        return "out of memory";
    wait_idle((nm_store *)st); /* the writer's message is complete */
    return st->err;
}

void nm_store_get_stats(const nm_store *st, nm_store_stats *out)
{
    wait_idle((nm_store *)st);
    *out = st->st;
}
