/* test_base.c - UTF-8 validation, capped buffers, JSON strings, dates. */
#include "helpers.h"

static void test_base__utf8_valid_and_invalid(void **state)
{
    (void)state;
    static const struct { const char *s; size_t len; size_t bad; } cases[] = {
        {"plain ascii text", 16, 16},
        {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14, 14},
        {"Microsoft\xFF", 10, 9},              /* a byte never valid */
        {"x\xC0\xAF", 3, 1},                   /* overlong '/' */
        {"x\xE0\x80\xAF", 4, 1},               /* overlong 3-byte */
        {"x\xED\xA0\x80", 4, 1},               /* surrogate U+D800 */
        {"x\xF4\x90\x80\x80", 5, 1},           /* above U+10FFFF */
        {"abc\xE2\x82", 5, 3},                 /* truncated at the end */
        {"abc\x80", 4, 3},                     /* lone continuation */
        {"0123456789abcdef\xC3", 17, 16},      /* after the 8-byte fast path */
        {"a\0b", 3, 3},                        /* NUL is valid UTF-8 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(nm__utf8_check(cases[i].s, cases[i].len), cases[i].bad);
}

static void test_base__buffer_cap(void **state)
{
    (void)state;
    nm_buf b;
    nm_buf_init(&b, 10, &test_alloc);
    assert_int_equal(nm_buf_puts(&b, "0123456789"), 0);
    assert_int_equal(b.len, 10);
    assert_int_equal(nm_buf_putc(&b, 'x'), NM_ELIMIT);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.ptr, "0123456789");
    nm_buf_clear(&b);
    assert_int_equal(nm_buf_printf(&b, "%d-%s", 42, "ab"), 0);
    assert_string_equal(b.ptr, "42-ab");
    assert_int_equal(nm_buf_printf(&b, "%s", "too long for it"), NM_ELIMIT);
    nm_buf_free(&b);
}

static void test_base__json_string_escapes(void **state)
{
    (void)state;
    nm_buf b;
    nm_buf_init(&b, 1024, &test_alloc);
    const char s[] = "a\"b\\c\n\t\x01\x7f\xC3\xA9";
    assert_int_equal(nm_buf_put_json_str(&b, s, sizeof(s) - 1), 0);
    assert_string_equal(b.ptr, "\"a\\\"b\\\\c\\n\\t\\u0001\x7f\xC3\xA9\"");
    nm_buf_clear(&b);
    assert_int_equal(nm_buf_put_json_str(&b, "x\0y", 3), 0);
    assert_string_equal(b.ptr, "\"x\\u0000y\"");
    nm_buf_free(&b);
}

static void test_base__dates(void **state)
{
    (void)state;
    assert_true(nm__date_valid("2025-01-21"));
    assert_true(nm__date_valid("2024-02-29"));
    assert_true(nm__date_valid("2000-02-29"));
    assert_false(nm__date_valid("1900-02-29"));
    assert_false(nm__date_valid("2025-02-29"));
    assert_false(nm__date_valid("2025-13-01"));
    assert_false(nm__date_valid("2025-04-31"));
    assert_false(nm__date_valid("2025-1-21"));
    assert_false(nm__date_valid("20250121"));
    assert_false(nm__date_valid(NULL));
}

static void test_base__strtab(void **state)
{
    (void)state;
    nm_strtab t;
    assert_int_equal(nm_strtab_init(&t, 4, &test_alloc), 0);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof(key), "key%d", i);
        assert_int_equal(nm_strtab_put(&t, key, (size_t)n, i, key + 3, (size_t)n - 3), 0);
    }
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof(key), "key%d", i);
        const nm_strtab_entry *e = nm_strtab_get(&t, key, (size_t)n);
        assert_non_null(e);
        assert_int_equal(e->ival, i);
        assert_string_equal(nm_strtab_val(&t, e), key + 3);
    }
    assert_null(nm_strtab_get(&t, "key1000", 7));
    assert_null(nm_strtab_get(&t, "", 0));
    nm_strtab_free(&t);
}

static void test_base__hash_padded_equals_hash(void **state)
{
    (void)state;
    /* the padded variant reads 8 bytes past the tail: give it room */
    char buf[64 + 8];
    memset(buf, 'x', sizeof(buf));
    memcpy(buf, "the quick brown fox jumps over the lazy dog, twice over again", 61);
    for (size_t n = 0; n <= 61; n++)
        assert_int_equal(nm_hash_padded(buf, n), nm_hash(buf, n));
}

static void test_base__strerror(void **state)
{
    (void)state;
    assert_string_equal(nm_strerror(NM_OK), "success");
    assert_string_equal(nm_strerror(NM_EUTF8), "invalid UTF-8");
    assert_string_equal(nm_strerror(-999), "unknown error");
    assert_string_equal(nm_version(), NM_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base__utf8_valid_and_invalid),
        cmocka_unit_test(test_base__buffer_cap),
        cmocka_unit_test(test_base__json_string_escapes),
        cmocka_unit_test(test_base__dates),
        cmocka_unit_test(test_base__strtab),
        cmocka_unit_test(test_base__hash_padded_equals_hash),
        cmocka_unit_test(test_base__strerror),
    };
    return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
