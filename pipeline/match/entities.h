/*
 * entities.h - the entity stage's model parts: the gazetteer (lists of
 * names with canonical ids), the tagger's features and weights, and
 * training.  Internal to the library.
 */
#ifndef NM_ENTITIES_H
#define NM_ENTITIES_H

#include "../core/core.h"

/* ------------------------------------------------------------ gazetteer */

enum { GZ_CASED = 0, GZ_FOLD, GZ_TITLE };

typedef struct nm_gz_list {
    char file[96];
    char type[8];     /* PER ORG LOC MISC CUR */
    char subtype[24]; /* company, country, given-name... */
    int casing;       /* GZ_* */
    bool span;        /* USE "span": a match may become an entity */
    int ner_type;     /* index in nm__ner_types, or -1 (CUR) */
} nm_gz_list;

/* One token of an alias: its norm and its text as written (arena offsets,
 * NUL-terminated and padded), their lengths, and nm_hash of the norm. */
typedef struct nm_gz_tok {
    uint32_t norm_off, text_off;
    uint32_t hash;
    uint16_t norm_len, text_len;
} nm_gz_tok;

/* An entry in its group: what decides most candidates without reading the
 * entry itself. */
typedef struct nm_gz_fe {
    uint32_t entry, n_toks;
    uint32_t up; /* only a token with an ASCII capital can match its first token */
} nm_gz_fe;

/* A group of fe[]: the entries whose first tokens hash to KEY. */
typedef struct nm_gz_group {
    uint64_t key; /* 0: empty slot */
    uint32_t off, n;
} nm_gz_group;

#define GZ_BLOOM_BITS ((size_t)1 << 17)

typedef struct nm_gz_entry {
    uint32_t list;
    uint32_t n_toks;
    uint32_t toks;   /* first of its n_toks in gz->toks */
    uint32_t id_off; /* canonical id, in the arena */
} nm_gz_entry;

typedef struct nm_gazetteer {
    nm_gz_list *lists;
    size_t n_lists;
    nm_gz_entry *entries;
    size_t n_entries, cap_entries;
    nm_gz_tok *toks; /* the aliases' tokens */
    size_t n_tok, cap_tok;
    nm_buf arena;
    /* the index: entries grouped by the hashes of their first two tokens
     * (one-token aliases by the first alone), each group longest first in
     * fe[]; an open-addressing table of the groups, and a bit filter in
     * front of it that answers "no group" for most words from cache */
    nm_gz_fe *fe;
    nm_gz_group *groups;
    size_t n_groups_mask; /* slots - 1 */
    uint64_t *bloom;      /* GZ_BLOOM_BITS bits */
    /* read while loading, tokenised once every model file is in: alias,
     * NUL, id, NUL, in one buffer (one allocation, not two a line) */
    nm_buf raw;
    uint32_t *raw_off, *raw_list;
    size_t n_raw, cap_raw;
} nm_gazetteer;

/* One match of an alias over tokens [b, e) of a document. */
typedef struct nm_gz_match {
    uint32_t b, e;
    uint32_t entry;
} nm_gz_match;

int nm__gz_load(nm_model *m, const char *mpath, long mline, const char *rel);
/* Tokenise the aliases with the model's own tokenizer (after all files). */
int nm__gz_build(nm_model *m);
void nm__gz_free(nm_model *m);
/* Every match in sentence [b, e) (all lists, all lengths that match at a
 * token; for each start and list only the longest), appended to *out. */
int nm__gz_match(const nm_gazetteer *gz, const nm_doc *d, size_t b, size_t e, nm_gz_match **out,
                 size_t *n, size_t *cap, const nm_allocator *a);
static inline const char *nm__gz_id(const nm_gazetteer *gz, const nm_gz_entry *en)
{
    return gz->arena.ptr + en->id_off;
}

/* ---------------------------------------------------------------- tagger */

/* BILOU tags over four types, O first. */
enum { NER_O = 0, NER_NTYPES = 4, NER_NTAGS = 1 + 4 * NER_NTYPES };
/* The indices of nm__ner_types. */
enum { NER_PER = 0, NER_ORG, NER_LOC, NER_MISC };
/* A row of weights is padded to 24: three vector adds, no scalar tail. */
enum { NER_STRIDE = 24 };
enum { BIO_B = 0, BIO_I, BIO_L, BIO_U };
#define NER_TAG(type, pos) (1 + (type) * 4 + (pos))
#define NER_TYPE_OF(tag) (((tag) - 1) / 4)
#define NER_POS_OF(tag) (((tag) - 1) % 4)
extern const char *const nm__ner_types[NER_NTYPES];
/* The index of type T ("ORG") in nm__ner_types, or -1. */
int nm__ner_type_index(const char *t);

typedef struct nm_ner_weights {
    void *block;    /* what the arrays below are carved from */
    uint64_t *keys; /* 0: empty slot */
    uint32_t *row;  /* the slot's row of weights */
    int16_t *w;     /* NER_STRIDE a row (NER_NTAGS used), rows packed */
    size_t mask;
    size_t n;
    /* one bit a hash: most features of a text are not in the model, and
     * this small bitmap (it stays in cache) says so without a probe */
    uint64_t *filter;
    size_t filter_mask; /* in bits */
} nm_ner_weights;

static inline const int16_t *nm__ner_row(const nm_ner_weights *w, uint64_t key)
{
    size_t b = (size_t)(key >> 40) & w->filter_mask;
    if (!(w->filter[b >> 6] & (1ull << (b & 63))))
        return NULL;
    size_t s = (size_t)(key ^ (key >> 29)) & w->mask;
    while (w->keys[s] && w->keys[s] != key)
        s = (s + 1) & w->mask;
    return w->keys[s] ? w->w + (size_t)w->row[s] * NER_STRIDE : NULL;
}

int nm__ner_load(nm_model *m, const char *mpath, long mline, const char *rel);
void nm__ner_free(nm_model *m);

/* Per-token hashes the features are made of (one sentence). */
typedef struct nm_ner_tinfo {
    uint64_t word, raw, shape, shapec;
} nm_ner_tinfo;

/* Per-pipeline feature scratch. */
typedef struct nm_ner_feats {
    nm_ner_tinfo *ti; /* cap of them: the current sentence's tokens */
    uint8_t *have;    /* which of them are worked out */
    uint64_t *f;     /* static features, FEATS_MAX a token */
    uint8_t *nf;     /* how many for each token */
    size_t cap;      /* tokens (ti, have) */
    size_t cap_f;    /* tokens (f, nf: nm__ner_sentence_features only) */
    uint32_t *doc_flags; /* per token: the word's use elsewhere in the document */
    size_t cap_flags;
    uint32_t *seen_keys; /* per document: word hash -> flags (open addressing) */
    uint8_t *seen_val;
    size_t seen_cap;
    const nm_allocator *alloc;
    /* the features of a token's text alone (nm__ner_word_features) are
     * left out of nm__ner_token_features: the caller scores them from a
     * cache of its own */
    bool words_cached;
} nm_ner_feats;

#define NER_FEATS_MAX 64

void nm__ner_feats_free(nm_ner_feats *nf);
/* Document-wide facts the features use (once a document). */
int nm__ner_doc_prepare(nm_ner_feats *nf, const nm_doc *d);
/* The static features of each token of sentence [b, e), given the
 * gazetteer matches of the sentence. */
/* Which tokens of [b, e) the tagger looks at: a capital anywhere in it, or
 * a gazetteer list over it (CAND[i-b] = 1).  Others are O unless an entity
 * is open before them; the tagger never scores them otherwise. */
void nm__ner_candidates(const nm_doc *d, size_t b, size_t e, const nm_gz_match *gm, size_t n_gm,
                        uint8_t *cand);
/* The words and shapes around token I that its features pair up. */
typedef struct nm_ner_ctx {
    uint64_t wm2, wm1, w0, wp1, wp2; /* words, I-2..I+2 (or the sentence bounds) */
    uint64_t sm1, s0, sp1;           /* compressed shapes, I-1..I+1 */
} nm_ner_ctx;
/* Token I's context, from the hashes nm__ner_ensure_info worked out. */
void nm__ner_ctx_of(const nm_ner_feats *nf, size_t b, size_t e, size_t i, nm_ner_ctx *c);
/* The hashes of token I (all of them). */
void nm__ner_token_info(const nm_doc *d, size_t i, nm_ner_tinfo *ti);
/* A key for token I's type: tokens with the same key have the same hashes
 * and word features; 0 for a token too long to have one. */
uint64_t nm__ner_type_key(const nm_doc *d, size_t i);
/* The word (and shape) a sentence bound stands for, left or right. */
uint64_t nm__ner_bound(bool right);
/* The features a token gives its neighbours by its word and shape alone,
 * into K: as the token before (K[0], K[1]), after (K[2], K[3]), two before
 * (K[4]) and two after (K[5]). */
void nm__ner_type_keys(uint64_t word, uint64_t shapec, uint64_t k[6]);
/* Token I's static features other than its word's (nm__ner_word_features)
 * and its neighbours' alone (nm__ner_type_keys): bias, pairs, place, case,
 * document and gazetteer; K0 features are already in the caller's row.
 * @return how many. */
size_t nm__ner_rest_features(const nm_ner_feats *nf, const nm_model *m, const nm_doc *d, size_t b,
                             size_t e, size_t i, const nm_gz_match *gm, size_t n_gm,
                             const nm_ner_ctx *c, uint64_t *f, size_t k0, unsigned *small);
/* With SMALL not NULL, nm__ner_rest_features leaves out the features of
 * few values (bias, place and case, line breaks, the document's uses of
 * the word) and codes them in *SMALL, below NER_SMALL_CODES; their keys are
 * nm__ner_small_keys(code) (at most 4), so a caller can sum their weights
 * once for every code. */
enum { NER_SMALL_LINES = 1u << 7, NER_SMALL_DOC = 1u << 8, NER_SMALL_CODES = 1u << 9 };
void nm__ner_small_keys(unsigned code, uint64_t *out, size_t *n);
/* The static features of token I of sentence [b, e) into F (room for
 * NER_FEATS_MAX), once nm__ner_sentence_features has run on the sentence;
 * @return how many. */
size_t nm__ner_token_features(const nm_ner_feats *nf, const nm_model *m, const nm_doc *d, size_t b,
                              size_t e, size_t i, const nm_gz_match *gm, size_t n_gm, uint64_t *f);
/* The features of token I that depend on its text alone (the word as
 * written and normalised, prefixes, suffixes, shapes), into F; @return how
 * many (at most 12). */
size_t nm__ner_word_features(const nm_ner_feats *nf, const nm_doc *d, size_t b, size_t i, uint64_t *f);
/* Work out the hashes of tokens I-2..I+2 of the sentence, if not yet
 * (before nm__ner_token_features or the dynamic features of I). */
void nm__ner_ensure_info(nm_ner_feats *nf, const nm_doc *d, size_t b, size_t e, size_t i);
/* Make room for the hashes of a sentence of NT tokens, none of them worked
 * out yet (the features' room is nm__ner_sentence_features's). */
int nm__ner_sentence_begin(nm_ner_feats *nf, size_t nt);
/* WANT (may be NULL: all): which tokens need features. */
int nm__ner_sentence_features(nm_ner_feats *nf, const nm_model *m, const nm_doc *d, size_t b,
                              size_t e, const nm_gz_match *gm, size_t n_gm, const uint8_t *want);
/* The features that depend on the tags before token i (t1 = tag of i-1,
 * t2 = of i-2), into OUT; @return how many. */
size_t nm__ner_dyn_features(const nm_ner_feats *nf, size_t b, size_t i, int t2, int t1, uint64_t *out);
/* The same split: the keys that depend on the tags alone (cacheable per
 * pipeline), and the two that pair the tag before with the word. */
void nm__ner_tag_keys(int t2, int t1, uint64_t *k_t1, uint64_t *k_t21);
void nm__ner_word_tag_keys(uint64_t word, uint64_t shapec, int t1, uint64_t out[2]);
/* Tag BEST chosen for token I of a sentence starting at B: made
 * consistent with TAGS[b..i) (an entity left open is closed, an I or L with
 * nothing open starts one), TAGS[i-1] fixed up if need be.  @return the
 * tag to record for I. */
int nm__ner_repair(uint8_t *tags, size_t i, size_t b, int best);
/* May tag NEXT follow tag PREV (BILOU)? */
bool nm__ner_allowed(int prev, int next);

#endif
