/*
 * sqlite.c - the embedded store: an SQLite file in WAL mode.
 *
 * A batch is one transaction (BEGIN IMMEDIATE: several processes may load
 * into one file; they take turns, each waiting up to a minute).  Per
 * document: look the id up; the same digest changes nothing; another one
 * deletes the old document and its spans (no foreign key: the loader keeps
 * them together, and PostgreSQL's per-row check was the slowest part); then
 * the record goes in, whole, and a row for each of its spans, read from the
 * record with yajl's event parser (SQLite's json_each and ->> took four
 * times longer: they parse each span's text again for every column).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

typedef struct sq {
    sqlite3 *db;
    sqlite3_stmt *find, *del, *del_doc, *ins_doc, *ins_span, *next_key;
    sqlite3_int64 key;      /* the next document's doc_key */
    sqlite3_int64 span_key; /* the doc_key the spans being read go with */
    bool in_tx;
    bool indexes_at_end; /* the database was empty: make the indexes at close */
    nm_buf scratch; /* nm__record_read's */
} sq;

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA cache_size=-8192;"
    "CREATE TABLE IF NOT EXISTS nm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT OR IGNORE INTO nm_meta VALUES ('schema', '" NM_STORE_SCHEMA_VERSION "');"
    "CREATE TABLE IF NOT EXISTS documents ("
    " doc_key INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " sha256 TEXT NOT NULL,"
    " dct TEXT,"
    " source TEXT,"
    " record TEXT NOT NULL,"
    " loaded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
    "CREATE TABLE IF NOT EXISTS spans ("
    " span_key INTEGER PRIMARY KEY,"
    " doc_key INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " start_byte INTEGER NOT NULL,"
    " end_byte INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " text TEXT,"
    " value TEXT,"
    " entity_id TEXT,"
    " status TEXT,"
    " challenged INTEGER,"
    " holder TEXT,"
    " counterparty TEXT,"
    " scope TEXT,"
    " since TEXT,"
    " until TEXT);";

/* The indexes for queries.  Loading into an empty database, they are made
 * once at the end (one sort each, where keeping them up to date row by row
 * cost a quarter of the load); otherwise at once.  A load killed before
 * its end leaves them to the next. */
static const char indexes[] =
    "CREATE INDEX IF NOT EXISTS documents_dct ON documents(dct);"
    "CREATE INDEX IF NOT EXISTS spans_type_until ON spans(type, until) WHERE until IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS spans_entity ON spans(entity_id, doc_key) WHERE entity_id IS NOT NULL;";

static const char sql_find[] = "SELECT doc_key, sha256 FROM documents WHERE id = ?1";
static const char sql_del[] = "DELETE FROM spans WHERE span_key BETWEEN ?1 << 24 AND (?1 << 24) + 16777215";
static const char sql_del_doc[] = "DELETE FROM documents WHERE doc_key = ?1";
static const char sql_ins_doc[] =
    "INSERT INTO documents (doc_key, id, sha256, dct, source, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/* the key the batch's next document gets (the batch holds the write lock) */
static const char sql_next_key[] = "SELECT coalesce(max(doc_key), 0) + 1 FROM documents";
static const char sql_ins_span[] =
    "INSERT INTO spans (doc_key, start_byte, end_byte, kind, type, text, value, entity_id, status, challenged,"
    " holder, counterparty, scope, since, until, seq, span_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
    " ?11, ?12, ?13, ?14, ?15, ?16, (?1 << 24) + ?16)";


static int fail(nm_store *st, sq *q, const char *what)
{
    if (!q->db)
        return nm__store_fail(st, "%s: out of memory", what);
    int e = sqlite3_system_errno(q->db); /* "disk I/O error" says more with the system's reason */
    return nm__store_fail(st, "%s: %s%s%s%s", what, sqlite3_errmsg(q->db), e ? " (" : "", e ? strerror(e) : "",
                          e ? ")" : "");
}

static int exec(nm_store *st, sq *q, const char *sql)
{
    if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(st, q, !strncmp(sql, "COMMIT", 6) ? "commit" : !strncmp(sql, "BEGIN", 5) ? "begin" : "schema");
    return 0;
}

/* One span row of the document being stored (nm__record_read's callback). */
static int sq_span(void *ctx, const nm__span_row *row)
{
    static const int param[NM_SPAN_NFIELDS] = {5, 6, 7, 8, 9, 11, 12, 13, 14, 15};
    nm_store *st = ctx;
    sq *q = st->impl;
    sqlite3_stmt *s = q->ins_span;
    sqlite3_bind_int64(s, 1, q->span_key);
    sqlite3_bind_int64(s, 2, row->start);
    sqlite3_bind_int64(s, 3, row->end);
    sqlite3_bind_text(s, 4, row->kind, -1, SQLITE_STATIC);
    for (int f = 0; f < NM_SPAN_NFIELDS; f++) /* the others are NULL: sqlite3_clear_bindings below */
        if (row->field[f])
            sqlite3_bind_text(s, param[f], row->field[f], (int)row->len[f], SQLITE_STATIC);
    if (row->challenged >= 0)
        sqlite3_bind_int(s, 10, row->challenged);
    sqlite3_bind_int64(s, 16, row->seq);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? 0 : fail(st, q, "inserting spans");
}

static int sq_put(nm_store *st, const char *id, const char *sha, const char *json, size_t len)
{
    sq *q = st->impl;
    int rc;
    if (!q->in_tx) {
        if ((rc = exec(st, q, "BEGIN IMMEDIATE")) < 0)
            return rc;
        q->in_tx = true;
        rc = sqlite3_step(q->next_key);
        q->key = sqlite3_column_int64(q->next_key, 0);
        sqlite3_reset(q->next_key);
        if (rc != SQLITE_ROW)
            return fail(st, q, "reading the documents");
    }
    sqlite3_bind_text(q->find, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(q->find);
    if (rc == SQLITE_ROW) {
        sqlite3_int64 key = sqlite3_column_int64(q->find, 0);
        const unsigned char *old = sqlite3_column_text(q->find, 1);
        bool same = old && !strcmp((const char *)old, sha);
        sqlite3_reset(q->find);
        if (same) {
            st->pend.n_same++;
            return 0;
        }
        sqlite3_bind_int64(q->del, 1, key);
        rc = sqlite3_step(q->del);
        sqlite3_reset(q->del);
        if (rc == SQLITE_DONE) {
            sqlite3_bind_int64(q->del_doc, 1, key);
            rc = sqlite3_step(q->del_doc);
            sqlite3_reset(q->del_doc);
        }
        if (rc != SQLITE_DONE)
            return fail(st, q, "deleting the old version");
        st->pend.n_replaced++;
    } else {
        sqlite3_reset(q->find);
        if (rc != SQLITE_DONE)
            return fail(st, q, "looking a document up");
        st->pend.n_new++;
    }
    /* the spans first (they need only the key), read from the record
     * with its dct and source; then the document */
    nm__record_info info;
    q->span_key = q->key;
    rc = nm__record_read(st, id, json, len, sq_span, st, &info, &q->scratch);
    if (rc == 0) {
        sqlite3_bind_int64(q->ins_doc, 1, q->key);
        sqlite3_bind_text(q->ins_doc, 2, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q->ins_doc, 3, sha, 64, SQLITE_STATIC);
        sqlite3_bind_text(q->ins_doc, 4, info.dct, -1, SQLITE_STATIC); /* NULL: SQL NULL */
        sqlite3_bind_text(q->ins_doc, 5, info.source, -1, SQLITE_STATIC);
        sqlite3_bind_text(q->ins_doc, 6, json, (int)len, SQLITE_STATIC);
        int src = sqlite3_step(q->ins_doc);
        sqlite3_reset(q->ins_doc);
        if (src != SQLITE_DONE)
            rc = fail(st, q, "inserting a document");
        st->pend.n_spans += info.n_spans;
        q->key++;
    }
    nm__record_info_free(&info);
    return rc;
}

static int sq_commit(nm_store *st)
{
    sq *q = st->impl;
    if (!q->in_tx)
        return 0;
    int rc = exec(st, q, "COMMIT");
    if (rc == 0)
        q->in_tx = false;
    return rc;
}

static void sq_close(nm_store *st)
{
    sq *q = st->impl;
    if (!q)
        return;
    if (q->in_tx)
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    else if (q->indexes_at_end && !st->broken)
        (void)exec(st, q, indexes); /* on error, the message is on the store */
    sqlite3_finalize(q->find);
    sqlite3_finalize(q->del);
    sqlite3_finalize(q->del_doc);
    sqlite3_finalize(q->next_key);
    sqlite3_finalize(q->ins_doc);
    sqlite3_finalize(q->ins_span);
    nm_buf_free(&q->scratch);
    sqlite3_close(q->db);
    free(q);
    st->impl = NULL;
}

static const nm__store_ops sq_ops = {sq_put, sq_commit, sq_close};

int nm__sqlite_open(nm_store *st, const char *path)
{
    sq *q = calloc(1, sizeof(*q));
    if (!q)
        return nm__store_fail(st, "out of memory");
    nm_buf_init(&q->scratch, NM_STORE_MAX_BUF, NULL);
    st->impl = q;
    st->ops = &sq_ops;
    if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        return fail(st, q, "cannot open");
    sqlite3_busy_timeout(q->db, 60000);
    int rc;
    if ((rc = exec(st, q, schema)) < 0)
        return rc;
    sqlite3_stmt *any = NULL;
    if (sqlite3_prepare_v2(q->db, "SELECT 1 FROM documents LIMIT 1", -1, &any, NULL) != SQLITE_OK)
        return fail(st, q, "reading the documents");
    q->indexes_at_end = sqlite3_step(any) == SQLITE_DONE;
    sqlite3_finalize(any);
    if (!q->indexes_at_end && (rc = exec(st, q, indexes)) < 0)
        return rc;
    if (sqlite3_prepare_v2(q->db, sql_find, -1, &q->find, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q->db, sql_del, -1, &q->del, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q->db, sql_del_doc, -1, &q->del_doc, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q->db, sql_next_key, -1, &q->next_key, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q->db, sql_ins_doc, -1, &q->ins_doc, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q->db, sql_ins_span, -1, &q->ins_span, NULL) != SQLITE_OK)
        return fail(st, q, "preparing statements");
    return 0;
}
