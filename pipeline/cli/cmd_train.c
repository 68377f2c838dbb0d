/*
 * cmd_train.c - newsmine train: the entity tagger's weights from gold JSONL.
 *
 *   newsmine train --gold FILE.jsonl [--gold ...] -o WEIGHTS.gz
 *                  [--epochs N] [--seed N] [--min-count N] [--quiet] [--models DIR]
 *
 * The model is loaded without its tagger weights (NM_MODEL_NO_TAGGER): the
 * tokenizer and the gazetteer are what training needs from it.  `make
 * models` calls this with the team's training sets.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int parse_int(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end || v < lo || v > hi) {
        cli_error("train: %s: expected a number from %ld to %ld, not \"%s\"", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cmd_train(int argc, char **argv)
{
    static const struct option opts[] = {
        {"gold", required_argument, NULL, 'g'},
        {"output", required_argument, NULL, 'o'},
        {"epochs", required_argument, NULL, 'e'},
        {"seed", required_argument, NULL, 's'},
        {"min-count", required_argument, NULL, 'c'},
        {"quiet", no_argument, NULL, 'q'},
        {"models", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **gold = NULL;
    size_t n_gold = 0;
    const char *out = NULL, *models = NULL;
    nm_train_opts to = {0};
    int ch, status = EXIT_ALL_GOOD;
    long v;

    if (!(gold = calloc((size_t)argc + 1, sizeof(*gold)))) {
        cli_error("out of memory");
        return EXIT_FATAL;
    }
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:q", opts, NULL)) != -1) {
        switch (ch) {
        case 'g': gold[n_gold++] = optarg; break;
        case 'o': out = optarg; break;
        case 'e':
            if (parse_int("--epochs", optarg, 1, 1000, &v) < 0)
                goto usage_error;
            to.epochs = (int)v;
            break;
        case 's':
            if (parse_int("--seed", optarg, 1, 2147483647L, &v) < 0)
                goto usage_error;
            to.seed = (uint64_t)v;
            break;
        case 'c':
            if (parse_int("--min-count", optarg, 1, 1000000, &v) < 0)
                goto usage_error;
            to.min_count = (int)v;
            break;
        case 'q': to.quiet = 1; break;
        case 'm': models = optarg; break;
        case 'h':
            fputs("usage: newsmine train --gold FILE.jsonl [--gold FILE.jsonl...] -o WEIGHTS.gz\n"
                  "                      [--epochs N] [--seed N] [--min-count N] [--quiet] [--models DIR]\n",
                  stdout);
            free(gold);
            return EXIT_ALL_GOOD;
        default:
            goto usage_error;
        }
    }
    if (!n_gold || !out) {
        cli_error("train: --gold FILE and -o WEIGHTS are required");
        goto usage_error;
    }
    if (optind != argc) {
        cli_error("train: unexpected argument \"%s\"", argv[optind]);
        goto usage_error;
    }
    nm_model *m = cli_load_model_flags(models, NM_MODEL_NO_TAGGER);
    if (!m) {
        free(gold);
        return EXIT_FATAL;
    }
    char err[1024];
    if (nm_ner_train(m, gold, n_gold, &to, out, err, sizeof(err)) < 0) {
        cli_error("train: %s", err);
        status = EXIT_FATAL;
    }
    nm_model_free(m);
    free(gold);
    return status;
usage_error:
    free(gold);
    return EXIT_FATAL;
}
