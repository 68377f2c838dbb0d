/* test_sentences.c - the sentence splitter. */
#include "helpers.h"

#define SENTS(text, want) assert_string_equal(sentences_of(f->p, text), want)

static void test_sentences__plain_and_quotes(void **state)
{
    FX_BEGIN;
    SENTS("It rose. It fell! Did it? Yes.", "[It rose.][It fell!][Did it?][Yes.]");
    SENTS("\xE2\x80\x9CWe won.\xE2\x80\x9D Then he left.",
          "[\xE2\x80\x9CWe won.\xE2\x80\x9D][Then he left.]");
    SENTS("He said \"no.\" She agreed.", "[He said \"no.\"][She agreed.]");
    SENTS("(It rose.) Then it fell.", "[(It rose.)][Then it fell.]");
    /* a lower-case word after a full stop does not start a sentence */
    SENTS("the model vs. the rest", "[the model vs. the rest]");
    SENTS("Wait... what now", "[Wait... what now]");
    SENTS("Wait... What now", "[Wait...][What now]");
    FX_END;
}

static void test_sentences__abbreviations_and_initials(void **state)
{
    FX_BEGIN;
    SENTS("Mr. Smith met Dr. Jones.", "[Mr. Smith met Dr. Jones.]");
    SENTS("J. R. Smith left.", "[J. R. Smith left.]");
    SENTS("It fell in the U.S. The dollar rose.", "[It fell in the U.S.][The dollar rose.]");
    SENTS("The U.S. Treasury sold bonds.", "[The U.S. Treasury sold bonds.]");
    SENTS("He joined Apple Inc. The firm grew.", "[He joined Apple Inc.][The firm grew.]");
    SENTS("Shares of Acme Corp. rose.", "[Shares of Acme Corp. rose.]");
    SENTS("It opened on Jan. 21 in Paris.", "[It opened on Jan. 21 in Paris.]");
    SENTS("He ranks No. 2 in the world.", "[He ranks No. 2 in the world.]");
    FX_END;
}

static void test_sentences__decimals_and_numbers(void **state)
{
    FX_BEGIN;
    SENTS("Revenue rose 3.5 percent to $1.13bn. Profit fell.",
          "[Revenue rose 3.5 percent to $1.13bn.][Profit fell.]");
    SENTS("It closed at 1,000.5. Then 2025 began.", "[It closed at 1,000.5.][Then 2025 began.]");
    FX_END;
}

static void test_sentences__blank_lines_and_bullets(void **state)
{
    FX_BEGIN;
    /* a headline without a full stop ends at the blank line */
    SENTS("Microsoft Loosens Its Grip\n\nThe deal changed.", "[Microsoft Loosens Its Grip][The deal changed.]");
    /* a wrapped line does not end a sentence */
    SENTS("Prices rose\nsharply in June.", "[Prices rose\nsharply in June.]");
    SENTS("Key terms:\n\xE2\x80\xA2 exclusivity ends\n\xE2\x80\xA2 revenue share stays",
          "[Key terms:][\xE2\x80\xA2 exclusivity ends][\xE2\x80\xA2 revenue share stays]");
    SENTS("Terms:\n- one\n- two", "[Terms:][- one][- two]");
    SENTS("Steps:\n1. Sign\n2. Close", "[Steps:][1. Sign][2. Close]");
    FX_END;
}

static void test_sentences__cover_all_tokens_in_order(void **state)
{
    FX_BEGIN;
    const char *text = "A. B? \xE2\x80\x9C" "C!\xE2\x80\x9D\n\n- d e.\n\xE2\x80\xA2 f";
    const nm_result *r;
    assert_int_equal(nm_pipeline_run(f->p, text, strlen(text), NULL, &r), 0);
    size_t n = nm_result_n_sentences(r), prev = 0;
    assert_true(n >= 3);
    for (size_t i = 0; i < n; i++) {
        size_t s, e;
        nm_result_sentence(r, i, &s, &e);
        assert_true(s >= prev);
        assert_true(e > s);
        prev = e;
    }
    nm_token last;
    nm_result_token(r, nm_result_n_tokens(r) - 1, &last);
    assert_int_equal(prev, last.end);
    assert_int_equal(nm_pipeline_run(f->p, "", 0, NULL, &r), 0);
    assert_int_equal(nm_result_n_sentences(r), 0);
    FX_END;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sentences__plain_and_quotes),
        cmocka_unit_test(test_sentences__abbreviations_and_initials),
        cmocka_unit_test(test_sentences__decimals_and_numbers),
        cmocka_unit_test(test_sentences__blank_lines_and_bullets),
        cmocka_unit_test(test_sentences__cover_all_tokens_in_order),
    };
    return cmocka_run_group_tests_name("sentences", tests, NULL, NULL);
}
