/* test_clauses.c - clause types, statuses, parties and time bounds through
 * the whole pipeline, on sentences of our own. */
#include "helpers.h"

/* "TYPE:status[:holder][>counterparty][@until]|..." for the clause spans of
 * TEXT (static buffer), e.g. "ROFR:RETAINED:Microsoft@2030". */
static const char *clauses_of(nm_pipeline *p, const char *text, const char *dct)
{
    static char out[4096];
    const nm_result *r;
    const char *json;
    size_t len;
    nm_doc_opts o = {0};
    o.dct = dct;
    if (nm_pipeline_run(p, text, strlen(text), &o, &r) < 0 || nm_result_json(r, &json, &len) < 0)
        fail_msg("run: %s", nm_pipeline_errmsg(p));
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < nm_result_n_spans(r); i++) {
        nm_span s;
        nm_result_span(r, i, &s);
        if (strncmp(s.type, "CLAUSE:", 7) != 0)
            continue;
        /* the attributes are in the JSON: find this span's object */
        char key[160];
        snprintf(key, sizeof(key), "\"start\":%zu,\"end\":%zu,\"type\":\"%s\"", s.start, s.end, s.type);
        const char *at = strstr(json, key);
        assert_non_null(at);
        const char *end = strchr(at, '}');
        char obj[1024];
        snprintf(obj, sizeof(obj), "%.*s", (int)(end - at), at);
        char status[32] = "", holder[128] = "", counter[128] = "", until[32] = "";
        const char *q;
        if ((q = strstr(obj, "\"status\":\"")))
            sscanf(q + 10, "%31[^\"]", status);
        if ((q = strstr(obj, "\"holder\":\"")))
            sscanf(q + 10, "%127[^\"]", holder);
        if ((q = strstr(obj, "\"counterparty\":\"")))
            sscanf(q + 16, "%127[^\"]", counter);
        if ((q = strstr(obj, "\"until\":\"")))
            sscanf(q + 9, "%31[^\"]", until);
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s:%s%s%s%s%s%s%s", n ? "|" : "", s.type + 7, status,
                              holder[0] ? ":" : "", holder, counter[0] ? ">" : "", counter, until[0] ? "@" : "",
                              until);
    }
    return out;
}

#define CL(text, want) assert_string_equal(clauses_of(f->p, text, "2025-10-28"), want)
/* WANT is among the clause spans of TEXT (or, NOT_HAS, is not) */
#define HAS(text, want) assert_non_null(strstr(clauses_of(f->p, text, "2025-10-28"), want))
#define NOT_HAS(text, want) assert_null(strstr(clauses_of(f->p, text, "2025-10-28"), want))

static void test_clauses__types_status_parties_until(void **state)
{
    FX_BEGIN;
    CL("Microsoft is no longer OpenAI's exclusive cloud provider but keeps a right of first refusal through 2030.",
       "EXCLUSIVITY:REMOVED:Microsoft>OpenAI|ROFR:RETAINED:Microsoft@2030");
    /* the issue's example, with the scope */
    const char *text = "Microsoft will no longer be OpenAI's exclusive cloud provider but keeps a right of first "
                       "refusal on new capacity through 2030.";
    const nm_result *r;
    const char *json;
    size_t len;
    nm_doc_opts o = {0};
    o.dct = "2025-10-28";
    assert_int_equal(nm_pipeline_run(f->p, text, strlen(text), &o, &r), 0);
    assert_int_equal(nm_result_json(r, &json, &len), 0);
    assert_non_null(strstr(json, "\"type\":\"CLAUSE:ROFR\",\"text\":\"right of first refusal\",\"status\":\"RETAINED\","
                                 "\"holder\":\"Microsoft\",\"scope\":\"new capacity\",\"until\":\"2030\""));
    assert_non_null(strstr(json, "\"type\":\"CLAUSE:EXCLUSIVITY\",\"text\":\"exclusive cloud provider\",\"status\":"
                                 "\"REMOVED\",\"holder\":\"Microsoft\",\"counterparty\":\"OpenAI\""));
    /* a replacement: the old term goes, the new one comes */
    HAS("Harlow Dynamics replaced the exclusivity with a right of first refusal.", "EXCLUSIVITY:REMOVED");
    HAS("Harlow Dynamics replaced the exclusivity with a right of first refusal.", "ROFR:GRANTED");
    FX_END;
}

static void test_clauses__status_cues(void **state)
{
    FX_BEGIN;
    /* a name the tagger missed, in the subject's place, still holds the term */
    HAS("Nimbus is pressing for an option to extend its lease by ten years.", "RENEWAL_EXTENSION:PROPOSED:Nimbus");
    CL("Harlow Dynamics dropped its no-poach pact with Nordvik Energy.",
       "NO_POACH:REMOVED:Harlow Dynamics>Nordvik Energy");
    /* a negated renewal ends the term; an expiry date is when, not a change */
    CL("Nordvik Energy did not renew the agreement, which expires in March 2026.",
       "RENEWAL_EXTENSION:REMOVED:Nordvik Energy|TERM_EXPIRY:UNSPECIFIED:Nordvik Energy@2026-03");
    FX_END;
}

static void test_clauses__negation_and_modality(void **state)
{
    FX_BEGIN;
    /* the issue's cues: "no longer", "non-exclusive", "could end", "is in talks to" */
    CL("Harlow Dynamics is in talks to add a right of first refusal for Nordvik Energy.",
       "ROFR:PROPOSED:Harlow Dynamics>Nordvik Energy");
    HAS("Nordvik Energy's licence is now non-exclusive.", "EXCLUSIVITY:REMOVED");
    const char *got = clauses_of(f->p, "The AGI clause could end the licence if the panel agrees.", "2025-10-28");
    assert_non_null(strstr(got, "TERMINATION_TRIGGER:UNSPECIFIED"));
    /* the licence too is under a condition, not a plan (GUIDE: a condition is not a proposal) */
    assert_non_null(strstr(got, "LICENSE_GRANT:UNSPECIFIED"));
    /* a demand dropped is a proposal withdrawn */
    HAS("Marlowe Health dropped its demand for a most-favoured-nation clause.", "PRICING_MFN:REMOVED");
    FX_END;
}

static void test_clauses__spelling_and_inflection(void **state)
{
    FX_BEGIN;
    /* one rule covers licence and license, and the inflections of the cue */
    const char *a = clauses_of(f->p, "Nordvik Energy is in talks to sign a licensing deal with Harlow Dynamics.", "2025-10-28");
    const char *want = "LICENSE_GRANT:PROPOSED";
    assert_non_null(strstr(a, want));
    char first[512];
    snprintf(first, sizeof(first), "%s", clauses_of(f->p, "The perpetual licence stays in place.", "2025-10-28"));
    const char *b = clauses_of(f->p, "The perpetual license stays in place.", "2025-10-28");
    assert_string_equal(first, b);
    assert_non_null(strstr(b, "PERPETUAL_LICENSE:RETAINED"));
    FX_END;
}

static void test_clauses__not_clauses(void **state)
{
    FX_BEGIN;
    /* news talk that names no term */
    CL("In an exclusive interview, the chief executive said shares rose 4% in March.", "");
    CL("The two companies have worked together since 2018.", "");
    FX_END;
}

static void test_clauses__register(void **state)
{
    FX_BEGIN;
    /* in news, "non-exclusive" takes exclusivity away; a contract's
     * non-exclusive licence grants a licence and no exclusivity */
    CL("Ostrava Soft has granted Telmar a non-exclusive licence to its patents.",
       "EXCLUSIVITY:REMOVED:Telmar|LICENSE_GRANT:GRANTED:Telmar");
    const char *c = clauses_of(f->p, "Licensor hereby grants to Licensee a non-exclusive license to use the Software.",
                               "2025-10-28");
    assert_null(strstr(c, "EXCLUSIVITY"));
    assert_non_null(strstr(c, "LICENSE_GRANT"));
    /* a contract's defined terms make its register without "shall" */
    assert_string_equal(clauses_of(f->p, "Each Party will obtain all licenses and permits required by law to perform this Agreement.",
                                   "2025-10-28"), "");
    /* news quoting a contract stays news outside the quotes */
    HAS("Royalties on older titles 'shall continue to be payable', the filing says.", "REVENUE_SHARE");
    /* a royalty paid under a contract is a term; a defined term is not */
    HAS("Licensee shall pay to Licensor a royalty of five percent (5%) of Net Sales.", "REVENUE_SHARE");
    assert_string_equal(clauses_of(f->p, "The Royalty Term shall be set out in Exhibit B.", "2025-10-28"), "");
    /* a contract's reservation of rights grants nothing */
    NOT_HAS("Nothing in this Agreement shall be construed as granting to Licensee any license under the Patents.",
            "LICENSE_GRANT");
    /* "contract" lines: insurance is a liability term in a contract only */
    assert_string_equal(clauses_of(f->p, "Shares of the insurance group rose after its insurers reported results.",
                                   "2025-10-28"), "");
    HAS("Each Party shall provide written proof of such insurance on request.", "LIABILITY_INDEMNITY");
    FX_END;
}

static void test_clauses__status_rules(void **state)
{
    FX_BEGIN;
    /* a negated commitment ends a renewal; an expiry is never a removal */
    CL("Harmon Rail will not renew its maintenance contract with Delphi Works when it expires.",
       "RENEWAL_EXTENSION:REMOVED:Harmon Rail>Delphi Works|TERM_EXPIRY:UNSPECIFIED:Harmon Rail>Delphi Works");
    /* exercising a right reports it, except an option to renew */
    HAS("Tarrow Media exercised its option to renew the rights deal until 2031.", "RENEWAL_EXTENSION:EXTENDED:Tarrow Media@2031");
    /* "is renegotiating" is not yet done; "renegotiated" is */
    CL("Velvet Foods is renegotiating its supply contract with Ardmore Farms.",
       "CAPACITY_SUPPLY:PROPOSED:Velvet Foods>Ardmore");
    CL("Velvet Foods renegotiated its supply contract with Ardmore Farms last year.",
       "CAPACITY_SUPPLY:MODIFIED:Velvet Foods>Ardmore");
    /* the verb after the term's own prepositional phrase */
    CL("Pinecrest's indemnity for flood damage remains in place under the new deal.", "LIABILITY_INDEMNITY:RETAINED");
    /* a term in apposition takes the main clause's verb */
    HAS("Orla Chips agreed to buy at least 2 million wafers a year from Fennick, "
        "a minimum commitment that runs to 2029.", "MINIMUM_COMMITMENT:GRANTED:Orla Chips>Fennick@2029");
    /* "could lose it if": a condition, not a plan; an offer is not a deal */
    CL("Kerrow Bank could lose its right of first refusal if the fund sells more shares.", "ROFR:UNSPECIFIED:Kerrow Bank");
    HAS("Lumen Air has offered Westjet Cargo a revenue share on the new routes.", "REVENUE_SHARE:PROPOSED");
    /* "swapped X for Y": X goes, Y comes */
    CL("Fathom Networks swapped its exclusivity for a right of first offer on new markets.",
       "EXCLUSIVITY:REMOVED|ROFR:GRANTED");
    /* "still" before the verb keeps the term */
    HAS("Tradeway will still take a 12% commission on each sale.", "REVENUE_SHARE:RETAINED");
    /* a fee owed under a condition is no fee granted */
    HAS("The merger agreement requires Dorrance Financial to pay Crosswell Trust "
        "a $210 million break-up fee if it accepts a rival offer.", "TERMINATION_FEE:UNSPECIFIED");
    /* a relative clause's verb, and its date is the signing's, not the end's */
    HAS("Harcastle Media can leave under a break clause in the 15-year lease "
        "it signed in 2018.", "TERM_EXPIRY:GRANTED:Harcastle Media");
    NOT_HAS("Harcastle Media can leave under a break clause in the 15-year lease "
        "it signed in 2018.", "@2018");
    /* the verb after the term's phrase, parties and all */
    HAS("The standstill agreement between Sentinel Bank and Halbrook Capital "
        "has been lengthened by twelve months.", "NON_COMPETE:EXTENDED");
    /* stems shared by other words: "according" is no accord, "Renewables" no renewal */
    NOT_HAS("It will not compete for five years, according to the filing.", "TERM_EXPIRY");
    assert_string_equal(clauses_of(f->p, "Solvane Renewables' shares fell 4% on Monday.", "2025-10-28"), "");
    /* a right to walk away is a termination trigger; on a takeover, a change-of-control term */
    HAS("The alliance allows either partner to walk away on six months' notice.", "TERMINATION_TRIGGER");
    /* the length of a deal beside its type: both */
    const char *ppa = clauses_of(f->p, "Solmara signed a 20-year power purchase agreement with Freyhaven Metals.",
                                 "2025-10-28");
    assert_non_null(strstr(ppa, "TERM_EXPIRY:GRANTED"));
    assert_non_null(strstr(ppa, "CAPACITY_SUPPLY:GRANTED"));
    /* a proposal turned down; a reported commitment; an absent term; a ruling */
    CL("Skelda said it would not seek a renewal of its highlights package.", "RENEWAL_EXTENSION:REMOVED:Skelda");
    HAS("Cindral Systems said it would indemnify enterprise customers against "
        "copyright claims.", "LIABILITY_INDEMNITY:GRANTED");
    HAS("Solvik Shipping's charter contracts include no liability cap for spoiled "
        "cargo.", "LIABILITY_INDEMNITY:REMOVED");
    CL("The competition authority ruled the lock-in unlawful.", "TIE_IN_BUNDLING:REMOVED");
    HAS("Ballantree's royalties on replica shirts rise to 18% from 12% from next "
        "season.", "REVENUE_SHARE:MODIFIED");
    /* a season that spans two years ends in the second */
    HAS("The shirt sponsorship runs until the end of the 2027-28 season.", "TERM_EXPIRY:UNSPECIFIED@2028");
    assert_non_null(strstr(clauses_of(f->p, "The shirt sponsorship runs until the end of the 1999/00 season.",
                                      "1998-10-28"), "@2000"));
    /* "between 2016 and 2021": since the first, until the second */
    HAS("Six banks operated a no-poach pact between 2016 and 2021.", "NO_POACH:UNSPECIFIED@2021");
    /* parties named by their role; "the airline" after "Brisa Airlines" is Brisa Airlines */
    HAS("Kestle Media signed a deal with the league that gives the streamer a "
        "right of first refusal on highlights.", "ROFR:UNSPECIFIED:the streamer>the league");
    HAS("Astrel's contract with Brisa Airlines includes a clause that lets the "
        "airline terminate if repairs take too long.", "TERMINATION_TRIGGER:UNSPECIFIED:Brisa Airlines");
    /* the whole match is the trigger: "a [ten-year] ... agreement signed on Tuesday" */
    HAS("Norwen Mobile and Ferrisk Telecom will share masts under a ten-year "
        "network-sharing agreement signed on Tuesday.", "TERM_EXPIRY:GRANTED");
    CL("Brockley Homes said it would stop enforcing no-poach clauses in its contracts.", "NO_POACH:REMOVED:Brockley Homes");
    HAS("Franchise owners now pay the chain an 8% royalty on gross sales, up from 6%.", "REVENUE_SHARE:MODIFIED");
    HAS("A court ruled that the licence to the characters is not perpetual.", "PERPETUAL_LICENSE:REMOVED");
    /* a present-tense habit describes the contract */
    CL("Gloomfang Studios takes a commission of 30% on every in-game purchase.", "REVENUE_SHARE:UNSPECIFIED:Gloomfang Studios");
    /* "the end of the season" is no removal; "can be renewed" is a permission */
    HAS("The sponsorship runs until the end of the 2027-28 season, with an option "
        "to extend for two more years.", "RENEWAL_EXTENSION:UNSPECIFIED");
    assert_non_null(strstr(clauses_of(f->p, "The partnership runs until 2024 and can be renewed twice.", "2020-10-28"),
                           "RENEWAL_EXTENSION:UNSPECIFIED"));
    /* "has licensed X to Y": granted */
    HAS("Pinecrest Studios has licensed its back catalogue to Netflix.", "LICENSE_GRANT:GRANTED");
    /* a proposal does not reach into a relative clause */
    HAS("Stellar Sports is weighing whether to renew the cricket contract, which "
        "lapses at the end of 2026.", "TERM_EXPIRY:UNSPECIFIED");
    /* a bullet's label takes the verb after its colon; "no exit fee owed" is absent */
    HAS("- Audit rights: narrowed from quarterly to once a year.", "AUDIT_VERIFICATION:MODIFIED");
    HAS("The contract lets Ostwind walk away after two years if uptime falls, "
        "with no exit fee owed.", "TERMINATION_FEE:REMOVED");
    NOT_HAS("Governing law: the swap agreements are governed by English law.", "REMOVED");
    /* cues match as written, -ing forms included; a status word inside a
     * name ("Corbel Pay") is no cue */
    HAS("Corbel Pay halted its card business, buying a stake in Ledgerline.", "EQUITY_GOVERNANCE:GRANTED");
    FX_END;
}

static void test_clauses__challenged(void **state)
{
    FX_BEGIN;
    const char *got = clauses_of(f->p, "Regulators are examining the tie-in provisions.", "2025-10-28");
    assert_non_null(strstr(got, "TIE_IN_BUNDLING:"));
    /* the flag is in the JSON */
    const nm_result *r;
    const char *json;
    size_t len;
    const char *text = "Regulators are examining the tie-in provisions.";
    assert_int_equal(nm_pipeline_run(f->p, text, strlen(text), NULL, &r), 0);
    assert_int_equal(nm_result_json(r, &json, &len), 0);
    assert_non_null(strstr(json, "\"challenged\":true"));
    FX_END;
}

static void test_clauses__one_long_sentence(void **state)
{
    FX_BEGIN;
    /* a "sentence" of 30,000 words (broken or hostile input) is read in
     * chunks: every trigger is still found, once */
    enum { N = 15000 };
    size_t len = 16 + N * 14 + 8;
    char *text = test_malloc(len);
    size_t k = (size_t)snprintf(text, len, "The deal has ");
    for (int i = 0; i < N; i++)
        k += (size_t)snprintf(text + k, len - k, "a royalty and ");
    snprintf(text + k, len - k, "more.");
    const nm_result *r;
    assert_int_equal(nm_pipeline_run(f->p, text, strlen(text), NULL, &r), 0);
    size_t n = 0;
    for (size_t i = 0; i < nm_result_n_spans(r); i++) {
        nm_span sp;
        nm_result_span(r, i, &sp);
        n += !strcmp(sp.type, "CLAUSE:REVENUE_SHARE");
    }
    assert_int_equal(n, N);
    test_free(text);
    FX_END;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clauses__types_status_parties_until),
        cmocka_unit_test(test_clauses__status_cues),
        cmocka_unit_test(test_clauses__negation_and_modality),
        cmocka_unit_test(test_clauses__spelling_and_inflection),
        cmocka_unit_test(test_clauses__not_clauses),
        cmocka_unit_test(test_clauses__register),
        cmocka_unit_test(test_clauses__status_rules),
        cmocka_unit_test(test_clauses__challenged),
        cmocka_unit_test(test_clauses__one_long_sentence),
    };
    return cmocka_run_group_tests_name("clauses", tests, NULL, NULL);
}
