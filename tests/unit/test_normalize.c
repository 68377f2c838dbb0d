/* test_normalize.c - normalised forms and stems. */
#include "helpers.h"

/* "norm/stem norm/stem ..." for TEXT; static buffer. */
static const char *norms_of(nm_pipeline *p, const char *text)
{
    static char out[4096];
    const nm_result *r;
    size_t n = 0;
    if (nm_pipeline_run(p, text, strlen(text), NULL, &r) < 0)
        fail_msg("run: %s", nm_pipeline_errmsg(p));
    out[0] = '\0';
    for (size_t i = 0; i < nm_result_n_tokens(r); i++) {
        nm_token t;
        nm_result_token(r, i, &t);
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s/%s", i ? " " : "", t.norm, t.stem);
    }
    return out;
}

#define NORMS(text, want) assert_string_equal(norms_of(f->p, text), want)

static void test_normalize__ascii_case_and_stems(void **state)
{
    FX_BEGIN;
    NORMS("Microsoft Agreements", "microsoft/microsoft agreements/agreement");
    NORMS("RUNNING runs ran", "running/run runs/run ran/ran");
    /* words of two letters or fewer are their own stem */
    NORMS("US is", "us/us is/is");
    /* numbers and punctuation get a norm, but no stem */
    NORMS("2030 .", "2030/ ./");
    FX_END;
}

static void test_normalize__unicode_fold(void **state)
{
    FX_BEGIN;
    /* curly quotes and dashes fold to ASCII */
    NORMS("OpenAI\xE2\x80\x99s", "openai/openai 's/'s");
    NORMS("\xE2\x80\x94", "-/");
    NORMS("\xE2\x80\x9Cx\xE2\x80\x9D", "\"/ x/x \"/");
    /* NFKC: the ligature fi and full-width letters; case fold: STRASSE */
    NORMS("\xEF\xAC\x81nance", "finance/financ");
    NORMS("\xEF\xBC\xA1\xEF\xBC\xA9", "ai/ai");
    NORMS("Stra\xC3\x9F" "e", "strasse/strass");
    /* a composed and a decomposed e-acute normalise alike */
    const nm_result *r;
    nm_token a, b;
    char t1[16], t2[16];
    assert_int_equal(nm_pipeline_run(f->p, "caf\xC3\xA9", 5, NULL, &r), 0);
    nm_result_token(r, 0, &a);
    snprintf(t1, sizeof(t1), "%s", a.norm);
    assert_int_equal(nm_pipeline_run(f->p, "cafe\xCC\x81", 6, NULL, &r), 0);
    nm_result_token(r, 0, &b);
    snprintf(t2, sizeof(t2), "%s", b.norm);
    assert_string_equal(t1, t2);
    FX_END;
}

static void test_normalize__text_is_not_changed(void **state)
{
    FX_BEGIN;
    char text[] = "The \xE2\x80\x9C" "Deal\xE2\x80\x9D";
    char copy[sizeof(text)];
    memcpy(copy, text, sizeof(text));
    const nm_result *r;
    assert_int_equal(nm_pipeline_run(f->p, text, strlen(text), NULL, &r), 0);
    assert_memory_equal(text, copy, sizeof(text));
    FX_END;
}

static void test_normalize__stem_cache_stays_right(void **state)
{
    FX_BEGIN;
    /* many distinct words, twice: the second pass comes from the cache and
     * must give the same stems as the first */
    static char text[200000], first[400000];
    size_t n = 0;
    for (int i = 0; i < 12000 && n < sizeof(text) - 32; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "w%cr%cing%c ", 'a' + i % 26,
                              'a' + (i / 26) % 26, 'a' + (i / 676) % 26);
    const nm_result *r;
    assert_int_equal(nm_pipeline_run(f->p, text, n, NULL, &r), 0);
    size_t k = 0;
    for (size_t i = 0; i < nm_result_n_tokens(r); i++) {
        nm_token t;
        nm_result_token(r, i, &t);
        k += (size_t)snprintf(first + k, sizeof(first) - k, "%s ", t.stem);
    }
    assert_int_equal(nm_pipeline_run(f->p, text, n, NULL, &r), 0);
    k = 0;
    for (size_t i = 0; i < nm_result_n_tokens(r); i++) {
        nm_token t;
        nm_result_token(r, i, &t);
        size_t len = strlen(t.stem);
        assert_memory_equal(first + k, t.stem, len);
        k += len + 1;
    }
    FX_END;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize__ascii_case_and_stems),
        cmocka_unit_test(test_normalize__unicode_fold),
        cmocka_unit_test(test_normalize__text_is_not_changed),
        cmocka_unit_test(test_normalize__stem_cache_stays_right),
    };
    return cmocka_run_group_tests_name("normalize", tests, NULL, NULL);
}
