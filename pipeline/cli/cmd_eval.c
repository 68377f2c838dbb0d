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
#include <yajl/yajl_tree.h>
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

/* The "id" of a JSON record, copied; NULL (with *why set) if it has none. */
static char *record_id(const char *raw, size_t n, const char **why)
{
    static const char *const path[] = {"id", NULL};
    char errbuf[128];
    char *copy = malloc(n + 1), *id = NULL;
    if (!copy) {
        *why = "out of memory";
        return NULL;
    }
    memcpy(copy, raw, n);
    copy[n] = '\0';
    yajl_val root = yajl_tree_parse(copy, errbuf, sizeof(errbuf));
    yajl_val v = root ? yajl_tree_get(root, (const char **)path, yajl_t_string) : NULL;
    *why = root ? "record without a string \"id\"" : "invalid JSON";
    const char *sv = v ? YAJL_GET_STRING(v) : NULL;
    if (sv)
        id = strdup(sv);
    yajl_tree_free(root);
    free(copy);
    return id;
}

/* System records by id: a sorted array searched with bsearch. */
typedef struct sys_rec {
    char *id;
    char *line;
    size_t len;
} sys_rec;

typedef struct sys_map {
    sys_rec *recs;
    size_t n, cap;
} sys_map;

static int cmp_sys(const void *a, const void *b)
{
    return strcmp(((const sys_rec *)a)->id, ((const sys_rec *)b)->id);
}

static void free_system(sys_map *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->recs[i].id);
        free(m->recs[i].line);
    }
    free(m->recs);
}

static int load_system(const char *path, sys_map *map)
{
    nm_reader *rd = NULL;
    const nm_record *rec;
    int rc, status = 0;
    if (nm_reader_new(&rd, NULL) < 0 || nm_reader_add(rd, path) < 0) {
        cli_error("%s", rd ? nm_reader_errmsg(rd) : "out of memory");
        nm_reader_free(rd);
        return -1;
    }
    while ((rc = nm_reader_next(rd, &rec)) != NM_EOF) {
        if (rc < 0) {
            cli_error("%s", nm_reader_errmsg(rd));
            status = -1;
            break;
        }
        size_t n;
        const char *raw = nm_record_raw(rec, &n), *why;
        char *id = record_id(raw, n, &why);
        if (!id) {
            cli_error("%s:%ld: %s", nm_record_file(rec), nm_record_line(rec), why);
            status = -1;
            break;
        }
        if (map->n == map->cap) {
            size_t c = map->cap ? map->cap * 2 : 1024;
            sys_rec *p = realloc(map->recs, c * sizeof(*p));
            if (!p) {
                free(id);
                status = -1;
                break;
            }
            map->recs = p;
            map->cap = c;
        }
        sys_rec *r = &map->recs[map->n++];
        r->id = id;
        r->len = n;
        if (!(r->line = malloc(n + 1))) {
            status = -1;
            break;
        }
        memcpy(r->line, raw, n);
        r->line[n] = '\0';
    }
    nm_reader_free(rd);
    qsort(map->recs, map->n, sizeof(*map->recs), cmp_sys);
    return status;
}

static int eval_system(eval_ctx *c, const char *gold_path, const sys_map *sys)
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
        const char *raw = nm_record_raw(rec, &n), *why;
        char *id = record_id(raw, n, &why);
        if (!id) {
            cli_error("%s:%ld: gold %s", nm_record_file(rec), nm_record_line(rec), why);
            c->failed++;
            continue;
        }
        sys_rec key = {id, NULL, 0};
        const sys_rec *hit = sys->n ? bsearch(&key, sys->recs, sys->n, sizeof(key), cmp_sys) : NULL;
        free(id);
        if (nm_eval_add(c->ev, raw, n, hit ? hit->line : NULL, hit ? hit->len : 0) < 0) {
            cli_error("%s:%ld: %s", nm_record_file(rec), nm_record_line(rec), nm_eval_errmsg(c->ev));
            c->failed++;
        }
    }
    nm_reader_free(rd);
    return 0;
}

/*
 * A gold type map: "#newsmine type-map v1", then GOLD_TYPE<TAB>TYPE a line
 * (TYPE "-": leave those gold spans out).  Errors name FILE:LINE.
 */
static int load_map(nm_eval *ev, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    long n = 0;
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        n++;
        line[strcspn(line, "\r\n")] = '\0';
        if (n == 1) {
            if (strcmp(line, "#newsmine type-map v1") != 0) {
                cli_error("%s:1: expected version line \"#newsmine type-map v1\"", path);
                fclose(f);
                return -1;
            }
            continue;
        }
        if (!line[0] || line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        if (!tab || !tab[1] || strchr(tab + 1, '\t')) {
            cli_error("%s:%ld: expected GOLD_TYPE<TAB>TYPE", path, n);
            fclose(f);
            return -1;
        }
        *tab = '\0';
        if (nm_eval_map_type(ev, line, strcmp(tab + 1, "-") ? tab + 1 : NULL) < 0) {
            cli_error("out of memory");
            fclose(f);
            return -1;
        }
    }
    fclose(f);
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
        {"map", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *gold = NULL, *system = NULL, *types = NULL, *models = NULL, *map = NULL;
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
        case 'M': map = optarg; break;
        case 'h':
            fputs("usage: newsmine eval --gold FILE.jsonl [--system OUT.jsonl] [--types T,...]\n"
                  "                     [--map TYPES.tsv] [--json|--tsv] [-j N] [--models DIR]\n",
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
    if (map && load_map(c.ev, map) < 0) {
        status = EXIT_FATAL;
        goto done;
    }
    if (system) {
        sys_map sys = {0};
        int rc = load_system(system, &sys);
        if (rc == 0)
            rc = eval_system(&c, gold, &sys);
        free_system(&sys);
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
