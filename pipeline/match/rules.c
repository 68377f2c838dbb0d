/*
 * rules.c - regex rules as data (see rules.h): macros, triggers, PCRE2 JIT.
 *
 * Compilation: each pattern has its {table} macros expanded into a regex
 * trie of the keys (escaped; a key that ends where longer ones go on is
 * optional-greedy, so "sept" is tried before "sep"); it is then compiled
 * UTF + caseless and
 * JIT-compiled.  A pattern error is reported with the rule's FILE:LINE and
 * PCRE2's own message and offset.
 *
 * Triggers: each distinct trigger gets an id (NM_MAX_TRIGGERS at most); a
 * word maps to the ids of the triggers it satisfies.  A table trigger
 * gives its id to every first word of every key of the table
 * (and to the key with a final '.', as abbreviations are tokenized);
 * shape triggers (#digit, #year, #clock, #date, #q) take the lowest bits and are
 * computed from each token's form.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

/* Shape triggers, computed from a token's form rather than looked up:
 *   #digit  any token with a digit
 *   #year   4 digits from 1600 to 2199, "'98", "1990s"
 *   #clock  10:30, a.m., pm
 *   #date   1/21/2025, 2025-01-21
 *   #q      q1..q4
 * They take the lowest bits. */
enum { SHAPE_DIGIT = 0, SHAPE_YEAR, SHAPE_CLOCK, SHAPE_DATE, SHAPE_Q, SHAPE_FY, SHAPE_ORD, N_SHAPES };
static const char *const shape_names[N_SHAPES] = {"#digit", "#year", "#clock", "#date", "#q", "#fy", "#ord"};

int nm__rules_init(nm_rule_set *rs, int pattern_field, int trigger_field, int reach_field,
                   const nm_allocator *a)
{
    memset(rs, 0, sizeof(*rs));
    rs->pattern_field = pattern_field;
    rs->trigger_field = trigger_field;
    rs->reach_field = reach_field;
    rs->n_ids = N_SHAPES;
    return nm_strtab_init(&rs->trig_words, 256, a);
}

void nm__rules_free(nm_rule_set *rs, const nm_allocator *a)
{
    for (size_t i = 0; i < rs->n; i++) {
        nm_rule *r = &rs->rules[i];
        for (int k = 0; k < r->n_fields; k++)
            nm__free(a, r->fields[k]);
        nm__free(a, r->fields);
        nm__free(a, r->where);
        if (r->code)
            pcre2_code_free(r->code);
        nm__free(a, r->payload);
    }
    nm__free(a, rs->rules);
    nm__free(a, rs->by_id_off);
    nm__free(a, rs->fast);
    nm__free(a, rs->by_id);
    nm_strtab_free(&rs->trig_words);
    memset(rs, 0, sizeof(*rs));
}

int nm__rules_add(nm_rule_set *rs, const char *path, long line, char **fields, int n_fields,
                  const nm_allocator *a)
{
    if (rs->n == rs->cap) {
        size_t c = rs->cap ? rs->cap * 2 : 64;
        nm_rule *p = nm__realloc(a, rs->rules, c * sizeof(*p));
        if (!p)
            return NM_ENOMEM;
        rs->rules = p;
        rs->cap = c;
    }
    nm_rule *r = &rs->rules[rs->n];
    memset(r, 0, sizeof(*r));
    char where[600];
    snprintf(where, sizeof(where), "%s:%ld", path, line);
    if (!(r->where = nm__strndup(a, where, strlen(where))) ||
        !(r->fields = nm__calloc(a, (size_t)n_fields, sizeof(char *))))
        goto oom;
    rs->n++; /* from here nm__rules_free releases it */
    for (int k = 0; k < n_fields; k++) {
        if (!(r->fields[k] = nm__strndup(a, fields[k], strlen(fields[k]))))
            return NM_ENOMEM;
        r->n_fields = k + 1;
    }
    return 0;
oom:
    nm__free(a, r->where);
    nm__free(a, r->fields);
    return NM_ENOMEM;
}

/* ----------------------------------------------------------- macros */

typedef struct keyref {
    const char *s;
    size_t n;
} keyref;

static int cmp_key_lex(const void *a, const void *b)
{
    const keyref *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->n < y->n ? -1 : x->n > y->n);
}

static int put_char(nm_buf *out, char c)
{
    if (c == ' ')
        return nm_buf_puts(out, "\\s+");
    if (strchr("\\^$.|?*+()[]{}/-'#", c))
        return nm_buf_printf(out, "\\%c", c);
    return nm_buf_putc(out, c);
}

/*
 * Keys [lo, hi), sorted, all sharing their first DEPTH bytes, as a regex
 * trie: "jan", "january", "june" -> j(?:an(?:uary)?|une).  PCRE2 tries the
 * alternatives of a plain alternation one by one; a trie decides on each
 * byte once, which made month and number macros several times cheaper.
 * Greedy '?' on a key that ends where longer ones go on keeps the longest
 * match first, as the plain alternation did.
 */
static int put_trie(nm_buf *out, const keyref *k, size_t lo, size_t hi, size_t depth)
{
    int rc = 0;
    bool terminal = false;
    if (lo < hi && k[lo].n == depth) {
        terminal = true;
        lo++;
    }
    if (lo == hi)
        return 0;
    /* groups of keys by their byte at DEPTH */
    size_t n_groups = 0;
    for (size_t i = lo; i < hi; i++)
        if (i == lo || k[i].s[depth] != k[i - 1].s[depth])
            n_groups++;
    bool wrap = n_groups > 1 || terminal;
    if (wrap && (rc = nm_buf_puts(out, "(?:")) < 0)
        return rc;
    for (size_t i = lo; i < hi && rc == 0;) {
        size_t j = i + 1;
        while (j < hi && k[j].s[depth] == k[i].s[depth])
            j++;
        if (i > lo)
            rc = nm_buf_putc(out, '|');
        /* the bytes all of [i, j) share from DEPTH on */
        size_t common = depth;
        for (;;) {
            size_t c = common + 1;
            bool all = true;
            for (size_t q = i; q < j && all; q++)
                all = k[q].n >= c && k[q].s[common] == k[i].s[common];
            if (!all || k[i].n < c)
                break;
            /* stop before a byte where some key of the group ends */
            common = c;
            bool ends = false;
            for (size_t q = i; q < j; q++)
                ends |= k[q].n == common;
            if (ends)
                break;
        }
        for (size_t q = depth; q < common && rc == 0; q++)
            rc = put_char(out, k[i].s[q]);
        if (rc == 0)
            rc = put_trie(out, k, i, j, common);
        i = j;
    }
    if (rc == 0 && wrap)
        rc = nm_buf_puts(out, terminal ? ")?" : ")");
    return rc;
}

/* Append TABLE's keys as a non-capturing alternation (a regex trie). */
static int put_alternation(nm_buf *out, const nm_strtab *t, const nm_allocator *a)
{
    keyref *keys = nm__calloc(a, t->n_used ? t->n_used : 1, sizeof(*keys));
    size_t n = 0;
    int rc = 0;
    if (!keys)
        return NM_ENOMEM;
    for (size_t i = 0; i < t->n_slots; i++)
        if (t->slots[i].key_off != UINT32_MAX)
            keys[n++] = (keyref){t->arena.ptr + t->slots[i].key_off, t->slots[i].key_len};
    qsort(keys, n, sizeof(*keys), cmp_key_lex);
    rc = nm_buf_puts(out, "(?:");
    if (rc == 0)
        rc = put_trie(out, keys, 0, n, 0);
    if (rc == 0)
        rc = nm_buf_putc(out, ')');
    nm__free(a, keys);
    return rc;
}

static bool is_macro_name(const char *s, size_t n)
{
    if (n == 0 || n > 31)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
            return false;
    return true;
}

/* Expand {table} macros of PAT into OUT.  {n} / {n,m} quantifiers are left
 * alone (they start with a digit). */
static int expand(const nm_model *m, const char *pat, nm_buf *out, const char **bad)
{
    int rc = 0;
    for (const char *p = pat; *p && rc == 0;) {
        if (*p == '\\' && p[1]) {
            rc = nm_buf_put(out, p, 2);
            p += 2;
            continue;
        }
        if (*p == '{') {
            const char *e = strchr(p, '}');
            if (e && is_macro_name(p + 1, (size_t)(e - p - 1))) {
                char name[32];
                snprintf(name, sizeof(name), "%.*s", (int)(e - p - 1), p + 1);
                const nm_strtab *t = nm__model_table(m, name);
                if (!t) {
                    *bad = p;
                    return NM_EPARSE;
                }
                rc = put_alternation(out, t, out->alloc);
                p = e + 1;
                continue;
            }
        }
        rc = nm_buf_putc(out, *p++);
    }
    return rc;
}

/* ---------------------------------------------------------- triggers */

static uint64_t shape_bits(const char *w, size_t n);

/* The trigger ids of a word are kept as the uint16_t array of its value. */
#define IX(rs) ((rs)->share ? (rs)->share : (rs))

/* The ids of word W; PADDED: W has 8 readable bytes after it (a norm). */
/* A trigger word inline: up to 16 bytes, zero-padded, and up to 6 ids
 * (n_ids 0xFF: more, look in the string table). */
typedef struct nm_fslot {
    uint64_t k0, k1;
    uint8_t len, n_ids;
    uint16_t ids[6];
} nm_fslot;

#define FAST_KEY 16
#define FAST_IDS 6

static inline uint64_t load_word(const char *w, size_t n)
{
    uint64_t v;
    memcpy(&v, w, 8);
    return n >= 8 ? v : v & ((1ull << (8 * n)) - 1);
}

/* The trigger ids of word W (HASH: its nm_hash; PADDED: W has 8 readable
 * bytes after its start, as strings in doc->strings do). */
static size_t word_ids_h(const nm_rule_set *rs, const char *w, size_t n, uint32_t hash,
                         uint16_t *ids, size_t cap, bool padded)
{
    rs = IX(rs);
    uint32_t h = hash & 0xFFFF;
    if (!(rs->filter[h >> 3] & (1u << (h & 7))))
        return 0;
    if (padded && rs->fast && n <= FAST_KEY) {
        /* w has 8 readable bytes after its start, and so 16 if n >= 8 */
        uint64_t k0 = load_word(w, n), k1 = n > 8 ? load_word(w + 8, n - 8) : 0;
        for (size_t i = hash & rs->fast_mask;; i = (i + 1) & rs->fast_mask) {
            const nm_fslot *f = &rs->fast[i];
            if (!f->len)
                return 0;
            if (f->len == n && f->k0 == k0 && f->k1 == k1) {
                if (f->n_ids == 0xFF)
                    break; /* too many ids to keep inline */
                size_t k = f->n_ids < cap ? f->n_ids : cap;
                memcpy(ids, f->ids, k * sizeof(uint16_t));
                return k;
            }
        }
    }
    const nm_strtab_entry *e = nm_strtab_get(&rs->trig_words, w, n);
    if (!e)
        return 0;
    size_t k = e->val_len / sizeof(uint16_t);
    if (k > cap)
        k = cap;
    memcpy(ids, nm_strtab_val(&rs->trig_words, e), k * sizeof(uint16_t));
    return k;
}

static size_t word_ids(const nm_rule_set *rs, const char *w, size_t n, uint16_t *ids, size_t cap)
{
    return word_ids_h(rs, w, n, nm_hash(w, n), ids, cap, false);
}

static int add_word_id(nm_rule_set *rs, const char *w, size_t n, uint16_t id)
{
    rs = IX(rs);
    uint16_t ids[64];
    size_t k = word_ids(rs, w, n, ids, 63);
    for (size_t i = 0; i < k; i++)
        if (ids[i] == id)
            return 0;
    ids[k++] = id;
    uint32_t h = nm_hash(w, n) & 0xFFFF;
    rs->filter[h >> 3] |= (uint8_t)(1u << (h & 7));
    return nm_strtab_put(&rs->trig_words, w, n, 0, (const char *)ids, k * sizeof(uint16_t));
}

/* Give ID to every first word of every key of table T. */
static int index_table(nm_rule_set *rs, const nm_strtab *t, uint16_t id)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < t->n_slots; i++) {
        if (t->slots[i].key_off == UINT32_MAX)
            continue;
        const char *k = t->arena.ptr + t->slots[i].key_off;
        size_t n = strcspn(k, " ");
        char buf[128];
        if (n == 0 || n >= sizeof(buf) - 1)
            continue;
        memcpy(buf, k, n);
        rc = add_word_id(rs, buf, n, id);
        if (rc == 0 && buf[n - 1] != '.') {
            buf[n] = '.';
            rc = add_word_id(rs, buf, n + 1, id);
        }
    }
    return rc;
}

/* The id of a named trigger, made on first use.  @return < 0 if full. */
static int trigger_id(nm_rule_set *rs, const char *key, size_t n, bool *fresh)
{
    rs = IX(rs);
    uint16_t ids[4];
    *fresh = false;
    /* the id of a trigger *name* is kept under a key no word can have */
    char k[96];
    if (n + 2 > sizeof(k))
        return -1;
    k[0] = '\x01';
    memcpy(k + 1, key, n);
    if (word_ids(rs, k, n + 1, ids, 4))
        return ids[0];
    if (rs->n_ids >= NM_MAX_TRIGGERS)
        return -1;
    uint16_t id = (uint16_t)rs->n_ids++;
    *fresh = true;
    return add_word_id(rs, k, n + 1, id) < 0 ? -1 : id;
}

/* The id of trigger W (a shape, a table or a word), indexed on first use. */
static int one_trigger(nm_rule_set *rs, const nm_model *m, const nm_rule *r, const char *w,
                       size_t n, nm_err *err)
{
    int rc = 0;
    for (int k = 0; k < N_SHAPES; k++)
        if (!strcmp(w, shape_names[k]))
            return k;
    bool fresh;
    int id;
    const nm_strtab *t;
    bool literal = w[0] == '='; /* "=season": the word, though a table has the name */
    if (literal) {
        w++;
        n--;
        if (!n)
            return nm__err_set(err, NM_EPARSE, "%s: empty trigger word after '='", r->where);
    }
    if (!literal && (t = nm__model_table(m, w)) != NULL) {
        char key[80];
        snprintf(key, sizeof(key), "table:%s", w);
        if ((id = trigger_id(rs, key, strlen(key), &fresh)) >= 0 && fresh)
            rc = index_table(rs, t, (uint16_t)id);
    } else {
        for (size_t k = 0; k < n; k++)
            if (w[k] >= 'A' && w[k] <= 'Z')
                return nm__err_set(err, NM_EPARSE, "%s: trigger \"%s\" must be lower case",
                                   r->where, w);
        if ((id = trigger_id(rs, w, n, &fresh)) >= 0 && fresh)
            rc = add_word_id(rs, w, n, (uint16_t)id);
    }
    if (id < 0)
        return nm__err_set(err, NM_ELIMIT, "%s: more than %d distinct triggers", r->where,
                           NM_MAX_TRIGGERS);
    if (rc < 0)
        return nm__err_set(err, rc, "%s: %s", r->where, nm_strerror(rc));
    return id;
}

/*
 * TRIGGERS is "T,T,...", optionally followed by "&R,R,...": the rule is
 * tried at each T in a sentence that also holds one of the Rs ("month&this,
 * last,next": "March of next year" needs one of them, so a sentence without
 * is not worth a regex call at each month name).
 */
static int index_triggers(nm_rule_set *rs, const nm_model *m, nm_rule *r, nm_err *err)
{
    const char *spec = r->fields[rs->trigger_field];
    const size_t max = sizeof(r->trig) / sizeof(r->trig[0]);
    bool req = false;
    r->n_trig = r->n_req = 0;
    for (const char *p = spec; *p;) {
        size_t n = strcspn(p, ",&");
        char w[64];
        if (n == 0 || n >= sizeof(w))
            return nm__err_set(err, NM_EPARSE, "%s: bad trigger list \"%s\"", r->where, spec);
        memcpy(w, p, n);
        w[n] = '\0';
        if ((req ? r->n_req : r->n_trig) == (int)max)
            return nm__err_set(err, NM_ELIMIT, "%s: more than %zu triggers", r->where, max);
        int id = one_trigger(rs, m, r, w, n, err);
        if (id < 0)
            return id;
        if (req)
            r->req[r->n_req++] = (uint16_t)id;
        else
            r->trig[r->n_trig++] = (uint16_t)id;
        if (p[n] == '&') {
            if (req)
                return nm__err_set(err, NM_EPARSE, "%s: more than one '&' in \"%s\"", r->where,
                                   spec);
            req = true;
        }
        p += n + (p[n] != '\0');
    }
    if (r->n_trig == 0 || (req && r->n_req == 0))
        return nm__err_set(err, NM_EPARSE, "%s: bad trigger list \"%s\"", r->where, spec);
    return 0;
}

/* Does pattern P name a character beyond ASCII (a byte >= 0x80, or an
 * escape \x{...} or \xHH of one)? */
static bool needs_utf(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x80)
            return true;
        if (c == '\\' && i + 1 < n) {
            if (p[i + 1] == 'x' && i + 2 < n && (p[i + 2] == '{' || (p[i + 2] >= '8' && p[i + 2] <= '9') ||
                                                 ((p[i + 2] | 32) >= 'a' && (p[i + 2] | 32) <= 'f')))
                return true;
            if (p[i + 1] == 'p' || p[i + 1] == 'P' || p[i + 1] == 'X' || p[i + 1] == 'N')
                return true; /* properties and grapheme clusters are UTF notions */
            i++;
        }
    }
    return false;
}

int nm__rules_compile(nm_rule_set *rs, const nm_model *m, nm_err *err)
{
    nm_buf pat;
    int rc = 0;
    nm_buf_init(&pat, (size_t)1 << 24, &m->alloc);
    for (size_t i = 0; i < rs->n; i++) {
        nm_rule *r = &rs->rules[i];
        const char *bad = NULL;
        nm_buf_clear(&pat);
        if (r->n_fields <= rs->pattern_field || r->n_fields <= rs->trigger_field ||
            r->n_fields <= rs->reach_field) {
            rc = nm__err_set(err, NM_EPARSE, "%s: missing fields", r->where);
            goto done;
        }
        if ((rc = expand(m, r->fields[rs->pattern_field], &pat, &bad)) < 0) {
            if (bad)
                nm__err_set(err, rc, "%s: no table for the macro at \"%.20s\"", r->where, bad);
            else
                nm__err_set(err, rc, "%s: %s", r->where, nm_strerror(rc));
            goto done;
        }
        int ecode;
        PCRE2_SIZE eoff;
        /* anchored: every match is tried at a token start near a trigger.
         * A pattern of ASCII only is matched byte-wise, which PCRE2 does
         * faster than UTF-8 (the text is valid UTF-8, and a match that
         * would end inside a character is dropped, see nm__rule_each_match);
         * one that names other characters needs UTF mode */
        r->utf = needs_utf(pat.ptr, pat.len);
        uint32_t flags = PCRE2_CASELESS | (r->utf ? PCRE2_UTF : 0);
        r->code = pcre2_compile((PCRE2_SPTR)pat.ptr, pat.len, flags | PCRE2_ANCHORED, &ecode, &eoff,
                                NULL);
        if (!r->code) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(ecode, msg, sizeof(msg));
            rc = nm__err_set(err, NM_EPARSE, "%s: bad pattern at offset %zu: %s", r->where,
                             (size_t)eoff, (const char *)msg);
            goto done;
        }
        /* JIT is a speed-up, not a requirement: without it matching still works */
        r->jit = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0;
        /* the bytes a match can start with: PCRE2 works them out for an
         * unanchored pattern, so compile one just to ask */
        memset(r->first, 0xFF, sizeof(r->first));
        pcre2_code *probe = pcre2_compile((PCRE2_SPTR)pat.ptr, pat.len, flags, &ecode, &eoff, NULL);
        if (probe) {
            const uint8_t *bm = NULL;
            uint32_t fcu_type = 0, fcu = 0;
            pcre2_pattern_info(probe, PCRE2_INFO_FIRSTCODETYPE, &fcu_type);
            if (fcu_type == 1 && pcre2_pattern_info(probe, PCRE2_INFO_FIRSTCODEUNIT, &fcu) == 0) {
                memset(r->first, 0, sizeof(r->first));
                r->first[fcu >> 3] |= (uint8_t)(1u << (fcu & 7));
                /* caseless: the other case too */
                if ((fcu | 32) >= 'a' && (fcu | 32) <= 'z') {
                    uint32_t o = fcu ^ 32;
                    r->first[o >> 3] |= (uint8_t)(1u << (o & 7));
                }
            } else if (pcre2_pattern_info(probe, PCRE2_INFO_FIRSTBITMAP, &bm) == 0 && bm) {
                memcpy(r->first, bm, sizeof(r->first));
            }
            pcre2_code_free(probe);
        }
        uint32_t caps = 0;
        pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &caps);
        if (caps + 1 > rs->max_pairs)
            rs->max_pairs = caps + 1;
        if ((rc = index_triggers(rs, m, r, err)) < 0)
            goto done;
        const char *rf = r->fields[rs->reach_field];
        if (!(rf[0] >= '0' && rf[0] <= '9' && (rf[1] == '\0' || (rf[1] == '0' && rf[0] == '1' && !rf[2])))) {
            rc = nm__err_set(err, NM_EPARSE, "%s: REACH must be a number from 0 to 10, not \"%s\"",
                             r->where, rf);
            goto done;
        }
        r->reach = (int)strtol(rf, NULL, 10);
    }
    /* the inverted index: trigger id -> rules */
    size_t n_ids = NM_MAX_TRIGGERS, total = 0;
    if (!(rs->by_id_off = nm__calloc(&m->alloc, n_ids + 1, sizeof(uint32_t)))) {
        rc = nm__err_set(err, NM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < rs->n; i++)
        for (int k = 0; k < rs->rules[i].n_trig; k++)
            rs->by_id_off[rs->rules[i].trig[k] + 1]++, total++;
    for (size_t i = 0; i < n_ids; i++)
        rs->by_id_off[i + 1] += rs->by_id_off[i];
    if (!(rs->by_id = nm__calloc(&m->alloc, total ? total : 1, sizeof(uint32_t)))) {
        rc = nm__err_set(err, NM_ENOMEM, "out of memory");
        goto done;
    }
    uint32_t *fill = nm__calloc(&m->alloc, n_ids, sizeof(uint32_t));
    if (!fill) {
        rc = nm__err_set(err, NM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < rs->n; i++)
        for (int k = 0; k < rs->rules[i].n_trig; k++) {
            uint16_t id = rs->rules[i].trig[k];
            rs->by_id[rs->by_id_off[id] + fill[id]++] = (uint32_t)i;
        }
    nm__free(&m->alloc, fill);
done:
    nm_buf_free(&pat);
    return rc;
}

size_t nm__rules_triggered(const nm_rule_set *rs, nm_trigset *ts, uint32_t *out)
{
    size_t n = 0;
    if (!rs->by_id_off || !rs->n)
        return 0;
    size_t n_words = (rs->n + 63) / 64;
    uint64_t taken[64];
    if (n_words > 64)
        return 0; /* refused at open: more rules than the bitmap holds */
    memset(taken, 0, n_words * sizeof(uint64_t));
    /* each trigger present once, from the sentence's bitmap of ids */
    size_t id_words = ((size_t)IX(rs)->n_ids + 63) / 64;
    for (size_t w = 0; w < id_words; w++) {
        for (uint64_t bits = ts->w[w]; bits; bits &= bits - 1) {
            size_t id = w * 64 + (size_t)__builtin_ctzll(bits);
            for (uint32_t k = rs->by_id_off[id]; k < rs->by_id_off[id + 1]; k++) {
                uint32_t ri = rs->by_id[k];
                taken[ri >> 6] |= 1ull << (ri & 63);
            }
        }
    }
    /* the bitmap read in order is the list in file order */
    for (size_t w = 0; w < n_words; w++)
        for (uint64_t bits = taken[w]; bits; bits &= bits - 1)
            out[n++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
    return n;
}

int nm__rules_seal(nm_rule_set *rs, const nm_allocator *a)
{
    const nm_strtab *t = &rs->trig_words;
    size_t size = 64;
    while (size < t->n_used * 4)
        size *= 2;
    nm_fslot *fast = nm__calloc(a, size, sizeof(*fast));
    if (!fast)
        return NM_ENOMEM;
    for (size_t i = 0; i < t->n_slots; i++) {
        const nm_strtab_entry *e = &t->slots[i];
        if (e->key_off == UINT32_MAX || e->key_len > FAST_KEY || e->key_len == 0)
            continue;
        const char *w = t->arena.ptr + e->key_off;
        char pad[FAST_KEY + 8] = {0};
        memcpy(pad, w, e->key_len);
        nm_fslot f = {load_word(pad, e->key_len),
                      e->key_len > 8 ? load_word(pad + 8, e->key_len - 8) : 0,
                      (uint8_t)e->key_len, 0, {0}};
        size_t n_ids = e->val_len / sizeof(uint16_t);
        if (n_ids > FAST_IDS) {
            f.n_ids = 0xFF;
        } else {
            f.n_ids = (uint8_t)n_ids;
            memcpy(f.ids, nm_strtab_val(t, e), n_ids * sizeof(uint16_t));
        }
        size_t j = nm_hash(w, e->key_len) & (size - 1);
        while (fast[j].len)
            j = (j + 1) & (size - 1);
        fast[j] = f;
    }
    nm__free(a, rs->fast);
    rs->fast = fast;
    rs->fast_mask = size - 1;
    return 0;
}

int nm__rules_word_trigger(nm_rule_set *rs, const char *name, const nm_strtab *words,
                           const char *only_value)
{
    bool fresh;
    int id = trigger_id(rs, name, strlen(name), &fresh);
    if (id < 0)
        return NM_ELIMIT;
    for (size_t i = 0; i < words->n_slots; i++) {
        const nm_strtab_entry *e = &words->slots[i];
        if (e->key_off == UINT32_MAX)
            continue;
        if (only_value && strcmp(nm_strtab_val(words, e), only_value) != 0)
            continue;
        if (add_word_id(rs, words->arena.ptr + e->key_off, e->key_len, (uint16_t)id) < 0)
            return NM_ENOMEM;
    }
    return id;
}

int nm__rule_group(const nm_rule *r, const char *name)
{
    int n = pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)name);
    return n > 0 ? n : -1;
}

int nm__matcher_init(nm_matcher *mt, const nm_rule_set *rs, const nm_allocator *a)
{
    (void)a;
    mt->alloc = a;
    mt->md = pcre2_match_data_create(rs->max_pairs ? rs->max_pairs : 1, NULL);
    /* A JIT stack of our own: without one, every pcre2_jit_match call sets
     * up a 32 KiB frame on the machine stack, and with Debian's stack-clash
     * protection that means touching eight pages a call, which cost as
     * much as many a failed match itself. */
    mt->mctx = pcre2_match_context_create(NULL);
    mt->jstack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
    if (!mt->md || !mt->mctx || !mt->jstack) {
        nm__matcher_free(mt);
        return NM_ENOMEM;
    }
    pcre2_jit_stack_assign(mt->mctx, NULL, mt->jstack);
    return 0;
}

void nm__matcher_free(nm_matcher *mt)
{
    if (mt->md)
        pcre2_match_data_free(mt->md);
    if (mt->mctx)
        pcre2_match_context_free(mt->mctx);
    if (mt->jstack)
        pcre2_jit_stack_free(mt->jstack);
    mt->md = mt->mctx = mt->jstack = NULL;
}

/* The shape bits of one token's normalised form. */
static uint64_t shape_bits(const char *w, size_t n)
{
    uint64_t bits = 0;
    size_t digits = 0, lead = 0;
    bool colon = false, slash = false, dash = false;
    size_t dots = 0;
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        if (c >= '0' && c <= '9') {
            digits++;
            if (lead == i)
                lead++;
        } else if (c == ':') {
            colon = true;
        } else if (c == '/') {
            slash = true;
        } else if (c == '-') {
            dash = true;
        } else if (c == '.') {
            dots++;
        }
    }
    if (digits)
        bits |= 1ull << SHAPE_DIGIT;
    if (lead == 4 && (n == 4 || (n == 5 && w[4] == 's')) &&
        ((w[0] == '1' && w[1] >= '6') || (w[0] == '2' && w[1] <= '1')))
        bits |= 1ull << SHAPE_YEAR;
    if (w[0] == '\'' && digits == 2)
        bits |= 1ull << SHAPE_YEAR;
    if (colon && digits >= 3)
        bits |= 1ull << SHAPE_CLOCK;
    if ((n == 4 || n == 2 || n == 3) && (w[0] == 'a' || w[0] == 'p') && w[1] == (n == 2 ? 'm' : '.'))
        bits |= 1ull << SHAPE_CLOCK;
    if ((slash || dash || (dots >= 2)) && digits >= 5)
        bits |= 1ull << SHAPE_DATE; /* 1/21/2025, 2025-01-21, 21.01.2025 */
    if (n == 2 && ((w[0] == 'q' && w[1] >= '1' && w[1] <= '4') || (w[0] == 'h' && (w[1] == '1' || w[1] == '2'))))
        bits |= 1ull << SHAPE_Q; /* q1-q4, h1-h2 */
    if ((n == 4 || n == 6) && w[0] == 'f' && w[1] == 'y' && digits == n - 2) /* fy27, fy2027 */
        bits |= 1ull << SHAPE_FY;
    if (lead >= 1 && lead <= 2 && n == lead + 2 &&
        (!memcmp(w + lead, "st", 2) || !memcmp(w + lead, "nd", 2) || !memcmp(w + lead, "rd", 2) ||
         !memcmp(w + lead, "th", 2))) /* 21st, 3rd */
        bits |= 1ull << SHAPE_ORD;
    return bits;
}

void nm__trigset_init(nm_trigset *ts, const nm_allocator *a)
{
    memset(ts, 0, sizeof(*ts));
    ts->alloc = a;
    for (size_t i = 0; i < NM_MAX_TRIGGERS; i++)
        ts->head[i] = -1;
}

void nm__trigset_free(nm_trigset *ts)
{
    nm__free(ts->alloc, ts->hits);
    nm__free(ts->alloc, ts->stamp);
    memset(ts, 0, sizeof(*ts));
}

static int add_hit(nm_trigset *ts, uint16_t id, size_t tok)
{
    ts->w[id >> 6] |= 1ull << (id & 63);
    if (ts->n_hits == ts->cap_hits) {
        size_t c = ts->cap_hits ? ts->cap_hits * 2 : 64;
        nm_trighit *p = nm__realloc(ts->alloc, ts->hits, c * sizeof(*p));
        if (!p)
            return NM_ENOMEM;
        ts->hits = p;
        ts->cap_hits = c;
    }
    /* hits of one id are chained in token order */
    int32_t h = (int32_t)ts->n_hits;
    ts->hits[ts->n_hits++] = (nm_trighit){id, (uint32_t)tok, -1};
    if (ts->head[id] < 0)
        ts->head[id] = h;
    else
        ts->hits[ts->tail[id]].next = h;
    ts->tail[id] = h;
    return 0;
}

static int add_shapes(nm_trigset *ts, uint64_t shapes, size_t tok)
{
    int rc = 0;
    for (uint16_t k = 0; k < N_SHAPES && rc == 0; k++)
        if (shapes & (1ull << k))
            rc = add_hit(ts, k, tok);
    return rc;
}

static int add_word(const nm_rule_set *rs, nm_trigset *ts, const char *w, size_t n, uint32_t hash,
                    size_t tok)
{
    uint16_t ids[64];
    size_t k = word_ids_h(rs, w, n, hash, ids, 64, true); /* w is in doc->strings */
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++)
        rc = add_hit(ts, ids[i], tok);
    return rc;
}

int nm__rules_sentence_triggers(const nm_rule_set *rs, const nm_doc *d, size_t b, size_t e,
                                nm_trigset *out)
{
    size_t nw = ((size_t)IX(rs)->n_ids + 63) / 64;
    int rc = 0;
    memset(out->w, 0, nw * sizeof(out->w[0]));
    for (size_t h = 0; h < out->n_hits; h++) /* reset the chains of the last sentence */
        out->head[out->hits[h].id] = -1;
    out->n_hits = 0;
    for (size_t i = b; i < e && rc == 0; i++) {
        const nm_tok *t = &d->toks[i];
        const char *norm = d->strings.ptr + t->norm_off;
        /* shapes need a digit, an apostrophe (the '98), or am/pm */
        char c0 = norm[0];
        if ((t->kind == NM_TOK_NUMBER || t->kind == NM_TOK_WORD) &&
            ((c0 >= '0' && c0 <= '9') || c0 == '\'' || ((c0 == 'q' || c0 == 'h') && t->norm_len == 2) ||
             (c0 == 'f' && norm[1] == 'y' && (t->norm_len == 4 || t->norm_len == 6)) ||
             ((c0 == 'a' || c0 == 'p') && t->norm_len <= 4 &&
              (norm[1] == 'm' || norm[1] == '.'))))
            rc = add_shapes(out, shape_bits(norm, t->norm_len), i);
        if (rc < 0 || t->kind != NM_TOK_WORD)
            continue;
        rc = add_word(rs, out, norm, t->norm_len, t->hash, i); /* hashed by normalize */
        /* the parts of a hyphenated word count too: "multi-year" */
        if (rc == 0 && (t->flags & NM_TF_HYPHEN)) {
            const char *p = norm, *end = norm + t->norm_len;
            while (p < end && rc == 0) {
                const char *h = memchr(p, '-', (size_t)(end - p));
                size_t n = h ? (size_t)(h - p) : (size_t)(end - p);
                if (n && (rc = add_word(rs, out, p, n, nm_hash_padded(p, n), i)) == 0)
                    rc = add_shapes(out, shape_bits(p, n), i);
                p += n + 1;
            }
        }
    }
    return rc;
}

int nm__rule_each_match(nm_matcher *mt, const nm_rule *r, const nm_doc *d, nm_trigset *ts,
                        size_t b, size_t e, nm_match_fn fn, void *payload)
{
    if (d->n_toks > ts->cap_stamp) {
        size_t c = d->n_toks + 256;
        uint32_t *p = nm__realloc(ts->alloc, ts->stamp, c * sizeof(*p));
        if (!p)
            return NM_ENOMEM;
        memset(p, 0, c * sizeof(*p));
        ts->stamp = p;
        ts->cap_stamp = c;
        ts->clock = 0;
    }
    if (++ts->clock == 0) { /* wrapped: start the stamps again */
        memset(ts->stamp, 0, ts->cap_stamp * sizeof(*ts->stamp));
        ts->clock = 1;
    }
    if (r->n_req) { /* the sentence must hold one of the required triggers */
        int k = 0;
        while (k < r->n_req && !(ts->w[r->req[k] >> 6] & (1ull << (r->req[k] & 63))))
            k++;
        if (k == r->n_req)
            return 0;
    }
    size_t end = d->toks[e - 1].end;
    for (int k = 0; k < r->n_trig; k++)
    for (int32_t h = ts->head[r->trig[k]]; h >= 0; h = ts->hits[h].next) {
        size_t t = ts->hits[h].tok;
        size_t from = t >= b + (size_t)r->reach ? t - (size_t)r->reach : b;
        for (size_t s = from; s <= t; s++) {
            if (ts->stamp[s] == ts->clock)
                continue;
            ts->stamp[s] = ts->clock;
            unsigned char c0 = (unsigned char)d->text[d->toks[s].start];
            if (!(r->first[c0 >> 3] & (1u << (c0 & 7))))
                continue;
            int rc = r->jit ? pcre2_jit_match(r->code, (PCRE2_SPTR)d->text, end, d->toks[s].start, 0,
                                              mt->md, mt->mctx)
                            : pcre2_match(r->code, (PCRE2_SPTR)d->text, end, d->toks[s].start,
                                          PCRE2_NO_UTF_CHECK, mt->md, NULL);
            if (rc == PCRE2_ERROR_NOMATCH)
                continue;
            if (rc < 0)
                return NM_EINVAL;
            PCRE2_SIZE *o = pcre2_get_ovector_pointer(mt->md);
            if (o[1] <= o[0])
                continue;
            /* byte-wise: a match must not end inside a character */
            if (!r->utf && o[1] < end && ((unsigned char)d->text[o[1]] & 0xC0) == 0x80)
                continue;
            int n = rc == 0 ? (int)pcre2_get_ovector_count(mt->md) : rc;
            if ((rc = fn(r, o, n, payload)) < 0)
                return rc;
        }
    }
    return 0;
}
