/*
 * cmd_run.c - newsmine run: inputs to JSON records on stdout (or -o FILE).
 *
 * Every record that goes in comes out, or is reported on stderr as
 * "newsmine: FILE:LINE: reason", counted, and (with --rejects FILE) its raw
 * bytes saved so that nothing is lost; the batch never stops for a bad
 * record.  A write error on the output is fatal (exit 2), never silent.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

typedef struct run_ctx {
    FILE *out;
    FILE *rejects;
    const char *out_name;
    nm_store *store; /* --db: records go there */
    bool quiet;
    bool progress;
    bool write_failed, store_failed;
    uint64_t n_emitted, n_rejected;
    uint64_t in_bytes;    /* raw bytes of the records seen */
    uint64_t total_bytes; /* of the input, when known (plain files); 0: unknown */
    unsigned shard_n;
    double t0, last_progress;
} run_ctx;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The progress line, on a terminal only: documents, MB of input, MB/s,
 * rejected, and the time left when the input's size is known (plain files;
 * with --shard K/N, this process reads about 1/N of it). */
static void progress(run_ctx *c)
{
    double t = now();
    if (!c->progress || t - c->last_progress < 0.5)
        return;
    c->last_progress = t;
    double secs = t - c->t0, mb = (double)c->in_bytes / 1e6;
    fprintf(stderr, "\rnewsmine: %llu documents, %.1f MB, %.1f MB/s, %llu rejected",
            (unsigned long long)c->n_emitted, mb, secs > 0 ? mb / secs : 0.0,
            (unsigned long long)c->n_rejected);
    if (c->total_bytes && c->in_bytes && secs > 1) {
        double share = (double)c->total_bytes / (c->shard_n ? c->shard_n : 1);
        double left = share > (double)c->in_bytes ? (share - (double)c->in_bytes) * secs / (double)c->in_bytes : 0;
        fprintf(stderr, ", ETA %dm%02ds", (int)(left / 60), (int)left % 60);
    }
    fputs("\033[K", stderr);
}

static int on_emit(const nm_record *rec, const char *json, size_t len, void *payload)
{
    run_ctx *c = payload;
    size_t raw_len;
    nm_record_raw(rec, &raw_len);
    c->in_bytes += raw_len + 1;
    if (c->store) {
        if (nm_store_put(c->store, nm_record_id(rec), nm_record_sha256(rec), json, len) < 0) {
            c->store_failed = true;
            return 1;
        }
    }
    if (c->out && (fwrite(json, 1, len, c->out) != len || putc('\n', c->out) == EOF)) {
        c->write_failed = true;
        return 1;
    }
    c->n_emitted++;
    progress(c);
    return 0;
}

static void put_file(void *ctx, const char *p, size_t n) { fwrite(p, 1, n, ctx); }

/* Write S as a JSON string (S is valid UTF-8). */
static void put_json_str(FILE *f, const char *s, size_t n) { cli_json_str(s, n, put_file, f); }

/* One line of --rejects: {"file":..,"line":..,"reason":..,"raw":..}, the
 * raw bytes as a string when they are UTF-8, else base64 in "raw_base64":
 * nothing of what was read is lost, and the file is JSONL whatever came
 * in. */
static int put_reject(FILE *f, const nm_record *rec, const char *msg)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n;
    const char *raw = nm_record_raw(rec, &n);
    const char *file = nm_record_file(rec);
    fputs("{\"file\":", f);
    put_json_str(f, file, strlen(file));
    fprintf(f, ",\"line\":%ld,\"reason\":", nm_record_line(rec));
    /* the message is "FILE:LINE: reason": the reason alone */
    size_t skip = strlen(file);
    if (!strncmp(msg, file, skip) && msg[skip] == ':') {
        const char *r = strstr(msg + skip + 1, ": ");
        msg = r ? r + 2 : msg;
    }
    size_t mlen = strlen(msg);
    if (nm_utf8_valid(msg, mlen))
        put_json_str(f, msg, mlen);
    else
        fputs("\"(not UTF-8)\"", f);
    if (nm_utf8_valid(raw, n)) {
        fputs(",\"raw\":", f);
        put_json_str(f, raw, n);
    } else {
        fputs(",\"raw_base64\":\"", f);
        for (size_t i = 0; i < n; i += 3) {
            unsigned v = (unsigned char)raw[i] << 16 | (i + 1 < n ? (unsigned char)raw[i + 1] << 8 : 0) |
                         (i + 2 < n ? (unsigned char)raw[i + 2] : 0);
            putc(b64[v >> 18 & 63], f);
            putc(b64[v >> 12 & 63], f);
            putc(i + 1 < n ? b64[v >> 6 & 63] : '=', f);
            putc(i + 2 < n ? b64[v & 63] : '=', f);
        }
        putc('"', f);
    }
    fputs("}\n", f);
    return ferror(f) ? -1 : 0;
}

static int on_reject(const nm_record *rec, const char *msg, void *payload)
{
    run_ctx *c = payload;
    size_t raw_len;
    nm_record_raw(rec, &raw_len);
    c->in_bytes += raw_len + 1;
    c->n_rejected++;
    if (c->progress)
        fputc('\r', stderr);
    cli_error("%s", msg);
    if (c->rejects && put_reject(c->rejects, rec, msg) < 0) {
        cli_error("--rejects: write error: %s", strerror(errno));
        return 1;
    }
    return 0;
}

static int parse_shard(const char *s, unsigned *k, unsigned *n)
{
    char *end;
    unsigned long a = strtoul(s, &end, 10);
    if (end == s || *end != '/')
        return -1;
    const char *p = end + 1;
    unsigned long b = strtoul(p, &end, 10);
    if (end == p || *end || b == 0 || a < 1 || a > b || b > 1000000)
        return -1;
    *k = (unsigned)a;
    *n = (unsigned)b;
    return 0;
}

/* The bytes of input, when every input is a plain file (not a directory,
 * standard input or a .gz); else 0, unknown. */
static uint64_t input_size(int n, char **paths)
{
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        struct stat sb;
        size_t len = strlen(paths[i]);
        if (!strcmp(paths[i], "-") || (len > 3 && !strcmp(paths[i] + len - 3, ".gz")) ||
            stat(paths[i], &sb) != 0 || !S_ISREG(sb.st_mode))
            return 0;
        total += (uint64_t)sb.st_size;
    }
    return total;
}

enum { OPT_DCT = 256, OPT_SHARD, OPT_REJECTS, OPT_QUIET, OPT_DEBUG_TOKENS, OPT_PASSTHROUGH,
       OPT_MAX_RECORD, OPT_MODELS, OPT_DB, OPT_STATS, OPT_HELP, OPT_UNTIL };

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"dct", required_argument, NULL, OPT_DCT},
        {"jobs", required_argument, NULL, 'j'},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"rejects", required_argument, NULL, OPT_REJECTS},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"debug-tokens", no_argument, NULL, OPT_DEBUG_TOKENS},
        {"passthrough", no_argument, NULL, OPT_PASSTHROUGH},
        {"max-record", required_argument, NULL, OPT_MAX_RECORD},
        {"models", required_argument, NULL, OPT_MODELS},
        {"db", required_argument, NULL, OPT_DB},
        {"stats", no_argument, NULL, OPT_STATS},
        {"until", required_argument, NULL, OPT_UNTIL},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    run_ctx c = {0};
    nm_batch_opts bo = {0};
    nm_reader_opts ro = {0};
    const char *out_name = NULL, *rejects_name = NULL, *models = NULL, *db_url = NULL;
    bool stats = false;
    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    int ch, status = EXIT_ALL_GOOD;
    nm_model *m = NULL;
    nm_reader *rd = NULL;

    bo.n_threads = nproc > 0 ? (int)nproc : 1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:j:q", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out_name = optarg; break;
        case OPT_DCT: bo.default_dct = optarg; break;
        case 'j': {
            char *end;
            long j = strtol(optarg, &end, 10);
            if (*end || j < 1 || j > 256) {
                cli_error("-j: expected a number of threads from 1 to 256, not \"%s\"", optarg);
                return EXIT_FATAL;
            }
            bo.n_threads = (int)j;
            break;
        }
        case OPT_SHARD:
            if (parse_shard(optarg, &bo.shard_k, &bo.shard_n) < 0) {
                cli_error("--shard: expected K/N with 1 <= K <= N, not \"%s\"", optarg);
                return EXIT_FATAL;
            }
            break;
        case OPT_REJECTS: rejects_name = optarg; break;
        case 'q':
        case OPT_QUIET: c.quiet = true; break;
        case OPT_DEBUG_TOKENS: bo.pipe.flags |= NM_PIPE_DEBUG_TOKENS; break;
        case OPT_PASSTHROUGH: bo.pipe.flags |= NM_PIPE_PASSTHROUGH; break;
        case OPT_MAX_RECORD:
            if (cli_parse_size(optarg, &bo.pipe.max_text_len) < 0) {
                cli_error("--max-record: expected a size such as 16M, not \"%s\"", optarg);
                return EXIT_FATAL;
            }
            ro.max_record_len = bo.pipe.max_text_len;
            break;
        case OPT_MODELS: models = optarg; break;
        case OPT_DB: db_url = optarg; break;
        case OPT_STATS: stats = true; break;
        case OPT_UNTIL: {
            static const char *const stages[] = {"clean", "tokenize", "normalize", "sentences", "entities", "temporal",
                                                 "clauses"};
            bool ok = false;
            for (size_t k = 0; k < sizeof(stages) / sizeof(stages[0]); k++)
                ok |= !strcmp(optarg, stages[k]);
            if (!ok) {
                cli_error("--until: expected clean, tokenize, normalize, sentences, entities, temporal or clauses, "
                          "not \"%s\"", optarg);
                return EXIT_FATAL;
            }
            bo.pipe.until = optarg;
            break;
        }
        case OPT_HELP:
            fputs("usage: newsmine run [-o FILE] [--db sqlite:PATH | --db postgresql://...] [--dct DATE]\n"
                  "                    [-j N] [--shard K/N] [--rejects FILE]\n"
                  "                    [--quiet] [--stats] [--debug-tokens] [--passthrough]\n"
                  "                    [--max-record BYTES] [--models DIR] [--until STAGE] [INPUT...]\n",
                  stdout);
            return EXIT_ALL_GOOD;
        default:
            return EXIT_FATAL;
        }
    }
    if (bo.default_dct) {
        /* validated again by the library; a clear message here */
        struct tm tm = {0};
        const char *e = strptime(bo.default_dct, "%Y-%m-%d", &tm);
        if (!e || *e || strlen(bo.default_dct) != 10) {
            cli_error("--dct: expected YYYY-MM-DD, not \"%s\"", bo.default_dct);
            return EXIT_FATAL;
        }
    }
    /* a file over its size limit (ulimit -f) fails with EFBIG, reported,
     * rather than killing the process */
    signal(SIGXFSZ, SIG_IGN);
    if (!(m = cli_load_model(models)))
        return EXIT_FATAL;
    if (nm_reader_new(&rd, &ro) < 0) {
        cli_error("out of memory");
        status = EXIT_FATAL;
        goto done;
    }
    for (int i = optind; i < argc; i++) {
        if (nm_reader_add(rd, argv[i]) < 0) {
            cli_error("%s", nm_reader_errmsg(rd));
            status = EXIT_FATAL;
            goto done;
        }
    }
    if (optind == argc)
        nm_reader_add(rd, "-");
    if (db_url) {
        char err[1024];
        if (nm_store_open(&c.store, db_url, NULL, err, sizeof(err)) < 0) {
            cli_error("--db %s", err);
            status = EXIT_FATAL;
            goto done;
        }
        bo.flags |= NM_BATCH_SHA256;
    }
    c.out = db_url && !out_name ? NULL : stdout; /* with --db, records go to the database (and -o) */
    c.out_name = "standard output";
    if (out_name && strcmp(out_name, "-") != 0) {
        if (!(c.out = fopen(out_name, "wb"))) {
            cli_error("%s: %s", out_name, strerror(errno));
            status = EXIT_FATAL;
            goto done;
        }
        c.out_name = out_name;
    }
    static char obuf[1 << 20];
    if (c.out)
        setvbuf(c.out, obuf, _IOFBF, sizeof(obuf));
    if (rejects_name && !(c.rejects = fopen(rejects_name, "wb"))) {
        cli_error("%s: %s", rejects_name, strerror(errno));
        status = EXIT_FATAL;
        goto done;
    }
    c.progress = !c.quiet && isatty(2);
    c.shard_n = bo.shard_n;
    c.total_bytes = input_size(argc - optind, argv + optind);
    c.t0 = c.last_progress = now();
    bo.on_emit = on_emit;
    bo.on_reject = on_reject;
    bo.payload = &c;

    nm_batch_stats st;
    char err[512];
    int rc = nm_batch_run(m, rd, &bo, &st, err, sizeof(err));
    if (c.progress)
        fputs("\r\033[K", stderr);
    char serr[1024] = "";
    nm_store_stats sst = {0};
    if (c.store) {
        if (!c.store_failed && nm_store_flush(c.store) < 0)
            c.store_failed = true;
        nm_store_get_stats(c.store, &sst);
        if (c.store_failed)
            snprintf(serr, sizeof(serr), "%s", nm_store_errmsg(c.store));
        nm_store_close(c.store, NULL, 0);
        c.store = NULL;
    }
    double secs = now() - c.t0; /* the last commit and the indexes included */
    if (c.store_failed) {
        cli_error("--db %s", serr);
        cli_error("%llu documents were stored by the transactions that committed before the error; "
                  "run the same command again to finish: stored documents are not loaded twice",
                  (unsigned long long)(sst.n_new + sst.n_same + sst.n_replaced));
        status = EXIT_FATAL;
    } else if (c.write_failed || (c.out && (fflush(c.out) != 0 || ferror(c.out)))) {
        cli_error("%s: write error: %s", c.out_name, strerror(errno));
        status = EXIT_FATAL;
    } else if (rc < 0) {
        cli_error("%s", err[0] ? err : nm_strerror(rc));
        status = EXIT_FATAL;
    } else if (rc > 0) {
        status = EXIT_FATAL; /* a callback stopped the batch and said why */
    } else if (st.n_rejected) {
        status = EXIT_REJECTS;
    }
    if (db_url && !c.store_failed && !c.quiet)
        cli_error("--db: %llu documents stored (%llu new, %llu unchanged, %llu replaced), %llu spans, "
                  "%llu transactions",
                  (unsigned long long)(sst.n_new + sst.n_same + sst.n_replaced), (unsigned long long)sst.n_new,
                  (unsigned long long)sst.n_same, (unsigned long long)sst.n_replaced,
                  (unsigned long long)sst.n_spans, (unsigned long long)sst.n_commits);
    if (st.n_rejected || (!c.quiet && status == EXIT_FATAL))
        cli_error("%llu records read, %llu written, %llu rejected%s",
                  (unsigned long long)st.n_records, (unsigned long long)st.n_ok,
                  (unsigned long long)st.n_rejected,
                  rejects_name && st.n_rejected ? " (saved with --rejects)" : "");
    if (stats) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr,
                "newsmine: stats: %llu docs, %.1f MB text, %.3f s, %.1f docs/s, %.1f MB/s, "
                "peak RSS %.1f MB, %d threads\n",
                (unsigned long long)st.n_ok, (double)st.n_bytes / 1e6, secs,
                secs > 0 ? (double)st.n_ok / secs : 0.0,
                secs > 0 ? (double)st.n_bytes / 1e6 / secs : 0.0, (double)ru.ru_maxrss / 1024.0,
                bo.n_threads);
    }
done:
    if (c.store)
        nm_store_close(c.store, NULL, 0);
    if (c.out && c.out != stdout && fclose(c.out) != 0 && status != EXIT_FATAL) {
        cli_error("%s: write error: %s", out_name, strerror(errno));
        status = EXIT_FATAL;
    }
    if (c.rejects && fclose(c.rejects) != 0) {
        cli_error("%s: write error: %s", rejects_name, strerror(errno));
        status = EXIT_FATAL;
    }
    nm_reader_free(rd);
    nm_model_free(m);
    return status;
}
