/*
 * clauses.h - the clause stage's model: trigger patterns of the contract
 * clause types, their vetoes, and the cue words of status, negation,
 * modality and challenge, all matched on tokens by their stems (spelling
 * variants folded).  Internal to the library.
 */
#ifndef NM_CLAUSES_H
#define NM_CLAUSES_H

#include "../core/core.h"

/* The 22 types of ../shared/clause-taxonomy.md, and the optional 23rd. */
#define NM_CLAUSE_TYPES(X)                                                                         \
    X(EXCLUSIVITY) X(ROFR) X(NON_COMPETE) X(NO_POACH) X(REVENUE_SHARE) X(LICENSE_GRANT)            \
    X(PERPETUAL_LICENSE) X(IP_OWNERSHIP) X(TERM_EXPIRY) X(RENEWAL_EXTENSION)                       \
    X(TERMINATION_TRIGGER) X(CHANGE_OF_CONTROL) X(MINIMUM_COMMITMENT) X(CAPACITY_SUPPLY)           \
    X(PRICING_MFN) X(TIE_IN_BUNDLING) X(EQUITY_GOVERNANCE) X(LIABILITY_INDEMNITY)                  \
    X(TERMINATION_FEE) X(AUDIT_VERIFICATION) X(POST_TERMINATION) X(NON_DISPARAGEMENT)              \
    X(GOVERNING_LAW_DISPUTE)

enum {
#define X(n) CL_##n,
    NM_CLAUSE_TYPES(X)
#undef X
    CL_NTYPES
};

/* Statuses, then the other cue classes. */
enum {
    ST_UNSPECIFIED = 0, ST_GRANTED, ST_REMOVED, ST_RETAINED, ST_MODIFIED, ST_EXTENDED, ST_PROPOSED,
    CUE_NEGATION, CUE_CEASE, CUE_CHALLENGE, CUE_REPLACE, CUE_CONDITION, CUE_SELL, CUE_WILL, CUE_NEUTRAL,
    CUE_OBLIGATION, CUE_NCLASSES
};

extern const char *const nm__clause_type_names[CL_NTYPES];
extern const char *const nm__clause_status_names[ST_PROPOSED + 1];

/* One element of a pattern. */
enum { EL_WORD, EL_GAP, EL_SPAN };
typedef struct nm_cl_elem {
    uint8_t kind;     /* EL_* */
    uint8_t opt;      /* may be absent */
    uint8_t gap;      /* EL_GAP: at most this many tokens */
    uint8_t in_span;  /* inside [ ]: part of the reported span */
    uint8_t by_norm;  /* EL_WORD: keys of norms (the word as written, folded), not stems */
    uint32_t alt_off; /* EL_WORD: keys[alt_off .. alt_off + n_alt) */
    uint32_t n_alt;
    const char *span_type; /* EL_SPAN: "DATE", "ORG"... (static) */
} nm_cl_elem;

typedef struct nm_cl_pattern {
    uint32_t elem_off, n_elem; /* in elems */
    int cls;                   /* a clause type, or a cue class */
    int status;                /* a trigger's own status (ST_*), or -1 */
    bool veto;                 /* a veto of CLS (or of every type: cls -1) */
    bool news_only;            /* STATUS "news": not in contract language (hereby, shall...) */
    bool contract_only;        /* STATUS "contract": only in contract language */
    const char *where;         /* "FILE:LINE", in the arena */
} nm_cl_pattern;

/* Patterns indexed by the key of their first element. */
typedef struct nm_cl_index {
    struct nm_cl_slot *slots; /* key -> [off, off + n) of ids */
    size_t mask;
    uint32_t *ids;
    size_t n_ids;
} nm_cl_index;

#define CL_BLOOM_BITS 16384

typedef struct nm_clauses {
    nm_cl_pattern *pats;
    size_t n_pats, cap_pats;
    nm_cl_elem *elems;
    size_t n_elems, cap_elems;
    uint32_t *keys;
    size_t n_keys, cap_keys;
    nm_buf arena;         /* raw lines while loading, then "where" strings */
    nm_cl_index triggers; /* triggers and vetoes */
    /* a bit for the nm_hash of each variant spelling, stems and words: most
     * tokens are none, and this says so without a lookup */
    uint64_t vbloom[CL_BLOOM_BITS / 64];
    nm_cl_index cues;
    nm_strtab *variants;  /* stem of a variant spelling -> stem of the canonical one */
    const nm_strtab *wvariants; /* the "variants" table itself: word -> word */
    /* raw lines: KIND\0FIELD\0FIELD\0FIELD\0WHERE\0, parsed by nm__clauses_build */
    nm_buf raw;
    size_t n_raw;
} nm_clauses;

int nm__clauses_load(nm_model *m, const char *mpath, long mline, const char *rel, bool cues);
/* Compile the patterns with the model's own tokenizer and stemmer. */
int nm__clauses_build(nm_model *m);
void nm__clauses_free(nm_model *m);

#endif
