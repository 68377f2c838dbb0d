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
 *   triggers  "a,b,c": table names (every key of the table), "digit" (a
 *             token with a digit), or lower-case words; a rule is tried on a
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
    uint64_t trig;     /* trigger bits */
    void *code;        /* pcre2_code * */
    void *payload;     /* the owning stage's compiled form of the fields */
} nm_rule;

typedef struct nm_rule_set {
    nm_rule *rules;
    size_t n, cap;
    uint32_t max_pairs;  /* largest ovector any rule needs */
    nm_strtab trig_words; /* lower-case word -> trigger bits */
    int next_bit;
    int pattern_field, trigger_field;
} nm_rule_set;

/** A named table of the model (models/temporal/month.tsv -> "month"). */
const nm_strtab *nm__model_table(const nm_model *m, const char *name);

int nm__rules_init(nm_rule_set *rs, int pattern_field, int trigger_field, const nm_allocator *a);
void nm__rules_free(nm_rule_set *rs, const nm_allocator *a);
/** Keep one rule line (fields copied); compiled later by nm__rules_compile. */
int nm__rules_add(nm_rule_set *rs, const char *path, long line, char **fields, int n_fields,
                  const nm_allocator *a);
/** Expand macros, compile with JIT, index triggers.  Errors name FILE:LINE. */
int nm__rules_compile(nm_rule_set *rs, const nm_model *m, nm_err *err);
/** Index of a named group of rule R, or -1. */
int nm__rule_group(const nm_rule *r, const char *name);

/** Per-thread matching state. */
typedef struct nm_matcher {
    void *md; /* pcre2_match_data * */
    const nm_allocator *alloc;
} nm_matcher;

int nm__matcher_init(nm_matcher *mt, const nm_rule_set *rs, const nm_allocator *a);
void nm__matcher_free(nm_matcher *mt);

/** The trigger bits of tokens [b, e) of D. */
uint64_t nm__rules_sentence_bits(const nm_rule_set *rs, const nm_doc *d, size_t b, size_t e);

/**
 * Find the next match of R in D's text within [*pos, end).  On a match,
 * *pos moves past it (at least one byte) and ov[0..2*n) holds the offsets
 * of the groups (PCRE2_UNSET for a group that did not take part).
 * @return the number of pairs, 0 when there is no further match, or < 0.
 */
int nm__rule_next(nm_matcher *mt, const nm_rule *r, const nm_doc *d, size_t *pos, size_t end,
                  const size_t **ov);

#endif
