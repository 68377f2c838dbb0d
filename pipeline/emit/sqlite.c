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
#include <yajl/yajl_parse.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

typedef struct sq {
    sqlite3 *db;
    sqlite3_stmt *find, *del, *del_doc, *ins_doc, *ins_span, *next_key;
    sqlite3_int64 key; /* the next document's doc_key */
    bool in_tx;
    bool indexes_at_end; /* the database was empty: make the indexes at close */
    char *buf; /* span_reader's */
    size_t cap;
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

static int fail(nm_store *st, sq *q, const char *what);

/* The members of a span that get a column of their own, and the
 * statement parameter each binds. */
enum { F_TYPE, F_TEXT, F_VALUE, F_ID, F_STATUS, F_HOLDER, F_COUNTERPARTY, F_SCOPE, F_SINCE, F_UNTIL, N_FIELDS };
static const struct {
    const char *key;
    int param;
} fields[N_FIELDS] = {
    {"type", 5}, {"text", 6},   {"value", 7},        {"id", 8},     {"status", 9},
    {"holder", 11}, {"counterparty", 12}, {"scope", 13}, {"since", 14}, {"until", 15},
};

/* Reading a record's spans with yajl's event parser: the members of each
 * object of the top-level "spans" array, one row a span. */
typedef struct span_reader {
    nm_store *st;
    sq *q;
    sqlite3_int64 doc_key;
    int depth;         /* 1: the record; 2: "spans"; 3: a span */
    bool in_spans;     /* inside the top-level "spans" array */
    int field;         /* the member whose value comes next: F_*, -1 start, -2 end,
                          -3 challenged, -4 anything else */
    long long start, end;
    int challenged;    /* -1: absent */
    sqlite3_int64 seq; /* the span's index in the record's "spans" */
    char *buf;         /* field values, NUL-separated */
    size_t len, cap;
    size_t off[N_FIELDS];
    bool has[N_FIELDS];
    int top;           /* the record's member whose value comes next: 1 dct, 2 source */
    char *dct, *source; /* theirs (malloc'd), or NULL */
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
    for (int f = 0; f < N_FIELDS && r->field == -4; f++)
        if (strlen(fields[f].key) == n && !memcmp(k, fields[f].key, n))
            r->field = f;
    return 1;
}

static bool at_span_member(const span_reader *r) { return r->in_spans && r->depth == 3; }

static int sr_string(void *ctx, const unsigned char *v, size_t n)
{
    span_reader *r = ctx;
    if (r->depth == 1 && r->top) { /* the record's dct or source */
        char **dst = r->top == 1 ? &r->dct : &r->source;
        free(*dst);
        if (!(*dst = malloc(n + 1))) {
            r->rc = nm__store_fail(r->st, "out of memory");
            return 0;
        }
        memcpy(*dst, v, n);
        (*dst)[n] = '\0';
        return 1;
    }
    if (!at_span_member(r) || r->field < 0)
        return 1;
    if (r->len + n + 1 > r->cap) {
        size_t c = (r->len + n + 1) * 2;
        char *b = realloc(r->buf, c);
        if (!b) {
            r->rc = nm__store_fail(r->st, "out of memory");
            return 0;
        }
        r->buf = b;
        r->cap = c;
    }
    memcpy(r->buf + r->len, v, n);
    r->buf[r->len + n] = '\0';
    r->off[r->field] = r->len;
    r->has[r->field] = true;
    r->len += n + 1;
    return 1;
}

static int sr_integer(void *ctx, long long v)
{
    span_reader *r = ctx;
    if (at_span_member(r) && r->field == -1)
        r->start = v;
    else if (at_span_member(r) && r->field == -2)
        r->end = v;
    return 1;
}

static int sr_boolean(void *ctx, int v)
{
    span_reader *r = ctx;
    if (at_span_member(r) && r->field == -3)
        r->challenged = v;
    return 1;
}

static int sr_start_map(void *ctx)
{
    span_reader *r = ctx;
    r->depth++;
    if (at_span_member(r)) { /* a new span */
        r->len = 0;
        r->start = r->end = -1;
        r->challenged = -1;
        memset(r->has, 0, sizeof(r->has));
    }
    return 1;
}

static int sr_end_map(void *ctx)
{
    span_reader *r = ctx;
    if (at_span_member(r)) {
        sqlite3_stmt *s = r->q->ins_span;
        const char *type = r->has[F_TYPE] ? r->buf + r->off[F_TYPE] : "";
        const char *kind = !strncmp(type, "CLAUSE:", 7) ? "clause"
                           : (!strcmp(type, "DATE") || !strcmp(type, "TIME") || !strcmp(type, "DURATION") ||
                              !strcmp(type, "SET")) ? "temporal" : "entity";
        sqlite3_bind_int64(s, 1, r->doc_key);
        sqlite3_bind_int64(s, 2, r->start);
        sqlite3_bind_int64(s, 3, r->end);
        sqlite3_bind_text(s, 4, kind, -1, SQLITE_STATIC);
        for (int f = 0; f < N_FIELDS; f++) /* the others are NULL: sqlite3_clear_bindings below */
            if (r->has[f])
                sqlite3_bind_text(s, fields[f].param, r->buf + r->off[f], -1, SQLITE_STATIC);
        if (r->challenged >= 0)
            sqlite3_bind_int(s, 10, r->challenged);
        sqlite3_bind_int64(s, 16, r->seq++);
        int rc = sqlite3_step(s);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_DONE) {
            r->rc = fail(r->st, r->q, "inserting spans");
            return 0;
        }
        r->st->pend.n_spans++;
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
    span_reader r = {.st = st, .q = q, .doc_key = q->key, .buf = q->buf, .cap = q->cap};
    yajl_handle h = yajl_alloc(&span_callbacks, NULL, &r);
    if (!h)
        return nm__store_fail(st, "out of memory");
    yajl_config(h, yajl_dont_validate_strings, 1); /* the pipeline wrote it: UTF-8 already */
    yajl_status ys = yajl_parse(h, (const unsigned char *)json, len);
    if (ys == yajl_status_ok)
        ys = yajl_complete_parse(h);
    yajl_free(h);
    q->buf = r.buf;
    q->cap = r.cap;
    if (r.rc == 0 && ys != yajl_status_ok)
        r.rc = nm__store_fail(st, "document \"%s\": its record is not valid JSON", id);
    if (r.rc == 0) {
        sqlite3_bind_int64(q->ins_doc, 1, q->key);
        sqlite3_bind_text(q->ins_doc, 2, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q->ins_doc, 3, sha, 64, SQLITE_STATIC);
        sqlite3_bind_text(q->ins_doc, 4, r.dct, -1, SQLITE_STATIC); /* NULL: SQL NULL */
        sqlite3_bind_text(q->ins_doc, 5, r.source, -1, SQLITE_STATIC);
        sqlite3_bind_text(q->ins_doc, 6, json, (int)len, SQLITE_STATIC);
        rc = sqlite3_step(q->ins_doc);
        sqlite3_reset(q->ins_doc);
        if (rc != SQLITE_DONE)
            r.rc = fail(st, q, "inserting a document");
        q->key++;
    }
    free(r.dct);
    free(r.source);
    return r.rc;
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
    free(q->buf);
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
