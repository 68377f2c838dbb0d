/* fuzz_record.c - the JSONL record parser on arbitrary bytes. */
#include <stdint.h>
#include <string.h>

#include "../../pipeline/read/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nm_record rec = {.file = "fuzz.jsonl", .line = 1, .raw = (const char *)data, .raw_len = size, .kind = NM_REC_JSONL};
    nm__parsed p;
    nm_err err = {0};
    nm__parsed_init(&p, 1 << 16, NULL);
    int rc = nm__record_parse(&rec, &p, NM_PIPE_PASSTHROUGH, &err);
    if (rc == 0) {
        /* a parsed record is valid UTF-8 text with an id */
        if (nm__utf8_check(p.text, p.text_len) != p.text_len || !*nm__parsed_id(&p))
            __builtin_trap();
    } else if (!err.msg[0]) {
        __builtin_trap(); /* every rejection says why */
    }
    nm__parsed_free(&p);
    return 0;
}
