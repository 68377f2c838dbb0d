/*
 * pg.c - the PostgreSQL store, through libpq.
 *
 * A batch is staged, then merged in one transaction:
 *   COPY nm_sdoc  FROM STDIN   a row a document: batch seq, id, digest, dct,
 *                              source, the record's JSON
 *   COPY nm_sspan FROM STDIN   a row a span, read from the record here
 *                              (record.c), so the server parses each
 *                              record once, into jsonb, and no more
 *   DELETE the documents whose text changed, and their spans
 *   INSERT the documents not there yet, and their spans
 * COPY's text form: backslash, tab, newline and carriage return escaped,
 * \N for NULL.  What is sent is strict UTF-8 (the records are) without
 * NUL: a NUL in a string, and the JSON escape \u0000 that jsonb refuses,
 * are sent as U+FFFD.  The schema and the indexes are created in a
 * transaction that holds an advisory lock until it commits, so that the
 * shards of a job array may all start (and end) at once.
 */
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

typedef struct pg {
    PGconn *conn;
    bool indexes_at_end;
    nm_buf docs, spans; /* the batch's COPY rows */
    long long n_docs;   /* in the batch: the next document's seq */
    nm_buf scratch;     /* nm__record_read's */
} pg;

static const char schema[] =
    "BEGIN;"
    "SELECT pg_advisory_xact_lock(7146582001);"
    "CREATE TABLE IF NOT EXISTS nm_meta (key text PRIMARY KEY, value text NOT NULL);"
    "INSERT INTO nm_meta VALUES ('schema', '" NM_STORE_SCHEMA_VERSION "') ON CONFLICT DO NOTHING;"
    "CREATE TABLE IF NOT EXISTS documents ("
    " doc_key bigserial PRIMARY KEY,"
    " id text NOT NULL UNIQUE,"
    " sha256 text NOT NULL,"
    " dct date,"
    " source text,"
    " record jsonb NOT NULL,"
    " loaded_at timestamptz NOT NULL DEFAULT now());"
    /* lz4 where the server has it: pglz compressing every record cost more
     * than parsing it */
    "DO $$ BEGIN ALTER TABLE documents ALTER COLUMN record SET COMPRESSION lz4;"
    " EXCEPTION WHEN OTHERS THEN NULL; END $$;"
    "CREATE TABLE IF NOT EXISTS spans ("
    " doc_key bigint NOT NULL,"
    " seq integer NOT NULL,"
    " start_byte integer NOT NULL,"
    " end_byte integer NOT NULL,"
    " kind text NOT NULL,"
    " type text NOT NULL,"
    " text text,"
    " value text,"
    " entity_id text,"
    " status text,"
    " challenged boolean,"
    " holder text,"
    " counterparty text,"
    " scope text,"
    " since text,"
    " until text);"
    "COMMIT;"
    "CREATE TEMP TABLE nm_sdoc (seq bigint, id text, sha text, dct text, source text, record text)"
    " ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE nm_sspan (doc_seq bigint, seq integer, start_byte integer, end_byte integer, kind text,"
    " type text, text text, value text, entity_id text, status text, holder text, counterparty text, scope text,"
    " since text, until text, challenged boolean) ON COMMIT DELETE ROWS;";

/* The indexes: made at once if the tables hold documents already, else at
 * the end of the load (one sort each instead of a row at a time; a load
 * killed before its end leaves them to the next).  Under the lock: the
 * shards of a job array end at about the same time. */
static const char indexes[] =
    "BEGIN;"
    "SELECT pg_advisory_xact_lock(7146582001);"
    "CREATE INDEX IF NOT EXISTS documents_dct ON documents(dct);"
    "CREATE UNIQUE INDEX IF NOT EXISTS spans_doc ON spans(doc_key, seq);"
    "CREATE INDEX IF NOT EXISTS spans_type_until ON spans(type, until) WHERE until IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS spans_entity ON spans(entity_id, doc_key) WHERE entity_id IS NOT NULL;"
    "COMMIT;";

/* the newest staged row of each id */
static const char sql_newest[] =
    "CREATE TEMP TABLE nm_new ON COMMIT DROP AS"
    " SELECT DISTINCT ON (id) seq, id, sha FROM nm_sdoc ORDER BY id, seq DESC;"
    /* temporary tables have no statistics: without them the planner joins
     * the spans by nested loops, a batch's spans once for each document */
    "ANALYZE nm_new (seq); ANALYZE nm_sspan (doc_seq)";

/* documents whose text changed: their spans, then themselves (no foreign
 * key: its per-row check cost more than the rest of the insert) */
static const char sql_delete_spans[] =
    "DELETE FROM spans USING documents d, nm_new s"
    " WHERE spans.doc_key = d.doc_key AND d.id = s.id AND d.sha256 <> s.sha";
static const char sql_delete[] = "DELETE FROM documents d USING nm_new s WHERE d.id = s.id AND d.sha256 <> s.sha";

static const char sql_insert[] =
    "WITH ins AS (INSERT INTO documents (id, sha256, dct, source, record)"
    "  SELECT d.id, d.sha, d.dct::date, d.source, d.record::jsonb FROM nm_new n JOIN nm_sdoc d USING (seq)"
    "  WHERE NOT EXISTS (SELECT 1 FROM documents x WHERE x.id = n.id) ORDER BY seq"
    "  ON CONFLICT (id) DO NOTHING RETURNING doc_key, id),"
    " sp AS (INSERT INTO spans (doc_key, seq, start_byte, end_byte, kind, type, text, value, entity_id, status,"
    "  challenged, holder, counterparty, scope, since, until)"
    "  SELECT ins.doc_key, x.seq, x.start_byte, x.end_byte, x.kind, x.type, x.text, x.value, x.entity_id,"
    "   x.status, x.challenged, x.holder, x.counterparty, x.scope, x.since, x.until"
    "  FROM ins JOIN nm_new n USING (id) JOIN nm_sspan x ON x.doc_seq = n.seq RETURNING 1)"
    " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM sp)";

static int fail(nm_store *st, pg *p, const char *what)
{
    return nm__store_fail(st, "%s: %s", what, p->conn ? PQerrorMessage(p->conn) : "out of memory");
}

/* Run SQL; a result other than WANT is an error about WHAT. */
static int run(nm_store *st, pg *p, const char *sql, ExecStatusType want, const char *what, PGresult **keep)
{
    PGresult *r = PQexec(p->conn, sql);
    if (PQresultStatus(r) != want) {
        int rc = nm__store_fail(st, "%s: %s", what, r ? PQresultErrorMessage(r) : PQerrorMessage(p->conn));
        PQclear(r);
        return rc;
    }
    if (keep)
        *keep = r;
    else
        PQclear(r);
    return 0;
}

/* Append S (N bytes) as a field of COPY's text form.  With JSON set, S is
 * JSON text and its escape \u0000 becomes \ufffd.  The caller has made room
 * (nm_buf_grow): 3 bytes a byte of S at most (a NUL becomes the 3 bytes of
 * U+FFFD, a backslash 2, a JSON escape at most its own length doubled). */
static void put_field(nm_buf *b, const char *s, size_t n, bool json)
{
    char *o = b->ptr + b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (json && c == '\\' && i + 5 < n && s[i + 1] == 'u' && !memcmp(s + i + 2, "0000", 4)) {
            memcpy(o, "\\\\ufffd", 7);
            o += 7;
            i += 5;
        } else if (json && c == '\\' && i + 1 < n) { /* an escape: both bytes, the backslash doubled */
            *o++ = '\\';
            *o++ = '\\';
            c = (unsigned char)s[++i];
            if (c == '\\') {
                *o++ = '\\';
                *o++ = '\\';
            } else {
                *o++ = (char)c;
            }
        } else if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
            *o++ = '\\';
            *o++ = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
        } else if (c == 0) {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
        } else {
            *o++ = (char)c;
        }
    }
    b->len = (size_t)(o - b->ptr);
    *o = '\0';
}

/* Room made as for put_field: nm_buf_put does not fail. */
static void put_raw(nm_buf *b, const char *s, size_t n) { (void)nm_buf_put(b, s, n); }

static void put_null_or(nm_buf *b, const char *s, size_t n)
{
    if (s)
        put_field(b, s, n, false);
    else
        put_raw(b, "\\N", 2);
}

/* One span row (nm__record_read's callback). */
static int pg_span(void *ctx, const nm__span_row *row)
{
    nm_store *st = ctx;
    pg *p = st->impl;
    size_t need = 128;
    for (int f = 0; f < NM_SPAN_NFIELDS; f++)
        need += row->field[f] ? 3 * row->len[f] + 1 : 3;
    nm_buf *b = &p->spans;
    if (nm_buf_grow(b, need) < 0 ||
        nm_buf_printf(b, "%lld\t%lld\t%lld\t%lld\t%s", p->n_docs, row->seq, row->start, row->end, row->kind) < 0)
        return nm__store_fail(st, "out of memory");
    for (int f = 0; f < NM_SPAN_NFIELDS; f++) {
        put_raw(b, "\t", 1);
        put_null_or(b, row->field[f], row->len[f]);
    }
    put_raw(b, row->challenged < 0 ? "\t\\N\n" : row->challenged ? "\tt\n" : "\tf\n", row->challenged < 0 ? 4 : 3);
    return 0;
}

static int pg_put(nm_store *st, const char *id, const char *sha, const char *json, size_t len)
{
    pg *p = st->impl;
    nm__record_info info;
    int rc = nm__record_read(st, id, json, len, pg_span, st, &info, &p->scratch);
    size_t idn = strlen(id), dn = info.dct ? strlen(info.dct) : 0, sn = info.source ? strlen(info.source) : 0;
    nm_buf *b = &p->docs;
    if (rc == 0 && (nm_buf_grow(b, 64 + 3 * (idn + dn + sn) + 2 * len + 8) < 0 ||
                    nm_buf_printf(b, "%lld\t", p->n_docs) < 0))
        rc = nm__store_fail(st, "out of memory");
    if (rc == 0) {
        put_field(b, id, idn, false);
        put_raw(b, "\t", 1);
        put_raw(b, sha, 64);
        put_raw(b, "\t", 1);
        put_null_or(b, info.dct, dn);
        put_raw(b, "\t", 1);
        put_null_or(b, info.source, sn);
        put_raw(b, "\t", 1);
        put_field(b, json, len, true);
        put_raw(b, "\n", 1);
        p->n_docs++;
    }
    st->pend.n_spans += info.n_spans;
    nm__record_info_free(&info);
    return rc;
}

/* COPY the rows of B into TABLE. */
static int copy_in(nm_store *st, pg *p, const char *sql, const nm_buf *b)
{
    PGresult *r;
    int rc;
    if ((rc = run(st, p, sql, PGRES_COPY_IN, "COPY", NULL)) < 0)
        return rc;
    for (size_t off = 0; off < b->len;) {
        size_t n = b->len - off > (1 << 20) ? (1 << 20) : b->len - off;
        if (PQputCopyData(p->conn, b->ptr + off, (int)n) != 1)
            return fail(st, p, "COPY");
        off += n;
    }
    if (PQputCopyEnd(p->conn, NULL) != 1)
        return fail(st, p, "COPY");
    rc = 0;
    while ((r = PQgetResult(p->conn))) {
        if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = nm__store_fail(st, "COPY: %s", PQresultErrorMessage(r));
        PQclear(r);
    }
    return rc;
}

static int pg_commit(nm_store *st)
{
    pg *p = st->impl;
    PGresult *r = NULL;
    int rc;
    if (!p->n_docs)
        return 0;
    if ((rc = run(st, p, "BEGIN", PGRES_COMMAND_OK, "BEGIN", NULL)) < 0 ||
        (rc = copy_in(st, p, "COPY nm_sdoc FROM STDIN", &p->docs)) < 0 ||
        (rc = copy_in(st, p, "COPY nm_sspan FROM STDIN", &p->spans)) < 0 ||
        (rc = run(st, p, sql_newest, PGRES_COMMAND_OK, "staging", NULL)) < 0 ||
        (rc = run(st, p, sql_delete_spans, PGRES_COMMAND_OK, "replacing changed documents", NULL)) < 0 ||
        (rc = run(st, p, sql_delete, PGRES_COMMAND_OK, "replacing changed documents", &r)) < 0)
        return rc;
    uint64_t replaced = strtoull(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    if ((rc = run(st, p, sql_insert, PGRES_TUPLES_OK, "inserting documents", &r)) < 0)
        return rc;
    uint64_t added = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    uint64_t spans = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
    if ((rc = run(st, p, "COMMIT", PGRES_COMMAND_OK, "COMMIT", NULL)) < 0)
        return rc;
    nm_buf_clear(&p->docs);
    nm_buf_clear(&p->spans);
    p->n_docs = 0;
    st->pend.n_new = added > replaced ? added - replaced : 0;
    st->pend.n_replaced = replaced;
    st->pend.n_same = st->pend_docs > added ? st->pend_docs - added : 0; /* duplicates in the batch too */
    st->pend.n_spans = spans;
    return 0;
}

static void pg_close(nm_store *st)
{
    pg *p = st->impl;
    if (!p)
        return;
    if (p->indexes_at_end && !st->broken && PQstatus(p->conn) == CONNECTION_OK)
        (void)run(st, p, indexes, PGRES_COMMAND_OK, "creating the indexes", NULL);
    PQfinish(p->conn); /* an open transaction is rolled back by the server */
    nm_buf_free(&p->docs);
    nm_buf_free(&p->spans);
    nm_buf_free(&p->scratch);
    free(p);
    st->impl = NULL;
}

static const nm__store_ops pg_ops = {pg_put, pg_commit, pg_close};

int nm__pg_open(nm_store *st, const char *url)
{
    pg *p = calloc(1, sizeof(*p));
    if (!p)
        return nm__store_fail(st, "out of memory");
    nm_buf_init(&p->docs, NM_STORE_MAX_BUF, NULL);
    nm_buf_init(&p->spans, NM_STORE_MAX_BUF, NULL);
    nm_buf_init(&p->scratch, NM_STORE_MAX_BUF, NULL);
    st->impl = p;
    st->ops = &pg_ops;
    p->conn = PQconnectdb(url);
    if (!p->conn || PQstatus(p->conn) != CONNECTION_OK)
        return fail(st, p, "cannot connect");
    if (PQsetClientEncoding(p->conn, "UTF8") != 0)
        return fail(st, p, "client encoding");
    int rc = run(st, p, "SET client_min_messages = warning", PGRES_COMMAND_OK, "settings", NULL);
    if (rc < 0)
        return rc;
    if ((rc = run(st, p, schema, PGRES_COMMAND_OK, "creating the schema", NULL)) < 0)
        return rc;
    PGresult *r = NULL;
    if ((rc = run(st, p, "SELECT NOT EXISTS (SELECT 1 FROM documents)", PGRES_TUPLES_OK, "reading the documents",
                  &r)) < 0)
        return rc;
    p->indexes_at_end = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!p->indexes_at_end)
        return run(st, p, indexes, PGRES_COMMAND_OK, "creating the indexes", NULL);
    return 0;
}
