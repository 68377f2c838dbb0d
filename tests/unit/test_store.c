/* test_store.c - nm_store into SQLite through the library: documents and
 * spans stored once, the same document again changes nothing, a changed
 * text replaces its spans, batches commit on their own and at close, a bad
 * URL is refused.  (The command, PostgreSQL, kills and full disks:
 * tests/store.sh.)  Runs under the sanitizers with make check. */
#include <sqlite3.h>
#include <unistd.h>

#include "helpers.h"

static char path[256];

static long long count(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long long n = -1;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void remove_db(void)
{
    char p[300];
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

static const unsigned char sha_a[32] = {1}, sha_b[32] = {2};

static const char rec1[] = "{\"id\":\"d1\",\"dct\":\"2025-06-01\",\"spans\":["
                           "{\"start\":0,\"end\":9,\"type\":\"ORG\",\"text\":\"Microsoft\",\"id\":\"microsoft\"},"
                           "{\"start\":30,\"end\":52,\"type\":\"CLAUSE:ROFR\",\"text\":\"right of first refusal\","
                           "\"status\":\"RETAINED\",\"challenged\":true,\"holder\":\"Microsoft\",\"until\":\"2030\"}]}";
static const char rec1b[] = "{\"id\":\"d1\",\"spans\":[{\"start\":0,\"end\":6,\"type\":\"ORG\",\"text\":\"OpenAI\"}]}";
static const char rec2[] = "{\"id\":\"d2\",\"spans\":[]}";

static void test_store__sqlite_idempotent(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/nm-test-store-%d.db", (int)getpid());
    remove_db();
    char url[300], err[1024];
    snprintf(url, sizeof(url), "sqlite:%s", path);
    nm_store *st;
    nm_store_stats s;
    nm_store_opts o = {.batch_docs = 1}; /* a commit per document */
    assert_int_equal(nm_store_open(&st, url, &o, err, sizeof(err)), 0);
    assert_int_equal(nm_store_put(st, "d1", sha_a, rec1, strlen(rec1)), 0);
    assert_int_equal(nm_store_put(st, "d2", sha_a, rec2, strlen(rec2)), 0);
    nm_store_get_stats(st, &s);
    assert_int_equal(s.n_new, 2);
    assert_int_equal(s.n_spans, 2);
    assert_int_equal(s.n_commits, 2);
    assert_int_equal(nm_store_close(st, err, sizeof(err)), 0);
    assert_int_equal(count("SELECT count(*) FROM documents"), 2);
    assert_int_equal(count("SELECT count(*) FROM spans WHERE type = 'CLAUSE:ROFR' AND until < '2031' "
                           "AND status = 'RETAINED' AND challenged = 1 AND kind = 'clause' AND seq = 1"), 1);
    assert_int_equal(count("SELECT count(*) FROM spans s JOIN documents d USING (doc_key) "
                           "WHERE s.entity_id = 'microsoft' AND d.dct BETWEEN '2025-01-01' AND '2025-12-31'"), 1);
    /* again: nothing changes; d1 with another text: replaced, in one batch */
    assert_int_equal(nm_store_open(&st, url, NULL, err, sizeof(err)), 0);
    assert_int_equal(nm_store_put(st, "d2", sha_a, rec2, strlen(rec2)), 0);
    assert_int_equal(nm_store_put(st, "d1", sha_b, rec1b, strlen(rec1b)), 0);
    assert_int_equal(nm_store_flush(st), 0);
    nm_store_get_stats(st, &s);
    assert_int_equal(s.n_new, 0);
    assert_int_equal(s.n_same, 1);
    assert_int_equal(s.n_replaced, 1);
    assert_int_equal(nm_store_close(st, err, sizeof(err)), 0);
    assert_int_equal(count("SELECT count(*) FROM documents"), 2);
    assert_int_equal(count("SELECT count(*) FROM spans"), 1);
    assert_int_equal(count("SELECT count(*) FROM spans WHERE text = 'OpenAI'"), 1);
    /* the batch left open at close is committed */
    assert_int_equal(nm_store_open(&st, url, NULL, err, sizeof(err)), 0);
    assert_int_equal(nm_store_put(st, "d3", sha_a, rec2, strlen(rec2)), 0);
    assert_int_equal(nm_store_close(st, NULL, 0), 0);
    assert_int_equal(count("SELECT count(*) FROM documents"), 3);
    remove_db();
}

static void test_store__bad_urls(void **state)
{
    (void)state;
    nm_store *st = (nm_store *)&st;
    char err[1024];
    assert_int_equal(nm_store_open(&st, "mysql://x", NULL, err, sizeof(err)), NM_EINVAL);
    assert_null(st);
    assert_non_null(strstr(err, "expected sqlite:PATH"));
    assert_int_equal(nm_store_open(&st, "sqlite:/nonexistent/dir/x.db", NULL, err, sizeof(err)), NM_EDB);
    assert_non_null(strstr(err, "sqlite:/nonexistent/dir/x.db"));
    /* a password stays out of messages */
    assert_int_equal(nm_store_open(&st, "postgresql://u:secret@/db?host=/nonexistent", NULL, err, sizeof(err)),
                     NM_EDB);
    assert_null(strstr(err, "secret"));
    assert_non_null(strstr(err, "postgresql://u@"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store__sqlite_idempotent),
        cmocka_unit_test(test_store__bad_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
