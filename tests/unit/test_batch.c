/* test_batch.c - many records through worker threads: output in input
 * order whatever the thread count, every record either emitted or
 * rejected, sharding by id deterministic and complete, the text's digest. */
#include <unistd.h>

#include "helpers.h"

typedef struct sink {
    char *out;
    size_t len, cap;
    int n_emit, n_reject;
} sink;

static void sink_put(sink *s, const char *p, size_t n)
{
    if (s->len + n + 2 > s->cap) {
        s->cap = (s->len + n + 2) * 2;
        s->out = realloc(s->out, s->cap);
    }
    memcpy(s->out + s->len, p, n);
    s->len += n;
    s->out[s->len++] = '\n';
    s->out[s->len] = '\0';
}

static int on_emit(const nm_record *rec, const char *json, size_t len, void *payload)
{
    (void)rec;
    sink *s = payload;
    s->n_emit++;
    sink_put(s, json, len);
    return 0;
}

static int on_reject(const nm_record *rec, const char *msg, void *payload)
{
    (void)rec;
    sink *s = payload;
    s->n_reject++;
    sink_put(s, msg, strlen(msg));
    return 0;
}

static char path[256];

/* N records; every 7th is broken JSON, every 11th has invalid UTF-8. */
static void write_input(int n)
{
    snprintf(path, sizeof(path), "/tmp/nm-test-batch-%d.jsonl", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        if (i % 7 == 3)
            fprintf(f, "{\"id\":\"r%d\",\"text\":\n", i);
        else if (i % 11 == 5)
            fprintf(f, "{\"id\":\"r%d\",\"text\":\"bad \xff byte\"}\n", i);
        else
            fprintf(f, "{\"id\":\"r%d\",\"text\":\"Record %d. It has %d words here.\"}\n", i, i, i % 13);
    }
    fclose(f);
}

static sink run(int threads, unsigned k, unsigned n, nm_batch_stats *st)
{
    nm_model *m = NULL;
    assert_int_equal(nm_model_load(&m, models_dir(), NULL), 0);
    nm_reader *rd;
    assert_int_equal(nm_reader_new(&rd, NULL), 0);
    assert_int_equal(nm_reader_add(rd, path), 0);
    sink s = {0};
    nm_batch_opts o = {0};
    o.n_threads = threads;
    o.shard_k = k;
    o.shard_n = n;
    o.on_emit = on_emit;
    o.on_reject = on_reject;
    o.payload = &s;
    char err[256];
    assert_int_equal(nm_batch_run(m, rd, &o, st, err, sizeof(err)), 0);
    nm_reader_free(rd);
    nm_model_free(m);
    return s;
}

static void test_batch__order_and_counts_whatever_the_threads(void **state)
{
    (void)state;
    write_input(3000);
    nm_batch_stats st1, st4;
    sink a = run(1, 0, 0, &st1);
    sink b = run(4, 0, 0, &st4);
    assert_int_equal(st1.n_records, 3000);
    assert_int_equal(st1.n_ok + st1.n_rejected, 3000);
    assert_int_equal(a.n_emit + a.n_reject, 3000);
    assert_int_equal((int)st1.n_rejected, a.n_reject);
    assert_true(a.n_reject > 400);
    assert_int_equal(st4.n_ok, st1.n_ok);
    assert_string_equal(a.out, b.out);
    /* the last record is there (a batch once dropped its tail) */
    assert_non_null(strstr(a.out, "\"id\":\"r2998\""));
    assert_non_null(strstr(a.out, ".jsonl:3000: invalid JSON"));
    /* rejects name their line, in order */
    assert_non_null(strstr(a.out, ".jsonl:4: invalid JSON"));
    assert_non_null(strstr(a.out, ".jsonl:6: invalid UTF-8"));
    assert_true(strstr(a.out, ".jsonl:4:") < strstr(a.out, "\"id\":\"r4\""));
    free(a.out);
    free(b.out);
    unlink(path);
}

/* Each shard's ids, and the rejects' FILE:LINE, are checked against
 * nm_shard_of: a shard holds exactly the records that hash to it. */
typedef struct shard_check {
    sink s;
    unsigned k, n;
    int wrong;
} shard_check;

static int on_emit_shard(const nm_record *rec, const char *json, size_t len, void *payload)
{
    shard_check *c = payload;
    const char *id = nm_record_id(rec);
    if (!id || nm_shard_of(id, strlen(id), c->n) != c->k)
        c->wrong++;
    return on_emit(rec, json, len, &c->s);
}

static int on_reject_shard(const nm_record *rec, const char *msg, void *payload)
{
    shard_check *c = payload;
    char key[512];
    snprintf(key, sizeof(key), "%s:%ld", nm_record_file(rec), nm_record_line(rec));
    if (nm_shard_of(key, strlen(key), c->n) != c->k)
        c->wrong++;
    return on_reject(rec, msg, &c->s);
}

static void test_batch__shards_partition_the_input(void **state)
{
    (void)state;
    write_input(500);
    nm_model *m = NULL;
    assert_int_equal(nm_model_load(&m, models_dir(), NULL), 0);
    /* one thread parses in the reader, two in the workers: both paths */
    for (int threads = 1; threads <= 2; threads++) {
        uint64_t total = 0, emitted = 0;
        int seen[500] = {0};
        for (unsigned k = 1; k <= 3; k++) {
            nm_reader *rd;
            assert_int_equal(nm_reader_new(&rd, NULL), 0);
            assert_int_equal(nm_reader_add(rd, path), 0);
            shard_check c = {.k = k, .n = 3};
            nm_batch_opts o = {0};
            o.n_threads = threads;
            o.shard_k = k;
            o.shard_n = 3;
            o.on_emit = on_emit_shard;
            o.on_reject = on_reject_shard;
            o.payload = &c;
            nm_batch_stats st;
            char err[256];
            assert_int_equal(nm_batch_run(m, rd, &o, &st, err, sizeof(err)), 0);
            assert_int_equal(c.wrong, 0);
            assert_true(st.n_records > 100); /* about a third each */
            total += st.n_records;
            emitted += st.n_ok;
            for (const char *p = c.s.out; p && (p = strstr(p, "\"id\":\"r")); p++)
                seen[atoi(p + 7)]++;
            free(c.s.out);
            nm_reader_free(rd);
        }
        assert_int_equal(total, 500);
        int once = 0;
        for (int i = 0; i < 500; i++) {
            assert_true(seen[i] <= 1);
            once += seen[i];
        }
        assert_int_equal(once, (int)emitted);
    }
    nm_model_free(m);
    unlink(path);
}

static int on_emit_sha(const nm_record *rec, const char *json, size_t len, void *payload)
{
    (void)json;
    (void)len;
    unsigned char *out = payload;
    const unsigned char *h = nm_record_sha256(rec);
    if (h)
        memcpy(out, h, 32);
    return 0;
}

static void test_batch__text_digest(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/nm-test-batch-%d.jsonl", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"id\":\"x\",\"text\":\"abc\"}\n", f);
    fclose(f);
    nm_model *m = NULL;
    assert_int_equal(nm_model_load(&m, models_dir(), NULL), 0);
    for (int flags = 0; flags <= 1; flags++) {
        nm_reader *rd;
        assert_int_equal(nm_reader_new(&rd, NULL), 0);
        assert_int_equal(nm_reader_add(rd, path), 0);
        unsigned char h[32] = {0};
        nm_batch_opts o = {0};
        o.on_emit = on_emit_sha;
        o.payload = h;
        o.flags = flags ? NM_BATCH_SHA256 : 0;
        assert_int_equal(nm_batch_run(m, rd, &o, NULL, NULL, 0), 0);
        /* the FIPS 180-2 example: SHA-256("abc") */
        static const unsigned char abc[32] = {
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
            0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
        static const unsigned char zero[32];
        assert_memory_equal(h, flags ? abc : zero, 32);
        nm_reader_free(rd);
    }
    nm_model_free(m);
    unlink(path);
}

static void test_batch__bad_options(void **state)
{
    (void)state;
    nm_model *m = NULL;
    assert_int_equal(nm_model_load(&m, models_dir(), NULL), 0);
    nm_reader *rd;
    assert_int_equal(nm_reader_new(&rd, NULL), 0);
    nm_batch_opts o = {0};
    char err[256];
    o.shard_k = 4;
    o.shard_n = 3;
    assert_int_equal(nm_batch_run(m, rd, &o, NULL, err, sizeof(err)), NM_EINVAL);
    assert_non_null(strstr(err, "shard"));
    o.shard_k = o.shard_n = 0;
    o.default_dct = "2025-02-30";
    assert_int_equal(nm_batch_run(m, rd, &o, NULL, err, sizeof(err)), NM_EINVAL);
    assert_non_null(strstr(err, "2025-02-30"));
    nm_reader_free(rd);
    nm_model_free(m);
}

static int stop_at_3(const nm_record *rec, const char *json, size_t len, void *payload)
{
    (void)rec, (void)json, (void)len;
    int *n = payload;
    return ++*n == 3 ? 42 : 0;
}

static void test_batch__callback_stops_the_batch(void **state)
{
    (void)state;
    write_input(200);
    nm_model *m = NULL;
    assert_int_equal(nm_model_load(&m, models_dir(), NULL), 0);
    nm_reader *rd;
    assert_int_equal(nm_reader_new(&rd, NULL), 0);
    assert_int_equal(nm_reader_add(rd, path), 0);
    int n = 0;
    nm_batch_opts o = {0};
    o.n_threads = 2;
    o.on_emit = stop_at_3;
    o.payload = &n;
    assert_int_equal(nm_batch_run(m, rd, &o, NULL, NULL, 0), 42);
    assert_int_equal(n, 3);
    nm_reader_free(rd);
    nm_model_free(m);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch__order_and_counts_whatever_the_threads),
        cmocka_unit_test(test_batch__shards_partition_the_input),
        cmocka_unit_test(test_batch__text_digest),
        cmocka_unit_test(test_batch__bad_options),
        cmocka_unit_test(test_batch__callback_stops_the_batch),
    };
    return cmocka_run_group_tests_name("batch", tests, NULL, NULL);
}
