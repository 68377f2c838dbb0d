/* test_source.c - the reader (files, directories, gzip, caps) and the
 * record parser (every rejection path). */
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../../pipeline/read/source.h"
#include "helpers.h"

static char tmpdir[256];

static int make_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/nm-test-source-%d", (int)getpid());
    mkdir(tmpdir, 0700);
    return 0;
}

static int rm_tmp(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *content, size_t len)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdir(path, 0700);
    *slash = '/';
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    fclose(f);
    return path;
}

/* Read everything from PATH: "ok:LINE:raw" or "err:message" per record. */
static const char *read_all(const char *path, size_t max)
{
    static char out[1 << 18];
    size_t n = 0;
    nm_reader *rd;
    nm_reader_opts o = {max, &test_alloc};
    const nm_record *rec;
    int rc;
    out[0] = '\0';
    assert_int_equal(nm_reader_new(&rd, &o), 0);
    assert_int_equal(nm_reader_add(rd, path), 0);
    while ((rc = nm_reader_next(rd, &rec)) != NM_EOF) {
        size_t len;
        const char *raw = nm_record_raw(rec, &len);
        if (n >= sizeof(out) - 1)
            continue;
        int k;
        if (rc < 0)
            k = snprintf(out + n, sizeof(out) - n, "[err:%s]", nm_reader_errmsg(rd));
        else
            k = snprintf(out + n, sizeof(out) - n, "[%ld:%.*s]", nm_record_line(rec), (int)len, raw);
        n += (size_t)k;
        if (n > sizeof(out) - 1)
            n = sizeof(out) - 1;
    }
    nm_reader_free(rd);
    return out;
}

static void test_source__jsonl_lines_blank_and_crlf(void **state)
{
    (void)state;
    const char data[] = "{\"text\":\"a\"}\r\n\n   \n{\"text\":\"b\"}\n{\"text\":\"c\"}";
    const char *p = write_file("a.jsonl", data, sizeof(data) - 1);
    assert_string_equal(read_all(p, 0), "[1:{\"text\":\"a\"}][4:{\"text\":\"b\"}][5:{\"text\":\"c\"}]");
}

static void test_source__line_over_cap_is_skipped_and_named(void **state)
{
    (void)state;
    char data[400];
    memset(data, 'x', sizeof(data));
    memcpy(data, "{\"text\":\"ok\"}\n", 14);
    data[300] = '\n';
    memcpy(data + 301, "{\"text\":\"y\"}\n", 13);
    const char *p = write_file("cap.jsonl", data, 314);
    const char *got = read_all(p, 100);
    assert_non_null(strstr(got, "[1:{\"text\":\"ok\"}]"));
    assert_non_null(strstr(got, "cap.jsonl:2: record longer than 100 bytes"));
    assert_non_null(strstr(got, "[3:{\"text\":\"y\"}]"));
}

static void test_source__txt_whole_file_and_cap(void **state)
{
    (void)state;
    const char *p = write_file("art.txt", "Line one.\nLine two.\n", 20);
    assert_string_equal(read_all(p, 0), "[1:Line one.\nLine two.\n]");
    p = write_file("big.txt", "0123456789abcdef", 16);
    assert_non_null(strstr(read_all(p, 10), "big.txt: file larger than 10 bytes"));
}

static void test_source__gzip_and_truncated_gzip(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/z.jsonl.gz", tmpdir);
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    for (int i = 0; i < 2000; i++)
        gzprintf(gz, "{\"id\":\"r%d\",\"text\":\"some text %d\"}\n", i, i);
    gzclose(gz);
    const char *got = read_all(path, 0);
    assert_non_null(strstr(got, "[1:{\"id\":\"r0\""));
    assert_non_null(strstr(got, "[2000:{\"id\":\"r1999\""));
    /* cut the file: the reader says so instead of ending quietly */
    struct stat sb;
    stat(path, &sb);
    assert_int_equal(truncate(path, sb.st_size / 2), 0);
    got = read_all(path, 0);
    assert_non_null(strstr(got, "z.jsonl.gz"));
    assert_non_null(strstr(got, "[err:"));
}

static void test_source__directory_sorted_walk(void **state)
{
    (void)state;
    write_file("d/b.txt", "B", 1);
    write_file("d/a.jsonl", "{\"text\":\"A\"}\n", 13);
    write_file("d/sub/c.txt", "C", 1);
    write_file("d/.hidden.txt", "H", 1);
    write_file("d/notes.md", "M", 1);
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/d", tmpdir);
    assert_string_equal(read_all(dir, 0), "[1:{\"text\":\"A\"}][1:B][1:C]");
}

static void test_source__missing_and_unsupported_inputs(void **state)
{
    (void)state;
    nm_reader *rd;
    assert_int_equal(nm_reader_new(&rd, NULL), 0);
    assert_int_equal(nm_reader_add(rd, "/nonexistent/x.jsonl"), NM_EIO);
    assert_non_null(strstr(nm_reader_errmsg(rd), "/nonexistent/x.jsonl: No such file"));
    const char *p = write_file("page.html", "<p>x</p>", 8);
    assert_int_equal(nm_reader_add(rd, p), NM_EINVAL);
    assert_non_null(strstr(nm_reader_errmsg(rd), "unsupported input type"));
    nm_reader_free(rd);
}

/* Parse one JSONL line; @return the error message, or "ok id=... dct=...". */
static const char *parse(const char *line, unsigned flags)
{
    static char out[1024];
    nm_record rec = {.file = "t.jsonl", .line = 7, .raw = line, .raw_len = strlen(line), .kind = NM_REC_JSONL};
    nm__parsed p;
    nm_err err = {0};
    nm__parsed_init(&p, 1000, &test_alloc);
    int rc = nm__record_parse(&rec, &p, flags, &err);
    if (rc < 0)
        snprintf(out, sizeof(out), "%s", err.msg);
    else
        snprintf(out, sizeof(out), "ok id=%s dct=%s source=%s text=%.*s extra=%.*s", nm__parsed_id(&p),
                 p.dct ? p.dct : "-", nm__parsed_source(&p) ? nm__parsed_source(&p) : "-",
                 (int)p.text_len, p.text, (int)p.extra_len, p.extra ? p.extra : "");
    nm__parsed_free(&p);
    return out;
}

static void test_source__parse_fields(void **state)
{
    (void)state;
    assert_string_equal(parse("{\"id\":\"x\",\"dct\":\"2025-01-21\",\"source\":\"s\",\"text\":\"T\\u00e9\\n\"}", 0),
                        "ok id=x dct=2025-01-21 source=s text=T\xC3\xA9\n extra=");
    assert_string_equal(parse("{\"text\":\"a\"}", 0), "ok id=t.jsonl:7 dct=- source=- text=a extra=");
    assert_string_equal(parse("{\"id\":42,\"text\":\"a\",\"dct\":null}", 0),
                        "ok id=42 dct=- source=- text=a extra=");
    assert_string_equal(parse("{\"text\":\"a\",\"dct\":\"2025-01-21T10:00:00Z\"}", 0),
                        "ok id=t.jsonl:7 dct=2025-01-21 source=- text=a extra=");
    assert_string_equal(parse("{\"text\":\"a\",\"lang\":\"en\",\"tags\":[1,{\"k\":true}],\"spans\":[]}",
                              NM_PIPE_PASSTHROUGH),
                        "ok id=t.jsonl:7 dct=- source=- text=a extra={\"lang\":\"en\",\"tags\":[1,{\"k\":true}]}");
}

static void test_source__parse_rejections(void **state)
{
    (void)state;
    assert_string_equal(parse("{\"id\":\"a\"}", 0), "missing \"text\"");
    assert_string_equal(parse("{\"text\":5}", 0), "\"text\" must be a string");
    assert_string_equal(parse("{\"text\":[\"a\"]}", 0), "\"text\" must be a string");
    assert_string_equal(parse("[1,2]", 0), "a record must be a JSON object");
    assert_string_equal(parse("\"text\"", 0), "a record must be a JSON object");
    assert_string_equal(parse("{\"text\":\"a\",\"id\":1.5}", 0), "\"id\" must be a string or an integer");
    assert_string_equal(parse("{\"text\":\"a\",\"dct\":\"Jan 5\"}", 0), "\"dct\" must be a YYYY-MM-DD date");
    assert_string_equal(parse("{\"text\":\"a\",\"dct\":\"2025-02-30\"}", 0),
                        "\"dct\" \"2025-02-30\" is not a valid date");
    assert_non_null(strstr(parse("{\"text\":\"a\"", 0), "invalid JSON"));
    assert_non_null(strstr(parse("{bad}", 0), "invalid JSON at byte"));
    assert_string_equal(parse("{\"text\":\"caf\xC3\"}", 0), "invalid UTF-8 at byte 13 of the line");
    /* text over the cap (1000 bytes in parse()) */
    char big[1200];
    memset(big, 'a', sizeof(big));
    memcpy(big, "{\"text\":\"", 9);
    memcpy(big + 1150, "\"}", 3);
    assert_non_null(strstr(parse(big, 0), "over the record cap"));
    char deep[300] = "{\"x\":";
    for (int i = 0; i < 100; i++)
        strcat(deep, "[");
    assert_non_null(strstr(parse(deep, NM_PIPE_PASSTHROUGH), "nested more than 64"));
}

static void test_source__text_file_is_relative_to_the_gold_file(void **state)
{
    (void)state;
    char gold[512];
    snprintf(gold, sizeof(gold), "%s", write_file("g/gold.jsonl", "{}\n", 3));
    write_file("g/texts/one.txt", "Seed text.", 10);
    nm_record rec = {.file = gold, .line = 1, .raw = "{\"id\":\"s\",\"text_file\":\"texts/one.txt\"}", .kind = NM_REC_JSONL};
    rec.raw_len = strlen(rec.raw);
    nm__parsed p;
    nm_err err = {0};
    nm__parsed_init(&p, 1000, &test_alloc);
    assert_int_equal(nm__record_parse(&rec, &p, 0, &err), 0);
    assert_int_equal(p.text_len, 10);
    assert_memory_equal(p.text, "Seed text.", 10);
    rec.raw = "{\"text_file\":\"texts/none.txt\"}";
    rec.raw_len = strlen(rec.raw);
    assert_true(nm__record_parse(&rec, &p, 0, &err) < 0);
    assert_non_null(strstr(err.msg, "none.txt"));
    nm__parsed_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source__jsonl_lines_blank_and_crlf),
        cmocka_unit_test(test_source__line_over_cap_is_skipped_and_named),
        cmocka_unit_test(test_source__txt_whole_file_and_cap),
        cmocka_unit_test(test_source__gzip_and_truncated_gzip),
        cmocka_unit_test(test_source__directory_sorted_walk),
        cmocka_unit_test(test_source__missing_and_unsupported_inputs),
        cmocka_unit_test(test_source__parse_fields),
        cmocka_unit_test(test_source__parse_rejections),
        cmocka_unit_test(test_source__text_file_is_relative_to_the_gold_file),
    };
    return cmocka_run_group_tests_name("source", tests, make_tmp, rm_tmp);
}
