/* test_entities.c - MONEY and PERCENT patterns and values, the tagger's
 * names, one type per name, spans in text order, and the training's
 * determinism, through the whole pipeline. */
#include "helpers.h"

/* "text=TYPE[:value]|..." for the spans of TYPES (comma list) in TEXT. */
static const char *ents_of(nm_pipeline *p, const char *text, const char *types)
{
    static char out[4096];
    const nm_result *r;
    if (nm_pipeline_run(p, text, strlen(text), NULL, &r) < 0)
        fail_msg("run: %s", nm_pipeline_errmsg(p));
    size_t n = 0;
    bool any = false;
    out[0] = '\0';
    for (size_t i = 0; i < nm_result_n_spans(r); i++) {
        nm_span s;
        nm_result_span(r, i, &s);
        char want[32];
        snprintf(want, sizeof(want), ",%s,", s.type);
        char list[128];
        snprintf(list, sizeof(list), ",%s,", types);
        if (!strstr(list, want))
            continue;
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%.*s=%s%s%s", any ? "|" : "",
                              (int)(s.end - s.start), text + s.start, s.type, s.value ? ":" : "",
                              s.value ? s.value : "");
        any = true;
    }
    return out;
}

#define MP(text, want) assert_string_equal(ents_of(f->p, text, "MONEY,PERCENT"), want)

static void test_entities__money_formats_and_values(void **state)
{
    FX_BEGIN;
    MP("It paid $100 billion.", "$100 billion=MONEY:USD 100000000000");
    MP("It paid £600m.", "£600m=MONEY:GBP 600000000");
    MP("It paid US$1.13bn.", "US$1.13bn=MONEY:USD 1130000000");
    MP("It paid €2.5 million.", "€2.5 million=MONEY:EUR 2500000");
    MP("It paid 100 billion dollars.", "100 billion dollars=MONEY:USD 100000000000");
    MP("It paid five billion euros.", "five billion euros=MONEY:EUR 5000000000");
    MP("It owes Rs 2 lakh crore.", "Rs 2 lakh crore=MONEY:INR 2000000000000");
    MP("HK$3bn and C$2 changed hands.", "HK$3bn=MONEY:HKD 3000000000|C$2=MONEY:CAD 2");
    /* subunits */
    MP("The dividend is 76 cents.", "76 cents=MONEY:USD 0.76");
    MP("Shares rose 31p to 548p.", "31p=MONEY:GBP 0.31|548p=MONEY:GBP 5.48");
    /* the amount only: "about" and "a share" stay out */
    MP("It earned about $2.07 a share.", "$2.07=MONEY:USD 2.07");
    FX_END;
}

static void test_entities__ranges(void **state)
{
    FX_BEGIN;
    MP("It will spend $5-6 billion.", "$5-6 billion=MONEY:USD 5000000000..6000000000");
    MP("Buybacks run at $4.25bn-$4.75bn a quarter.", "$4.25bn-$4.75bn=MONEY:USD 4250000000..4750000000");
    MP("Revenue of 8.4 billion to 8.6 billion dollars.",
       "8.4 billion to 8.6 billion dollars=MONEY:USD 8400000000..8600000000");
    MP("Rates are 4.25%-4.50% now.", "4.25%-4.50%=PERCENT:0.0425..0.045");
    MP("Prices rise 2-3 pct.", "2-3 pct=PERCENT:0.02..0.03");
    FX_END;
}

static void test_entities__percent_formats_and_values(void **state)
{
    FX_BEGIN;
    MP("It holds 76% of it.", "76%=PERCENT:0.76");
    MP("It rose 5.5 per cent.", "5.5 per cent=PERCENT:0.055");
    MP("It rose 12 percent and 150%.", "12 percent=PERCENT:0.12|150%=PERCENT:1.5");
    /* a sentence's full stop stays out of "pct." */
    MP("It rose 9 pct.", "9 pct=PERCENT:0.09");
    MP("Yields fell 25 basis points and 4 bps.", "25 basis points=PERCENT:0.0025|4 bps=PERCENT:0.0004");
    MP("It gained 2 percentage points.", "2 percentage points=PERCENT:0.02");
    FX_END;
}

static void test_entities__not_money(void **state)
{
    FX_BEGIN;
    /* a currency is what makes an amount money; a number alone is not */
    MP("It pumps 10 million barrels and employs 5,000 people.", "");
    MP("The dollar fell; the percentage is unknown.", "");
    MP("He is 52 and won 3-1.", "");
    FX_END;
}

static void test_entities__names(void **state)
{
    FX_BEGIN;
    const char *text = "Chief executive Satya Nadella said Microsoft Corp. will open an office in Paris.";
    const char *got = ents_of(f->p, text, "PER,ORG,LOC,MISC");
    assert_non_null(strstr(got, "Satya Nadella=PER"));
    assert_non_null(strstr(got, "Paris=LOC"));
    /* the title stays out of the person */
    assert_null(strstr(got, "Chief"));
    FX_END;
}

static void test_entities__one_type_per_name(void **state)
{
    FX_BEGIN;
    /* whatever type a name gets, every mention of it in a document gets
     * the same */
    const char *text = "Harlow Dynamics said on Monday it would cut jobs. Harlow Dynamics makes pumps. "
                       "Shares in Harlow Dynamics fell. Analysts said Harlow Dynamics had no choice.";
    const nm_result *r;
    assert_int_equal(nm_pipeline_run(f->p, text, strlen(text), NULL, &r), 0);
    const char *type = NULL;
    int seen = 0;
    for (size_t i = 0; i < nm_result_n_spans(r); i++) {
        nm_span s;
        nm_result_span(r, i, &s);
        if (s.end - s.start == 15 && !memcmp(text + s.start, "Harlow Dynamics", 15)) {
            if (type)
                assert_string_equal(type, s.type);
            type = s.type;
            seen++;
        }
    }
    assert_int_equal(seen, 4); /* the third mention too, which the tagger alone splits */
    FX_END;
}

/* The tagger keeps what it worked out of each word (its memo) across
 * sentences and documents: a document tagged again, every word now known,
 * gets the same spans; so does a sentence with more distinct words than the
 * memo has slots (some go to its overflow), run cold and warm. */
static void test_entities__memo_changes_nothing(void **state)
{
    FX_BEGIN;
    const char *text = "Chief executive Satya Nadella said Microsoft Corp. will open an office in Paris. "
                       "Harlow Dynamics, based in Leeds, hired Maria Ortega from the Bank of England.";
    char cold[4096];
    snprintf(cold, sizeof(cold), "%s", ents_of(f->p, text, "PER,ORG,LOC,MISC"));
    assert_non_null(strstr(cold, "Satya Nadella=PER"));
    assert_string_equal(ents_of(f->p, text, "PER,ORG,LOC,MISC"), cold);
    /* one sentence of 40,000 distinct words, a name among them */
    size_t cap = 40000 * 12 + 64, n = 0;
    char *big = malloc(cap);
    assert_non_null(big);
    n += (size_t)snprintf(big + n, cap - n, "Yesterday Satya Nadella met");
    for (int i = 0; i < 40000; i++)
        n += (size_t)snprintf(big + n, cap - n, " %s%c%c%c", i % 3 ? "Zq" : "zq", 'a' + i % 26,
                              'a' + i / 26 % 26, 'a' + i / 676 % 26);
    snprintf(big + n, cap - n, " in Paris");
    const nm_result *r;
    char *first = NULL;
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(nm_pipeline_run(f->p, big, strlen(big), NULL, &r), 0);
        size_t len = 0, ns = nm_result_n_spans(r);
        char *got = calloc(ns + 1, 32);
        assert_non_null(got);
        for (size_t i = 0; i < ns; i++) {
            nm_span s;
            nm_result_span(r, i, &s);
            len += (size_t)snprintf(got + len, 32, "%u-%u:%.4s;", (unsigned)s.start, (unsigned)s.end, s.type);
        }
        if (!pass)
            first = got;
        else {
            assert_string_equal(got, first);
            free(got);
        }
    }
    free(first);
    free(big);
    FX_END;
}

static void test_entities__spans_in_text_order(void **state)
{
    FX_BEGIN;
    const char *text = "On Jan. 5, 2024 Acme Corp. of Ohio paid $5 million, 20% more than in 2023.";
    const nm_result *r;
    assert_int_equal(nm_pipeline_run(f->p, text, strlen(text), NULL, &r), 0);
    assert_true(nm_result_n_spans(r) >= 4);
    size_t prev = 0;
    for (size_t i = 0; i < nm_result_n_spans(r); i++) {
        nm_span s;
        nm_result_span(r, i, &s);
        assert_true(s.start >= prev);
        assert_true(s.end > s.start);
        prev = s.start;
    }
    /* and the JSON carries entity keys */
    const char *json;
    size_t len;
    assert_int_equal(nm_result_json(r, &json, &len), 0);
    assert_non_null(strstr(json, "\"type\":\"MONEY\",\"text\":\"$5 million\",\"value\":\"USD 5000000\""));
    FX_END;
}

/* The JSON of the spans of TEXT (static buffer). */
static const char *json_of(nm_pipeline *p, const char *text)
{
    static char out[8192];
    const nm_result *r;
    const char *json;
    size_t len;
    if (nm_pipeline_run(p, text, strlen(text), NULL, &r) < 0 || nm_result_json(r, &json, &len) < 0)
        fail_msg("run: %s", nm_pipeline_errmsg(p));
    snprintf(out, sizeof(out), "%.*s", (int)len, json);
    return out;
}

static void test_entities__ids_from_lists(void **state)
{
    FX_BEGIN;
    /* the company's forms share one id; an unknown name gets a key only */
    const char *j = json_of(f->p, "Microsoft Corp. and Harlow Dynamics said on Monday that Microsoft would pay.");
    assert_non_null(strstr(j, "\"text\":\"Microsoft Corp.\",\"id\":\"microsoft\""));
    assert_non_null(strstr(j, "\"text\":\"Microsoft\",\"id\":\"microsoft\""));
    assert_non_null(strstr(j, "\"text\":\"Harlow Dynamics\",\"key\":"));
    assert_null(strstr(j, "\"text\":\"Harlow Dynamics\",\"id\""));
    FX_END;
}

static void test_entities__lists_decide_over_the_tagger(void **state)
{
    FX_BEGIN;
    /* a listed product stays a product, possessive or not */
    const char *got = ents_of(f->p, "Analysts said Azure's growth slowed while Azure kept its lead.", "PER,ORG,LOC,MISC");
    assert_string_equal(got, "Azure=MISC|Azure=MISC");
    FX_END;
}

static void test_entities__org_heads(void **state)
{
    FX_BEGIN;
    /* a name ending in a company's head word is an organisation */
    const char *got = ents_of(f->p, "Tundra Metals has prolonged its power contract with Pinnacle Utilities.", "PER,ORG,LOC,MISC");
    assert_non_null(strstr(got, "Tundra Metals=ORG"));
    assert_non_null(strstr(got, "Pinnacle Utilities=ORG"));
    /* places keep theirs */
    got = ents_of(f->p, "Talks on the West Bank resumed on Monday.", "PER,ORG,LOC,MISC");
    assert_null(strstr(got, "West Bank=ORG"));
    /* a head word found alone takes in the name before it; the company is
     * then called by the rest of its name, a listed place stays a place */
    got = ents_of(f->p, "Northgate Pharma agreed on Monday to buy Velora Therapeutics for 2.1 billion euros. "
                        "Velora shareholders will receive 41 euros a share, and Northgate will fund the deal "
                        "with debt.", "PER,ORG,LOC,MISC");
    assert_non_null(strstr(got, "Northgate Pharma=ORG"));
    assert_non_null(strstr(got, "Velora Therapeutics=ORG"));
    assert_null(strstr(got, "Velora=LOC"));
    assert_null(strstr(got, "Northgate=LOC"));
    assert_null(strstr(got, "Northgate=PER"));
    got = ents_of(f->p, "Singapore Airlines said on Monday that Singapore would host the talks.", "PER,ORG,LOC,MISC");
    assert_non_null(strstr(got, "Singapore=LOC"));
    FX_END;
}

static void test_entities__title_case_headings(void **state)
{
    FX_BEGIN;
    /* capitals in a heading are no evidence of a name... */
    const char *got = ents_of(f->p, "Key Details on the Harbour Expansion Plan\n\nThe council approved the plan on Monday.",
                              "PER,ORG,LOC,MISC");
    assert_string_equal(got, "");
    /* ...but a name the article also gives in running text is one there too */
    got = ents_of(f->p, "Strike at Harlow Dynamics Enters Third Week\n\nWorkers at Harlow Dynamics said on Monday "
                  "they would stay out.", "PER,ORG,LOC,MISC");
    assert_string_equal(got, "Harlow Dynamics=ORG|Harlow Dynamics=ORG");
    /* and lines of results are not headings */
    got = ents_of(f->p, "Portsmouth : Middlesex 199 and 426 , Hampshire 232 .", "PER,ORG,LOC,MISC");
    assert_non_null(strstr(got, "Middlesex="));
    FX_END;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entities__money_formats_and_values),
        cmocka_unit_test(test_entities__ranges),
        cmocka_unit_test(test_entities__percent_formats_and_values),
        cmocka_unit_test(test_entities__not_money),
        cmocka_unit_test(test_entities__names),
        cmocka_unit_test(test_entities__one_type_per_name),
        cmocka_unit_test(test_entities__memo_changes_nothing),
        cmocka_unit_test(test_entities__spans_in_text_order),
        cmocka_unit_test(test_entities__ids_from_lists),
        cmocka_unit_test(test_entities__lists_decide_over_the_tagger),
        cmocka_unit_test(test_entities__org_heads),
        cmocka_unit_test(test_entities__title_case_headings),
    };
    return cmocka_run_group_tests_name("entities", tests, NULL, NULL);
}
