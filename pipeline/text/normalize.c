/*
 * normalize.c - the normalised form and the Snowball stem of every token.
 *
 * Input: doc->toks.  Output: for each token, norm (NFKC + Unicode case fold,
 * then the model's fold table: curly quotes to ASCII quotes, dashes to '-')
 * and stem (the English Snowball stem of norm, for word tokens), both
 * NUL-terminated in doc->strings.  The text itself is never changed.
 * Stems are filled in on demand (nm__doc_stems: by a stage that reads them,
 * the token API, --debug-tokens): stemming was a fifth of the whole run's
 * time, and no rule of the temporal stage reads a stem.
 *
 * Fast paths, because this stage sees every token of every article:
 *  - an ASCII token is only lower-cased (NFKC and case folding of ASCII are
 *    exactly that; the fold table holds non-ASCII code points only);
 *  - stems are cached per pipeline: news vocabulary is Zipfian, so after a
 *    few articles almost every word is a hit.  Two direct-mapped levels
 *    with keys and stems stored inline (48-byte slots): a small one that
 *    stays in the CPU's L2 cache for the frequent words, a large one for
 *    the tail.  A hit costs one hash and one compare; a collision simply
 *    evicts.  Sizes are fixed, so memory does not grow with the input;
 *  - a stem equal to its norm shares the norm's bytes.
 * Non-ASCII tokens go through utf8proc_decompose + utf8proc_normalize_utf32
 * into a scratch buffer of ours (utf8proc_map would allocate behind our
 * allocation hooks).
 */
#include <libstemmer.h>
#include <string.h>
#include <utf8proc.h>

#include "core.h"

#define STEM_L1_SLOTS 4096     /* direct-mapped, 192 KiB: stays in L2 */
#define STEM_CACHE_SLOTS 65536 /* direct-mapped, 3 MiB: the long tail */
#define STEM_CACHE_KEY 22      /* longer words are stemmed every time */
#define MAX_STEM_INPUT 64 /* longer words are not stemmed: Snowball gains
                             nothing on them and they are rarely words */

typedef struct stem_slot {
    uint8_t key_len;  /* 0: empty */
    uint8_t stem_len; /* STEM_SAME: the stem is the key */
    char key[STEM_CACHE_KEY];
    char stem[STEM_CACHE_KEY + 2];
} stem_slot;

#define STEM_SAME 0xFF

typedef struct stem_work {
    uint32_t tok;  /* token index */
    uint32_t hash; /* nm_hash of its norm (0 if too long to cache) */
} stem_work;

#define PREFETCH 8

typedef struct norm_state {
    const nm_model *m;
    struct sb_stemmer *stemmer;
    stem_slot *l1;
    stem_slot *cache;
    stem_work *work; /* the tokens to stem, for the second pass */
    size_t n_work, cap_work;
    int32_t *cps; /* scratch code points */
    size_t cps_cap;
    nm_buf scratch;
} norm_state;

static void norm_close(void *state)
{
    norm_state *st = state;
    if (!st)
        return;
    if (st->stemmer)
        sb_stemmer_delete(st->stemmer);
    nm__free(&st->m->alloc, st->cache);
    nm__free(&st->m->alloc, st->l1);
    nm__free(&st->m->alloc, st->work);
    nm__free(&st->m->alloc, st->cps);
    nm_buf_free(&st->scratch);
    nm__free(&st->m->alloc, st);
}

static int norm_open(void **state, const nm_model *m, const nm_opts *o, nm_err *err)
{
    int rc = 0;
    (void)o;
    norm_state *st = nm__calloc(&m->alloc, 1, sizeof(*st));
    if (!st)
        return nm__err_set(err, NM_ENOMEM, "out of memory");
    st->m = m;
    nm_buf_init(&st->scratch, (size_t)1 << 30, &m->alloc);
    if (!(st->stemmer = sb_stemmer_new("english", NULL))) {
        rc = nm__err_set(err, NM_ENOMEM, "normalize: cannot create the Snowball English stemmer");
        goto done;
    }
    if (!(st->cache = nm__calloc(&m->alloc, STEM_CACHE_SLOTS, sizeof(*st->cache))) ||
        !(st->l1 = nm__calloc(&m->alloc, STEM_L1_SLOTS, sizeof(*st->l1)))) {
        rc = nm__err_set(err, NM_ENOMEM, "out of memory");
        goto done;
    }
done:
    if (rc < 0) {
        norm_close(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

/* NFKC + case fold + fold table of a non-ASCII token into st->scratch. */
static int norm_unicode(norm_state *st, const char *s, size_t n, nm_err *err)
{
    /* as utf8proc_map does for NFKC_Casefold: COMPOSE also makes the
     * decomposition step decompose */
    const utf8proc_option_t opts = (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPAT |
                                                       UTF8PROC_CASEFOLD | UTF8PROC_COMPOSE);
    utf8proc_ssize_t got;
    for (;;) {
        got = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n,
                                 st->cps, (utf8proc_ssize_t)st->cps_cap, opts);
        if (got < 0)
            return nm__err_set(err, NM_EUTF8, "normalize: %s", utf8proc_errmsg(got));
        if ((size_t)got <= st->cps_cap)
            break;
        size_t cap = (size_t)got + 64;
        int32_t *p = nm__realloc(&st->m->alloc, st->cps, cap * sizeof(int32_t));
        if (!p)
            return nm__err_set(err, NM_ENOMEM, "out of memory");
        st->cps = p;
        st->cps_cap = cap;
    }
    got = utf8proc_normalize_utf32(st->cps, got, opts);
    if (got < 0)
        return nm__err_set(err, NM_EUTF8, "normalize: %s", utf8proc_errmsg(got));
    nm_buf_clear(&st->scratch);
    for (utf8proc_ssize_t i = 0; i < got; i++) {
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t len = utf8proc_encode_char(st->cps[i], enc);
        int rc;
        const nm_strtab_entry *e = st->cps[i] >= 0x80
            ? nm_strtab_get(&st->m->fold, (const char *)enc, (size_t)len) : NULL;
        if (e)
            rc = nm_buf_put(&st->scratch, nm_strtab_val(&st->m->fold, e), e->val_len);
        else
            rc = nm_buf_put(&st->scratch, enc, (size_t)len);
        if (rc < 0)
            return nm__err_set(err, rc, "normalize: %s", nm_strerror(rc));
    }
    return 0;
}

/*
 * The first N (<= 8) bytes of P as a zero-padded word.  Norms in
 * doc->strings always have 8 bytes of room after them, so reading 8 is safe.
 */
static inline uint64_t load_masked(const char *p, size_t n)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return n >= 8 ? w : w & ((1ull << (8 * n)) - 1);
}

/* Does slot E hold key P[0..N)?  Keys are zero-padded in the slot. */
static inline bool slot_is(const stem_slot *e, const char *p, size_t n)
{
    if (e->key_len != n)
        return false;
    uint64_t a;
    memcpy(&a, e->key, 8);
    if (a != load_masked(p, n))
        return false;
    return n <= 8 || memcmp(e->key + 8, p + 8, n - 8) == 0;
}

/* Lower-case 8 ASCII bytes at once: set bit 5 of every byte in 'A'..'Z'.
 * Bytes are < 0x80, so the additions never carry into the next byte. */
static inline uint64_t ascii_lower8(uint64_t w)
{
    const uint64_t hi = 0x8080808080808080ull;
    uint64_t ge_a = w + 0x3F3F3F3F3F3F3F3Full; /* high bit: byte >= 'A' */
    uint64_t gt_z = w + 0x2525252525252525ull; /* high bit: byte > 'Z' */
    return w | ((ge_a & ~gt_z & hi) >> 2);
}

static int norm_stems(void *state, nm_doc *d);

static int norm_run(void *state, nm_doc *d, nm_err *err)
{
    norm_state *st = state;
    int rc;

    for (size_t ti = 0; ti < d->n_toks; ti++) {
        nm_tok *t = &d->toks[ti];
        const char *s = d->text + t->start;
        size_t n = t->end - t->start;
        const char *norm;
        size_t norm_len;

        if (t->flags & NM_TF_ASCII) {
            /* lower-case straight into doc->strings, 8 bytes at a time;
             * the last round may read and write up to 7 bytes past the
             * token (room is reserved, and the NUL or the next token
             * overwrites them); carries only move towards later bytes */
            if (d->strings.cap - d->strings.len < n + 1 + 8 &&
                (rc = nm_buf_grow(&d->strings, n + 1 + 8 + d->text_len - t->start)) < 0)
                return nm__err_set(err, rc, "normalize: %s", nm_strerror(rc));
            char *dst = d->strings.ptr + d->strings.len;
            for (size_t i = 0; i < n; i += 8) {
                uint64_t w = 0;
                if (t->start + i + 8 <= d->text_len)
                    memcpy(&w, s + i, 8);
                else
                    memcpy(&w, s + i, d->text_len - t->start - i);
                w = ascii_lower8(w);
                memcpy(dst + i, &w, 8);
            }
            dst[n] = '\0';
            t->norm_off = (uint32_t)d->strings.len;
            d->strings.len += n + 1;
            norm_len = n;
        } else {
            if ((rc = norm_unicode(st, s, n, err)) < 0)
                return rc;
            if ((rc = nm__doc_str(d, st->scratch.ptr, st->scratch.len, &t->norm_off)) < 0)
                return nm__err_set(err, rc, "normalize: %s", nm_strerror(rc));
            norm_len = st->scratch.len;
        }
        t->norm_len = (uint32_t)norm_len;
        norm = d->strings.ptr + t->norm_off;
        if (t->kind != NM_TOK_WORD) {
            t->stem_off = t->norm_off + t->norm_len; /* the NUL: "" */
            t->stem_len = 0;
            t->hash = 0;
            continue;
        }
        t->stem_off = t->norm_off;
        t->stem_len = t->norm_len;
        /* one hash a word, for the stem cache here and for the lookups of
         * later stages (trigger words) */
        t->hash = nm_hash_padded(norm, norm_len); /* norms have 8 readable bytes after them */
    }
    /* stems when a stage or the caller first asks (nm__doc_stems) */
    d->stem_fn = norm_stems;
    d->stem_state = st;
    return 0;
}

/*
 * The stems of doc D's words.  Two passes: the first lists the words to stem
 * and prefetches their small-cache lines; the second looks them up, with the
 * large cache level prefetched PREFETCH words ahead: its misses go to
 * memory, and overlapping them is what keeps this pass fast.
 */
static int norm_stems(void *state, nm_doc *d)
{
    norm_state *st = state;
    int rc;

    if (d->n_toks > st->cap_work) {
        size_t cap = d->n_toks + d->n_toks / 2 + 64;
        stem_work *w = nm__realloc(&st->m->alloc, st->work, cap * sizeof(*w));
        if (!w)
            return NM_ENOMEM;
        st->work = w;
        st->cap_work = cap;
    }
    st->n_work = 0;
    for (size_t ti = 0; ti < d->n_toks; ti++) {
        const nm_tok *t = &d->toks[ti];
        /* Porter2: a word of two letters or fewer is its own stem */
        if (t->kind != NM_TOK_WORD || t->norm_len <= 2 || t->norm_len > MAX_STEM_INPUT)
            continue; /* (a WORD token always has a letter) */
        uint32_t h = t->norm_len <= STEM_CACHE_KEY ? t->hash : 0;
        st->work[st->n_work++] = (stem_work){(uint32_t)ti, h};
        __builtin_prefetch(&st->l1[h & (STEM_L1_SLOTS - 1)]);
    }
    for (size_t wi = 0; wi < st->n_work; wi++) {
        if (wi + PREFETCH < st->n_work)
            __builtin_prefetch(&st->cache[(st->work[wi + PREFETCH].hash >> 12) & (STEM_CACHE_SLOTS - 1)]);
        nm_tok *t = &d->toks[st->work[wi].tok];
        const char *norm = d->strings.ptr + t->norm_off;
        size_t norm_len = t->norm_len;
        uint32_t h = st->work[wi].hash;
        stem_slot *e = NULL, *e1 = NULL;
        const char *stem;
        size_t stem_len;
        if (norm_len <= STEM_CACHE_KEY) {
            e1 = &st->l1[h & (STEM_L1_SLOTS - 1)];
            e = &st->cache[(h >> 12) & (STEM_CACHE_SLOTS - 1)];
            if (!slot_is(e1, norm, norm_len)) {
                if (slot_is(e, norm, norm_len))
                    *e1 = *e; /* promote */
                else
                    e1 = NULL;
            }
            if (e1) {
                if (e1->stem_len == STEM_SAME)
                    continue;
                stem = e1->stem;
                stem_len = e1->stem_len;
                goto have_stem;
            }
            e1 = &st->l1[h & (STEM_L1_SLOTS - 1)];
        }
        const sb_symbol *sb = sb_stemmer_stem(st->stemmer, (const sb_symbol *)norm, (int)norm_len);
        if (!sb)
            return NM_ENOMEM; /* the stemmer ran out of memory */
        stem = (const char *)sb;
        stem_len = (size_t)sb_stemmer_length(st->stemmer);
        bool same = stem_len == norm_len && memcmp(stem, norm, norm_len) == 0;
        if (e && (same || stem_len <= sizeof(e->stem))) {
            e->key_len = (uint8_t)norm_len;
            memset(e->key, 0, sizeof(e->key)); /* slot_is compares padded words */
            memcpy(e->key, norm, norm_len);
            e->stem_len = same ? STEM_SAME : (uint8_t)stem_len;
            if (!same)
                memcpy(e->stem, stem, stem_len);
            *e1 = *e;
        }
        if (same)
            continue;
    have_stem:
        if ((rc = nm__doc_str(d, stem, stem_len, &t->stem_off)) < 0)
            return rc;
        t->stem_len = (uint32_t)stem_len;
    }
    return 0;
}

const nm_stage_type nm__stage_normalize = {
    "normalize", NM_PHASE_NORMALIZE, norm_open, norm_run, norm_close,
};
