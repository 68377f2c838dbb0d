/* fuzz_pipeline.c - the whole pipeline on arbitrary bytes: never crashes,
 * rejects invalid UTF-8, and keeps every token and sentence inside the text
 * and in order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../pipeline/core/core.h"

static nm_model *model;
static nm_pipeline *pipe_;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!model) {
        const char *dir = getenv("NEWSMINE_MODELS");
        nm_pipeline_opts o = {0, NM_PIPE_DEBUG_TOKENS, NULL};
        if (nm_model_load(&model, dir ? dir : "models", NULL) < 0 ||
            nm_pipeline_new(&pipe_, model, &o) < 0)
            abort();
    }
    const nm_result *r;
    int rc = nm_pipeline_run(pipe_, (const char *)data, size, NULL, &r);
    bool valid = nm__utf8_check((const char *)data, size) == size;
    if (valid != (rc == 0))
        __builtin_trap();
    if (rc < 0)
        return 0;
    size_t prev = 0;
    for (size_t i = 0; i < nm_result_n_tokens(r); i++) {
        nm_token t;
        nm_result_token(r, i, &t);
        if (t.start < prev || t.end <= t.start || t.end > size)
            __builtin_trap();
        prev = t.end;
    }
    prev = 0;
    for (size_t i = 0; i < nm_result_n_sentences(r); i++) {
        size_t s, e;
        nm_result_sentence(r, i, &s, &e);
        if (s < prev || e <= s || e > size)
            __builtin_trap();
        prev = e;
    }
    const char *json;
    size_t len;
    nm_result_json(r, &json, &len);
    if (len < 2 || json[0] != '{' || json[len - 1] != '}')
        __builtin_trap();
    return 0;
}
