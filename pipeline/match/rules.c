/*
 * rules.c - regex rules as data (see rules.h): macros, triggers, PCRE2 JIT.
 *
 * Compilation: each pattern has its {table} macros expanded into
 * (?:key1|key2|...) with the keys escaped and sorted longest first, so that
 * "sept" is tried before "sep"; it is then compiled UTF + caseless and
 * JIT-compiled.  A pattern error is reported with the rule's FILE:LINE and
 * PCRE2's own message and offset.
 *
 * Triggers: each distinct trigger gets a bit (64 at most; beyond that bits
 * are shared, which only costs an extra try, never a missed match).  A
 * table trigger gives its bit to every first word of every key of the table
 * (and to the key with a final '.', as abbreviations are tokenized);
 * "digit" is bit 0, set by any token with a digit.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

#define DIGIT_BIT 1ull

int nm__rules_init(nm_rule_set *rs, int pattern_field, int trigger_field, const nm_allocator *a)
{
    memset(rs, 0, sizeof(*rs));
    rs->pattern_field = pattern_field;
    rs->trigger_field = trigger_field;
    rs->next_bit = 1;
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

static int cmp_keyref(const void *a, const void *b)
{
    const keyref *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return memcmp(x->s, y->s, x->n);
}

/* Append TABLE's keys as a non-capturing alternation. */
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
    qsort(keys, n, sizeof(*keys), cmp_keyref);
    rc = nm_buf_puts(out, "(?:");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (i)
            rc = nm_buf_putc(out, '|');
        for (size_t k = 0; rc == 0 && k < keys[i].n; k++) {
            char c = keys[i].s[k];
            if (c == ' ')
                rc = nm_buf_puts(out, "\\s+");
            else if (strchr("\\^$.|?*+()[]{}/-'#", c))
                rc = nm_buf_printf(out, "\\%c", c);
            else
                rc = nm_buf_putc(out, c);
        }
    }
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

static uint64_t bit_for(nm_rule_set *rs, const char *word, size_t n)
{
    int b = rs->next_bit < 64 ? rs->next_bit++ : 1 + (int)(nm_hash(word, n) % 63);
    return 1ull << b;
}

/* The trigger mask of a word is kept as the 8 bytes of its table value. */
static uint64_t word_bits(const nm_rule_set *rs, const char *w, size_t n)
{
    const nm_strtab_entry *e = nm_strtab_get(&rs->trig_words, w, n);
    uint64_t mask = 0;
    if (e && e->val_len == sizeof(mask))
        memcpy(&mask, nm_strtab_val(&rs->trig_words, e), sizeof(mask));
    return mask;
}

static int add_word_bits(nm_rule_set *rs, const char *w, size_t n, uint64_t bits)
{
    uint64_t mask = bits | word_bits(rs, w, n);
    return nm_strtab_put(&rs->trig_words, w, n, 0, (const char *)&mask, sizeof(mask));
}

/* Give BIT to every first word of every key of table T. */
static int index_table(nm_rule_set *rs, const nm_strtab *t, uint64_t bit)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < t->n_slots; i++) {
        if (t->slots[i].key_off == UINT32_MAX)
            continue;
        const char *k = t->arena.ptr + t->slots[i].key_off;
        size_t n = strcspn(k, " ");
        char buf[128];
        if (n >= sizeof(buf) - 1)
            continue;
        memcpy(buf, k, n);
        rc = add_word_bits(rs, buf, n, bit);
        if (rc == 0 && buf[n - 1] != '.') {
            buf[n] = '.';
            rc = add_word_bits(rs, buf, n + 1, bit);
        }
    }
    return rc;
}

static int index_triggers(nm_rule_set *rs, const nm_model *m, nm_rule *r, nm_err *err)
{
    const char *spec = r->fields[rs->trigger_field];
    int rc = 0;
    r->trig = 0;
    for (const char *p = spec; *p && rc == 0;) {
        size_t n = strcspn(p, ",");
        char w[64];
        if (n == 0 || n >= sizeof(w))
            return nm__err_set(err, NM_EPARSE, "%s: bad trigger list \"%s\"", r->where, spec);
        memcpy(w, p, n);
        w[n] = '\0';
        uint64_t bit;
        const nm_strtab *t;
        if (!strcmp(w, "digit")) {
            bit = DIGIT_BIT;
        } else if ((t = nm__model_table(m, w)) != NULL) {
            /* one bit per table, shared by every rule that names it */
            char key[80];
            snprintf(key, sizeof(key), "\x01table:%s", w);
            uint64_t have = word_bits(rs, key, strlen(key));
            bit = have ? have : bit_for(rs, key, strlen(key));
            if (!have && ((rc = add_word_bits(rs, key, strlen(key), bit)) < 0 ||
                          (rc = index_table(rs, t, bit)) < 0))
                break;
        } else {
            for (size_t k = 0; k < n; k++)
                if (w[k] >= 'A' && w[k] <= 'Z')
                    return nm__err_set(err, NM_EPARSE, "%s: trigger \"%s\" must be lower case",
                                       r->where, w);
            uint64_t have = word_bits(rs, w, n);
            bit = have ? have : bit_for(rs, w, n);
            if (!have && (rc = add_word_bits(rs, w, n, bit)) < 0)
                break;
        }
        r->trig |= bit;
        p += n + (p[n] == ',');
    }
    if (rc < 0)
        return nm__err_set(err, rc, "%s: %s", r->where, nm_strerror(rc));
    return 0;
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
        if (r->n_fields <= rs->pattern_field || r->n_fields <= rs->trigger_field) {
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
        r->code = pcre2_compile((PCRE2_SPTR)pat.ptr, pat.len, PCRE2_UTF | PCRE2_CASELESS, &ecode,
                                &eoff, NULL);
        if (!r->code) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(ecode, msg, sizeof(msg));
            rc = nm__err_set(err, NM_EPARSE, "%s: bad pattern at offset %zu: %s", r->where,
                             (size_t)eoff, (const char *)msg);
            goto done;
        }
        /* JIT is a speed-up, not a requirement: without it matching still works */
        pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE);
        uint32_t caps = 0;
        pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &caps);
        if (caps + 1 > rs->max_pairs)
            rs->max_pairs = caps + 1;
        if ((rc = index_triggers(rs, m, r, err)) < 0)
            goto done;
    }
done:
    nm_buf_free(&pat);
    return rc;
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
    return mt->md ? 0 : NM_ENOMEM;
}

void nm__matcher_free(nm_matcher *mt)
{
    if (mt->md)
        pcre2_match_data_free(mt->md);
    mt->md = NULL;
}

uint64_t nm__rules_sentence_bits(const nm_rule_set *rs, const nm_doc *d, size_t b, size_t e)
{
    uint64_t bits = 0;
    for (size_t i = b; i < e; i++) {
        const nm_tok *t = &d->toks[i];
        const char *norm = d->strings.ptr + t->norm_off;
        if (t->kind == NM_TOK_NUMBER || (t->kind == NM_TOK_WORD && norm[0] >= '0' && norm[0] <= '9'))
            bits |= DIGIT_BIT;
        else if (t->kind == NM_TOK_WORD && norm[0] == 'q' && norm[1] >= '1' && norm[1] <= '4')
            bits |= DIGIT_BIT;
        if (t->kind != NM_TOK_WORD)
            continue;
        bits |= word_bits(rs, norm, t->norm_len);
        /* the parts of a hyphenated word count too: "multi-year" */
        if (memchr(norm, '-', t->norm_len)) {
            const char *p = norm, *end = norm + t->norm_len;
            while (p < end) {
                const char *h = memchr(p, '-', (size_t)(end - p));
                size_t n = h ? (size_t)(h - p) : (size_t)(end - p);
                if (n)
                    bits |= word_bits(rs, p, n);
                if (n && p[0] >= '0' && p[0] <= '9')
                    bits |= DIGIT_BIT;
                p += n + 1;
            }
        }
    }
    return bits;
}

int nm__rule_next(nm_matcher *mt, const nm_rule *r, const nm_doc *d, size_t *pos, size_t end,
                  const size_t **ov)
{
    if (*pos >= end)
        return 0;
    int rc = pcre2_match(r->code, (PCRE2_SPTR)d->text, end, *pos, PCRE2_NO_UTF_CHECK, mt->md, NULL);
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc < 0)
        return NM_EINVAL;
    PCRE2_SIZE *o = pcre2_get_ovector_pointer(mt->md);
    *ov = o;
    size_t next = o[1] > o[0] ? o[1] : o[0] + 1;
    /* step over a whole UTF-8 character */
    while (next < end && ((unsigned char)d->text[next] & 0xC0) == 0x80)
        next++;
    *pos = next;
    return rc == 0 ? (int)pcre2_get_ovector_count(mt->md) : rc;
}
