/* extract.c - the whole use of libnewsmine in one program: load the models
 * once, make a pipeline, run it over an article, read the spans, free.
 *
 *   cc -o extract extract.c $(pkg-config --cflags --libs newsmine)
 *   ./extract MODELS_DIR 2025-06-03 < article.txt
 */
#include <stdio.h>
#include <stdlib.h>
#include <newsmine.h>

int main(int argc, char **argv)
{
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof(text), stdin);
    nm_model *model = NULL;
    nm_pipeline *pipe = NULL;
    const nm_result *res;
    int status = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: extract MODELS_DIR [DCT] < article.txt\n");
        return 2;
    }
    /* the model is read-only once loaded: share it between threads */
    if (nm_model_load(&model, argv[1], NULL) < 0) {
        fprintf(stderr, "extract: %s\n", nm_model_errmsg(model));
        goto done;
    }
    /* a pipeline is one thread's: its scratch is reused run after run */
    if (nm_pipeline_new(&pipe, model, NULL) < 0)
        goto done;
    nm_doc_opts doc = {0};
    doc.id = "stdin";
    doc.dct = argc > 2 ? argv[2] : NULL; /* relative dates resolve against it */
    if (nm_pipeline_run(pipe, text, len, &doc, &res) < 0) {
        fprintf(stderr, "extract: %s\n", nm_pipeline_errmsg(pipe));
        goto done;
    }
    /* the spans are borrowed: valid until the next run or the free */
    for (size_t i = 0; i < nm_result_n_spans(res); i++) {
        nm_span s;
        nm_result_span(res, i, &s);
        printf("%zu\t%zu\t%s\t%.*s\t%s\n", s.start, s.end, s.type, (int)(s.end - s.start), text + s.start,
               s.value ? s.value : "");
    }
    status = 0;
done:
    nm_pipeline_free(pipe); /* NULL-safe, like free() */
    nm_model_free(model);
    return status;
}
