/*
 * helpers.h - shared helpers of the cmocka unit tests.
 *
 * Every model and pipeline in the tests allocates through cmocka's
 * test_malloc/test_realloc/test_free, so a leak fails the test.
 */
#ifndef NM_TEST_HELPERS_H
#define NM_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "newsmine.h"

/* cmocka 1.1.5's test_realloc corrupts its guard blocks, so realloc is
 * done here over test_malloc, with the size kept in a 16-byte header. */
#define T_HDR 16
static void *t_malloc(size_t n, void *payload)
{
    (void)payload;
    char *p = test_malloc(n + T_HDR);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof(n));
    return p + T_HDR;
}
static void t_free(void *p, void *payload)
{
    (void)payload;
    if (p)
        test_free((char *)p - T_HDR);
}
static void *t_realloc(void *p, size_t n, void *payload)
{
    if (!p)
        return t_malloc(n, payload);
    size_t old;
    memcpy(&old, (char *)p - T_HDR, sizeof(old));
    void *q = t_malloc(n, payload);
    if (!q)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    t_free(p, payload);
    return q;
}
static const nm_allocator test_alloc = {t_malloc, t_realloc, t_free, NULL};

static const char *models_dir(void)
{
    const char *d = getenv("NEWSMINE_MODELS");
    return d && *d ? d : "models";
}

static nm_model *load_model(void)
{
    nm_model *m = NULL;
    nm_model_opts o = {&test_alloc, 0};
    int rc = nm_model_load(&m, models_dir(), &o);
    if (rc < 0)
        fail_msg("model: %s", nm_model_errmsg(m));
    return m;
}

/*
 * A model and a pipeline for one test.  cmocka checks for leaks after each
 * test body, so both are made and freed inside the body: FX_BEGIN / FX_END.
 */
typedef struct fixture {
    nm_model *m;
    nm_pipeline *p;
} fixture;

__attribute__((unused)) static void fx_open(fixture *f)
{
    f->m = load_model();
    assert_int_equal(nm_pipeline_new(&f->p, f->m, NULL), 0);
}

__attribute__((unused)) static void fx_close(fixture *f)
{
    nm_pipeline_free(f->p);
    nm_model_free(f->m);
}

#define FX_BEGIN  fixture fx_; fixture *f = &fx_; (void)state; fx_open(f)
#define FX_END    fx_close(f)

/* The tokens of TEXT as "tok|tok|tok" (original bytes); static buffer. */
__attribute__((unused)) static const char *tokens_of(nm_pipeline *p, const char *text)
{
    static char out[8192];
    const nm_result *r;
    size_t n = 0;
    if (nm_pipeline_run(p, text, strlen(text), NULL, &r) < 0)
        fail_msg("run: %s", nm_pipeline_errmsg(p));
    out[0] = '\0';
    for (size_t i = 0; i < nm_result_n_tokens(r); i++) {
        nm_token t;
        assert_int_equal(nm_result_token(r, i, &t), 0);
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%.*s", i ? "|" : "",
                              (int)(t.end - t.start), text + t.start);
    }
    return out;
}

/* The sentences of TEXT as "[s1][s2]"; static buffer. */
__attribute__((unused)) static const char *sentences_of(nm_pipeline *p, const char *text)
{
    static char out[8192];
    const nm_result *r;
    size_t n = 0;
    if (nm_pipeline_run(p, text, strlen(text), NULL, &r) < 0)
        fail_msg("run: %s", nm_pipeline_errmsg(p));
    out[0] = '\0';
    for (size_t i = 0; i < nm_result_n_sentences(r); i++) {
        size_t s, e;
        assert_int_equal(nm_result_sentence(r, i, &s, &e), 0);
        n += (size_t)snprintf(out + n, sizeof(out) - n, "[%.*s]", (int)(e - s), text + s);
    }
    return out;
}

#endif
