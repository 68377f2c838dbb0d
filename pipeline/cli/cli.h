/*
 * cli.h - shared pieces of the newsmine command (uses newsmine.h only).
 */
#ifndef NM_CLI_H
#define NM_CLI_H

#include <stdio.h>

#include "newsmine.h"

/* Exit statuses (DESIGN.md section 4). */
enum { EXIT_ALL_GOOD = 0, EXIT_REJECTS = 1, EXIT_FATAL = 2 };

/** Print "newsmine: MESSAGE" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** The models folder: --models, $NEWSMINE_MODELS, next to the binary
 *  (../models, for the build tree), or the installed share/newsmine/models. */
const char *cli_models_dir(const char *flag);

/** Load the model or print why not.  @return NULL on failure. */
nm_model *cli_load_model(const char *flag);

/** The same, with NM_MODEL_* flags. */
nm_model *cli_load_model_flags(const char *flag, unsigned flags);

/** S (N bytes of UTF-8) as a JSON string, quotes included, handed to PUT
 *  in pieces: the one escaper of the command's own JSON (--rejects lines,
 *  serve's answers). */
void cli_json_str(const char *s, size_t n, void (*put)(void *ctx, const char *p, size_t len), void *ctx);

/** Parse a positive size with an optional k/M/G suffix. @return 0 or -1. */
int cli_parse_size(const char *s, size_t *out);

int cmd_run(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
