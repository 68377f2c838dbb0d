/* test_threads.c - one model shared by several threads, each with its own
 * pipeline (the library's thread-safety contract): every thread's output
 * is the same as one thread's, run after run.  Under ThreadSanitizer with
 * `make tsan`, which also runs the batch's and the store's threads. */
#include <pthread.h>

#include "helpers.h"

enum { N_THREADS = 4, N_ROUNDS = 20 };

static const char *const texts[] = {
    "Microsoft will no longer be OpenAI's exclusive cloud provider but keeps a right of first refusal "
    "on new capacity through 2030, the companies said on Tuesday.",
    "Harlow Dynamics paid $1.2 billion, 15% more than analysts expected, for a five-year licence.",
    "Back in June, the league extended its broadcast deal with Northgate Media until the end of the 2031 season.",
    "Shares of Kivu Pharma rose 4 per cent in Nairobi after the regulator approved the merger.",
};
enum { N_TEXTS = sizeof(texts) / sizeof(texts[0]) };

static char *expected[N_TEXTS];
static nm_model *shared_model;

static char *run_one(nm_pipeline *p, const char *text)
{
    const nm_result *r;
    const char *json;
    size_t len;
    nm_doc_opts d = {.id = "t", .dct = "2025-06-03"};
    if (nm_pipeline_run(p, text, strlen(text), &d, &r) < 0)
        return NULL;
    nm_result_json(r, &json, &len);
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, json, len);
        copy[len] = '\0';
    }
    return copy;
}

static void *worker(void *arg)
{
    long *mismatches = arg;
    nm_pipeline *p = NULL;
    if (nm_pipeline_new(&p, shared_model, NULL) < 0) {
        (*mismatches)++;
        return NULL;
    }
    for (int round = 0; round < N_ROUNDS; round++)
        for (int t = 0; t < N_TEXTS; t++) {
            char *got = run_one(p, texts[(t + round) % N_TEXTS]);
            if (!got || strcmp(got, expected[(t + round) % N_TEXTS]) != 0)
                (*mismatches)++;
            free(got);
        }
    nm_pipeline_free(p);
    return NULL;
}

static void test_threads__shared_model(void **state)
{
    (void)state;
    /* the C library's allocator: cmocka's (load_model) is not thread-safe */
    assert_int_equal(nm_model_load(&shared_model, models_dir(), NULL), 0);
    nm_pipeline *p;
    assert_int_equal(nm_pipeline_new(&p, shared_model, NULL), 0);
    for (int t = 0; t < N_TEXTS; t++)
        assert_non_null(expected[t] = run_one(p, texts[t]));
    nm_pipeline_free(p);
    /* the outputs are worth comparing: names, money, dates and a clause */
    assert_non_null(strstr(expected[0], "CLAUSE:ROFR"));
    assert_non_null(strstr(expected[1], "\"MONEY\""));
    pthread_t th[N_THREADS];
    long mismatches[N_THREADS] = {0};
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, &mismatches[i]), 0);
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(mismatches[i], 0);
    }
    for (int t = 0; t < N_TEXTS; t++)
        free(expected[t]);
    nm_model_free(shared_model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads__shared_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
