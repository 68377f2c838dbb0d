/*
 * main.c - the newsmine command: dispatch to run, eval, show, serve.
 *
 * Data goes to stdout, messages to stderr; exit 0 all good, 1 some records
 * rejected, 2 usage or fatal error.  Uses include/newsmine.h only.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#ifndef NM_MODELS_DIR
#define NM_MODELS_DIR "/usr/local/share/newsmine/models"
#endif

static const char usage[] =
    "usage: newsmine run  [-o FILE] [--dct DATE] [-j N] [--shard K/N] [--rejects FILE]\n"
    "                     [--quiet] [--stats] [--debug-tokens] [--passthrough]\n"
    "                     [--max-record BYTES] [--models DIR] [--until STAGE] [INPUT...]\n"
    "       newsmine eval --gold FILE.jsonl [--system OUT.jsonl] [--types T,...] [--json|--tsv]\n"
    "                     [-j N] [--models DIR]\n"
    "       newsmine train --gold FILE.jsonl [--gold FILE.jsonl...] -o WEIGHTS.gz\n"
    "                     [--epochs N] [--seed N] [--min-count N] [--quiet] [--models DIR]\n"
    "       newsmine show [INPUT...]\n"
    "       newsmine serve [--listen 127.0.0.1:8080] [--threads N] [--max-body BYTES]\n"
    "                      [--timeout SECONDS] [--max-connections N] [--models DIR]\n"
    "       newsmine --help | --version\n"
    "\n"
    "INPUT: .txt (one article), .jsonl (records with \"text\"; \"id\", \"dct\" optional),\n"
    "a directory (walked in sorted order), any of them .gz; '-' or nothing: stdin (JSONL).\n"
    "Records go to stdout as JSON lines, in input order; messages go to stderr.\n"
    "Exit status: 0 all good, 1 some records rejected, 2 usage or fatal error.\n";

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("newsmine: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

const char *cli_models_dir(const char *flag)
{
    static char buf[PATH_MAX];
    if (flag)
        return flag;
    const char *env = getenv("NEWSMINE_MODELS");
    if (env && *env)
        return env;
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 16);
    if (n > 0) {
        buf[n] = '\0';
        char *slash = strrchr(buf, '/');
        if (slash) {
            snprintf(slash, sizeof(buf) - (size_t)(slash - buf), "/../models");
            if (is_dir(buf))
                return buf;
        }
    }
    return NM_MODELS_DIR;
}

nm_model *cli_load_model_flags(const char *flag, unsigned flags)
{
    nm_model *m = NULL;
    const char *dir = cli_models_dir(flag);
    nm_model_opts o = {0};
    o.flags = flags;
    int rc = nm_model_load(&m, dir, &o);
    if (rc < 0) {
        cli_error("cannot load the model: %s", m ? nm_model_errmsg(m) : nm_strerror(rc));
        nm_model_free(m);
        return NULL;
    }
    return m;
}

nm_model *cli_load_model(const char *flag)
{
    return cli_load_model_flags(flag, 0);
}

void cli_json_str(const char *s, size_t n, void (*put)(void *ctx, const char *p, size_t len), void *ctx)
{
    put(ctx, "\"", 1);
    size_t run = 0; /* bytes that go as they are, not yet put */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '"' && c != '\\' && c >= 0x20) {
            run++;
            continue;
        }
        if (run)
            put(ctx, s + i - run, run);
        run = 0;
        char esc[8];
        if (c < 0x20)
            snprintf(esc, sizeof(esc), "\\u%04x", c);
        else
            snprintf(esc, sizeof(esc), "\\%c", c);
        put(ctx, esc, strlen(esc));
    }
    if (run)
        put(ctx, s + n - run, run);
    put(ctx, "\"", 1);
}

int cli_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return -1;
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'M')
        mul = 1024 * 1024, end++;
    else if (*end == 'G')
        mul = 1024ull * 1024 * 1024, end++;
    if (*end || v == 0 || v > (unsigned long long)SIZE_MAX / mul)
        return -1;
    *out = (size_t)(v * mul);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_FATAL;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return EXIT_ALL_GOOD;
    }
    if (!strcmp(cmd, "--version")) {
        printf("newsmine %s\n", nm_version());
        return EXIT_ALL_GOOD;
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "eval"))
        return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "train"))
        return cmd_train(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve"))
        return cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "show")) {
        cli_error("%s: not available in this version yet", cmd);
        return EXIT_FATAL;
    }
    cli_error("unknown command \"%s\" (try newsmine --help)", cmd);
    return EXIT_FATAL;
}
