/* test_eval.c - the scorer against figures computed by hand. */
#include "helpers.h"

#define ADD(ev, g, s) assert_int_equal(nm_eval_add(ev, g, strlen(g), s, s ? strlen(s) : 0), 0)

/* The value of METRIC for TYPE in the TSV report. */
static double metric(nm_eval *ev, const char *type, const char *name)
{
    const char *rep;
    char key[128];
    assert_int_equal(nm_eval_report(ev, NM_EVAL_TSV, &rep), 0);
    snprintf(key, sizeof(key), "%s\t%s\t", type, name);
    const char *p = strstr(rep, key);
    if (!p)
        fail_msg("no %s %s in report:\n%s", type, name, rep);
    return strtod(p + strlen(key), NULL);
}

static void test_eval__exact_and_overlap(void **state)
{
    (void)state;
    nm_eval *ev;
    assert_int_equal(nm_eval_new(&ev), 0);
    /* gold: ORG 0-9, ORG 20-26, PER 30-40
     * sys:  ORG 0-9 (exact), ORG 19-26 (overlap only), PER 50-55 (wrong),
     *       LOC 60-64 (spurious type) */
    ADD(ev,
        "{\"spans\":[{\"start\":0,\"end\":9,\"type\":\"ORG\"},{\"start\":20,\"end\":26,\"type\":\"ORG\"},"
        "{\"start\":30,\"end\":40,\"type\":\"PER\"}]}",
        "{\"spans\":[{\"start\":0,\"end\":9,\"type\":\"ORG\"},{\"start\":19,\"end\":26,\"type\":\"ORG\"},"
        "{\"start\":50,\"end\":55,\"type\":\"PER\"},{\"start\":60,\"end\":64,\"type\":\"LOC\"}]}");
    /* ORG: 2 gold, 2 sys, exact 1 -> P=R=F1=0.5; overlap 2 -> 1.0 */
    assert_float_equal(metric(ev, "ORG", "exact_f1"), 0.5, 1e-4);
    assert_float_equal(metric(ev, "ORG", "overlap_f1"), 1.0, 1e-4);
    /* PER: nothing right */
    assert_float_equal(metric(ev, "PER", "overlap_r"), 0.0, 1e-4);
    /* LOC: 0 gold, 1 sys -> P=0 */
    assert_float_equal(metric(ev, "LOC", "system"), 1, 1e-9);
    assert_float_equal(metric(ev, "LOC", "exact_p"), 0.0, 1e-9);
    /* ALL: gold 3, sys 4, exact 1: P=.25 R=.3333 F1=2*.25*.3333/.5833=.2857 */
    assert_float_equal(metric(ev, "ALL", "exact_p"), 0.25, 1e-4);
    assert_float_equal(metric(ev, "ALL", "exact_r"), 0.3333, 1e-4);
    assert_float_equal(metric(ev, "ALL", "exact_f1"), 0.2857, 1e-4);
    nm_eval_free(ev);
}

static void test_eval__one_to_one_alignment(void **state)
{
    (void)state;
    nm_eval *ev;
    assert_int_equal(nm_eval_new(&ev), 0);
    /* two system spans overlap one gold span: only one may match */
    ADD(ev, "{\"spans\":[{\"start\":0,\"end\":20,\"type\":\"ORG\"}]}",
        "{\"spans\":[{\"start\":0,\"end\":5,\"type\":\"ORG\"},{\"start\":6,\"end\":20,\"type\":\"ORG\"}]}");
    assert_float_equal(metric(ev, "ORG", "overlap_p"), 0.5, 1e-4);
    assert_float_equal(metric(ev, "ORG", "overlap_r"), 1.0, 1e-4);
    nm_eval_free(ev);
}

static void test_eval__tempeval3_attributes(void **state)
{
    (void)state;
    nm_eval *ev;
    assert_int_equal(nm_eval_new(&ev), 0);
    /* gold: DATE 2030 [0,4), DURATION P5Y [10,20), DATE 2025-06 [30,37), TIME [50,55)
     * sys:  DATE 2030 [0,4)     exact, type ok, value ok
     *       DATE P5Y [10,15)    relaxed, wrong type, value ok
     *       DATE 2024-06 [30,37) exact, type ok, value wrong
     *       SET P1W [70,75)     spurious                                  */
    ADD(ev,
        "{\"spans\":[{\"start\":0,\"end\":4,\"type\":\"DATE\",\"value\":\"2030\"},"
        "{\"start\":10,\"end\":20,\"type\":\"DURATION\",\"value\":\"P5Y\"},"
        "{\"start\":30,\"end\":37,\"type\":\"DATE\",\"value\":\"2025-06\"},"
        "{\"start\":50,\"end\":55,\"type\":\"TIME\",\"value\":\"T10:30\"}]}",
        "{\"spans\":[{\"start\":0,\"end\":4,\"type\":\"DATE\",\"value\":\"2030\"},"
        "{\"start\":10,\"end\":15,\"type\":\"DATE\",\"value\":\"P5Y\"},"
        "{\"start\":30,\"end\":37,\"type\":\"DATE\",\"value\":\"2024-06\"},"
        "{\"start\":70,\"end\":75,\"type\":\"SET\",\"value\":\"P1W\"}]}");
    /* TIMEX3: gold 4, sys 4; strict 2 -> P=R=F1=.5; relaxed 3 -> .75;
     * type accuracy 2/3; value accuracy 2/3; value F1 = 2/3 * .75 = .5 */
    assert_float_equal(metric(ev, "TIMEX3", "exact_f1"), 0.5, 1e-4);
    assert_float_equal(metric(ev, "TIMEX3", "overlap_f1"), 0.75, 1e-4);
    assert_float_equal(metric(ev, "TIMEX3", "type_accuracy"), 0.6667, 1e-4);
    assert_float_equal(metric(ev, "TIMEX3", "value_accuracy"), 0.6667, 1e-4);
    assert_float_equal(metric(ev, "TIMEX3", "value_f1"), 0.5, 1e-4);
    /* DATE alone: gold 2, sys 3, exact 2 -> P=.6667 R=1; value acc of its
     * aligned pairs: the two exact ones, 1 right -> .5 */
    assert_float_equal(metric(ev, "DATE", "exact_p"), 0.6667, 1e-4);
    assert_float_equal(metric(ev, "DATE", "exact_r"), 1.0, 1e-4);
    assert_float_equal(metric(ev, "DATE", "value_accuracy"), 0.5, 1e-4);
    const char *js;
    assert_int_equal(nm_eval_report(ev, NM_EVAL_JSON, &js), 0);
    assert_non_null(strstr(js, "\"timex3\":{\"gold\":4,\"system\":4"));
    nm_eval_free(ev);
}

static void test_eval__types_filter_missing_system_and_errors(void **state)
{
    (void)state;
    nm_eval *ev;
    assert_int_equal(nm_eval_new(&ev), 0);
    assert_int_equal(nm_eval_set_types(ev, "CLAUSE:*,ORG"), 0);
    const char *g = "{\"spans\":[{\"start\":0,\"end\":4,\"type\":\"CLAUSE:ROFR\"},{\"start\":5,\"end\":9,"
                    "\"type\":\"ORG\"},{\"start\":10,\"end\":14,\"type\":\"PER\"}]}";
    assert_int_equal(nm_eval_add(ev, g, strlen(g), NULL, 0), 0);
    assert_float_equal(metric(ev, "CLAUSE:ROFR", "gold"), 1, 1e-9);
    assert_float_equal(metric(ev, "ALL", "gold"), 2, 1e-9);
    const char *rep;
    assert_int_equal(nm_eval_report(ev, NM_EVAL_TSV, &rep), 0);
    assert_null(strstr(rep, "PER\t"));
    assert_int_equal(nm_eval_add(ev, "{\"spans\":5}", 11, NULL, 0), NM_EPARSE);
    assert_non_null(strstr(nm_eval_errmsg(ev), "must be an array"));
    const char *bad = "{\"spans\":[{\"start\":3,\"end\":1,\"type\":\"X\"}]}";
    assert_int_equal(nm_eval_add(ev, bad, strlen(bad), NULL, 0), NM_EPARSE);
    assert_int_equal(nm_eval_add(ev, "{nope", 5, NULL, 0), NM_EPARSE);
    assert_int_equal(nm_eval_report(ev, NM_EVAL_TABLE, &rep), 0);
    assert_non_null(strstr(rep, "1 documents"));
    nm_eval_free(ev);
}

static void test_eval__gold_type_map(void **state)
{
    (void)state;
    nm_eval *ev;
    assert_int_equal(nm_eval_new(&ev), 0);
    assert_int_equal(nm_eval_map_type(ev, "Rofr/Rofo/Rofn", "CLAUSE:ROFR"), 0);
    assert_int_equal(nm_eval_map_type(ev, "Warranty Duration", NULL), 0);
    const char *g = "{\"spans\":[{\"start\":0,\"end\":5,\"type\":\"Rofr/Rofo/Rofn\"},"
                    "{\"start\":6,\"end\":9,\"type\":\"Warranty Duration\"}]}";
    const char *sy = "{\"spans\":[{\"start\":0,\"end\":5,\"type\":\"CLAUSE:ROFR\"}]}";
    assert_int_equal(nm_eval_add(ev, g, strlen(g), sy, strlen(sy)), 0);
    assert_float_equal(metric(ev, "CLAUSE:ROFR", "exact_f1"), 1.0, 1e-9);
    assert_float_equal(metric(ev, "ALL", "gold"), 1, 1e-9); /* the unmapped one is out */
    nm_eval_free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval__exact_and_overlap),
        cmocka_unit_test(test_eval__one_to_one_alignment),
        cmocka_unit_test(test_eval__tempeval3_attributes),
        cmocka_unit_test(test_eval__types_filter_missing_system_and_errors),
        cmocka_unit_test(test_eval__gold_type_map),
    };
    return cmocka_run_group_tests_name("eval", tests, NULL, NULL);
}
