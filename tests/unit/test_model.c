/* test_model.c - loading models/: errors name FILE:LINE; failed
 * allocations are reported, never crash, never leak. */
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

/* Write a models folder in a temp dir: the real files, with FILE replaced
 * by CONTENT.  @return the folder (static buffer). */
static const char *model_with(const char *file, const char *content)
{
    static char dir[256];
    char cmd[1024];
    snprintf(dir, sizeof(dir), "/tmp/nm-test-model-%d", (int)getpid());
    snprintf(cmd, sizeof(cmd), "rm -rf %s && cp -R %s %s", dir, models_dir(), dir);
    assert_int_equal(system(cmd), 0);
    if (file) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(content, fp);
        fclose(fp);
    }
    return dir;
}

static void expect_error(const char *file, const char *content, const char *want)
{
    nm_model *m = NULL;
    nm_model_opts o = {&test_alloc, 0};
    const char *dir = model_with(file, content);
    assert_true(nm_model_load(&m, dir, &o) < 0);
    assert_non_null(m);
    if (!strstr(nm_model_errmsg(m), want))
        fail_msg("error \"%s\" does not contain \"%s\"", nm_model_errmsg(m), want);
    nm_model_free(m);
}

static void test_model__loads(void **state)
{
    (void)state;
    nm_model *m = load_model();
    assert_string_equal(nm_model_errmsg(m), "");
    nm_model_free(m);
    nm_model_free(NULL);
}

static void test_model__bad_lines_name_file_and_line(void **state)
{
    (void)state;
    expect_error("text/abbreviations.tsv", "#newsmine abbreviations v1\nMr\ttitle\nInc\tsometimes\n",
                 "text/abbreviations.tsv:3: class must be");
    expect_error("text/abbreviations.tsv", "#newsmine abbreviations v1\nInc.\tgeneral\n",
                 "abbreviations.tsv:2: write the abbreviation without its final dot");
    expect_error("text/fold.tsv", "#newsmine fold v1\nU+ZZZZ\t'\n", "fold.tsv:2: expected a code point");
    expect_error("text/fold.tsv", "#newsmine fold v1\nU+2019\n", "fold.tsv:2: expected 2 TAB-separated fields");
    expect_error("text/bullets.tsv", "#newsmine wordlist v1\nU+2022\n", "bullets.tsv:1: expected version line");
    expect_error("text/bullets.tsv", "", "bullets.tsv: empty file");
    expect_error("text/glued-keep.tsv", "#newsmine glued-keep v1\nmp3\n\xFF\n", "glued-keep.tsv:3: invalid UTF-8");
    /* the gazetteer's index and its lists */
    expect_error("entities/lists.def", "#newsmine entity-lists v1\ncompanies.tsv\tFIRM\tcompany\ttitle\tspan\n",
                 "lists.def:2: TYPE must be PER, ORG, LOC, MISC or CUR");
    expect_error("entities/lists.def", "#newsmine entity-lists v1\ncompanies.tsv\tORG\tcompany\tupper\tspan\n",
                 "lists.def:2: CASE must be cased, title or fold");
    expect_error("entities/lists.def",
                 "#newsmine entity-lists v1\ncompanies.tsv\tORG\tcompany\ttitle\tspan\n"
                 "companies.tsv\tORG\tcompany\ttitle\tspan\n",
                 "lists.def:3: \"companies.tsv\" is listed twice");
    expect_error("entities/companies.tsv", "#newsmine entity-list v1\nAcme Corp\tAcme\n",
                 "companies.tsv:2: an id is lower-case ASCII");
    expect_error("MANIFEST.tsv", "#newsmine manifest v1\ntext/x.tsv\tnonsense\n", "MANIFEST.tsv:2: unknown model kind");
    expect_error("MANIFEST.tsv", "#newsmine manifest v1\ntext/fold.tsv\tfold\n", "no file of kind");
    expect_error("MANIFEST.tsv", "#newsmine manifest v1\ntext/missing.tsv\tfold\n", "missing.tsv: No such file");
    /* temporal rules: a bad function, macro, REACH, trigger, pattern, type */
    const char *hdr = "#newsmine temporal-rules v1\n";
    char rule[512];
    snprintf(rule, sizeof(rule), "%sr1\tDATE\t${nope:m}\t-\tmonth\t0\t\\b(?<m>{month})\n", hdr);
    expect_error("temporal/rules.tsv", rule, "rules.tsv:2: unknown function \"nope\"");
    snprintf(rule, sizeof(rule), "%sr1\tDATE\t${month:m}\t-\tmonth\t0\t\\b(?<m>{nosuch})\n", hdr);
    expect_error("temporal/rules.tsv", rule, "rules.tsv:2: no table for the macro");
    snprintf(rule, sizeof(rule), "%sr1\tDATE\t${month:m}\t-\tmonth\tx\t\\b(?<m>{month})\n", hdr);
    expect_error("temporal/rules.tsv", rule, "rules.tsv:2: REACH must be a number");
    snprintf(rule, sizeof(rule), "%sr1\tDATE\t${month:m}\t-\tMonth\t0\t\\b(?<m>{month})\n", hdr);
    expect_error("temporal/rules.tsv", rule, "rules.tsv:2: trigger \"Month\" must be lower case");
    snprintf(rule, sizeof(rule), "%sr1\tDATE\t${month:m}\t-\tmonth\t0\t(?<m>{month}\n", hdr);
    expect_error("temporal/rules.tsv", rule, "rules.tsv:2: bad pattern at offset");
    snprintf(rule, sizeof(rule), "%sr1\tWHEN\t${month:m}\t-\tmonth\t0\t\\b(?<m>{month})\n", hdr);
    expect_error("temporal/rules.tsv", rule, "rules.tsv:2: type must be DATE, TIME, DURATION or SET");
    snprintf(rule, sizeof(rule), "%sr1\tDATE\t${month:m,d,e,f}\t-\tmonth\t0\t\\b(?<m>{month})\n", hdr);
    expect_error("temporal/rules.tsv", rule, "rules.tsv:2:");
    snprintf(rule, sizeof(rule), "%sr1\tDATE\t${month:m}\t-\tmonth&this&next\t0\t\\b(?<m>{month})\n", hdr);
    expect_error("temporal/rules.tsv", rule, "rules.tsv:2: more than one '&'");
    snprintf(rule, sizeof(rule), "%sr1\tDATE\t${month:m}\t-\t&this\t0\t\\b(?<m>{month})\n", hdr);
    expect_error("temporal/rules.tsv", rule, "rules.tsv:2: bad trigger list");
    snprintf(rule, sizeof(rule), "%sr1\tDATE\t${month:m}\t-\tmonth&=\t0\t\\b(?<m>{month})\n", hdr);
    expect_error("temporal/rules.tsv", rule, "rules.tsv:2: empty trigger word after '='");
    snprintf(rule, sizeof(rule), "%sr1\tDATE\t${month:m}\t-\tmonth&\t0\t\\b(?<m>{month})\n", hdr);
    expect_error("temporal/rules.tsv", rule, "rules.tsv:2: bad trigger list");
    expect_error("temporal/month.tsv", "#newsmine table v1\nJanuary\t01\n", "month.tsv:2: keys are lower case");
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", model_with(NULL, NULL));
    assert_int_equal(system(cmd), 0);
}

static void test_model__missing_folder(void **state)
{
    (void)state;
    nm_model *m = NULL;
    assert_int_equal(nm_model_load(&m, "/nonexistent/models", NULL), NM_EIO);
    assert_non_null(strstr(nm_model_errmsg(m), "/nonexistent/models/MANIFEST.tsv"));
    nm_model_free(m);
    assert_int_equal(nm_model_load(&m, NULL, NULL), NM_EINVAL);
}

/* An allocator that fails after N successful allocations. */
typedef struct failing {
    int left;
} failing;

static void *f_malloc(size_t n, void *payload)
{
    failing *fl = payload;
    if (fl->left-- <= 0)
        return NULL;
    return t_malloc(n, NULL);
}
static void *f_realloc(void *p, size_t n, void *payload)
{
    failing *fl = payload;
    if (fl->left-- <= 0)
        return NULL;
    return t_realloc(p, n, NULL);
}
static void f_free(void *p, void *payload) { (void)payload; t_free(p, NULL); }

static void test_model__every_allocation_failure_is_clean(void **state)
{
    (void)state;
    /* fail the 1st, 2nd, ... allocation of load + pipeline + run until
     * everything succeeds: each must report an error and leak nothing */
    int succeeded = 0;
    for (int n = 0; n < 5000 && !succeeded; n++) {
        failing fl = {n};
        nm_allocator a = {f_malloc, f_realloc, f_free, &fl};
        nm_model_opts o = {&a, 0};
        nm_model *m = NULL;
        nm_pipeline *p = NULL;
        int rc = nm_model_load(&m, models_dir(), &o);
        if (rc == 0)
            rc = nm_pipeline_new(&p, m, NULL);
        if (rc == 0) {
            const nm_result *r;
            const char *text = "Microsoft\xE2\x80\x99s deal runs until 2030. \xEF\xAC\x81nance rose.";
            rc = nm_pipeline_run(p, text, strlen(text), NULL, &r);
            if (rc == 0)
                succeeded = 1;
        }
        if (!succeeded)
            if (rc != NM_ENOMEM && rc != NM_ELIMIT)
                fail_msg("allocation %d failing gave %d: %s", n, rc, m ? nm_model_errmsg(m) : "");
        nm_pipeline_free(p);
        nm_model_free(m);
    }
    assert_true(succeeded);
}

/* What was loaded is identified by digests: the same folder twice gives the
 * same ones; a kind gets its file's; an unknown kind none. */
static void test_model__digests(void **state)
{
    (void)state;
    nm_model *a = load_model(), *b = load_model();
    const char *all = nm_model_digest(a, NULL), *tax = nm_model_digest(a, "clause-triggers");
    assert_non_null(all);
    assert_non_null(tax);
    assert_int_equal(strlen(all), 64);
    assert_int_equal(strspn(all, "0123456789abcdef"), 64);
    assert_string_equal(all, nm_model_digest(b, NULL));
    assert_string_not_equal(all, tax);
    assert_null(nm_model_digest(a, "no-such-kind"));
    assert_null(nm_model_digest(NULL, NULL));
    nm_model_free(a);
    nm_model_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model__digests),
        cmocka_unit_test(test_model__loads),
        cmocka_unit_test(test_model__bad_lines_name_file_and_line),
        cmocka_unit_test(test_model__missing_folder),
        cmocka_unit_test(test_model__every_allocation_failure_is_clean),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
