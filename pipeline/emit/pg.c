/*
 * pg.c - the PostgreSQL store, through libpq.
 *
 * A batch is staged, then merged in one transaction:
 *   COPY nm_stage (doc) FROM STDIN   one JSON line a document:
 *                                    {"id":..,"sha256":..,"r":<record>}
 *   DELETE the documents whose text changed (spans cascade)
 *   INSERT the documents not there yet, and their spans from the jsonb
 * COPY runs in CSV form with quote and delimiter bytes (0x01, 0x02) that
 * JSON never holds raw, so each line reaches the server byte for byte; the
 * text form would rewrite its backslashes.  What is sent is strict UTF-8
 * (the records are) without NUL: jsonb refuses the escape \u0000, which
 * is sent as U+FFFD.  The schema and the indexes are created in a
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
    char *buf; /* the staged lines */
    size_t len, cap;
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
    "CREATE TEMP TABLE nm_stage (seq bigserial, doc jsonb NOT NULL) ON COMMIT DELETE ROWS;";

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

/* the newest staged line of each id */
static const char sql_newest[] =
    "CREATE TEMP TABLE nm_new ON COMMIT DROP AS"
    " SELECT DISTINCT ON (doc->>'id') doc->>'id' AS id, doc->>'sha256' AS sha, doc->'r' AS r"
    " FROM nm_stage ORDER BY doc->>'id', seq DESC";

/* documents whose text changed: their spans, then themselves (no foreign
 * key: its per-row check cost more than the rest of the insert) */
static const char sql_delete_spans[] =
    "DELETE FROM spans USING documents d, nm_new s"
    " WHERE spans.doc_key = d.doc_key AND d.id = s.id AND d.sha256 <> s.sha";
static const char sql_delete[] = "DELETE FROM documents d USING nm_new s WHERE d.id = s.id AND d.sha256 <> s.sha";

static const char sql_insert[] =
    "WITH s AS (SELECT * FROM nm_new),"
    " ins AS (INSERT INTO documents (id, sha256, dct, source, record)"
    "  SELECT id, sha, (r->>'dct')::date, r->>'source', r FROM s"
    "  ON CONFLICT (id) DO NOTHING RETURNING doc_key, record),"
    " sp AS (INSERT INTO spans (doc_key, seq, start_byte, end_byte, kind, type, text, value, entity_id, status,"
    "  challenged, holder, counterparty, scope, since, until)"
    "  SELECT ins.doc_key, e.seq - 1, e.start, e.\"end\","
    "   CASE WHEN e.type LIKE 'CLAUSE:%' THEN 'clause'"
    "        WHEN e.type IN ('DATE','TIME','DURATION','SET') THEN 'temporal' ELSE 'entity' END,"
    "   e.type, e.text, e.value, e.id, e.status, e.challenged, e.holder, e.counterparty, e.scope, e.since, e.until"
    "  FROM ins CROSS JOIN LATERAL ROWS FROM (jsonb_to_recordset(ins.record->'spans') AS (start int, \"end\" int,"
    "   type text, text text, value text, id text, status text, challenged boolean, holder text,"
    "   counterparty text, scope text, since text, until text)) WITH ORDINALITY"
    "   AS e(start, \"end\", type, text, value, id, status, challenged, holder, counterparty, scope, since, until, seq)"
    "  RETURNING 1)"
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

static int grow(pg *p, size_t more)
{
    if (p->len + more <= p->cap)
        return 0;
    size_t c = p->cap ? p->cap : 1 << 20;
    while (c < p->len + more)
        c *= 2;
    char *b = realloc(p->buf, c);
    if (!b)
        return NM_ENOMEM;
    p->buf = b;
    p->cap = c;
    return 0;
}

/* Append JSON, with the escape \u0000 turned into \ufffd. */
static void put_json(pg *p, const char *s, size_t n)
{
    char *o = p->buf + p->len;
    for (size_t i = 0; i < n; i++) {
        o[0] = s[i];
        if (s[i] == '\\' && i + 1 < n) {
            if (s[i + 1] == 'u' && i + 5 < n && !memcmp(s + i + 2, "0000", 4)) {
                memcpy(o, "\\ufffd", 6);
                o += 6;
                i += 5;
                continue;
            }
            o[1] = s[i + 1]; /* an escaped byte: never the start of another escape */
            o += 2;
            i++;
            continue;
        }
        o++;
    }
    p->len = (size_t)(o - p->buf);
}

static int pg_put(nm_store *st, const char *id, const char *sha, const char *json, size_t len)
{
    pg *p = st->impl;
    (void)id; /* the record holds it */
    /* {"sha256":"<64>","r":<json>}\n */
    if (grow(p, 2 * len + 96) < 0)
        return nm__store_fail(st, "out of memory");
    memcpy(p->buf + p->len, "{\"sha256\":\"", 11);
    memcpy(p->buf + p->len + 11, sha, 64);
    memcpy(p->buf + p->len + 75, "\",\"id\":", 7);
    p->len += 82;
    /* the record's id, copied out of the record: it is its first member */
    static const char key[] = "{\"id\":";
    if (len < sizeof(key) || memcmp(json, key, sizeof(key) - 1))
        return nm__store_fail(st, "a record without \"id\" first");
    size_t e = sizeof(key) - 1 + 1; /* past the opening quote */
    while (e < len && json[e] != '"')
        e += json[e] == '\\' ? 2 : 1;
    put_json(p, json + sizeof(key) - 1, e + 1 - (sizeof(key) - 1));
    memcpy(p->buf + p->len, ",\"r\":", 5);
    p->len += 5;
    put_json(p, json, len);
    memcpy(p->buf + p->len, "}\n", 2);
    p->len += 2;
    return 0;
}

static int pg_commit(nm_store *st)
{
    pg *p = st->impl;
    PGresult *r = NULL;
    int rc;
    if (!p->len)
        return 0;
    if ((rc = run(st, p, "BEGIN", PGRES_COMMAND_OK, "BEGIN", NULL)) < 0)
        return rc;
    if ((rc = run(st, p, "COPY nm_stage (doc) FROM STDIN WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')",
                  PGRES_COPY_IN, "COPY", NULL)) < 0)
        return rc;
    for (size_t off = 0; off < p->len;) {
        size_t n = p->len - off > (1 << 20) ? (1 << 20) : p->len - off;
        if (PQputCopyData(p->conn, p->buf + off, (int)n) != 1)
            return fail(st, p, "COPY");
        off += n;
    }
    if (PQputCopyEnd(p->conn, NULL) != 1)
        return fail(st, p, "COPY");
    while ((r = PQgetResult(p->conn))) {
        ExecStatusType s = PQresultStatus(r);
        if (s != PGRES_COMMAND_OK) {
            rc = nm__store_fail(st, "COPY: %s", PQresultErrorMessage(r));
            PQclear(r);
            while ((r = PQgetResult(p->conn)))
                PQclear(r);
            return rc;
        }
        PQclear(r);
    }
    if ((rc = run(st, p, sql_newest, PGRES_COMMAND_OK, "staging", NULL)) < 0 ||
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
    p->len = 0;
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
    free(p->buf);
    free(p);
    st->impl = NULL;
}

static const nm__store_ops pg_ops = {pg_put, pg_commit, pg_close};

int nm__pg_open(nm_store *st, const char *url)
{
    pg *p = calloc(1, sizeof(*p));
    if (!p)
        return nm__store_fail(st, "out of memory");
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
