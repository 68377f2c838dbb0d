/*
 * batch.c - many records through N worker pipelines, results in input order.
 *
 *            reader (calling thread)                 workers (N threads)
 *   input --> read raw record --> ring slot [FULL] --> (parse,) run pipeline
 *             (and parse it, when a core is spare)     slot [DONE] <--+
 *   on_emit/on_reject <-- oldest slot, once DONE, in sequence order
 *
 * Where the JSON is parsed: by the reader when there are fewer workers than
 * cores (a core is left for the reader, and parsing there takes a fifth of
 * a worker's time off it), else by the workers, so that the reader never
 * becomes the bottleneck of a wide run.  Either way the results are the
 * same, in the same order.
 *
 * The ring has R slots; slot i holds record seq with seq % R == i.  The
 * calling thread reads, hands out, and emits; callbacks therefore run on the
 * caller's thread, in input order, and need no locking of their own.
 * Memory stays bounded: at most R records are in flight, and no more than
 * MAX_INFLIGHT bytes of raw text unless the ring is empty (one record may
 * always be in flight, up to the record cap).  Each worker owns its
 * pipeline; the model is shared read-only.
 *
 * A record that cannot be read, parsed or processed is reported through
 * on_reject with "FILE:LINE: reason" and counted; the batch goes on.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../read/source.h"
#include "core.h"

#define MAX_INFLIGHT ((size_t)64 << 20)

enum { SLOT_FREE = 0, SLOT_FULL, SLOT_DONE };

typedef struct slot {
    int state;
    nm__parsed parsed; /* parsed by the reader (see above) */
    bool parsed_ready;
    nm_record rec;
    nm_buf file; /* rec.file's bytes */
    nm_buf raw;  /* rec.raw's bytes */
    int read_rc; /* < 0: the reader failed on this record */
    bool rejected;
    uint64_t text_len;
    nm_buf out; /* JSON record, or the reject message */
    nm_buf id;  /* rec.id's bytes */
    unsigned char sha[32]; /* rec.sha256's */
    bool skip;  /* not of our shard: no callback, not counted */
} slot;

typedef struct batch {
    const nm_model *m;
    const nm_batch_opts *o;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    slot *slots;
    size_t n_slots;
    uint64_t n_read, next_take, next_out;
    int n_idle;        /* workers waiting for work */
    size_t n_done;     /* slots DONE and not yet emitted */
    bool main_waiting; /* the reader waits for the head slot */
    size_t inflight;
    bool eof, stop;
    bool parse_in_reader;
    int fatal;
    char fatal_msg[512];
} batch;

typedef struct worker {
    batch *b;
    pthread_t th;
    nm_pipeline *pipe;
    nm__parsed parsed;
    bool started;
} worker;

/* Is the record outside our shard?  It goes by its id, or by FILE:LINE
 * when it could not be parsed (ID NULL), so that each shard reports its own
 * bad records and no other shard does. */
static bool not_ours(const batch *b, const char *id, const nm_record *rec)
{
    char key[4200];
    if (!b->o->shard_n)
        return false;
    if (!id) {
        snprintf(key, sizeof(key), "%s:%ld", rec->file, rec->line);
        id = key;
    }
    return nm_shard_of(id, strlen(id), b->o->shard_n) != b->o->shard_k;
}

static void process(worker *w, slot *s)
{
    batch *b = w->b;
    nm_err err = {0};
    const nm_result *res;
    int rc;

    s->rejected = false;
    s->text_len = 0;
    if (s->read_rc < 0) {
        s->rejected = true; /* the reader's message is already in out */
        return;
    }
    nm_buf_clear(&s->out);
    nm__parsed *p = s->parsed_ready ? &s->parsed : &w->parsed;
    rc = s->parsed_ready ? 0 : nm__record_parse(&s->rec, p, b->o->pipe.flags, &err);
    if (!s->parsed_ready && not_ours(b, rc == 0 ? nm__parsed_id(p) : NULL, &s->rec)) {
        s->skip = true;
        return;
    }
    if (rc == 0) {
        nm_buf_clear(&s->id);
        if ((rc = nm_buf_puts(&s->id, nm__parsed_id(p))) < 0)
            nm__err_set(&err, rc, "id too long");
        s->rec.id = s->id.ptr;
        if (b->o->flags & NM_BATCH_SHA256) {
            nm__sha256(p->text, p->text_len, s->sha);
            s->rec.sha256 = s->sha;
        }
    }
    if (rc == 0) {
        nm_doc_opts d = {nm__parsed_id(p), p->dct ? p->dct : b->o->default_dct,
                         nm__parsed_source(p), p->extra, p->extra_len,
                         p->utf8_checked ? NM_DOC_UTF8_CHECKED : 0u};
        rc = nm_pipeline_run(w->pipe, p->text, p->text_len, &d, &res);
        if (rc < 0) {
            nm__err_set(&err, rc, "%s", nm_pipeline_errmsg(w->pipe));
        } else {
            const char *json;
            size_t len;
            nm_result_json(res, &json, &len);
            s->text_len = p->text_len;
            if ((rc = nm_buf_put(&s->out, json, len)) < 0)
                nm__err_set(&err, rc, "output record too large");
        }
    }
    if (rc < 0) {
        s->rejected = true;
        nm_buf_clear(&s->out);
        nm_buf_printf(&s->out, "%s:%ld: %s", s->rec.file, s->rec.line, err.msg);
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    batch *b = w->b;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (b->next_take == b->n_read && !b->eof && !b->stop) {
            b->n_idle++;
            pthread_cond_wait(&b->work, &b->mu);
            b->n_idle--;
        }
        if (b->stop || (b->next_take == b->n_read && b->eof))
            break;
        slot *s = &b->slots[b->next_take % b->n_slots];
        b->next_take++;
        pthread_mutex_unlock(&b->mu);
        process(w, s);
        pthread_mutex_lock(&b->mu);
        s->state = SLOT_DONE;
        b->n_done++;
        /* Wake the reader only when it waits and the head is done, and
         * then only once half the ring is done (or input has ended): one
         * wake-up per half ring instead of one per record. */
        if (b->main_waiting && b->slots[b->next_out % b->n_slots].state == SLOT_DONE &&
            (b->n_done >= b->n_slots / 2 || b->eof || b->next_take == b->n_read))
            pthread_cond_signal(&b->done);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

enum { DRAIN_READY = 0, DRAIN_ONE, DRAIN_ALL };

/* Emit the finished slots at the head of the ring, in order.  DRAIN_READY
 * emits what is done and returns; DRAIN_ONE waits until at least one slot
 * is freed; DRAIN_ALL waits for every record in flight.  Called with the
 * lock held; drops it around the callbacks. */
static int drain(batch *b, int mode, nm_batch_stats *st)
{
    int rc = 0;
    while (b->next_out < b->n_read) {
        slot *s = &b->slots[b->next_out % b->n_slots];
        if (s->state != SLOT_DONE) {
            if (mode == DRAIN_READY)
                break;
            b->main_waiting = true;
            pthread_cond_wait(&b->done, &b->mu);
            b->main_waiting = false;
            continue;
        }
        pthread_mutex_unlock(&b->mu);
        if (s->skip) {
            /* another shard's */
        } else if (s->rejected) {
            st->n_records++;
            st->n_rejected++;
            if (b->o->on_reject)
                rc = b->o->on_reject(&s->rec, s->out.ptr ? s->out.ptr : "", b->o->payload);
        } else {
            st->n_records++;
            st->n_ok++;
            st->n_bytes += s->text_len;
            if (b->o->on_emit)
                rc = b->o->on_emit(&s->rec, s->out.ptr ? s->out.ptr : "", s->out.len, b->o->payload);
        }
        pthread_mutex_lock(&b->mu);
        b->inflight -= s->raw.len;
        b->n_done--;
        s->state = SLOT_FREE;
        b->next_out++;
        if (mode == DRAIN_ONE)
            mode = DRAIN_READY; /* one slot freed is what the caller needed */
        if (rc)
            return rc;
    }
    return 0;
}

static int fill_slot(batch *b, slot *s, const nm_record *rec, int read_rc, const char *read_msg)
{
    int rc;
    s->parsed_ready = false;
    s->skip = false;
    s->rec.id = NULL;
    s->rec.sha256 = NULL;
    nm_buf_clear(&s->file);
    nm_buf_clear(&s->raw);
    nm_buf_clear(&s->out);
    if ((rc = nm_buf_puts(&s->file, rec ? rec->file : "")) < 0 ||
        (rc = nm_buf_put(&s->raw, rec ? rec->raw : "", rec ? rec->raw_len : 0)) < 0)
        return rc;
    s->rec.file = s->file.ptr;
    s->rec.line = rec ? rec->line : 0;
    s->rec.kind = rec ? rec->kind : NM_REC_JSONL;
    s->rec.raw = s->raw.ptr;
    s->rec.raw_len = s->raw.len;
    s->read_rc = read_rc;
    if (read_rc < 0) {
        s->skip = not_ours(b, NULL, &s->rec);
        if ((rc = nm_buf_puts(&s->out, read_msg)) < 0)
            return rc;
    }
    if (read_rc == 0 && b->parse_in_reader) {
        nm_err err = {0};
        if (nm__record_parse(&s->rec, &s->parsed, b->o->pipe.flags, &err) == 0) {
            s->parsed_ready = true;
            s->skip = not_ours(b, nm__parsed_id(&s->parsed), &s->rec);
        } else {
            s->skip = not_ours(b, NULL, &s->rec);
            /* a parse error is a rejection, in order, like a read error */
            s->read_rc = err.code ? err.code : NM_EPARSE;
            if ((rc = nm_buf_printf(&s->out, "%s:%ld: %s", s->rec.file, s->rec.line, err.msg)) < 0)
                return rc;
        }
    }
    return 0;
}

int nm_batch_run(const nm_model *m, nm_reader *rd, const nm_batch_opts *o, nm_batch_stats *stats,
                 char *errbuf, size_t errbuf_len)
{
    batch b;
    nm_batch_stats st = {0};
    worker *ws = NULL;
    int n_threads = o->n_threads > 0 ? o->n_threads : 1;
    int rc = 0, i;
    bool locked = false;

    memset(&b, 0, sizeof(b));
    b.m = m;
    b.o = o;
    if (errbuf && errbuf_len)
        errbuf[0] = '\0';
    if (o->shard_n && (o->shard_k < 1 || o->shard_k > o->shard_n)) {
        if (errbuf)
            snprintf(errbuf, errbuf_len, "shard %u/%u: K must be in 1..N", o->shard_k, o->shard_n);
        return NM_EINVAL;
    }
    if (o->default_dct && !nm__date_valid(o->default_dct)) {
        if (errbuf)
            snprintf(errbuf, errbuf_len, "dct \"%s\" is not a YYYY-MM-DD date", o->default_dct);
        return NM_EINVAL;
    }
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.work, NULL);
    pthread_cond_init(&b.done, NULL);
    b.n_slots = (size_t)n_threads * 64;
    if (!(b.slots = nm__calloc(&m->alloc, b.n_slots, sizeof(*b.slots))) ||
        !(ws = nm__calloc(&m->alloc, (size_t)n_threads, sizeof(*ws)))) {
        rc = NM_ENOMEM;
        snprintf(b.fatal_msg, sizeof(b.fatal_msg), "out of memory");
        goto done;
    }
    size_t max = o->pipe.max_text_len ? o->pipe.max_text_len : NM_DEFAULT_MAX_TEXT;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    b.parse_in_reader = ncpu > 0 && n_threads < ncpu;
    for (size_t k = 0; k < b.n_slots; k++) {
        nm__parsed_init(&b.slots[k].parsed, max, &m->alloc);
        nm_buf_init(&b.slots[k].file, 8192, &m->alloc);
        nm_buf_init(&b.slots[k].raw, max + 1, &m->alloc);
        nm_buf_init(&b.slots[k].out, max * 16 + 65536, &m->alloc);
        nm_buf_init(&b.slots[k].id, 65536, &m->alloc);
    }
    for (i = 0; i < n_threads; i++) {
        ws[i].b = &b;
        nm__parsed_init(&ws[i].parsed, max, &m->alloc);
        if ((rc = nm_pipeline_new(&ws[i].pipe, m, &o->pipe)) < 0) {
            snprintf(b.fatal_msg, sizeof(b.fatal_msg), "cannot create a pipeline: %s",
                     nm_strerror(rc));
            goto done;
        }
    }
    for (i = 0; i < n_threads; i++) {
        if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i]) != 0) {
            rc = NM_ENOMEM;
            snprintf(b.fatal_msg, sizeof(b.fatal_msg), "cannot start worker thread %d", i + 1);
            goto done;
        }
        ws[i].started = true;
    }

    pthread_mutex_lock(&b.mu);
    locked = true;
    for (;;) {
        const nm_record *rec;
        pthread_mutex_unlock(&b.mu);
        locked = false;
        int rrc = nm_reader_next(rd, &rec);
        pthread_mutex_lock(&b.mu);
        locked = true;
        if (rrc == NM_EOF)
            break;
        if (rrc == NM_ENOMEM) {
            rc = rrc;
            snprintf(b.fatal_msg, sizeof(b.fatal_msg), "%s", nm_reader_errmsg(rd));
            break;
        }
        /* wait for a free slot, and for room under the in-flight cap */
        slot *s = &b.slots[b.n_read % b.n_slots];
        while (s->state != SLOT_FREE ||
               (b.inflight > MAX_INFLIGHT && b.next_out < b.n_read)) {
            if ((rc = drain(&b, DRAIN_ONE, &st)) != 0)
                goto stop;
        }
        pthread_mutex_unlock(&b.mu); /* parsing needs no lock: the slot is the reader's */
        int frc = fill_slot(&b, s, rec, rrc, rrc < 0 ? nm_reader_errmsg(rd) : "");
        pthread_mutex_lock(&b.mu);
        if (frc < 0) {
            rc = frc;
            snprintf(b.fatal_msg, sizeof(b.fatal_msg), "out of memory");
            goto stop;
        }
        if (s->skip) /* another shard's, known already: the slot stays free */
            continue;
        b.inflight += s->raw.len;
        s->state = SLOT_FULL;
        b.n_read++;
        if (b.n_idle)
            pthread_cond_signal(&b.work);
        if ((rc = drain(&b, DRAIN_READY, &st)) != 0)
            goto stop;
    }
    if (rc == 0) {
        b.eof = true;
        pthread_cond_broadcast(&b.work);
        rc = drain(&b, DRAIN_ALL, &st);
    }
stop:
    b.stop = true;
    pthread_cond_broadcast(&b.work);
done:
    if (locked)
        pthread_mutex_unlock(&b.mu);
    for (i = 0; ws && i < n_threads; i++)
        if (ws[i].started)
            pthread_join(ws[i].th, NULL);
    for (i = 0; ws && i < n_threads; i++) {
        nm_pipeline_free(ws[i].pipe);
        nm__parsed_free(&ws[i].parsed);
    }
    for (size_t k = 0; b.slots && k < b.n_slots; k++) {
        nm__parsed_free(&b.slots[k].parsed);
        nm_buf_free(&b.slots[k].file);
        nm_buf_free(&b.slots[k].raw);
        nm_buf_free(&b.slots[k].out);
        nm_buf_free(&b.slots[k].id);
    }
    nm__free(&m->alloc, b.slots);
    nm__free(&m->alloc, ws);
    pthread_cond_destroy(&b.work);
    pthread_cond_destroy(&b.done);
    pthread_mutex_destroy(&b.mu);
    if (rc < 0 && errbuf && errbuf_len)
        snprintf(errbuf, errbuf_len, "%s", b.fatal_msg);
    if (stats)
        *stats = st;
    return rc;
}
