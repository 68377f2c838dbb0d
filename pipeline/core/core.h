/*
 * core.h - what every stage of the library may use: errors, allocation
 * hooks, capped buffers, string tables, the document, the stage interface
 * and the loaded model.  Stages meet only through nm_doc; nothing in here
 * knows any particular stage.
 *
 *   text (borrowed, never edited)
 *   |<------------------------------- text_len ------------------------->|
 *   [tok0][tok1] [tok2] ...        tokens: {start,end,kind,norm,stem}
 *   [-------- sentence 0 --------] [---- sentence 1 ----]  {tok range}
 *   [span: ORG] [span: DATE value=2030]                    {start,end,type}
 *
 * Normalised forms and stems live in doc->strings (an arena), so tokens only
 * hold offsets; spans point into the text.
 */
#ifndef NM_CORE_H
#define NM_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "newsmine.h"

#define NM_DEFAULT_MAX_TEXT ((size_t)16 << 20)

/* --------------------------------------------------------------- errors */

/** An error: a code and a message, held by the handle that failed. */
typedef struct nm_err {
    int code;
    char msg[512];
} nm_err;

/** Set ERR to CODE with a printf-style message; @return CODE. */
int nm__err_set(nm_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void nm__err_clear(nm_err *err);

/* ----------------------------------------------------------- allocation */

void *nm__malloc(const nm_allocator *a, size_t size);
void *nm__calloc(const nm_allocator *a, size_t n, size_t size);
void *nm__realloc(const nm_allocator *a, void *ptr, size_t size);
void nm__free(const nm_allocator *a, void *ptr);
/** SHA-256 of LEN bytes at DATA into OUT (digest.c). */
void nm__sha256(const void *data, size_t len, unsigned char out[32]);
/** N bytes as 2N lower-case hex digits and a NUL into OUT. */
void nm__hex(const unsigned char *in, size_t n, char *out);
/** The SHA-256 of a file's bytes, as 64 hex digits.  @return 0 or NM_EIO. */
int nm__sha256_file(const char *path, char hex[65]);
/** Zeroed memory for a large table probed at random: the kernel is asked
 *  to back it with huge pages where it can (fewer TLB misses); freed with
 *  nm__free. */
void *nm__alloc_huge(const nm_allocator *a, size_t size);
char *nm__strndup(const nm_allocator *a, const char *s, size_t len);
/** Make room for WANT elements of ELEM bytes in *ARR (capacity *CAP, doubled
 *  from 256).  @return 0 or NM_ENOMEM (*ARR is left as it was). */
int nm__grow(const nm_allocator *a, void **arr, size_t *cap, size_t want, size_t elem);

/* ------------------------------------------------------- capped buffers */

/** A growable byte buffer with a hard cap; always NUL-terminated. */
typedef struct nm_buf {
    char *ptr;
    size_t len, cap, max;
    const nm_allocator *alloc;
} nm_buf;

void nm_buf_init(nm_buf *b, size_t max, const nm_allocator *a);
void nm_buf_free(nm_buf *b);
static inline void nm_buf_clear(nm_buf *b) { b->len = 0; if (b->ptr) b->ptr[0] = 0; }
/** Make room for N more bytes.  @return 0, NM_ENOMEM or NM_ELIMIT. */
int nm_buf_grow(nm_buf *b, size_t n);
int nm__buf_put_slow(nm_buf *b, const void *data, size_t n);
/** Append N bytes (kept NUL-terminated).  @return 0, NM_ENOMEM or NM_ELIMIT.
 * Inline: a put that fits, the common case, is a copy and two stores. */
static inline int nm_buf_put(nm_buf *b, const void *data, size_t n)
{
    if (n < b->cap - b->len && b->len + n <= b->max) { /* room for N and the NUL */
        if (n)
            memcpy(b->ptr + b->len, data, n);
        b->len += n;
        b->ptr[b->len] = '\0';
        return 0;
    }
    return nm__buf_put_slow(b, data, n);
}
static inline int nm_buf_puts(nm_buf *b, const char *s) { return nm_buf_put(b, s, strlen(s)); }
static inline int nm_buf_putc(nm_buf *b, char c) { return nm_buf_put(b, &c, 1); }
int nm_buf_printf(nm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Append V in decimal (no printf: this is on every span's path). */
int nm_buf_put_uint(nm_buf *b, uint64_t v);
/** Append S as a JSON string literal, quotes included. */
int nm_buf_put_json_str(nm_buf *b, const char *s, size_t n);

/* --------------------------------------------------------- string table */

/**
 * An open-addressing hash table from byte strings to an int and an optional
 * string value.  Keys and values are copied into the table's own arena.
 * Used for word lists (read-only after model load) and the stem cache.
 */
typedef struct nm_strtab_entry {
    uint32_t hash;
    uint32_t key_len;
    uint32_t key_off; /* in arena; UINT32_MAX: empty slot */
    uint32_t val_off, val_len;
    int ival;
} nm_strtab_entry;

typedef struct nm_strtab {
    nm_strtab_entry *slots;
    size_t n_slots, n_used;
    nm_buf arena; /* keys and values, NUL-terminated */
    const nm_allocator *alloc;
} nm_strtab;

int nm_strtab_init(nm_strtab *t, size_t expected, const nm_allocator *a);
void nm_strtab_free(nm_strtab *t);
/* The rounds of nm_hash over the whole 8-byte words of S. */
static inline uint64_t nm__hash_words(uint64_t h, const char *s, size_t n_words)
{
    for (size_t i = 0; i < n_words; i++) {
        uint64_t w;
        memcpy(&w, s + 8 * i, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    return h;
}

/* The last round (the 1-7 byte tail, zero-padded, if any) and the finish. */
static inline uint32_t nm__hash_finish(uint64_t h, uint64_t tail, bool has_tail)
{
    if (has_tail) {
        h = (h ^ tail) * 0x94D049BB133111EBull;
        h ^= h >> 29;
    }
    h *= 0xBF58476D1CE4E5B9ull;
    return (uint32_t)(h >> 32);
}

/** Hash of N bytes: 8 bytes a round, then a multiply-xorshift finish. */
static inline uint32_t nm_hash(const char *s, size_t n)
{
    uint64_t h = nm__hash_words(0x9E3779B97F4A7C15ull ^ n, s, n / 8), tail = 0;
    memcpy(&tail, s + (n & ~(size_t)7), n & 7);
    return nm__hash_finish(h, tail, (n & 7) != 0);
}

/**
 * nm_hash for a string with at least 8 readable bytes after its start
 * (every string in doc->strings): the same value, without a variable-length
 * copy for the tail.
 */
static inline uint32_t nm_hash_padded(const char *s, size_t n)
{
    uint64_t h = nm__hash_words(0x9E3779B97F4A7C15ull ^ n, s, n / 8), tail = 0;
    if (n & 7) {
        memcpy(&tail, s + (n & ~(size_t)7), 8);
        tail &= (1ull << (8 * (n & 7))) - 1;
    }
    return nm__hash_finish(h, tail, (n & 7) != 0);
}

/** Insert or overwrite.  @return 0 or NM_ENOMEM. */
int nm_strtab_put(nm_strtab *t, const char *key, size_t key_len, int ival,
                  const char *val, size_t val_len);
/** @return the entry or NULL. */
/** nm_strtab_get with the key's nm_hash already known (a token's hash). */
const nm_strtab_entry *nm_strtab_get_h(const nm_strtab *t, const char *key, size_t key_len,
                                       uint32_t hash);
const nm_strtab_entry *nm_strtab_get(const nm_strtab *t, const char *key,
                                     size_t key_len);
/** The value of an entry: borrowed, valid until the next put. */
static inline const char *nm_strtab_val(const nm_strtab *t,
                                        const nm_strtab_entry *e)
{
    return t->arena.ptr + e->val_off;
}

/* ------------------------------------------------------------- document */

typedef struct nm_tok {
    uint32_t start, end;       /* bytes in doc->text */
    uint32_t norm_off, norm_len; /* in doc->strings */
    uint32_t stem_off, stem_len; /* in doc->strings */
    uint32_t hash;             /* nm_hash of the norm, for words (normalize) */
    uint8_t kind;              /* NM_TOK_* */
    uint8_t flags;             /* NM_TF_* */
} nm_tok;

enum {
    NM_TF_UPPER_INITIAL = 1u << 0, /* first letter is upper case */
    NM_TF_SPACE_BEFORE = 1u << 1,  /* white space precedes the token */
    NM_TF_NEWLINE_BEFORE = 1u << 2,/* a newline precedes the token */
    NM_TF_PARA_BEFORE = 1u << 3,   /* a blank line precedes the token */
    NM_TF_ABBREV = 1u << 4,        /* a known abbreviation ending in '.' */
    NM_TF_FOOTNOTE = 1u << 5,      /* digits split off as a footnote marker */
    NM_TF_ASCII = 1u << 6,         /* token bytes are all ASCII */
    NM_TF_HYPHEN = 1u << 7         /* a hyphen joins parts of the token */
};

typedef struct nm_sent {
    uint32_t tok_begin, tok_end; /* token index range [begin, end) */
    uint32_t start, end;         /* bytes */
} nm_sent;

typedef struct nm_span_rec {
    uint32_t start, end;
    const char *type;  /* static or model-owned */
    uint32_t value_off, value_len; /* in doc->strings; len 0 = none */
    uint32_t attrs_off, attrs_len; /* more JSON members (",\"k\":v..."),
                                      in doc->strings; len 0 = none */
} nm_span_rec;

typedef struct nm_doc {
    const char *text;
    size_t text_len;
    const char *id, *dct, *source;
    const char *extra_json; /* passthrough fields as a JSON object, or NULL */
    size_t extra_json_len;

    nm_tok *toks;
    size_t n_toks, cap_toks;
    nm_sent *sents;
    size_t n_sents, cap_sents;
    nm_span_rec *spans;
    size_t n_spans, cap_spans;
    nm_buf strings; /* norm forms, stems, span values */
    nm_buf out;     /* the serialised record (EMIT phase) */
    unsigned flags; /* NM_PIPE_* */
    unsigned doc_flags; /* NM_DOC_* */
    const nm_allocator *alloc;
    /* Stems are worked out on demand (nm__doc_stems): most stages and most
     * records never look at them.  The normalize stage sets the function
     * and its state; until it has run, every stem is its norm. */
    int (*stem_fn)(void *state, struct nm_doc *d);
    void *stem_state;
    bool stems_done;
} nm_doc;

/** Is token T of D the word W (its normalised form)?  The first byte is
 *  compared first: most tokens are not the word asked for. */
static inline bool nm__norm_is(const nm_doc *d, size_t t, const char *w)
{
    const nm_tok *k = &d->toks[t];
    if (!k->norm_len || d->strings.ptr[k->norm_off] != w[0])
        return false;
    return k->norm_len == strlen(w) && !memcmp(d->strings.ptr + k->norm_off, w, k->norm_len);
}

/** Is token T of D any of the N words of LIST (normalised forms)? */
static inline bool nm__norm_in(const nm_doc *d, size_t t, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (nm__norm_is(d, t, list[i]))
            return true;
    return false;
}
/** nm__norm_in over a static array of words. */
#define NM__NORM_IN(d, t, list) nm__norm_in(d, t, list, sizeof(list) / sizeof((list)[0]))

int nm__doc_init(nm_doc *d, const nm_allocator *a, size_t max_text);
void nm__doc_reset(nm_doc *d);
void nm__doc_free(nm_doc *d);
nm_tok *nm__doc_add_tok(nm_doc *d);
nm_sent *nm__doc_add_sent(nm_doc *d);
nm_span_rec *nm__doc_add_span(nm_doc *d);
/** Copy S into doc->strings; *off_out gets its offset. */
int nm__doc_str(nm_doc *d, const char *s, size_t n, uint32_t *off_out);
/** Fill in the stems of every token (once a document; later calls cost
 *  nothing).  A stage that reads stem_off/stem_len calls this first.
 *  @return 0 or NM_ENOMEM. */
int nm__doc_stems(nm_doc *d);
/** Put the spans in text order (by start, longer first, then as added):
 *  stages add theirs one after another.  @return 0 or NM_ENOMEM. */
int nm__doc_sort_spans(nm_doc *d);

/** The document behind a result (pipeline.c). */
const nm_doc *nm__result_doc(const nm_result *r);

static inline const char *nm__doc_norm(const nm_doc *d, const nm_tok *t)
{
    return d->strings.ptr + t->norm_off;
}

/* ---------------------------------------------------------------- model */

/** Classes of abbreviations (models/text/abbreviations.tsv). */
enum {
    NM_ABBR_TITLE = 1,  /* Mr. Dr. Gen.: never ends a sentence */
    NM_ABBR_GENERAL,    /* Inc. Corp. etc.: may end one */
    NM_ABBR_MONTH       /* Jan. Feb.: no end before a number */
};

/** A named word table of the model: models/temporal/month.tsv -> "month". */
typedef struct nm_table {
    char name[32];
    nm_strtab t;
} nm_table;

struct nm_rule_set;

struct nm_model {
    nm_allocator alloc;
    nm_err err;
    char *dir;
    nm_strtab abbrev;        /* lower-case, without the dot -> NM_ABBR_* */
    nm_strtab starters;      /* words that often open a sentence */
    nm_strtab num_suffixes;  /* "bn", "m": split from a number they end */
    nm_strtab glued_keep;    /* "mp3": letters+digits never split */
    nm_strtab fold;          /* one code point (UTF-8) -> replacement */
    nm_strtab bullets;       /* code points that open a bullet item */
    nm_table *tables;        /* named tables (kind "table") */
    size_t n_tables;
    struct nm_rule_set *temporal;        /* models/temporal/rules.tsv */
    struct nm_rule_set *temporal_vetoes; /* models/temporal/vetoes.tsv */
    int tense_past_id, tense_future_id, tense_ahead_id; /* trigger ids of the tense cues */
    struct nm_gazetteer *gz;       /* models/entities/lists.def and its lists */
    struct nm_ner_weights *ner;    /* models/entities/ner.weights.gz */
    struct nm_clauses *clauses;    /* models/clauses/triggers.tsv, cues.tsv */
    bool no_tagger;                /* NM_MODEL_NO_TAGGER: weights not loaded */
    /* what was loaded: each file's kind and SHA-256, and one digest over
     * them all (nm_model_digest) */
    struct nm_model_file { char kind[32]; char hex[65]; } *files;
    size_t n_files;
    char digest[65];
};

/* Compile the temporal rules once every table is loaded (temporal.c). */
int nm__temporal_compile(nm_model *m);
void nm__temporal_free_model(nm_model *m);

/**
 * Model file reader: checks the version line and hands out fields of each
 * data line.  Comments (#) and blank lines are skipped.  Errors name
 * FILE:LINE.
 */
typedef int (*nm_model_line_fn)(nm_model *m, const char *path, long line,
                                char **fields, int n_fields, void *payload);
int nm__model_read_tsv(nm_model *m, const char *rel_path, const char *format,
                       int min_fields, nm_model_line_fn fn, void *payload);

/* ---------------------------------------------------------------- stages */

enum {
    NM_PHASE_CLEAN = 0,
    NM_PHASE_TOKENIZE,
    NM_PHASE_NORMALIZE,
    NM_PHASE_SEGMENT,
    NM_PHASE_MATCH,
    NM_PHASE_RESOLVE,
    NM_PHASE_EMIT
};

/** Options every stage can see. */
typedef nm_pipeline_opts nm_opts;

/**
 * A stage is a filter over one document: it adds tokens, sentences or spans
 * and never edits doc->text.  open() makes its per-pipeline state from the
 * read-only model; run() is called once per document; close() frees.
 */
typedef struct nm_stage_type {
    const char *name;
    int phase;
    int (*open)(void **state, const nm_model *m, const nm_opts *o, nm_err *err);
    int (*run)(void *state, nm_doc *doc, nm_err *err);
    void (*close)(void *state);
} nm_stage_type;

extern const nm_stage_type nm__stage_clean;
extern const nm_stage_type nm__stage_tokenize;
extern const nm_stage_type nm__stage_normalize;
extern const nm_stage_type nm__stage_sentences;
extern const nm_stage_type nm__stage_entities;
extern const nm_stage_type nm__stage_temporal;
extern const nm_stage_type nm__stage_clauses;
extern const nm_stage_type nm__stage_jsonl;

/* ---------------------------------------------------------------- utf-8 */

/** @return the byte offset of the first invalid UTF-8 sequence, or LEN. */
size_t nm__utf8_check(const char *s, size_t len);
/** Decode one code point at S (valid UTF-8 assumed); *cp gets it.
 *  @return its length in bytes (1..4). */
static inline int nm__utf8_decode(const unsigned char *s, size_t avail,
                                  int32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) { *cp = (int32_t)c; return 1; }
    if (c < 0xE0 && avail >= 2) {
        *cp = (int32_t)(((c & 0x1Fu) << 6) | (s[1] & 0x3Fu));
        return 2;
    }
    if (c < 0xF0 && avail >= 3) {
        *cp = (int32_t)(((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) |
                        (s[2] & 0x3Fu));
        return 3;
    }
    if (avail >= 4) {
        *cp = (int32_t)(((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) |
                        ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu));
        return 4;
    }
    *cp = 0xFFFD;
    return 1;
}

/** Check a YYYY-MM-DD date.  @return true if well formed and real. */
bool nm__date_valid(const char *s);

#endif /* NM_CORE_H */
