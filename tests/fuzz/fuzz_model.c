/* fuzz_model.c - the model loader on an arbitrary file in each slot: it
 * loads or names FILE:LINE and why, never crashes, never leaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "newsmine.h"

static char dir[256];
static const char *const files[] = {
    "text/abbreviations.tsv", "text/sentence-starters.tsv", "text/number-suffixes.tsv",
    "text/glued-keep.tsv", "text/fold.tsv", "text/bullets.tsv", "MANIFEST.tsv",
    "temporal/rules.tsv", "temporal/vetoes.tsv", "temporal/month.tsv", "temporal/unit.tsv",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512], cmd[1024];
    if (!dir[0]) {
        const char *src = getenv("NEWSMINE_MODELS");
        snprintf(dir, sizeof(dir), "/tmp/nm-fuzz-model-%d", (int)getpid());
        snprintf(cmd, sizeof(cmd), "rm -rf %s && cp -R %s %s", dir, src ? src : "models", dir);
        if (system(cmd) != 0)
            abort();
    }
    if (size < 1)
        return 0;
    /* the first byte picks the file to replace; the rest is its content */
    const char *file = files[data[0] % (sizeof(files) / sizeof(files[0]))];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    snprintf(cmd, sizeof(cmd), "%s.orig", path);
    if (access(cmd, F_OK) != 0)
        rename(path, cmd);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    nm_model *m = NULL;
    int rc = nm_model_load(&m, dir, NULL);
    if (rc < 0 && (!m || !strstr(nm_model_errmsg(m), "/")))
        __builtin_trap(); /* an error names the file */
    nm_model_free(m);
    rename(cmd, path);
    return 0;
}
