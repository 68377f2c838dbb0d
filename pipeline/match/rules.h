/*
 * rules.h - regex rules as data: loading, macro expansion, trigger index,
 * PCRE2 JIT compilation and matching within a sentence.
 *
 * Shared by the match stages (temporal now; clauses later).  A rule file
 * holds one rule a line; its fields are given to the owning stage as
 * strings, apart from the pattern and the triggers, which this module
 * handles:
 *
 *   pattern   PCRE2, UTF, caseless; {name} expands to the alternation of
 *             the keys of the model table "name" (longest first, escaped,
 *             spaces matching any white space)
 *   reach     how many tokens before a trigger a match may start
 *   triggers  "a,b,c": table names (every key of the table), token shapes
 *             (#digit, #year, #clock, #date, #q), or lower-case words; a rule is tried on a
 *             sentence only if one of its triggers occurs in it, so the cost
 *             of a sentence does not grow with the number of rules
 */
#ifndef NM_RULES_H
#define NM_RULES_H

#include "../core/core.h"

typedef struct nm_rule {
    char **fields;     /* the line's fields, as written */
    int n_fields;
    char *where;       /* "models/FILE:LINE" */
    uint16_t trig[16]; /* trigger ids */
    int n_trig;
    uint16_t req[16];  /* after '&': the sentence must also hold one of these */
    int n_req;
    int reach;         /* tokens before a trigger where a match may start */
    void *code;        /* pcre2_code *, anchored */
    uint8_t first[32]; /* bytes a match can start with (all if unknown) */
    bool jit;          /* JIT-compiled: pcre2_jit_match may be called */
    bool utf;          /* compiled in UTF mode (the pattern names non-ASCII) */
    void *payload;     /* the owning stage's compiled form of the fields */
} nm_rule;

typedef struct nm_rule_set {
    nm_rule *rules;
    size_t n, cap;
    uint32_t max_pairs;  /* largest ovector any rule needs */
    nm_strtab trig_words; /* lower-case word -> its trigger ids (uint16_t[]) */
    int n_ids;            /* trigger ids handed out */
    uint32_t *by_id_off;  /* rules of each trigger id: by_id[by_id_off[i]..[i+1]) */
    uint32_t *by_id;
    struct nm_fslot *fast; /* trigger words again, inline (nm__rules_seal) */
    size_t fast_mask;
    uint8_t filter[8192]; /* a bit per hash of every trigger word: most words
                             are no trigger, and this says so without a lookup */
    struct nm_rule_set *share; /* if set, the set whose trigger index this
                                  one uses, so both are found in one pass */
    int pattern_field, trigger_field, reach_field;
} nm_rule_set;

/** A named table of the model (models/temporal/month.tsv -> "month"). */
const nm_strtab *nm__model_table(const nm_model *m, const char *name);

int nm__rules_init(nm_rule_set *rs, int pattern_field, int trigger_field, int reach_field,
                   const nm_allocator *a);
void nm__rules_free(nm_rule_set *rs, const nm_allocator *a);
/** Keep one rule line (fields copied); compiled later by nm__rules_compile. */
int nm__rules_add(nm_rule_set *rs, const char *path, long line, char **fields, int n_fields,
                  const nm_allocator *a);
/** Expand macros, compile with JIT, index triggers.  Errors name FILE:LINE. */
int nm__rules_compile(nm_rule_set *rs, const nm_model *m, nm_err *err);
/**
 * A trigger id for NAME that no rule uses, and WORDS (the keys of a table)
 * as words that give it: a stage can learn where such words stand from
 * the same pass that finds the rules' triggers.  @return the id, or < 0.
 */
int nm__rules_word_trigger(nm_rule_set *rs, const char *name, const nm_strtab *words,
                           const char *only_value);

/**
 * Once every trigger word is in: copy the index into a flat table with the
 * words inline, so that a lookup is one probe and two compares.
 * @return 0 or NM_ENOMEM.
 */
int nm__rules_seal(nm_rule_set *rs, const nm_allocator *a);

/** Index of a named group of rule R, or -1. */
int nm__rule_group(const nm_rule *r, const char *name);

/** Per-thread matching state. */
typedef struct nm_matcher {
    void *md;    /* pcre2_match_data * */
    void *mctx;  /* pcre2_match_context *, with jstack assigned */
    void *jstack; /* pcre2_jit_stack * */
    const nm_allocator *alloc;
} nm_matcher;

int nm__matcher_init(nm_matcher *mt, const nm_rule_set *rs, const nm_allocator *a);
void nm__matcher_free(nm_matcher *mt);

/**
 * The triggers present in a sentence (ids < NM_MAX_TRIGGERS), and where:
 * (trigger id, token index) pairs, in token order.
 */
#define NM_MAX_TRIGGERS 1024
typedef struct nm_trighit {
    uint16_t id;
    uint32_t tok;
    int32_t next; /* the next hit of the same id, or -1 */
} nm_trighit;

typedef struct nm_trigset {
    uint64_t w[NM_MAX_TRIGGERS / 64];
    nm_trighit *hits;
    size_t n_hits, cap_hits;
    uint32_t *stamp; /* per token of the document: last rule that tried it */
    size_t cap_stamp;
    uint32_t clock;
    int32_t head[NM_MAX_TRIGGERS]; /* first hit of each id, or -1 */
    int32_t tail[NM_MAX_TRIGGERS];
    const nm_allocator *alloc;
} nm_trigset;

void nm__trigset_init(nm_trigset *ts, const nm_allocator *a);
void nm__trigset_free(nm_trigset *ts);

/** Fill *OUT with the triggers of tokens [b, e) of D. */
int nm__rules_sentence_triggers(const nm_rule_set *rs, const nm_doc *d, size_t b, size_t e,
                                nm_trigset *out);

/**
 * Call FN for each match of R that starts at one of the R->reach tokens
 * before a token with one of R's triggers (or at that token), within
 * [b, e) of D.
 * Each start is tried once, anchored: the cost follows the triggers, not
 * the length of the sentence.  FN returns < 0 to stop.
 */
typedef int (*nm_match_fn)(const nm_rule *r, const size_t *ov, int n_pairs, void *payload);
int nm__rule_each_match(nm_matcher *mt, const nm_rule *r, const nm_doc *d, nm_trigset *ts,
                        size_t b, size_t e, nm_match_fn fn, void *payload);

/**
 * The rules of RS with a trigger in TS, in file order, into OUT (room for
 * rs->n); @return how many.  Cost follows the triggers present.
 */
size_t nm__rules_triggered(const nm_rule_set *rs, nm_trigset *ts, uint32_t *out);

#endif
