/*
 * cmd_eval.c - newsmine eval: score records against gold.
 *
 * Without --system, the gold texts go through the pipeline (in parallel, in
 * order) and each result is scored against its gold record.  With --system,
 * the system file's records are matched to gold by "id"; a gold document
 * with no system record counts as one where nothing was found.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct eval_ctx {
    nm_eval *ev;
    int failed;
} eval_ctx;

static int on_emit(const nm_record *rec, const char *json, size_t len, void *payload)
{
    eval_ctx *c = payload;
    size_t glen;
    const char *gold = nm_record_raw(rec, &glen);
    if (nm_eval_add(c->ev, gold, glen, json, len) < 0) {
        cli_error("%s:%ld: %s", nm_record_file(rec), nm_record_line(rec), nm_eval_errmsg(c->ev));
        c->failed++;
    }
    return 0;
}

static int on_reject(const nm_record *rec, const char *msg, void *payload)
{
    eval_ctx *c = payload;
    (void)rec;
    cli_error("%s", msg);
    c->failed++;
    return 0;
}

/* id -> system line, from a JSONL file. */
static json_t *load_system(const char *path)
{
    nm_reader *rd = NULL;
    json_t *map = json_object();
    const nm_record *rec;
    int rc;
    if (!map || nm_reader_new(&rd, NULL) < 0 || nm_reader_add(rd, path) < 0) {
        cli_error("%s", rd ? nm_reader_errmsg(rd) : "out of memory");
        goto fail;
    }
    while ((rc = nm_reader_next(rd, &rec)) != NM_EOF) {
        if (rc < 0) {
            cli_error("%s", nm_reader_errmsg(rd));
            goto fail;
        }
        size_t n;
        const char *raw = nm_record_raw(rec, &n);
        json_error_t jerr;
        json_t *o = json_loadb(raw, n, JSON_ALLOW_NUL, &jerr);
        json_t *id = o ? json_object_get(o, "id") : NULL;
        if (!id || !json_is_string(id)) {
            cli_error("%s:%ld: %s", nm_record_file(rec), nm_record_line(rec),
                      o ? "record without a string \"id\"" : jerr.text);
            json_decref(o);
            goto fail;
        }
        json_object_set_new(map, json_string_value(id), json_stringn(raw, n));
        json_decref(o);
    }
    nm_reader_free(rd);
    return map;
fail:
    nm_reader_free(rd);
    json_decref(map);
    return NULL;
}

static int eval_system(eval_ctx *c, const char *gold_path, json_t *sys)
{
    nm_reader *rd = NULL;
    const nm_record *rec;
    int rc;
    if (nm_reader_new(&rd, NULL) < 0 || nm_reader_add(rd, gold_path) < 0) {
        cli_error("%s", rd ? nm_reader_errmsg(rd) : "out of memory");
        nm_reader_free(rd);
        return -1;
    }
    while ((rc = nm_reader_next(rd, &rec)) != NM_EOF) {
        if (rc < 0) {
            cli_error("%s", nm_reader_errmsg(rd));
            c->failed++;
            continue;
        }
        size_t n;
        const char *raw = nm_record_raw(rec, &n);
        json_error_t jerr;
        json_t *o = json_loadb(raw, n, JSON_ALLOW_NUL, &jerr);
        json_t *id = o ? json_object_get(o, "id") : NULL;
        if (!id || !json_is_string(id)) {
            cli_error("%s:%ld: %s", nm_record_file(rec), nm_record_line(rec),
                      o ? "gold record without a string \"id\"" : jerr.text);
            c->failed++;
            json_decref(o);
            continue;
        }
        json_t *line = json_object_get(sys, json_string_value(id));
        if (nm_eval_add(c->ev, raw, n, line ? json_string_value(line) : NULL,
                        line ? json_string_length(line) : 0) < 0) {
            cli_error("%s:%ld: %s", nm_record_file(rec), nm_record_line(rec), nm_eval_errmsg(c->ev));
            c->failed++;
        }
        json_decref(o);
    }
    nm_reader_free(rd);
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"gold", required_argument, NULL, 'g'},
        {"system", required_argument, NULL, 's'},
        {"types", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'J'},
        {"tsv", no_argument, NULL, 'T'},
        {"html", required_argument, NULL, 'H'},
        {"jobs", required_argument, NULL, 'j'},
        {"models", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *gold = NULL, *system = NULL, *types = NULL, *models = NULL;
    int format = NM_EVAL_TABLE, ch, status = EXIT_ALL_GOOD;
    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    int n_threads = nproc > 0 ? (int)nproc : 1;
    eval_ctx c = {0};
    nm_model *m = NULL;
    nm_reader *rd = NULL;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "j:", opts, NULL)) != -1) {
        switch (ch) {
        case 'g': gold = optarg; break;
        case 's': system = optarg; break;
        case 't': types = optarg; break;
        case 'J': format = NM_EVAL_JSON; break;
        case 'T': format = NM_EVAL_TSV; break;
        case 'H':
            cli_error("--html: the visual report is not available in this version yet");
            return EXIT_FATAL;
        case 'j': {
            char *end;
            long j = strtol(optarg, &end, 10);
            if (*end || j < 1 || j > 256) {
                cli_error("-j: expected a number of threads from 1 to 256, not \"%s\"", optarg);
                return EXIT_FATAL;
            }
            n_threads = (int)j;
            break;
        }
        case 'm': models = optarg; break;
        case 'h':
            fputs("usage: newsmine eval --gold FILE.jsonl [--system OUT.jsonl] [--types T,...]\n"
                  "                     [--json|--tsv] [-j N] [--models DIR]\n",
                  stdout);
            return EXIT_ALL_GOOD;
        default:
            return EXIT_FATAL;
        }
    }
    if (!gold) {
        cli_error("eval: --gold FILE is required");
        return EXIT_FATAL;
    }
    if (optind != argc) {
        cli_error("eval: unexpected argument \"%s\"", argv[optind]);
        return EXIT_FATAL;
    }
    if (nm_eval_new(&c.ev) < 0 || nm_eval_set_types(c.ev, types) < 0) {
        cli_error("out of memory");
        status = EXIT_FATAL;
        goto done;
    }
    if (system) {
        json_t *sys = load_system(system);
        if (!sys) {
            status = EXIT_FATAL;
            goto done;
        }
        int rc = eval_system(&c, gold, sys);
        json_decref(sys);
        if (rc < 0) {
            status = EXIT_FATAL;
            goto done;
        }
    } else {
        if (!(m = cli_load_model(models))) {
            status = EXIT_FATAL;
            goto done;
        }
        if (nm_reader_new(&rd, NULL) < 0 || nm_reader_add(rd, gold) < 0) {
            cli_error("%s", rd ? nm_reader_errmsg(rd) : "out of memory");
            status = EXIT_FATAL;
            goto done;
        }
        nm_batch_opts bo = {0};
        char err[512];
        bo.n_threads = n_threads;
        bo.on_emit = on_emit;
        bo.on_reject = on_reject;
        bo.payload = &c;
        int rc = nm_batch_run(m, rd, &bo, NULL, err, sizeof(err));
        if (rc < 0) {
            cli_error("%s", err);
            status = EXIT_FATAL;
            goto done;
        }
    }
    const char *report;
    if (nm_eval_report(c.ev, format, &report) < 0) {
        cli_error("%s", nm_eval_errmsg(c.ev));
        status = EXIT_FATAL;
        goto done;
    }
    fputs(report, stdout);
    if (fflush(stdout) != 0) {
        cli_error("write error: %s", strerror(errno));
        status = EXIT_FATAL;
    } else if (c.failed) {
        cli_error("%d gold records could not be scored", c.failed);
        status = EXIT_REJECTS;
    }
done:
    nm_reader_free(rd);
    nm_model_free(m);
    nm_eval_free(c.ev);
    return status;
}
