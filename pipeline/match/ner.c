/*
 * ner.c - the entity tagger: an averaged perceptron over BILOU tags,
 * decoded greedily left to right, and its training.
 *
 * Features (all hashed to 64 bits with the template's number, so the
 * weights file holds no text): the word as written and in its normalised
 * form, prefixes and suffixes of 1-4 bytes, the word's shape (Xxxx, XX,
 * dd.d...) long and compressed, the words and shapes two to either side,
 * the word bigrams around it, its place in the sentence and whether the
 * sentence is a capitals-only headline, gazetteer membership (which lists
 * cover it, at which BILOU position, and which cover its neighbours), what
 * the document says of the same word elsewhere (written with a capital in
 * mid-sentence, or in lower case), and the two tags before it.
 *
 * The weights file, models/entities/ner.weights.gz, is gzip'd text:
 *
 *     #newsmine ner-weights v1
 *     tags<TAB>O<TAB>B-PER<TAB>...      (the tag order: must be ours)
 *     KEY<TAB>TAG:WEIGHT TAG:WEIGHT ... (KEY 16 hex digits; weights x100)
 *
 * Training is integer arithmetic throughout (the perceptron's updates are
 * +1/-1; the average is taken once, at the end), documents are visited in
 * an order drawn from a fixed-seed generator, and keys are written sorted:
 * the same data gives the same file, byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>
#include <zlib.h>

#include "../read/source.h"
#include "entities.h"

const char *const nm__ner_types[NER_NTYPES] = {"PER", "ORG", "LOC", "MISC"};

static const char *const tag_names[NER_NTAGS] = {
    "O",      "B-PER",  "I-PER",  "L-PER",  "U-PER",  "B-ORG",  "I-ORG",  "L-ORG",  "U-ORG",
    "B-LOC",  "I-LOC",  "L-LOC",  "U-LOC",  "B-MISC", "I-MISC", "L-MISC", "U-MISC",
};

#define WSCALE 100 /* weights are stored x100 */

/* ------------------------------------------------------------ hashing */

enum {
    F_BIAS = 1, F_WORD, F_LOWER, F_PRE1, F_PRE2, F_PRE3, F_PRE4, F_SUF1, F_SUF2, F_SUF3, F_SUF4,
    F_SHAPE, F_SHAPEC, F_LM1, F_LP1, F_LM2, F_LP2, F_SHM1, F_SHP1, F_BIM, F_BIP, F_FLAGS,
    F_GZ, F_GZM1, F_GZP1, F_DOC, F_T1, F_T21, F_T1W, F_T1S, F_SHM1C, F_FIRSTW, F_LINES, F_LEN
};

static inline uint64_t h_start(uint32_t tmpl)
{
    return 0x9E3779B97F4A7C15ull * (uint64_t)(tmpl * 2 + 1);
}

static inline uint64_t h_bytes(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001B3ull;
    return h;
}

static inline uint64_t h_int(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
}

static inline uint64_t h_end(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return h ? h : 1;
}

/* ------------------------------------------------------------- weights */

static size_t slot_of(const nm_ner_weights *w, uint64_t key)
{
    size_t i = (size_t)(key ^ (key >> 29)) & w->mask;
    while (w->keys[i] && w->keys[i] != key)
        i = (i + 1) & w->mask;
    return i;
}

void nm__ner_free(nm_model *m)
{
    nm_ner_weights *w = m->ner;
    if (!w)
        return;
    nm__free(&m->alloc, w->block);
    nm__free(&m->alloc, w);
    m->ner = NULL;
}

int nm__ner_load(nm_model *m, const char *mpath, long mline, const char *rel)
{
    char path[4096];
    gzFile gz = NULL;
    char *line = NULL;
    int rc = 0;
    long lineno = 0;
    size_t cap = 1 << 16;
    if (m->ner)
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: kind \"ner-weights\" listed twice", mpath, mline);
    if (m->no_tagger)
        return 0;
    snprintf(path, sizeof(path), "%s/%s", m->dir, rel);
    nm_ner_weights *w = nm__calloc(&m->alloc, 1, sizeof(*w));
    if (!w)
        return nm__err_set(&m->err, NM_ENOMEM, "out of memory");
    m->ner = w;
    if (!(line = nm__malloc(&m->alloc, cap))) {
        rc = nm__err_set(&m->err, NM_ENOMEM, "out of memory");
        goto done;
    }
    if (!(gz = gzopen(path, "rb"))) {
        rc = nm__err_set(&m->err, NM_EIO,
                         "%s: cannot open (run `make models` to train the entity tagger)", path);
        goto done;
    }
    gzbuffer(gz, 1 << 17);
    /* three header lines: the version, the tag order (it must be ours),
     * and how many keys follow, so the table is sized at once */
    char want[512] = "tags";
    for (int t = 0; t < NER_NTAGS; t++) {
        strcat(want, "\t");
        strcat(want, tag_names[t]);
    }
    strcat(want, "\n");
    size_t n_keys = 0;
    for (lineno = 1; lineno <= 3; lineno++) {
        if (!gzgets(gz, line, (int)cap)) {
            rc = nm__err_set(&m->err, NM_EPARSE, "%s:%ld: the file ends in its header", path, lineno);
            goto done;
        }
        if ((lineno == 1 && strcmp(line, "#newsmine ner-weights v1\n") != 0)) {
            rc = nm__err_set(&m->err, NM_EPARSE, "%s:1: expected version line \"#newsmine ner-weights v1\"",
                             path);
            goto done;
        }
        if (lineno == 2 && strcmp(line, want) != 0) {
            rc = nm__err_set(&m->err, NM_EPARSE, "%s:2: the tag line does not match this build's tags", path);
            goto done;
        }
        if (lineno == 3) {
            char *end;
            unsigned long long n = strncmp(line, "keys\t", 5) ? 0 : strtoull(line + 5, &end, 10);
            if (!n || *end != '\n' || n > (1ull << 26)) {
                rc = nm__err_set(&m->err, NM_EPARSE, "%s:3: expected \"keys<TAB>N\"", path);
                goto done;
            }
            n_keys = (size_t)n;
        }
    }
    lineno = 3;
    size_t size = 1024;
    while (size < n_keys * 2)
        size *= 2;
    w->mask = size - 1;
    size_t fbits = (size_t)1 << 21; /* 256 KiB */
    while (fbits < n_keys * 16)
        fbits *= 2;
    w->filter_mask = fbits - 1;
    /* one block: the tagger probes it at random for every name, and in one
     * block it can sit on huge pages (fewer TLB misses) */
    size_t sz_keys = size * sizeof(*w->keys), sz_row = size * sizeof(*w->row);
    size_t sz_filter = fbits / 8, sz_w = n_keys * NER_STRIDE * sizeof(*w->w);
    if (!(w->block = nm__alloc_huge(&m->alloc, sz_keys + sz_row + sz_filter + sz_w))) {
        rc = nm__err_set(&m->err, NM_ENOMEM, "out of memory");
        goto done;
    }
    w->keys = (uint64_t *)w->block;
    w->filter = (uint64_t *)((char *)w->block + sz_keys);
    w->row = (uint32_t *)((char *)w->block + sz_keys + sz_filter);
    w->w = (int16_t *)((char *)w->block + sz_keys + sz_filter + sz_row);
    while (gzgets(gz, line, (int)cap)) {
        lineno++;
        if (line[0] == '#')
            continue;
        /* KEY<TAB>TAG:WEIGHT ...: parsed by hand, it is most of load time */
        const char *p = line;
        uint64_t key = 0;
        int nd = 0;
        for (; nd < 16; nd++, p++) {
            unsigned c = (unsigned char)*p;
            unsigned v = c - '0' < 10 ? c - '0' : c - 'a' < 6 ? c - 'a' + 10 : 99;
            if (v == 99)
                break;
            key = key << 4 | v;
        }
        if (nd != 16 || *p != '\t' || key == 0) {
            rc = nm__err_set(&m->err, NM_EPARSE, "%s:%ld: expected a 16-digit hex key and a TAB", path, lineno);
            goto done;
        }
        size_t sl = slot_of(w, key);
        if (w->keys[sl]) {
            rc = nm__err_set(&m->err, NM_EPARSE, "%s:%ld: key listed twice", path, lineno);
            goto done;
        }
        if (w->n >= n_keys) {
            rc = nm__err_set(&m->err, NM_EPARSE, "%s:%ld: more keys than the header says", path, lineno);
            goto done;
        }
        w->keys[sl] = key;
        w->row[sl] = (uint32_t)w->n;
        size_t fb = (size_t)(key >> 40) & w->filter_mask;
        w->filter[fb >> 6] |= 1ull << (fb & 63);
        int16_t *row = w->w + w->n * NER_STRIDE;
        w->n++;
        p++;
        while (*p && *p != '\n') {
            long tag = 0, v = 0;
            int neg = 0, digits = 0;
            while (*p >= '0' && *p <= '9' && digits < 3)
                tag = tag * 10 + (*p++ - '0'), digits++;
            if (!digits || *p != ':' || tag >= NER_NTAGS) {
                rc = nm__err_set(&m->err, NM_EPARSE, "%s:%ld: expected TAG:WEIGHT", path, lineno);
                goto done;
            }
            p++;
            if (*p == '-')
                neg = 1, p++;
            digits = 0;
            while (*p >= '0' && *p <= '9' && digits < 6)
                v = v * 10 + (*p++ - '0'), digits++;
            if (!digits || (*p != ' ' && *p != '\n' && *p != '\0')) {
                rc = nm__err_set(&m->err, NM_EPARSE, "%s:%ld: expected TAG:WEIGHT", path, lineno);
                goto done;
            }
            if (neg)
                v = -v;
            if (v < -32768 || v > 32767) {
                rc = nm__err_set(&m->err, NM_EPARSE, "%s:%ld: weight %ld out of range", path, lineno, v);
                goto done;
            }
            row[tag] = (int16_t)v;
            if (*p == ' ')
                p++;
        }
    }
    if (!rc && w->n != n_keys)
        rc = nm__err_set(&m->err, NM_EPARSE, "%s: %zu keys, the header says %zu", path, w->n, n_keys);
    if (!gzeof(gz)) {
        int zerr;
        rc = nm__err_set(&m->err, NM_EIO, "%s: %s", path, gzerror(gz, &zerr));
    }
done:
    if (gz)
        gzclose(gz);
    nm__free(&m->alloc, line);
    return rc;
}

/* ------------------------------------------------------------ features */

void nm__ner_feats_free(nm_ner_feats *nf)
{
    nm__free(nf->alloc, nf->f);
    nm__free(nf->alloc, nf->nf);
    nm__free(nf->alloc, nf->ti);
    nm__free(nf->alloc, nf->have);
    nm__free(nf->alloc, nf->doc_flags);
    nm__free(nf->alloc, nf->seen_keys);
    nm__free(nf->alloc, nf->seen_val);
    memset(nf, 0, sizeof(*nf));
}

static bool is_upper_b(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower_b(unsigned char c) { return c >= 'a' && c <= 'z'; }

enum { W_CAPMID = 1, W_LOWER = 2, W_ALLCAPS_SENT = 4 };

static bool word_lower(const nm_doc *d, const nm_tok *t)
{
    return t->kind == NM_TOK_WORD && is_lower_b((unsigned char)d->text[t->start]);
}

/* Is sentence [b, e) a headline in capitals (most words all caps)? */
static bool caps_sentence(const nm_doc *d, size_t b, size_t e)
{
    size_t words = 0, caps = 0;
    for (size_t i = b; i < e; i++) {
        const nm_tok *t = &d->toks[i];
        if (t->kind != NM_TOK_WORD)
            continue;
        words++;
        bool up = true;
        for (uint32_t k = t->start; k < t->end; k++)
            if (is_lower_b((unsigned char)d->text[k])) {
                up = false;
                break;
            }
        caps += up;
    }
    return words >= 2 && caps * 10 >= words * 8;
}

static int seen_grow(nm_ner_feats *nf, size_t want)
{
    if (want <= nf->seen_cap)
        return 0;
    size_t c = 1024;
    while (c < want)
        c *= 2;
    uint32_t *k = nm__realloc(nf->alloc, nf->seen_keys, c * sizeof(*k));
    if (!k)
        return NM_ENOMEM;
    nf->seen_keys = k;
    uint8_t *v = nm__realloc(nf->alloc, nf->seen_val, c);
    if (!v)
        return NM_ENOMEM;
    nf->seen_val = v;
    nf->seen_cap = c;
    return 0;
}

int nm__ner_doc_prepare(nm_ner_feats *nf, const nm_doc *d)
{
    /* For each capitalised word: does the document also write it with a
     * capital in mid-sentence (not in a headline), or in lower case?  Only
     * capitalised words are looked up later, so only they go in the table,
     * and lower-case words only probe it. */
    if (d->n_toks > nf->cap_flags) {
        size_t c = d->n_toks + 256;
        uint32_t *p = nm__realloc(nf->alloc, nf->doc_flags, c * sizeof(*p));
        if (!p)
            return NM_ENOMEM;
        nf->doc_flags = p;
        nf->cap_flags = c;
    }
    size_t n_caps = 0;
    for (size_t si = 0; si < d->n_sents; si++) {
        const nm_sent *s = &d->sents[si];
        uint32_t caps = caps_sentence(d, s->tok_begin, s->tok_end) ? W_ALLCAPS_SENT : 0;
        for (size_t i = s->tok_begin; i < s->tok_end; i++) {
            nf->doc_flags[i] = caps;
            n_caps += (d->toks[i].flags & NM_TF_UPPER_INITIAL) != 0;
        }
    }
    size_t want = 64;
    while (want < n_caps * 2)
        want *= 2;
    if (seen_grow(nf, want) < 0)
        return NM_ENOMEM;
    size_t mask = want - 1;
    memset(nf->seen_keys, 0, want * sizeof(uint32_t));
    memset(nf->seen_val, 0, want);
    for (size_t si = 0; si < d->n_sents; si++) {
        const nm_sent *s = &d->sents[si];
        for (size_t i = s->tok_begin; i < s->tok_end; i++) {
            const nm_tok *t = &d->toks[i];
            if (t->kind != NM_TOK_WORD || !(t->flags & NM_TF_UPPER_INITIAL))
                continue;
            uint8_t fl = 0;
            if (!(nf->doc_flags[i] & W_ALLCAPS_SENT) && i > s->tok_begin &&
                !(d->toks[i - 1].kind == NM_TOK_PUNCT && d->text[d->toks[i - 1].start] != ','))
                fl |= W_CAPMID;
            uint32_t h = t->hash ? t->hash : 1;
            size_t k = h & mask;
            while (nf->seen_keys[k] && nf->seen_keys[k] != h)
                k = (k + 1) & mask;
            nf->seen_keys[k] = h;
            nf->seen_val[k] |= fl;
        }
    }
    for (size_t i = 0; i < d->n_toks; i++) {
        const nm_tok *t = &d->toks[i];
        if (t->kind != NM_TOK_WORD || !word_lower(d, t))
            continue;
        uint32_t h = t->hash ? t->hash : 1;
        size_t k = h & mask;
        while (nf->seen_keys[k] && nf->seen_keys[k] != h)
            k = (k + 1) & mask;
        if (nf->seen_keys[k] == h)
            nf->seen_val[k] |= W_LOWER;
    }
    for (size_t i = 0; i < d->n_toks; i++) {
        const nm_tok *t = &d->toks[i];
        if (t->kind != NM_TOK_WORD || !(t->flags & NM_TF_UPPER_INITIAL))
            continue;
        uint32_t h = t->hash ? t->hash : 1;
        size_t k = h & mask;
        while (nf->seen_keys[k] && nf->seen_keys[k] != h)
            k = (k + 1) & mask;
        nf->doc_flags[i] |= nf->seen_val[k];
    }
    return 0;
}

void nm__ner_candidates(const nm_doc *d, size_t b, size_t e, const nm_gz_match *gm, size_t n_gm,
                        uint8_t *cand)
{
    for (size_t i = b; i < e; i++) {
        const nm_tok *t = &d->toks[i];
        bool up = (t->flags & NM_TF_UPPER_INITIAL) != 0;
        for (uint32_t k = t->start; k < t->end && !up; k++)
            up = is_upper_b((unsigned char)d->text[k]);
        cand[i - b] = up;
    }
    for (size_t g = 0; g < n_gm; g++)
        for (size_t i = gm[g].b; i < gm[g].e; i++)
            cand[i - b] = 1;
}

/* What the features need of one token, hashed once a sentence. */
static inline uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xCBF29CE484222325ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 32;
    }
    uint64_t tail = 0;
    memcpy(&tail, s + i, n - i);
    h = (h ^ tail ^ ((uint64_t)n << 56)) * 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
}

/* The hashes of token I: its word and compressed shape (what the features
 * of its neighbours read), and with FULL its text and long shape too (what
 * only its own features read). */
static void token_info(const nm_doc *d, size_t i, nm_ner_tinfo *ti, bool full)
{
    const nm_tok *t = &d->toks[i];
    size_t ln = t->norm_len > 40 ? 40 : t->norm_len;
    const char *lw = d->strings.ptr + t->norm_off;
    /* numbers by their shape: 1996 and 1997 alike */
    ti->word = t->kind == NM_TOK_NUMBER ? 0x6E756D ^ 0x5555 : hash_bytes(lw, ln);
    size_t rn = t->end - t->start > 40 ? 40 : t->end - t->start;
    const char *raw = d->text + t->start;
    char sl[16], sc[16];
    size_t nl = 0, nc = 0;
    char last = 0;
    for (size_t k = 0; k < rn; k++) {
        unsigned char c = (unsigned char)raw[k];
        if (c >= 0x80 && (c & 0xC0) == 0x80)
            continue; /* continuation bytes: one mark a character */
        char x = is_upper_b(c) ? 'X' : is_lower_b(c) ? 'x' : (c >= '0' && c <= '9') ? 'd'
               : c >= 0x80 ? 'u' : (char)c;
        if (nl < 12)
            sl[nl++] = x;
        if (x != last && nc < 12)
            sc[nc++] = x;
        last = x;
    }
    ti->shapec = hash_bytes(sc, nc);
    if (full) {
        ti->raw = hash_bytes(raw, rn);
        ti->shape = hash_bytes(sl, nl);
    }
}

static inline uint64_t f1(uint32_t tmpl, uint64_t a)
{
    return h_end(h_int(h_start(tmpl), a));
}

static inline uint64_t f2(uint32_t tmpl, uint64_t a, uint64_t b)
{
    return h_end(h_int(h_int(h_start(tmpl), a), b));
}

void nm__ner_ensure_info(nm_ner_feats *nf, const nm_doc *d, size_t b, size_t e, size_t i)
{
    size_t lo = i >= b + 2 ? i - 2 : b, hi = i + 3 < e ? i + 3 : e;
    for (size_t k = lo; k < hi; k++)
        if (!nf->have[k - b]) {
            token_info(d, k, &nf->ti[k - b], k == i);
            nf->have[k - b] = k == i ? 2 : 1;
        }
    if (nf->have[i - b] == 1) { /* seen as a neighbour only: the rest now */
        token_info(d, i, &nf->ti[i - b], true);
        nf->have[i - b] = 2;
    }
}

enum { BOUND_L = 0x3C733E, BOUND_R = 0x3C2F733E }; /* "<s>", "</s>" */

size_t nm__ner_word_features(const nm_ner_feats *nf, const nm_doc *d, size_t b, size_t i, uint64_t *f)
{
    const nm_ner_tinfo *ti = nf->ti - b; /* indexed by token */
    const nm_tok *t = &d->toks[i];
    size_t k = 0;
    f[k++] = f1(F_WORD, ti[i].raw);
    f[k++] = f1(F_LOWER, ti[i].word);
    if (t->kind == NM_TOK_WORD) {
        const char *w = d->strings.ptr + t->norm_off;
        size_t wn = t->norm_len;
        for (size_t p = 1; p <= 4 && p <= wn; p++) {
            uint64_t pre = 0, suf = 0;
            memcpy(&pre, w, p);
            memcpy(&suf, w + wn - p, p);
            f[k++] = f1(F_PRE1 + (uint32_t)p - 1, pre);
            f[k++] = f1(F_SUF1 + (uint32_t)p - 1, suf);
        }
    }
    f[k++] = f1(F_SHAPE, ti[i].shape);
    f[k++] = f1(F_SHAPEC, ti[i].shapec);
    return k;
}

void nm__ner_token_info(const nm_doc *d, size_t i, nm_ner_tinfo *ti)
{
    token_info(d, i, ti, true);
}

uint64_t nm__ner_type_key(const nm_doc *d, size_t i)
{
    const nm_tok *t = &d->toks[i];
    if (t->end - t->start > 40 || t->norm_len > 40)
        return 0; /* hashed on 40 bytes, its affixes on more: not a type */
    uint64_t key = hash_bytes(d->text + t->start, t->end - t->start) ^ ((uint64_t)t->kind << 56) ^
                   ((uint64_t)t->norm_len * 0x9E3779B97F4A7C15ull);
    return key + !key;
}

uint64_t nm__ner_bound(bool right)
{
    return right ? BOUND_R : BOUND_L;
}

void nm__ner_type_keys(uint64_t word, uint64_t shapec, uint64_t k[6])
{
    k[0] = f1(F_LM1, word);
    k[1] = f1(F_SHM1, shapec);
    k[2] = f1(F_LP1, word);
    k[3] = f1(F_SHP1, shapec);
    k[4] = f1(F_LM2, word);
    k[5] = f1(F_LP2, word);
}

void nm__ner_ctx_of(const nm_ner_feats *nf, size_t b, size_t e, size_t i, nm_ner_ctx *c)
{
    const nm_ner_tinfo *ti = nf->ti - b; /* indexed by token */
    c->w0 = ti[i].word;
    c->s0 = ti[i].shapec;
    c->wm1 = i > b ? ti[i - 1].word : BOUND_L;
    c->wp1 = i + 1 < e ? ti[i + 1].word : BOUND_R;
    c->wm2 = i > b + 1 ? ti[i - 2].word : BOUND_L;
    c->wp2 = i + 2 < e ? ti[i + 2].word : BOUND_R;
    c->sm1 = i > b ? ti[i - 1].shapec : BOUND_L;
    c->sp1 = i + 1 < e ? ti[i + 1].shapec : BOUND_R;
}

void nm__ner_small_keys(unsigned code, uint64_t *out, size_t *n)
{
    size_t k = 0;
    unsigned flags = code & 7u;
    out[k++] = f1(F_BIAS, 0);
    out[k++] = f1(F_FLAGS, flags);
    if (code & NER_SMALL_LINES)
        out[k++] = f1(F_LINES, ((code >> 3) & 3u) | (flags & 4u));
    if (code & NER_SMALL_DOC)
        out[k++] = f1(F_DOC, ((code >> 5) & 3u) | (flags & 6u) << 4);
    *n = k;
}

size_t nm__ner_rest_features(const nm_ner_feats *nf, const nm_model *m, const nm_doc *d, size_t b,
                             size_t e, size_t i, const nm_gz_match *gm, size_t n_gm,
                             const nm_ner_ctx *c, uint64_t *f, size_t k0, unsigned *small)
{
    const nm_gazetteer *gz = m->gz;
    size_t k = 0;
    const nm_tok *t = &d->toks[i];
    /* place and case */
    uint32_t df = nf->doc_flags[i];
    unsigned flags = (i == b) | ((df & W_ALLCAPS_SENT) ? 2u : 0u) |
                     ((t->flags & NM_TF_UPPER_INITIAL) ? 4u : 0u);
    /* a line break before this token or the next: wire copy and
     * tables break lines between names more often than inside one */
    unsigned lines = ((t->flags & NM_TF_NEWLINE_BEFORE) && i > b ? 1u : 0u) |
                     (i + 1 < e && (d->toks[i + 1].flags & NM_TF_NEWLINE_BEFORE) ? 2u : 0u);
    /* the document's other uses of the word, for capitalised words */
    unsigned code = flags | (lines ? NER_SMALL_LINES | lines << 3 : 0u) |
                    (t->kind == NM_TOK_WORD ? NER_SMALL_DOC | (df & (W_CAPMID | W_LOWER)) << 5 : 0u);
    if (small) { /* the caller scores these few from a table of its own */
        *small = code;
        k0 += 2 + !!lines + (t->kind == NM_TOK_WORD);
    } else {
        size_t n;
        nm__ner_small_keys(code, f + k, &n);
        k += n;
    }
    f[k++] = f2(F_BIM, c->wm1, c->w0);
    f[k++] = f2(F_BIP, c->w0, c->wp1);
    f[k++] = f2(F_SHM1C, c->sm1, c->s0);
    if (i == b)
        f[k++] = f1(F_FIRSTW, c->w0); /* "The" opening a sentence */
    /* gazetteer lists over this token and its neighbours */
    /* matches are in text order and at most 16 tokens long: only those
     * starting from i-16 on can cover or touch token i */
    size_t g_lo = 0, g_hi = n_gm;
    while (g_lo < g_hi) {
        size_t mid = (g_lo + g_hi) / 2;
        if (gm[mid].b + 17 <= i)
            g_lo = mid + 1;
        else
            g_hi = mid;
    }
    for (size_t g = g_lo; g < n_gm && gm[g].b <= i + 1 && k0 + k + 3 < NER_FEATS_MAX; g++) {
        const nm_gz_match *x = &gm[g];
        uint32_t list = gz->entries[x->entry].list;
        if (x->b <= i && i < x->e) {
            unsigned pos = x->e - x->b == 1 ? BIO_U : i == x->b ? BIO_B : i + 1 == x->e ? BIO_L : BIO_I;
            f[k++] = f1(F_GZ, list * 8 + pos);
            f[k++] = f1(F_GZ, 4096 + list);
        } else if (x->e == i) {
            f[k++] = f1(F_GZM1, list);
        } else if (x->b == i + 1) {
            f[k++] = f1(F_GZP1, list);
        }
    }
    return k;
}

size_t nm__ner_token_features(const nm_ner_feats *nf, const nm_model *m, const nm_doc *d, size_t b,
                              size_t e, size_t i, const nm_gz_match *gm, size_t n_gm, uint64_t *f)
{
    nm_ner_ctx c;
    nm__ner_ctx_of(nf, b, e, i, &c);
    size_t k = 0;
    if (!nf->words_cached)
        k += nm__ner_word_features(nf, d, b, i, f + k);
    uint64_t tk[6];
    nm__ner_type_keys(c.wm1, c.sm1, tk);
    f[k++] = tk[0]; /* LM1 */
    f[k++] = tk[1]; /* SHM1 */
    nm__ner_type_keys(c.wp1, c.sp1, tk);
    f[k++] = tk[2]; /* LP1 */
    f[k++] = tk[3]; /* SHP1 */
    f[k++] = f1(F_LM2, c.wm2);
    f[k++] = f1(F_LP2, c.wp2);
    return k + nm__ner_rest_features(nf, m, d, b, e, i, gm, n_gm, &c, f + k, k, NULL);
}

int nm__ner_sentence_begin(nm_ner_feats *nf, size_t nt)
{
    if (nt > nf->cap) {
        size_t c = nt + 64;
        nm_ner_tinfo *ti = nm__realloc(nf->alloc, nf->ti, c * sizeof(*ti));
        if (!ti)
            return NM_ENOMEM;
        nf->ti = ti;
        uint8_t *h = nm__realloc(nf->alloc, nf->have, c);
        if (!h)
            return NM_ENOMEM;
        nf->have = h;
        nf->cap = c;
    }
    memset(nf->have, 0, nt);
    return 0;
}

int nm__ner_sentence_features(nm_ner_feats *nf, const nm_model *m, const nm_doc *d, size_t b,
                              size_t e, const nm_gz_match *gm, size_t n_gm, const uint8_t *want)
{
    size_t nt = e - b;
    int rc = nm__ner_sentence_begin(nf, nt);
    if (rc < 0)
        return rc;
    if (nt > nf->cap_f) { /* the features themselves: training's (tagging sums them as it goes) */
        size_t c = nt + 64;
        uint64_t *f = nm__realloc(nf->alloc, nf->f, c * NER_FEATS_MAX * sizeof(*f));
        if (!f)
            return NM_ENOMEM;
        nf->f = f;
        uint8_t *n = nm__realloc(nf->alloc, nf->nf, c);
        if (!n)
            return NM_ENOMEM;
        nf->nf = n;
        nf->cap_f = c;
    }
    /* the hashes of the tokens the features will read: those wanted and
     * two either side (most tokens of news are neither) */
    for (size_t i = b; i < e; i++)
        if (!want || want[i - b])
            nm__ner_ensure_info(nf, d, b, e, i);
    for (size_t i = b; i < e; i++) {
        if (want && !want[i - b]) {
            nf->nf[i - b] = 0;
            continue;
        }
        nf->nf[i - b] = (uint8_t)nm__ner_token_features(nf, m, d, b, e, i, gm, n_gm, nf->f + (i - b) * NER_FEATS_MAX);
    }
    return 0;
}

void nm__ner_tag_keys(int t2, int t1, uint64_t *k_t1, uint64_t *k_t21)
{
    *k_t1 = f1(F_T1, (uint64_t)t1);
    *k_t21 = f1(F_T21, (uint64_t)(t2 * 32 + t1));
}

void nm__ner_word_tag_keys(uint64_t word, uint64_t shapec, int t1, uint64_t out[2])
{
    out[0] = f2(F_T1W, (uint64_t)t1, word);
    out[1] = f2(F_T1S, (uint64_t)t1, shapec);
}

size_t nm__ner_dyn_features(const nm_ner_feats *nf, size_t b, size_t i, int t2, int t1, uint64_t *out)
{
    const nm_ner_tinfo *ti = &nf->ti[i - b];
    size_t k = 0;
    out[k++] = f1(F_T1, (uint64_t)t1);
    out[k++] = f1(F_T21, (uint64_t)(t2 * 32 + t1));
    out[k++] = f2(F_T1W, (uint64_t)t1, ti->word);
    out[k++] = f2(F_T1S, (uint64_t)t1, ti->shapec);
    return k;
}

int nm__ner_repair(uint8_t *tags, size_t i, size_t b, int best)
{
    int prev = i > b ? tags[i - 1] : NER_O;
    bool open = prev != NER_O && (NER_POS_OF(prev) == BIO_B || NER_POS_OF(prev) == BIO_I);
    bool cont = best != NER_O && (NER_POS_OF(best) == BIO_I || NER_POS_OF(best) == BIO_L);
    if (open && cont && NER_TYPE_OF(best) == NER_TYPE_OF(prev))
        return best; /* the entity goes on */
    if (open) /* it ends before this token: B -> U, I -> L */
        tags[i - 1] = (uint8_t)NER_TAG(NER_TYPE_OF(prev), NER_POS_OF(prev) == BIO_B ? BIO_U : BIO_L);
    if (cont) /* I or L with nothing open: it starts here */
        best = NER_TAG(NER_TYPE_OF(best), NER_POS_OF(best) == BIO_I ? BIO_B : BIO_U);
    return best;
}

bool nm__ner_allowed(int prev, int next)
{
    bool open = prev != NER_O && (NER_POS_OF(prev) == BIO_B || NER_POS_OF(prev) == BIO_I);
    if (open) /* inside an entity: it goes on or ends, same type */
        return next != NER_O && NER_TYPE_OF(next) == NER_TYPE_OF(prev) &&
               (NER_POS_OF(next) == BIO_I || NER_POS_OF(next) == BIO_L);
    return next == NER_O || NER_POS_OF(next) == BIO_B || NER_POS_OF(next) == BIO_U;
}

/* ------------------------------------------------------------ training */

typedef struct tw_table {
    uint64_t *keys;
    int32_t *w;  /* NER_NTAGS a slot */
    int64_t *u;  /* sum of step x update, for the average */
    uint32_t *count;
    size_t mask, n;
} tw_table;

static size_t tw_slot(const tw_table *t, uint64_t key)
{
    size_t i = (size_t)(key ^ (key >> 29)) & t->mask;
    while (t->keys[i] && t->keys[i] != key)
        i = (i + 1) & t->mask;
    return i;
}

static int tw_grow(tw_table *t)
{
    size_t size = t->mask ? (t->mask + 1) * 2 : (size_t)1 << 20;
    tw_table n = {0};
    n.mask = size - 1;
    n.keys = calloc(size, sizeof(*n.keys));
    n.w = calloc(size * NER_NTAGS, sizeof(*n.w));
    n.u = calloc(size * NER_NTAGS, sizeof(*n.u));
    n.count = calloc(size, sizeof(*n.count));
    if (!n.keys || !n.w || !n.u || !n.count) {
        free(n.keys), free(n.w), free(n.u), free(n.count);
        return NM_ENOMEM;
    }
    for (size_t i = 0; t->mask && i <= t->mask; i++) {
        if (!t->keys[i])
            continue;
        size_t s = tw_slot(&n, t->keys[i]);
        n.keys[s] = t->keys[i];
        memcpy(n.w + s * NER_NTAGS, t->w + i * NER_NTAGS, NER_NTAGS * sizeof(*n.w));
        memcpy(n.u + s * NER_NTAGS, t->u + i * NER_NTAGS, NER_NTAGS * sizeof(*n.u));
        n.count[s] = t->count[i];
        n.n++;
    }
    free(t->keys), free(t->w), free(t->u), free(t->count);
    *t = n;
    return 0;
}

/* The slot of KEY, added if new (NULL: out of memory). */
static long tw_get(tw_table *t, uint64_t key)
{
    if ((t->n + 1) * 2 > t->mask + 1 && tw_grow(t) < 0)
        return -1;
    size_t s = tw_slot(t, key);
    if (!t->keys[s]) {
        t->keys[s] = key;
        t->n++;
    }
    return (long)s;
}

typedef struct tdoc {
    size_t tok0, n_toks;  /* into the token arrays */
    size_t sent0, n_sents;
} tdoc;

typedef struct tdata {
    uint64_t *f; /* NER_FEATS_MAX a token */
    uint8_t *nf;
    uint8_t *gold;
    nm_doc *shadow; /* only what dyn features read: text, tokens, strings */
    size_t n_toks, cap_toks;
    uint32_t *sb, *se; /* sentence bounds, in token indices of the data */
    size_t n_sents, cap_sents;
    tdoc *docs;
    size_t n_docs, cap_docs;
    /* per token, the bits dyn features need */
    uint32_t *lw_hash; /* hash of the norm (40 bytes max) */
    uint64_t *shape_h; /* hash of the compressed shape */
} tdata;

int nm__ner_type_index(const char *t)
{
    for (int i = 0; i < NER_NTYPES; i++)
        if (!strcmp(t, nm__ner_types[i]))
            return i;
    return -1;
}

/* Gold tags of the tokens of D from the record's spans. */
static int gold_tags(const nm_doc *d, const char *raw, size_t raw_len, uint8_t *tags, char *err, size_t errlen)
{
    char ebuf[256];
    char *js = malloc(raw_len + 1);
    if (!js)
        return NM_ENOMEM;
    memcpy(js, raw, raw_len);
    js[raw_len] = '\0';
    yajl_val root = yajl_tree_parse(js, ebuf, sizeof(ebuf));
    free(js);
    if (!root) {
        snprintf(err, errlen, "invalid JSON: %.150s", ebuf);
        return NM_EPARSE;
    }
    memset(tags, NER_O, d->n_toks);
    static const char *p_spans[] = {"spans", NULL};
    yajl_val spans = yajl_tree_get(root, p_spans, yajl_t_array);
    for (size_t i = 0; spans && i < spans->u.array.len; i++) {
        yajl_val sp = spans->u.array.values[i];
        static const char *p_s[] = {"start", NULL}, *p_e[] = {"end", NULL}, *p_t[] = {"type", NULL};
        yajl_val vs = yajl_tree_get(sp, p_s, yajl_t_number), ve = yajl_tree_get(sp, p_e, yajl_t_number),
                 vt = yajl_tree_get(sp, p_t, yajl_t_string);
        if (!vs || !ve || !vt)
            continue;
        int ty = nm__ner_type_index(YAJL_GET_STRING(vt));
        if (ty < 0)
            continue;
        long long s = YAJL_GET_INTEGER(vs), e = YAJL_GET_INTEGER(ve);
        size_t first = SIZE_MAX, last = 0;
        for (size_t k = 0; k < d->n_toks; k++) {
            const nm_tok *t = &d->toks[k];
            if ((long long)t->start < e && (long long)t->end > s) {
                if (first == SIZE_MAX)
                    first = k;
                last = k;
            }
        }
        if (first == SIZE_MAX)
            continue;
        for (size_t k = first; k <= last; k++)
            tags[k] = (uint8_t)NER_TAG(ty, first == last ? BIO_U : k == first ? BIO_B : k == last ? BIO_L : BIO_I);
    }
    yajl_tree_free(root);
    return 0;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

int nm_ner_train(const nm_model *m, const char *const *gold, size_t n_gold, const nm_train_opts *o,
                 const char *out_path, char *errbuf, size_t errbuf_len)
{
    int rc = 0;
    nm_pipeline *p = NULL;
    nm_reader *rd = NULL;
    tdata td = {0};
    tw_table tw = {0};
    nm_ner_feats nf = {0};
    nm_gz_match *gm = NULL;
    size_t n_gm = 0, cap_gm = 0;
    nm_ner_tinfo *dts = NULL;
    size_t cap_dts = 0;
    int epochs = o && o->epochs > 0 ? o->epochs : 10;
    uint64_t seed = o && o->seed ? o->seed : 0x6E65777331ull;
    unsigned min_count = o && o->min_count > 0 ? (unsigned)o->min_count : 2;
    nm__parsed parsed;
    bool parsed_init = false;
    gzFile out = NULL;
    uint8_t *gtags = NULL;
    size_t cap_gtags = 0;
    uint8_t *cand = NULL;
    size_t cap_cand = 0;

    if (errbuf && errbuf_len)
        errbuf[0] = '\0';
#define FAIL(code, ...)                                          \
    do {                                                         \
        rc = (code);                                             \
        if (errbuf)                                              \
            snprintf(errbuf, errbuf_len, __VA_ARGS__);           \
        goto done;                                               \
    } while (0)
    nf.alloc = &m->alloc;
    nm_pipeline_opts po = {0};
    po.until = "sentences";
    if ((rc = nm_pipeline_new(&p, m, &po)) < 0)
        FAIL(rc, "cannot make a pipeline: %s", nm_strerror(rc));
    if ((rc = nm_reader_new(&rd, NULL)) < 0)
        FAIL(rc, "out of memory");
    for (size_t g = 0; g < n_gold; g++)
        if ((rc = nm_reader_add(rd, gold[g])) < 0)
            FAIL(rc, "%s", nm_reader_errmsg(rd));
    nm__parsed_init(&parsed, NM_DEFAULT_MAX_TEXT, &m->alloc);
    parsed_init = true;
    const nm_record *rec;
    while ((rc = nm_reader_next(rd, &rec)) != NM_EOF) {
        if (rc < 0)
            FAIL(rc, "%s", nm_reader_errmsg(rd));
        nm_err err = {0};
        if ((rc = nm__record_parse(rec, &parsed, 0, &err)) < 0)
            FAIL(rc, "%s:%ld: %s", rec->file, rec->line, err.msg);
        const nm_result *r;
        if ((rc = nm_pipeline_run(p, parsed.text, parsed.text_len, NULL, &r)) < 0)
            FAIL(rc, "%s:%ld: %s", rec->file, rec->line, nm_pipeline_errmsg(p));
        const nm_doc *d = nm__result_doc(r);
        if (nm__grow(NULL, (void **)&gtags, &cap_gtags, d->n_toks + 1, 1) < 0)
            FAIL(NM_ENOMEM, "out of memory");
        char why[200];
        if ((rc = gold_tags(d, rec->raw, rec->raw_len, gtags, why, sizeof(why))) < 0)
            FAIL(rc, "%s:%ld: %s", rec->file, rec->line, why);
        if ((rc = nm__ner_doc_prepare(&nf, d)) < 0)
            FAIL(rc, "out of memory");
        if (nm__grow(NULL, (void **)&td.docs, &td.cap_docs, td.n_docs + 1, sizeof(tdoc)) < 0)
            FAIL(NM_ENOMEM, "out of memory");
        tdoc *dd = &td.docs[td.n_docs++];
        dd->tok0 = td.n_toks;
        dd->sent0 = td.n_sents;
        for (size_t si = 0; si < d->n_sents; si++) {
            const nm_sent *s = &d->sents[si];
            size_t b = s->tok_begin, e = s->tok_end;
            if (e <= b)
                continue;
            n_gm = 0;
            if ((rc = nm__gz_match(m->gz, d, b, e, &gm, &n_gm, &cap_gm, &m->alloc)) < 0 ||
                (rc = nm__ner_sentence_features(&nf, m, d, b, e, gm, n_gm, NULL)) < 0)
                FAIL(NM_ENOMEM, "out of memory");
            size_t need = td.n_toks + (e - b);
            if (nm__grow(NULL, (void **)&td.f, &td.cap_toks, need, NER_FEATS_MAX * sizeof(uint64_t)) < 0)
                FAIL(NM_ENOMEM, "out of memory");
            size_t c2 = td.cap_toks;
            td.nf = realloc(td.nf, c2);
            td.gold = realloc(td.gold, c2);
            dts = cap_dts < c2 ? realloc(dts, c2 * sizeof(*dts)) : dts;
            if (!td.nf || !td.gold || !dts)
                FAIL(NM_ENOMEM, "out of memory");
            cap_dts = c2;
            memcpy(td.f + td.n_toks * NER_FEATS_MAX, nf.f, (e - b) * NER_FEATS_MAX * sizeof(uint64_t));
            memcpy(td.nf + td.n_toks, nf.nf, e - b);
            memcpy(td.gold + td.n_toks, gtags + b, e - b);
            memcpy(dts + td.n_toks, nf.ti, (e - b) * sizeof(*dts));
            if (nm__grow(NULL, (void **)&cand, &cap_cand, need, 1) < 0)
                FAIL(NM_ENOMEM, "out of memory");
            nm__ner_candidates(d, b, e, gm, n_gm, cand + td.n_toks);
            if (nm__grow(NULL, (void **)&td.sb, &td.cap_sents, td.n_sents + 1, sizeof(uint32_t)) < 0)
                FAIL(NM_ENOMEM, "out of memory");
            size_t cs = td.cap_sents;
            td.se = realloc(td.se, cs * sizeof(uint32_t));
            if (!td.se)
                FAIL(NM_ENOMEM, "out of memory");
            td.sb[td.n_sents] = (uint32_t)td.n_toks;
            td.se[td.n_sents] = (uint32_t)need;
            td.n_sents++;
            td.n_toks = need;
        }
        dd->n_toks = td.n_toks - dd->tok0;
        dd->n_sents = td.n_sents - dd->sent0;
    }
    rc = 0;
    if (!td.n_toks)
        FAIL(NM_EINVAL, "no tokens in the training data");
    if (!o || !o->quiet)
        fprintf(stderr, "train: %zu documents, %zu sentences, %zu tokens, %d epochs\n", td.n_docs,
                td.n_sents, td.n_toks, epochs);
    if (tw_grow(&tw) < 0)
        FAIL(NM_ENOMEM, "out of memory");
    /* count feature occurrences (static features; dynamic ones count as
     * they are met) */
    size_t *order = malloc(td.n_docs * sizeof(*order));
    if (!order)
        FAIL(NM_ENOMEM, "out of memory");
    for (size_t i = 0; i < td.n_docs; i++)
        order[i] = i;
    uint64_t rng = seed;
    int64_t step = 1;
    long slots[NER_FEATS_MAX + 8];
    size_t max_sent = 0;
    for (size_t si = 0; si < td.n_sents; si++)
        if (td.se[si] - td.sb[si] > max_sent)
            max_sent = td.se[si] - td.sb[si];
    uint8_t *rep = malloc(max_sent + 1);
    if (!rep) {
        free(order);
        FAIL(NM_ENOMEM, "out of memory");
    }
    for (int ep = 0; ep < epochs; ep++) {
        /* Fisher-Yates with our own generator: the same order everywhere */
        for (size_t i = td.n_docs; i > 1; i--) {
            size_t j = (size_t)(xorshift(&rng) % i);
            size_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        size_t errors = 0;
        for (size_t oi = 0; oi < td.n_docs; oi++) {
            const tdoc *dd = &td.docs[order[oi]];
            for (size_t si = dd->sent0; si < dd->sent0 + dd->n_sents; si++) {
                size_t sb0 = td.sb[si];
                for (size_t i = td.sb[si]; i < td.se[si]; i++) {
                    int t1 = i > sb0 ? rep[i - sb0 - 1] : NER_O;
                    int t2 = i > sb0 + 1 ? rep[i - sb0 - 2] : NER_O;
                    /* as at run time: a token that is not a candidate
                     * (no capital, no list, nothing open) is O unscored */
                    bool open = t1 != NER_O && (NER_POS_OF(t1) == BIO_B || NER_POS_OF(t1) == BIO_I);
                    if (!cand[i] && !open) {
                        rep[i - sb0] = NER_O;
                        continue;
                    }
                    uint64_t feats[NER_FEATS_MAX + 8];
                    size_t k = td.nf[i];
                    memcpy(feats, td.f + i * NER_FEATS_MAX, k * sizeof(uint64_t));
                    nm_ner_feats one = {.ti = dts + i};
                    k += nm__ner_dyn_features(&one, 0, 0, t2, t1, feats + k);
                    int64_t score[NER_NTAGS] = {0};
                    for (size_t q = 0; q < k; q++) {
                        long s = tw_get(&tw, feats[q]);
                        if (s < 0) {
                            free(order);
                            free(rep);
                            FAIL(NM_ENOMEM, "out of memory");
                        }
                        slots[q] = s;
                        if (ep == 0)
                            tw.count[s]++;
                        const int32_t *w = tw.w + (size_t)s * NER_NTAGS;
                        for (int tg = 0; tg < NER_NTAGS; tg++)
                            score[tg] += w[tg];
                    }
                    int best = 0;
                    for (int tg = 1; tg < NER_NTAGS; tg++)
                        if (score[tg] > score[best])
                            best = tg;
                    int want = td.gold[i];
                    if (best != want) {
                        errors++;
                        for (size_t q = 0; q < k; q++) {
                            size_t s = (size_t)slots[q];
                            tw.w[s * NER_NTAGS + (size_t)want] += 1;
                            tw.u[s * NER_NTAGS + (size_t)want] += step;
                            tw.w[s * NER_NTAGS + (size_t)best] -= 1;
                            tw.u[s * NER_NTAGS + (size_t)best] -= step;
                        }
                    }
                    step++;
                    rep[i - sb0] = (uint8_t)nm__ner_repair(rep, i - sb0, 0, best);
                }
            }
        }
        if (!o || !o->quiet)
            fprintf(stderr, "train: epoch %d: %zu token errors (%.2f%%), %zu features\n", ep + 1, errors,
                    100.0 * (double)errors / (double)td.n_toks, tw.n);
    }
    free(order);
    free(rep);
    /* average, drop the rare and the zero, write sorted */
    {
        size_t n_keep = 0;
        uint64_t *keys = malloc((tw.n + 1) * sizeof(*keys));
        if (!keys)
            FAIL(NM_ENOMEM, "out of memory");
        for (size_t i = 0; i <= tw.mask; i++)
            if (tw.keys[i] && tw.count[i] >= min_count)
                keys[n_keep++] = tw.keys[i];
        /* sort keys: deterministic output */
        for (size_t gap = n_keep / 2; gap > 0; gap /= 2) /* shell sort: no qsort comparator fuss */
            for (size_t i = gap; i < n_keep; i++)
                for (size_t j = i; j >= gap && keys[j - gap] > keys[j]; j -= gap) {
                    uint64_t t = keys[j];
                    keys[j] = keys[j - gap];
                    keys[j - gap] = t;
                }
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", out_path);
        if (!(out = gzopen(tmp, "wb9"))) {
            free(keys);
            FAIL(NM_EIO, "%s: cannot write", tmp);
        }
        /* the rows whose average is zero throughout are left out: count
         * what is left, for the header */
        size_t n_rows = 0;
        for (size_t i = 0; i < n_keep; i++) {
            size_t s = tw_slot(&tw, keys[i]);
            bool any = false;
            for (int t = 0; t < NER_NTAGS && !any; t++) {
                int64_t w = tw.w[s * NER_NTAGS + (size_t)t], u = tw.u[s * NER_NTAGS + (size_t)t];
                int64_t num = (w * step - u) * WSCALE;
                int64_t q = num >= 0 ? (num + step / 2) / step : -((-num + step / 2) / step);
                any = q != 0;
            }
            if (any)
                keys[n_rows++] = keys[i];
        }
        n_keep = n_rows;
        gzprintf(out, "#newsmine ner-weights v1\ntags");
        for (int t = 0; t < NER_NTAGS; t++)
            gzprintf(out, "\t%s", tag_names[t]);
        gzprintf(out, "\nkeys\t%zu\n", n_keep);
        size_t written = 0;
        for (size_t i = 0; i < n_keep; i++) {
            size_t s = tw_slot(&tw, keys[i]);
            char line[1024];
            int len = 0;
            for (int t = 0; t < NER_NTAGS; t++) {
                int64_t w = tw.w[s * NER_NTAGS + (size_t)t], u = tw.u[s * NER_NTAGS + (size_t)t];
                /* average = w - u/step, x WSCALE, rounded half away from 0 */
                int64_t num = (w * step - u) * WSCALE;
                int64_t q = num >= 0 ? (num + step / 2) / step : -((-num + step / 2) / step);
                if (q == 0)
                    continue;
                len += snprintf(line + len, sizeof(line) - (size_t)len, "%s%d:%lld", len ? " " : "", t,
                                (long long)q);
            }
            if (!len)
                continue;
            gzprintf(out, "%016llx\t%s\n", (unsigned long long)keys[i], line);
            written++;
        }
        free(keys);
        if (gzclose(out) != Z_OK) {
            out = NULL;
            FAIL(NM_EIO, "%s: write error", tmp);
        }
        out = NULL;
        if (rename(tmp, out_path) != 0)
            FAIL(NM_EIO, "%s: cannot rename to %s", tmp, out_path);
        if (!o || !o->quiet)
            fprintf(stderr, "train: wrote %zu features to %s\n", written, out_path);
    }
#undef FAIL
done:
    if (out)
        gzclose(out);
    if (parsed_init)
        nm__parsed_free(&parsed);
    nm_reader_free(rd);
    nm_pipeline_free(p);
    nm__ner_feats_free(&nf);
    nm__free(&m->alloc, gm);
    free(td.f), free(td.nf), free(td.gold), free(td.sb), free(td.se), free(td.docs);
    free(tw.keys), free(tw.w), free(tw.u), free(tw.count);
    free(dts), free(gtags), free(cand);
    return rc;
}
