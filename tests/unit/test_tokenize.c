/* test_tokenize.c - the tokenizer on the cases news text throws at it. */
#include "helpers.h"

#define TOKS(text, want) assert_string_equal(tokens_of(f->p, text), want)

/* long words cross the eight-byte steps of the letter scan: the word must
 * end exactly at the first non-letter wherever it falls in a step */
static void test_tokenize__long_words_end_exactly(void **state)
{
    FX_BEGIN;
    TOKS("Internationalisation", "Internationalisation");
    TOKS("abcdefgh", "abcdefgh");
    TOKS("abcdefghi.", "abcdefghi|.");
    TOKS("ABCDEFGH@ZZ abcdefg[", "ABCDEFGH|@|ZZ|abcdefg|[");
    TOKS("abcdefg`h abcdefgz{", "abcdefg|`|h|abcdefgz|{");
    TOKS("Zurichstrasse\xC3\xA9 x", "Zurichstrasse\xC3\xA9|x");
    TOKS("abcdefghijklmnop7 q", "abcdefghijklmnop|7|q"); /* a footnote marker */
    TOKS("straightforwardly, said", "straightforwardly|,|said");
    /* a long word before a sentence's final dot (the fast path), a listed
     * abbreviation, a domain, an ellipsis */
    TOKS("It was unprecedented. Then", "It|was|unprecedented|.|Then");
    TOKS("It was unprecedented.", "It|was|unprecedented|.");
    TOKS("Microsoft Corp. said", "Microsoft|Corp.|said");
    TOKS("see example.com now", "see|example.com|now");
    TOKS("It was unprecedented... Then", "It|was|unprecedented|...|Then");
    /* a text with one non-ASCII character: the ASCII marks come from the
     * slow pass, and normalisation still lower-cases */
    TOKS("DEALMAKERS caf\xC3\xA9", "DEALMAKERS|caf\xC3\xA9");
    FX_END;
}

static void test_tokenize__possessive_and_clitics(void **state)
{
    FX_BEGIN;
    TOKS("OpenAI's deal", "OpenAI|'s|deal");
    TOKS("OpenAI\xE2\x80\x99s deal", "OpenAI|\xE2\x80\x99s|deal");
    TOKS("They don't", "They|do|n't");
    TOKS("we're here, I'll go", "we|'re|here|,|I|'ll|go");
    TOKS("O'Brien rock'n'roll", "O'Brien|rock'n'roll");
    FX_END;
}

static void test_tokenize__abbreviations_and_initialisms(void **state)
{
    FX_BEGIN;
    TOKS("the U.S. economy", "the|U.S.|economy");
    TOKS("Apple Inc. said", "Apple|Inc.|said");
    TOKS("e.g. this", "e.g.|this");
    TOKS("at 5 p.m. today", "at|5|p.m.|today");
    TOKS("J. Smith", "J.|Smith");
    TOKS("Mr. Lee", "Mr.|Lee");
    /* a word that is not an abbreviation gives its dot back */
    TOKS("it rose.", "it|rose|.");
    FX_END;
}

static void test_tokenize__money_percent_numbers(void **state)
{
    FX_BEGIN;
    TOKS("$1.13bn", "$|1.13|bn");
    TOKS("\xC2\xA3" "600m", "\xC2\xA3|600|m");
    TOKS("76%", "76|%");
    TOKS("1,000.5 units", "1,000.5|units");
    TOKS("4.5GW", "4.5|GW");
    TOKS("the 1990s, 3rd and 5G", "the|1990s|,|3rd|and|5G");
    TOKS("24/7", "24/7");
    FX_END;
}

static void test_tokenize__dates_and_times(void **state)
{
    FX_BEGIN;
    TOKS("on 2025-01-21 at 10:30", "on|2025-01-21|at|10:30");
    TOKS("1/21/2025", "1/21/2025");
    TOKS("10:30:15", "10:30:15");
    FX_END;
}

static void test_tokenize__hyphens_and_joiners(void **state)
{
    FX_BEGIN;
    TOKS("a multi-year deal", "a|multi-year|deal");
    TOKS("a five-year term", "a|five-year|term");
    TOKS("a 10-year bond", "a|10-year|bond");
    TOKS("DALL\xC2\xB7" "E 3", "DALL\xC2\xB7" "E|3");
    TOKS("AT&T and S&P", "AT&T|and|S&P");
    TOKS("COVID-19", "COVID-19");
    TOKS("node.js", "node.js");
    FX_END;
}

static void test_tokenize__urls_emails_tags(void **state)
{
    FX_BEGIN;
    TOKS("see https://example.com/a?b=1.", "see|https://example.com/a?b=1|.");
    TOKS("(www.example.org)", "(|www.example.org|)");
    TOKS("mail bob.smith@example.co.uk today", "mail|bob.smith@example.co.uk|today");
    TOKS("#AI and @openai", "#AI|and|@openai");
    TOKS("C# code", "C|#|code");
    FX_END;
}

static void test_tokenize__dashes_and_quotes(void **state)
{
    FX_BEGIN;
    TOKS("said\xE2\x80\x94then", "said|\xE2\x80\x94|then");
    TOKS("\xE2\x80\x9CYes,\xE2\x80\x9D he said", "\xE2\x80\x9C|Yes|,|\xE2\x80\x9D|he|said");
    TOKS("wait... no -- yes", "wait|...|no|--|yes");
    FX_END;
}

static void test_tokenize__footnote_markers(void **state)
{
    FX_BEGIN;
    TOKS("it needs12 more", "it|needs|12|more");
    TOKS("Microsoft2 said", "Microsoft|2|said");
    /* listed words, capitals and short stems are not footnotes */
    TOKS("an mp3 file", "an|mp3|file");
    TOKS("GPT4 and COVID19", "GPT4|and|COVID19");
    TOKS("the A320 jet", "the|A320|jet");
    const nm_result *r;
    assert_int_equal(nm_pipeline_run(f->p, "needs12", 7, NULL, &r), 0);
    nm_token t;
    assert_int_equal(nm_result_token(r, 1, &t), 0);
    assert_int_equal(t.start, 5);
    assert_int_equal(t.end, 7);
    assert_int_equal(t.kind, NM_TOK_NUMBER);
    FX_END;
}

static void test_tokenize__offsets_are_bytes(void **state)
{
    FX_BEGIN;
    const char *text = "\xC3\xA9t\xC3\xA9 \xE2\x80\x94 caf\xC3\xA9";
    const nm_result *r;
    assert_int_equal(nm_pipeline_run(f->p, text, strlen(text), NULL, &r), 0);
    assert_int_equal(nm_result_n_tokens(r), 3);
    nm_token t;
    nm_result_token(r, 0, &t);
    assert_int_equal(t.start, 0);
    assert_int_equal(t.end, 5);
    nm_result_token(r, 2, &t);
    assert_int_equal(t.start, 10);
    assert_int_equal(t.end, 15);
    FX_END;
}

static void test_tokenize__whitespace_only_and_empty(void **state)
{
    FX_BEGIN;
    TOKS("", "");
    TOKS(" \n\t ", "");
    /* non-breaking and ideographic spaces separate tokens */
    TOKS("a\xC2\xA0" "b\xE3\x80\x80" "c", "a|b|c");
    FX_END;
}

static void test_tokenize__covers_every_non_space_byte(void **state)
{
    FX_BEGIN;
    const char *text = "Visit https://x.io/a_(b) \xE2\x80\x9Cnow\xE2\x80\x9D!! 3\xC2\xBD %$ \xF0\x9F\x98\x80 ok";
    const nm_result *r;
    assert_int_equal(nm_pipeline_run(f->p, text, strlen(text), NULL, &r), 0);
    size_t prev_end = 0;
    for (size_t i = 0; i < nm_result_n_tokens(r); i++) {
        nm_token t;
        nm_result_token(r, i, &t);
        assert_true(t.start >= prev_end);
        assert_true(t.end > t.start);
        for (size_t k = prev_end; k < t.start; k++)
            assert_true(text[k] == ' ');
        prev_end = t.end;
    }
    assert_int_equal(prev_end, strlen(text) - 0);
    FX_END;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenize__long_words_end_exactly),
        cmocka_unit_test(test_tokenize__possessive_and_clitics),
        cmocka_unit_test(test_tokenize__abbreviations_and_initialisms),
        cmocka_unit_test(test_tokenize__money_percent_numbers),
        cmocka_unit_test(test_tokenize__dates_and_times),
        cmocka_unit_test(test_tokenize__hyphens_and_joiners),
        cmocka_unit_test(test_tokenize__urls_emails_tags),
        cmocka_unit_test(test_tokenize__dashes_and_quotes),
        cmocka_unit_test(test_tokenize__footnote_markers),
        cmocka_unit_test(test_tokenize__offsets_are_bytes),
        cmocka_unit_test(test_tokenize__whitespace_only_and_empty),
        cmocka_unit_test(test_tokenize__covers_every_non_space_byte),
    };
    return cmocka_run_group_tests_name("tokenize", tests, NULL, NULL);
}
