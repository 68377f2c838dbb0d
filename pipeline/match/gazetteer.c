/*
 * gazetteer.c - lists of names (companies, countries, cities, given
 * names...) with canonical ids, matched on tokens, longest first.
 *
 * models/entities/lists.def indexes the lists, as GATE's lists.def does:
 *
 *     #newsmine entity-lists v1
 *     companies.tsv<TAB>ORG<TAB>company<TAB>title<TAB>span
 *
 * FILE TYPE SUBTYPE CASE USE.  CASE is "cased" (the text as the alias is
 * written), "title" (as written, or in capitals throughout, as headlines
 * are) or "fold" (any case).  USE is "span" (a match may become an entity
 * and gives it the list's id) or "feature" (membership only informs the
 * tagger: given names, nicknames).  Each list is "ALIAS<TAB>ID" lines.
 *
 * Aliases are split into tokens by the model's own tokenizer and
 * normaliser once everything is loaded (nm__gz_build), so an alias and the
 * text it should match are cut the same way ("People's Bank of China" is
 * five tokens, "Microsoft Corp." two).  Matching starts from a hash lookup
 * of a token's normalised form; the candidates are tried longest first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entities.h"

/* ------------------------------------------------------------- loading */

typedef struct def_ctx {
    nm_gazetteer *gz;
    const char *dir; /* folder of lists.def, relative to the models dir */
} def_ctx;

static int on_alias(nm_model *m, const char *path, long lineno, char **f, int nf, void *payload)
{
    (void)nf;
    nm_gazetteer *gz = m->gz;
    uint32_t list = (uint32_t)(uintptr_t)payload;
    for (const char *p = f[1]; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == ':'))
            return nm__err_set(&m->err, NM_EPARSE,
                               "%s:%ld: an id is lower-case ASCII, digits, '-' and ':' (\"%s\")",
                               path, lineno, f[1]);
    if (gz->n_raw == gz->cap_raw) {
        size_t c = gz->cap_raw ? gz->cap_raw * 2 : 1024;
        uint32_t *o = nm__realloc(&m->alloc, gz->raw_off, c * sizeof(*o));
        if (o)
            gz->raw_off = o;
        uint32_t *l = o ? nm__realloc(&m->alloc, gz->raw_list, c * sizeof(*l)) : NULL;
        if (!l)
            return nm__err_set(&m->err, NM_ENOMEM, "out of memory");
        gz->raw_list = l;
        gz->cap_raw = c;
    }
    uint32_t at = (uint32_t)gz->raw.len;
    int rc;
    if ((rc = nm_buf_put(&gz->raw, f[0], strlen(f[0]) + 1)) < 0 ||
        (rc = nm_buf_put(&gz->raw, f[1], strlen(f[1]) + 1)) < 0)
        return nm__err_set(&m->err, rc, "%s:%ld: %s", path, lineno, nm_strerror(rc));
    gz->raw_off[gz->n_raw] = at;
    gz->raw_list[gz->n_raw] = list;
    gz->n_raw++;
    return 0;
}

static int on_def(nm_model *m, const char *path, long lineno, char **f, int nf, void *payload)
{
    (void)nf;
    def_ctx *c = payload;
    nm_gazetteer *gz = c->gz;
    static const char *const types[] = {"PER", "ORG", "LOC", "MISC", "CUR"};
    size_t t;
    for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
        if (!strcmp(f[1], types[t]))
            break;
    if (t == sizeof(types) / sizeof(types[0]))
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: TYPE must be PER, ORG, LOC, MISC or CUR, not \"%s\"",
                           path, lineno, f[1]);
    int casing = !strcmp(f[3], "cased") ? GZ_CASED : !strcmp(f[3], "fold") ? GZ_FOLD
               : !strcmp(f[3], "title") ? GZ_TITLE : -1;
    if (casing < 0)
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: CASE must be cased, title or fold, not \"%s\"",
                           path, lineno, f[3]);
    if (strcmp(f[4], "span") != 0 && strcmp(f[4], "feature") != 0)
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: USE must be span or feature, not \"%s\"",
                           path, lineno, f[4]);
    if (strlen(f[0]) >= sizeof(gz->lists[0].file) || strlen(f[2]) >= sizeof(gz->lists[0].subtype) ||
        strchr(f[0], '/'))
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: bad FILE or SUBTYPE", path, lineno);
    for (size_t i = 0; i < gz->n_lists; i++)
        if (!strcmp(gz->lists[i].file, f[0]))
            return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: \"%s\" is listed twice", path, lineno, f[0]);
    nm_gz_list *p = nm__realloc(&m->alloc, gz->lists, (gz->n_lists + 1) * sizeof(*p));
    if (!p)
        return nm__err_set(&m->err, NM_ENOMEM, "out of memory");
    gz->lists = p;
    nm_gz_list *l = &gz->lists[gz->n_lists];
    memset(l, 0, sizeof(*l));
    snprintf(l->file, sizeof(l->file), "%s", f[0]);
    snprintf(l->type, sizeof(l->type), "%s", types[t]);
    l->ner_type = nm__ner_type_index(types[t]);
    snprintf(l->subtype, sizeof(l->subtype), "%s", f[2]);
    l->casing = casing;
    l->span = !strcmp(f[4], "span");
    uint32_t idx = (uint32_t)gz->n_lists++;
    char rel[512];
    if (snprintf(rel, sizeof(rel), "%s%s", c->dir, f[0]) >= (int)sizeof(rel))
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: path too long", path, lineno);
    return nm__model_read_tsv(m, rel, "entity-list", 2, on_alias, (void *)(uintptr_t)idx);
}

int nm__gz_load(nm_model *m, const char *mpath, long mline, const char *rel)
{
    if (m->gz)
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: kind \"entity-lists\" listed twice", mpath, mline);
    nm_gazetteer *gz = nm__calloc(&m->alloc, 1, sizeof(*gz));
    if (!gz)
        return nm__err_set(&m->err, NM_ENOMEM, "out of memory");
    m->gz = gz;
    nm_buf_init(&gz->arena, (size_t)1 << 30, &m->alloc);
    nm_buf_init(&gz->raw, (size_t)1 << 30, &m->alloc);
    char dir[512];
    const char *slash = strrchr(rel, '/');
    size_t n = slash ? (size_t)(slash - rel) + 1 : 0;
    if (n >= sizeof(dir))
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: path too long", mpath, mline);
    memcpy(dir, rel, n);
    dir[n] = '\0';
    def_ctx c = {gz, dir};
    return nm__model_read_tsv(m, rel, "entity-lists", 5, on_def, &c);
}

void nm__gz_free(nm_model *m)
{
    nm_gazetteer *gz = m->gz;
    if (!gz)
        return;
    nm_buf_free(&gz->raw);
    nm__free(&m->alloc, gz->raw_off);
    nm__free(&m->alloc, gz->raw_list);
    nm__free(&m->alloc, gz->lists);
    nm__free(&m->alloc, gz->entries);
    nm__free(&m->alloc, gz->toks);
    nm_buf_free(&gz->arena);
    nm__free(&m->alloc, gz->fe);
    nm__free(&m->alloc, gz->groups);
    nm__free(&m->alloc, gz->bloom);
    nm__free(&m->alloc, gz);
    m->gz = NULL;
}

/* ------------------------------------------------------------ building */

static int arena_str(nm_gazetteer *gz, const char *s, size_t n, uint32_t *off)
{
    size_t at = gz->arena.len;
    int rc = nm_buf_put(&gz->arena, s, n);
    if (rc == 0)
        rc = nm_buf_putc(&gz->arena, '\0');
    /* 8 bytes of padding: strings here may be hashed 8 bytes at a time */
    if (rc == 0)
        rc = nm_buf_put(&gz->arena, "\0\0\0\0\0\0\0", 7);
    *off = (uint32_t)at;
    return rc;
}

/* The group key of an alias starting with tokens hashed H1, H2 (H2 only
 * for aliases of two tokens or more: SECOND).  Never 0 (the empty slot). */
static inline uint64_t group_key(uint32_t h1, uint32_t h2, bool second)
{
    uint64_t k = ((uint64_t)h1 << 32 | (second ? h2 : 0)) * 0x9E3779B97F4A7C15ull;
    k ^= k >> 29;
    k += second;
    return k ? k : 1;
}

typedef struct key_fe {
    uint64_t key;
    nm_gz_fe fe;
} key_fe;

/* By group, then longest first, then file order. */
static int cmp_key_fe(const void *x, const void *y)
{
    const key_fe *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->fe.n_toks != b->fe.n_toks)
        return a->fe.n_toks > b->fe.n_toks ? -1 : 1;
    return a->fe.entry < b->fe.entry ? -1 : a->fe.entry > b->fe.entry;
}

static inline size_t bloom_bit(uint64_t key)
{
    return (size_t)(key >> 40) & (GZ_BLOOM_BITS - 1);
}

static bool has_capital(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            return true;
    return false;
}

/* Can only a token with an ASCII capital match entry EN's first token?
 * (A case-sensitive list and a capital in the alias: the text must be as
 * written or, for title lists, in capitals.) */
static bool needs_capital(const nm_gazetteer *gz, const nm_gz_entry *en)
{
    const nm_gz_tok *gt = &gz->toks[en->toks];
    return gz->lists[en->list].casing != GZ_FOLD && has_capital(gz->arena.ptr + gt->text_off, gt->text_len);
}

int nm__gz_build(nm_model *m)
{
    nm_gazetteer *gz = m->gz;
    nm_pipeline *p = NULL;
    key_fe *kf = NULL;
    int rc = 0;
    if (!gz)
        return 0;
    nm_pipeline_opts po = {0};
    po.until = "normalize";
    if ((rc = nm_pipeline_new(&p, m, &po)) < 0)
        return nm__err_set(&m->err, rc, "entities: cannot tokenise the gazetteer: %s", nm_strerror(rc));
    if (!(gz->entries = nm__calloc(&m->alloc, gz->n_raw ? gz->n_raw : 1, sizeof(*gz->entries)))) {
        rc = nm__err_set(&m->err, NM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < gz->n_raw; i++) {
        const nm_result *r;
        const char *a = gz->raw.ptr + gz->raw_off[i];
        const char *raw_id = a + strlen(a) + 1;
        if ((rc = nm_pipeline_run(p, a, strlen(a), NULL, &r)) < 0) {
            rc = nm__err_set(&m->err, rc, "entities: alias \"%s\": %s", a, nm_pipeline_errmsg(p));
            goto done;
        }
        size_t nt = nm_result_n_tokens(r);
        if (nt == 0 || nt > 16)
            continue; /* nothing to match, or absurdly long */
        if (gz->n_tok + nt > gz->cap_tok) {
            size_t c = (gz->n_tok + nt) * 2 + 1024;
            nm_gz_tok *x = nm__realloc(&m->alloc, gz->toks, c * sizeof(*x));
            if (!x) {
                rc = nm__err_set(&m->err, NM_ENOMEM, "out of memory");
                goto done;
            }
            gz->toks = x;
            gz->cap_tok = c;
        }
        nm_gz_entry *en = &gz->entries[gz->n_entries];
        en->list = gz->raw_list[i];
        en->n_toks = (uint32_t)nt;
        en->toks = (uint32_t)gz->n_tok;
        const nm_doc *d = (const nm_doc *)r; /* nm_result is a doc (pipeline.c) */
        for (size_t k = 0; k < nt; k++) {
            const nm_tok *t = &d->toks[k];
            nm_gz_tok *gt = &gz->toks[gz->n_tok + k];
            if (t->norm_len > UINT16_MAX || t->end - t->start > UINT16_MAX) {
                rc = nm__err_set(&m->err, NM_EPARSE, "entities: alias \"%s\": a token too long", a);
                goto done;
            }
            if ((rc = arena_str(gz, d->strings.ptr + t->norm_off, t->norm_len, &gt->norm_off)) < 0 ||
                (rc = arena_str(gz, a + t->start, t->end - t->start, &gt->text_off)) < 0) {
                rc = nm__err_set(&m->err, rc, "out of memory");
                goto done;
            }
            gt->norm_len = (uint16_t)t->norm_len;
            gt->text_len = (uint16_t)(t->end - t->start);
            gt->hash = nm_hash(d->strings.ptr + t->norm_off, t->norm_len);
        }
        if ((rc = arena_str(gz, raw_id, strlen(raw_id), &en->id_off)) < 0) {
            rc = nm__err_set(&m->err, rc, "out of memory");
            goto done;
        }
        gz->n_tok += nt;
        gz->n_entries++;
    }
    /* the index: one sort by group, then one table slot a group */
    if (!(kf = nm__calloc(&m->alloc, gz->n_entries ? gz->n_entries : 1, sizeof(*kf))) ||
        !(gz->fe = nm__calloc(&m->alloc, gz->n_entries ? gz->n_entries : 1, sizeof(*gz->fe))) ||
        !(gz->bloom = nm__calloc(&m->alloc, GZ_BLOOM_BITS / 64, sizeof(uint64_t)))) {
        rc = nm__err_set(&m->err, NM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < gz->n_entries; i++) {
        const nm_gz_entry *en = &gz->entries[i];
        const nm_gz_tok *gt = &gz->toks[en->toks];
        kf[i].key = group_key(gt[0].hash, en->n_toks > 1 ? gt[1].hash : 0, en->n_toks > 1);
        kf[i].fe = (nm_gz_fe){(uint32_t)i, en->n_toks, needs_capital(gz, en)};
    }
    qsort(kf, gz->n_entries, sizeof(*kf), cmp_key_fe);
    size_t n_groups = 0;
    for (size_t i = 0; i < gz->n_entries; i++) {
        gz->fe[i] = kf[i].fe;
        n_groups += i == 0 || kf[i].key != kf[i - 1].key;
    }
    size_t slots = 64;
    while (slots < n_groups * 2)
        slots *= 2;
    if (!(gz->groups = nm__calloc(&m->alloc, slots, sizeof(*gz->groups)))) {
        rc = nm__err_set(&m->err, NM_ENOMEM, "out of memory");
        goto done;
    }
    gz->n_groups_mask = slots - 1;
    for (size_t g = 0; g < gz->n_entries;) {
        size_t end = g + 1;
        while (end < gz->n_entries && kf[end].key == kf[g].key)
            end++;
        size_t k = kf[g].key & gz->n_groups_mask;
        while (gz->groups[k].key)
            k = (k + 1) & gz->n_groups_mask;
        gz->groups[k] = (nm_gz_group){kf[g].key, (uint32_t)g, (uint32_t)(end - g)};
        size_t bit = bloom_bit(kf[g].key);
        gz->bloom[bit >> 6] |= 1ull << (bit & 63);
        g = end;
    }
done:
    nm__free(&m->alloc, kf);
    nm_pipeline_free(p);
    /* the raw lines are not needed any more */
    nm_buf_free(&gz->raw);
    nm__free(&m->alloc, gz->raw_off);
    nm__free(&m->alloc, gz->raw_list);
    gz->raw_off = gz->raw_list = NULL;
    gz->n_raw = gz->cap_raw = 0;
    return rc;
}

/* ------------------------------------------------------------ matching */

static bool text_is_upper(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'a' && s[i] <= 'z')
            return false;
    return true;
}

/* Does token T of D match alias token GT under the list's case rule?
 * (Norms are already known to be equal.) */
static bool case_ok(const nm_gazetteer *gz, int casing, const nm_gz_tok *gt, const nm_doc *d,
                    const nm_tok *t)
{
    if (casing == GZ_FOLD)
        return true;
    size_t n = t->end - t->start;
    if (gt->text_len == n && !memcmp(gz->arena.ptr + gt->text_off, d->text + t->start, n))
        return true;
    return casing == GZ_TITLE && text_is_upper(d->text + t->start, n);
}

/* nm_hash of token T's norm: words carry it (normalize); others are
 * hashed here. */
static inline uint32_t tok_hash(const nm_doc *d, const nm_tok *t)
{
    return t->kind == NM_TOK_WORD ? t->hash : nm_hash_padded(d->strings.ptr + t->norm_off, t->norm_len);
}

static const nm_gz_group *find_group(const nm_gazetteer *gz, uint64_t key)
{
    size_t bit = bloom_bit(key);
    if (!(gz->bloom[bit >> 6] & (1ull << (bit & 63))))
        return NULL;
    for (size_t k = key & gz->n_groups_mask;; k = (k + 1) & gz->n_groups_mask) {
        if (gz->groups[k].key == key)
            return &gz->groups[k];
        if (!gz->groups[k].key)
            return NULL;
    }
}

int nm__gz_match(const nm_gazetteer *gz, const nm_doc *d, size_t b, size_t e, nm_gz_match **out,
                 size_t *n, size_t *cap, const nm_allocator *a)
{
    if (!gz || !gz->n_entries)
        return 0;
    uint32_t h_next = b < e ? tok_hash(d, &d->toks[b]) : 0;
    for (size_t i = b; i < e; i++) {
        const nm_tok *t = &d->toks[i];
        uint32_t h = h_next;
        h_next = i + 1 < e ? tok_hash(d, &d->toks[i + 1]) : 0;
        if (t->kind == NM_TOK_PUNCT)
            continue;
        /* the aliases of two tokens or more that start with this word and
         * the next (longer than any of one token), then those of one */
        const nm_gz_group *gr[2] = {i + 1 < e ? find_group(gz, group_key(h, h_next, true)) : NULL,
                                    find_group(gz, group_key(h, 0, false))};
        if (!gr[0] && !gr[1])
            continue;
        bool cap_tok = has_capital(d->text + t->start, t->end - t->start);
        uint64_t lists_done[4] = {0}; /* longest per list: at most 256 lists tracked */
        for (int gi = 0; gi < 2; gi++) {
            if (!gr[gi])
                continue;
            for (size_t k = gr[gi]->off; k < gr[gi]->off + gr[gi]->n; k++) {
                const nm_gz_fe *fk = &gz->fe[k];
                if ((fk->up && !cap_tok) || i + fk->n_toks > e)
                    continue;
                const nm_gz_entry *en = &gz->entries[fk->entry];
                if (en->list < 256 && (lists_done[en->list >> 6] & (1ull << (en->list & 63))))
                    continue;
                int casing = gz->lists[en->list].casing;
                const nm_gz_tok *gt = &gz->toks[en->toks];
                size_t q;
                for (q = 0; q < en->n_toks; q++) {
                    const nm_tok *u = &d->toks[i + q];
                    if (gt[q].norm_len != u->norm_len ||
                        memcmp(gz->arena.ptr + gt[q].norm_off, d->strings.ptr + u->norm_off, u->norm_len) ||
                        !case_ok(gz, casing, &gt[q], d, u))
                        break;
                }
                if (q < en->n_toks)
                    continue;
                if (en->list < 256)
                    lists_done[en->list >> 6] |= 1ull << (en->list & 63);
                if (*n == *cap) {
                    size_t c = *cap ? *cap * 2 : 64;
                    nm_gz_match *p = nm__realloc(a, *out, c * sizeof(*p));
                    if (!p)
                        return NM_ENOMEM;
                    *out = p;
                    *cap = c;
                }
                (*out)[(*n)++] = (nm_gz_match){(uint32_t)i, (uint32_t)(i + en->n_toks), fk->entry};
            }
        }
    }
    return 0;
}
