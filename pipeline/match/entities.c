/*
 * entities.c - the entity stage: PER, ORG, LOC, MISC from the tagger (with
 * the gazetteer as its features and as the source of canonical ids), and
 * MONEY and PERCENT from token patterns over the model's tables.
 *
 * How the layers combine:
 *  - the gazetteer's matches are features of the tagger (which lists cover
 *    a token, at which position; which cover its neighbours), never spans
 *    on their own: the tagger decides what is a name in context;
 *  - an entity the tagger finds takes the canonical id of a "span" list
 *    entry of the same type that covers exactly its tokens ("id"); every
 *    entity also gets a normalised surface key ("key": lower case, inner
 *    white space single), so unknown names can be counted and joined too;
 *  - one name, one type per document: a name the tagger types differently
 *    in different places takes its majority type (ties: the first);
 *  - MONEY and PERCENT come from patterns and win over an overlapping name
 *    ("US$5m" is money, not "US").
 *
 * MONEY: [currency before] NUMBER [magnitude] [currency after], with a
 * currency on at least one side: "$100 billion", "£600m", "US$1.13bn",
 * "€2.5 million", "100 billion dollars", "Rs 200 crore", "$5-6 billion".
 * value: ISO 4217 code, a space, the amount in units ("USD 100000000000";
 * a range "USD 5000000000..6000000000").
 * PERCENT: NUMBER then "%", "percent", "per cent", "pct", "percentage
 * point(s)"; value as a fraction ("76%" -> "0.76").
 * Currency, magnitude and percent words are tables in models/entities/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entities.h"
#include "rules.h"

typedef struct ent_span {
    uint32_t b, e;      /* tokens [b, e) */
    int type;           /* NER type index, or -1 MONEY, -2 PERCENT */
    uint8_t trim;       /* bytes left off the last token ("pct." ending a sentence) */
    bool heading;       /* found in a heading only (drop_heading_names) */
    const char *id;     /* canonical id, or NULL */
    char value[224];
} ent_span;

enum { MEMO_SLOTS = 16384 };

#define CUR_BLOOM_BITS 8192

typedef struct ent_state {
    const nm_model *m;
    const nm_strtab *t_currency, *t_magnitude, *t_percent, *t_number;
    const nm_strtab *t_org_heads; /* models/entities/org-heads.tsv */
    /* first bytes of the magnitude and percent words: a cheap test before
     * a lookup, worked out from the tables */
    bool mag_first[256], pct_first[256];
    /* one bit for the nm_hash of the first word of each currency key: a
     * word whose bit is clear starts no currency (most words) */
    uint64_t cur_bloom[CUR_BLOOM_BITS / 64];
    nm_ner_feats nf;
    nm_gz_match *gm;
    size_t n_gm, cap_gm;
    nm_gz_match *doc_gm; /* the whole document's matches, for ids */
    size_t n_doc_gm, cap_doc_gm;
    void *scratch_block; /* the per-token arrays of a sentence, cap_cand tokens (sentence_scratch) */
    uint8_t *tags;
    uint8_t *cand;
    size_t cap_cand;
    int32_t *sscore; /* static score of each token of a sentence */
    /* What the tagger knows of a token by its text alone (its type), kept
     * across sentences and documents (news repeats its words): the hashes
     * its neighbours' features read, the summed weights of its own word
     * features, and of the features it gives the tokens around it.  A
     * slot taken for the current sentence (stamp) is not overwritten during
     * it; a type that would need it gets a slot of OVER instead. */
    struct type_memo {
        uint64_t key; /* nm__ner_type_key; 0: empty */
        uint64_t word, shapec;
        uint32_t stamp;
        int32_t own[NER_NTAGS];
        /* as the token before, after, two before, two after (in a row
         * with after_o: memo_of zeroes the five at once) */
        int32_t m1[NER_NTAGS], p1[NER_NTAGS], m2[NER_NTAGS], p2[NER_NTAGS];
        int32_t after_o[NER_NTAGS]; /* its features paired with tag O before it */
    } *memo, *over, bound[2];
    uint32_t stamp;
    size_t n_over;
    const struct type_memo **tm; /* per token of the sentence, or NULL */
    uint64_t *tkey;               /* per token: its nm__ner_type_key */
    uint8_t *tm_want;             /* per token: near a candidate */
    uint64_t *bkey;               /* features to look up, BATCH_KEYS a token */
    int32_t **bdst;               /* and the row each goes to */
    size_t n_batch;
    size_t cap_tm;
    /* the weights of the features of the tags before alone, per (t2, t1) */
    int32_t tagrow[NER_NTAGS * NER_NTAGS][NER_STRIDE];
    /* the weights of the features of few values, per nm__ner_rest_features code */
    int32_t smallrow[NER_SMALL_CODES][NER_NTAGS];
    ent_span *spans;
    size_t n_spans, cap_spans;
    nm_buf scratch;
} ent_state;

static void ent_close(void *state)
{
    ent_state *st = state;
    if (!st)
        return;
    nm__ner_feats_free(&st->nf);
    nm__free(&st->m->alloc, st->gm);
    nm__free(&st->m->alloc, st->doc_gm);
    nm__free(&st->m->alloc, st->memo);
    nm__free(&st->m->alloc, st->scratch_block);
    nm__free(&st->m->alloc, st->spans);
    nm_buf_free(&st->scratch);
    nm__free(&st->m->alloc, st);
}

static void memo_fill_context(const nm_ner_weights *w, struct type_memo *x);
static void sum_rows(const nm_ner_weights *w, const uint64_t *f, size_t n, int32_t *row);

static int ent_open(void **state, const nm_model *m, const nm_opts *o, nm_err *err)
{
    (void)o;
    ent_state *st = nm__calloc(&m->alloc, 1, sizeof(*st));
    if (!st)
        return nm__err_set(err, NM_ENOMEM, "out of memory");
    st->m = m;
    st->nf.alloc = &m->alloc;
    st->nf.words_cached = true;
    if (!(st->memo = nm__alloc_huge(&m->alloc, MEMO_SLOTS * sizeof(*st->memo)))) {
        nm__free(&m->alloc, st);
        return nm__err_set(err, NM_ENOMEM, "out of memory");
    }
    st->t_currency = nm__model_table(m, "currency");
    st->t_magnitude = nm__model_table(m, "magnitude");
    st->t_percent = nm__model_table(m, "percent");
    st->t_number = nm__model_table(m, "number");
    st->t_org_heads = nm__model_table(m, "org-heads");
    const nm_strtab *firsts[2] = {st->t_magnitude, st->t_percent};
    bool *sets[2] = {st->mag_first, st->pct_first};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; firsts[k] && i < firsts[k]->n_slots; i++) {
            const nm_strtab_entry *en = &firsts[k]->slots[i];
            if (en->key_off != UINT32_MAX && en->key_len)
                sets[k][(unsigned char)firsts[k]->arena.ptr[en->key_off]] = true;
        }
    for (size_t i = 0; st->t_currency && i < st->t_currency->n_slots; i++) {
        const nm_strtab_entry *en = &st->t_currency->slots[i];
        if (en->key_off == UINT32_MAX)
            continue;
        const char *k = st->t_currency->arena.ptr + en->key_off;
        const char *sp = memchr(k, ' ', en->key_len);
        uint32_t h = nm_hash(k, sp ? (size_t)(sp - k) : en->key_len);
        st->cur_bloom[(h % CUR_BLOOM_BITS) / 64] |= 1ull << (h % 64);
    }
    nm_buf_init(&st->scratch, (size_t)1 << 20, &m->alloc);
    for (unsigned code = 0; m->ner && code < NER_SMALL_CODES; code++) {
        uint64_t k[4];
        size_t n;
        nm__ner_small_keys(code, k, &n);
        sum_rows(m->ner, k, n, st->smallrow[code]);
    }
    for (int k = 0; m->ner && k < 2; k++) {
        st->bound[k].word = st->bound[k].shapec = nm__ner_bound(k == 1);
        memo_fill_context(m->ner, &st->bound[k]);
    }
    for (int t2 = 0; m->ner && t2 < NER_NTAGS; t2++)
        for (int t1 = 0; t1 < NER_NTAGS; t1++) {
            uint64_t k[2];
            nm__ner_tag_keys(t2, t1, &k[0], &k[1]);
            int32_t *row = st->tagrow[t2 * NER_NTAGS + t1];
            for (int q = 0; q < 2; q++) {
                const int16_t *r = nm__ner_row(m->ner, k[q]);
                for (int tg = 0; r && tg < NER_STRIDE; tg++)
                    row[tg] += r[tg];
            }
        }
    *state = st;
    return 0;
}

static int add_span(ent_state *st, const ent_span *s)
{
    if (st->n_spans == st->cap_spans) {
        size_t c = st->cap_spans ? st->cap_spans * 2 : 64;
        ent_span *p = nm__realloc(&st->m->alloc, st->spans, c * sizeof(*p));
        if (!p)
            return NM_ENOMEM;
        st->spans = p;
        st->cap_spans = c;
    }
    st->spans[st->n_spans++] = *s;
    return 0;
}

static const char *norm(const nm_doc *d, size_t i) { return d->strings.ptr + d->toks[i].norm_off; }

static bool glued(const nm_doc *d, size_t i) /* no space between token i-1 and i */
{
    return !(d->toks[i].flags & NM_TF_SPACE_BEFORE);
}

/* ------------------------------------------------------ money, percent */

/* May token I start a currency key?  Words are tested against the bloom
 * bits; other tokens ("$", "€") are always looked up. */
static bool maybe_currency(const ent_state *st, const nm_doc *d, size_t i)
{
    const nm_tok *t = &d->toks[i];
    if (t->kind != NM_TOK_WORD)
        return true;
    uint32_t h = t->hash;
    return (st->cur_bloom[(h % CUR_BLOOM_BITS) / 64] >> (h % 64)) & 1;
}

/* A table value "USD:pre" or "USD:post:-2" (a subunit: cents, pence) ->
 * code, and the power of ten it adds; false unless it may stand there. */
static bool currency_x(const ent_state *st, const char *key, bool before, char code[8], int *exp)
{
    *exp = 0;
    if (!st->t_currency)
        return false;
    const nm_strtab_entry *e = nm_strtab_get(st->t_currency, key, strlen(key));
    if (!e)
        return false;
    const char *v = nm_strtab_val(st->t_currency, e);
    const char *colon = strchr(v, ':');
    size_t n = colon ? (size_t)(colon - v) : strlen(v);
    if (n == 0 || n >= 8)
        return false;
    const char *where = colon ? colon + 1 : "any";
    size_t wn = strcspn(where, ":");
    const char *want = before ? "pre" : "post";
    if (!(wn == 3 && !strncmp(where, "any", 3)) && !(wn == strlen(want) && !strncmp(where, want, wn)))
        return false;
    if (where[wn] == ':')
        *exp = atoi(where + wn + 1);
    memcpy(code, v, n);
    code[n] = '\0';
    return true;
}

static bool currency(const ent_state *st, const char *key, bool before, char code[8])
{
    int exp;
    return currency_x(st, key, before, code, &exp);
}

/* The digits of a number token without thousands separators, into OUT
 * ("1,000.5" -> "1000.5"); false if it is not a plain number. */
static bool plain_number(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    bool dot = false, digit = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            digit = true;
            if (k + 1 >= cap)
                return false;
            out[k++] = c;
        } else if (c == ',' && !dot && i > 0 && i + 3 < n + 1) {
            continue;
        } else if (c == '.' && !dot && i + 1 < n) {
            dot = true;
            if (k + 1 >= cap)
                return false;
            out[k++] = '.';
        } else {
            return false;
        }
    }
    out[k] = '\0';
    return digit;
}

/* NUM x 10^EXP as a plain decimal string (EXP may be negative). */
static void scale_decimal(const char *num, int exp, char *out, size_t cap)
{
    char digits[64];
    size_t nd = 0;
    int point = -1;
    for (const char *p = num; *p && nd < sizeof(digits) - 1; p++) {
        if (*p == '.')
            point = (int)nd;
        else
            digits[nd++] = *p;
    }
    if (point < 0)
        point = (int)nd;
    point += exp; /* the decimal point's place in digits[] */
    char buf[160];
    size_t k = 0;
    if (point <= 0) {
        buf[k++] = '0';
        buf[k++] = '.';
        for (int i = point; i < 0 && k < sizeof(buf) - 2; i++)
            buf[k++] = '0';
        for (size_t i = 0; i < nd && k < sizeof(buf) - 1; i++)
            buf[k++] = digits[i];
    } else {
        for (int i = 0; i < point && k < sizeof(buf) - 2; i++)
            buf[k++] = (size_t)i < nd ? digits[i] : '0';
        if ((size_t)point < nd) {
            buf[k++] = '.';
            for (size_t i = (size_t)point; i < nd && k < sizeof(buf) - 1; i++)
                buf[k++] = digits[i];
        }
    }
    buf[k] = '\0';
    /* trim: leading zeros of the integer part, trailing zeros of the fraction */
    char *s = buf;
    while (s[0] == '0' && s[1] && s[1] != '.')
        s++;
    if (strchr(s, '.')) {
        size_t n = strlen(s);
        while (n && s[n - 1] == '0')
            s[--n] = '\0';
        if (n && s[n - 1] == '.')
            s[--n] = '\0';
    }
    snprintf(out, cap, "%s", s);
}

/* The amount at token I: a number ("1.13", "5-6": a range) or a number
 * word; *lo and *hi get its digits.  @return tokens used (0: none). */
static size_t amount_at(const ent_state *st, const nm_doc *d, size_t i, size_t e, char *lo, char *hi,
                        size_t cap)
{
    const nm_tok *t = &d->toks[i];
    const char *s = d->text + t->start;
    size_t n = t->end - t->start;
    hi[0] = '\0';
    if (t->kind == NM_TOK_NUMBER) {
        const char *dash = memchr(s, '-', n);
        if (dash) { /* "5-6" */
            if (!plain_number(s, (size_t)(dash - s), lo, cap) ||
                !plain_number(dash + 1, n - (size_t)(dash - s) - 1, hi, cap))
                return 0;
            return 1;
        }
        return plain_number(s, n, lo, cap) ? 1 : 0;
    }
    (void)e;
    if (t->kind == NM_TOK_WORD && st->t_number) {
        const nm_strtab_entry *en = nm_strtab_get(st->t_number, norm(d, i), t->norm_len);
        if (en) {
            const char *v = nm_strtab_val(st->t_number, en);
            if (v[0] >= '0' && v[0] <= '9' && plain_number(v, strlen(v), lo, cap))
                return 1;
        }
    }
    return 0;
}

static int magnitude_at(const ent_state *st, const nm_doc *d, size_t i, size_t e)
{
    if (i >= e || !st->t_magnitude || d->toks[i].kind != NM_TOK_WORD ||
        !st->mag_first[(unsigned char)norm(d, i)[0]])
        return -1;
    const nm_strtab_entry *en = nm_strtab_get(st->t_magnitude, norm(d, i), d->toks[i].norm_len);
    return en ? atoi(nm_strtab_val(st->t_magnitude, en)) : -1;
}

/* A currency written before the amount at I, ending at token I-1:
 * "$", "USD", "Rs", "US$" (two tokens, glued).  @return its first token or
 * SIZE_MAX. */
static size_t currency_before(const ent_state *st, const nm_doc *d, size_t b, size_t i, char code[8])
{
    /* a symbol or a short code ("$", "USD", "Rs") right before */
    if (i <= b || (d->toks[i - 1].kind != NM_TOK_SYMBOL &&
                   !(d->toks[i - 1].kind == NM_TOK_WORD && d->toks[i - 1].norm_len <= 4)))
        return SIZE_MAX;
    if (i >= b + 2 && glued(d, i - 1) && d->toks[i - 2].kind == NM_TOK_WORD) {
        char key[64];
        size_t n1 = d->toks[i - 2].norm_len, n2 = d->toks[i - 1].norm_len;
        if (n1 + n2 < sizeof(key)) {
            memcpy(key, norm(d, i - 2), n1);
            memcpy(key + n1, norm(d, i - 1), n2);
            key[n1 + n2] = '\0';
            if (currency(st, key, true, code))
                return i - 2;
        }
    }
    if (maybe_currency(st, d, i - 1) && currency(st, norm(d, i - 1), true, code))
        return i - 1;
    return SIZE_MAX;
}

/* A currency written after, from token I: "dollars", "euros", "USD".
 * @return tokens used. */
/* Tokens [i, i+n) joined by single spaces into KEY; false if too long or
 * not all words (the multi-word keys are words: "hong kong dollars"). */
static bool join_key(const nm_doc *d, size_t i, size_t n, char *key, size_t cap)
{
    size_t k = 0;
    for (size_t q = i; q < i + n; q++) {
        const nm_tok *t = &d->toks[q];
        if (t->kind != NM_TOK_WORD || k + t->norm_len + 2 > cap)
            return false;
        if (q > i)
            key[k++] = ' ';
        memcpy(key + k, norm(d, q), t->norm_len);
        k += t->norm_len;
    }
    key[k] = '\0';
    return true;
}

/* A currency written after, from token I: "dollars", "euros", "USD",
 * "Hong Kong dollars", "cents".  @return tokens used; *exp the subunit's
 * power of ten. */
static size_t currency_after(const ent_state *st, const nm_doc *d, size_t i, size_t e, char code[8], int *exp)
{
    *exp = 0;
    if (i >= e || (d->toks[i].kind != NM_TOK_WORD && d->toks[i].kind != NM_TOK_SYMBOL) ||
        !maybe_currency(st, d, i))
        return 0;
    char key[128];
    for (size_t n = 3; n >= 2; n--)
        if (i + n <= e && join_key(d, i, n, key, sizeof(key)) && currency_x(st, key, false, code, exp))
            return n;
    return currency_x(st, norm(d, i), false, code, exp) ? 1 : 0;
}

/* Words after a number that make it a percentage ("%", "per cent", "basis
 * points"): @return tokens used; *exp how the number scales (-2 for a
 * percentage, -4 for basis points: the table's value, "pct" or "bp"). */
static size_t percent_after(const ent_state *st, const nm_doc *d, size_t i, size_t e, int *exp)
{
    if (i >= e || !st->t_percent || !st->pct_first[(unsigned char)norm(d, i)[0]])
        return 0;
    char key[96];
    const nm_strtab_entry *en = NULL;
    size_t n = 0;
    if (i + 1 < e && join_key(d, i, 2, key, sizeof(key)) &&
        (en = nm_strtab_get(st->t_percent, key, strlen(key))) != NULL)
        n = 2;
    else if ((en = nm_strtab_get(st->t_percent, norm(d, i), d->toks[i].norm_len)) != NULL)
        n = 1;
    if (n)
        *exp = !strcmp(nm_strtab_val(st->t_percent, en), "bp") ? -4 : -2;
    return n;
}

/* One side of an amount: [currency] NUMBER [magnitude...] [currency];
 * "lakh crore" multiplies. */
typedef struct amount {
    size_t first, end; /* tokens [first, end) */
    char num[64], num2[64]; /* num2: the top of "5-6" */
    int exp;           /* magnitudes and subunit */
    char code[8];      /* "" if no currency */
    bool word;         /* a number word ("five billion") */
    bool pct;          /* ends in %, per cent, basis points */
} amount;

static bool parse_amount(const ent_state *st, const nm_doc *d, size_t b, size_t i, size_t e, amount *a)
{
    memset(a, 0, sizeof(*a));
    size_t na = amount_at(st, d, i, e, a->num, a->num2, sizeof(a->num));
    if (!na)
        return false;
    a->word = d->toks[i].kind == NM_TOK_WORD;
    size_t cb = currency_before(st, d, b, i, a->code);
    a->first = cb != SIZE_MAX ? cb : i;
    size_t j = i + na;
    int mag, mags = 0;
    while ((mag = magnitude_at(st, d, j, e)) >= 0 && mags < 3) {
        a->exp += mag;
        j++;
        mags++;
    }
    if (a->word && !mags)
        return false; /* "one dollar" is not worth a span; "five billion dollars" is */
    int sub = 0;
    char code2[8] = "";
    size_t nc = currency_after(st, d, j, e, code2, &sub);
    if (nc) {
        if (!a->code[0])
            memcpy(a->code, code2, sizeof(code2));
        a->exp += sub;
        j += nc;
    } else if (!a->code[0] && !a->word) {
        int pexp;
        size_t np = percent_after(st, d, j, e, &pexp);
        if (np && !mags) {
            a->pct = true;
            a->exp = pexp;
            j += np;
        }
    }
    a->end = j;
    return true;
}

static bool is_range_word(const nm_doc *d, size_t i)
{
    /* "-" between the sides, or "to" ("8.1 billion to 8.4 billion dollars") */
    return (d->toks[i].kind == NM_TOK_PUNCT && norm(d, i)[0] == '-' && d->toks[i].norm_len == 1) ||
           (d->toks[i].norm_len == 2 && !memcmp(norm(d, i), "to", 2));
}

static int find_money(ent_state *st, const nm_doc *d, size_t b, size_t e)
{
    int rc;
    for (size_t i = b; i < e; i++) {
        const nm_tok *t = &d->toks[i];
        /* cheap tests first: an amount is a number, or a number word
         * before a magnitude ("five billion dollars") */
        if (t->kind != NM_TOK_NUMBER) {
            if (t->kind != NM_TOK_WORD || i + 1 >= e || d->toks[i + 1].kind != NM_TOK_WORD ||
                !st->mag_first[(unsigned char)norm(d, i + 1)[0]])
                continue;
        }
        amount a, z;
        if (!parse_amount(st, d, b, i, e, &a))
            continue;
        /* a range: the second side may carry the currency or the sign for
         * both ("4.25%-4.50%", "$4.25bn-$4.75bn", "2-3 pct") */
        bool range = false;
        if (!a.num2[0] && a.end + 1 < e && is_range_word(d, a.end)) {
            size_t k = a.end + 1;
            if (k < e && d->toks[k].kind == NM_TOK_SYMBOL && k + 1 < e)
                k++; /* "$" of the second side: parse_amount looks back for it */
            bool dash = norm(d, a.end)[0] == '-';
            /* "to" joins only a side that needs the other's unit ("8.4
             * billion to 8.6 billion dollars"); "rose 31p to 548p" is a
             * change and a level, two amounts */
            if ((dash || (!a.code[0] && !a.pct)) && parse_amount(st, d, b, k, e, &z) && (z.code[0] || z.pct) &&
                (!a.code[0] || !strcmp(a.code, z.code)) && (a.pct == z.pct || (!a.pct && !a.code[0])) &&
                (a.exp == z.exp || (a.end == i + 1 && !a.code[0] && !a.pct)))
                range = true;
        }
        ent_span s = {0};
        const amount *top = range ? &z : &a;
        bool pct = top->pct, money = top->code[0] != '\0';
        if (!pct && !money)
            continue;
        int exp_lo = range && a.end == i + 1 ? top->exp : a.exp; /* "5 to 6 billion" */
        if (!range && a.num2[0])
            exp_lo = a.exp;
        s.b = (uint32_t)a.first;
        s.e = (uint32_t)top->end;
        /* an abbreviation that took the sentence's full stop ("9 pct.") */
        const nm_tok *lt = &d->toks[s.e - 1];
        if ((lt->flags & NM_TF_ABBREV) && lt->end - lt->start > 1 && d->text[lt->end - 1] == '.')
            s.trim = 1;
        s.type = pct ? -2 : -1;
        char lo[96], hi[96] = "", pre[16] = "";
        scale_decimal(a.num, exp_lo, lo, sizeof(lo));
        if (range)
            scale_decimal(z.num, z.exp, hi, sizeof(hi));
        else if (a.num2[0])
            scale_decimal(a.num2, a.exp, hi, sizeof(hi));
        if (money)
            snprintf(pre, sizeof(pre), "%s ", top->code);
        if (hi[0])
            snprintf(s.value, sizeof(s.value), "%s%s..%s", pre, lo, hi);
        else
            snprintf(s.value, sizeof(s.value), "%s%s", pre, lo);
        if ((rc = add_span(st, &s)) < 0)
            return rc;
        i = s.e - 1;
    }
    return 0;
}


/* ---------------------------------------------------------- list names */

static int list_type(const nm_gazetteer *gz, const nm_gz_match *x)
{
    const nm_gz_list *l = &gz->lists[gz->entries[x->entry].list];
    return l->span ? l->ner_type : -1;
}

/* Where a list that gives spans (companies, countries, products...) names
 * tokens the tagger also found a name in, the list decides: the tagger's
 * names inside a longer listed name give way to it ("Oracle" in "Oracle
 * Cloud Infrastructure"), and a name the list gives exactly takes the
 * list's type ("Azure's" is a product, not a person).  Lists never add a
 * name where the tagger saw none: a capital in context is its evidence. */
static void apply_lists(ent_state *st, size_t from)
{
    const nm_gazetteer *gz = st->m->gz;
    if (!gz)
        return;
    /* matches and the tagger's names both run in text order: the names
     * before a match are never looked at again (a long sentence costs its
     * length, not matches times names) */
    size_t k0 = from;
    for (size_t g = 0; g < st->n_gm; g++) {
        const nm_gz_match *x = &st->gm[g];
        int lt = list_type(gz, x);
        if (lt < 0 || lt == NER_LOC)
            continue; /* places stand for teams, governments, firms */
        while (k0 < st->n_spans && st->spans[k0].e <= x->b && st->spans[k0].b < x->b)
            k0++;
        /* the tagger's names over these tokens: all inside the match? */
        size_t n_in = 0, first = SIZE_MAX;
        bool crosses = false;
        for (size_t k = k0; k < st->n_spans && st->spans[k].b < x->e; k++) {
            const ent_span *a = &st->spans[k];
            if (a->type < 0 || a->e <= x->b || a->b >= x->e)
                continue;
            if (a->b < x->b || a->e > x->e)
                crosses = true;
            else if (n_in++ == 0)
                first = k;
        }
        if (!n_in || crosses)
            continue;
        /* the longest match over the first name wins (lists of one start
         * are tried longest first; a shorter one is inside it) */
        ent_span *a = &st->spans[first];
        if (a->e - a->b > x->e - x->b)
            continue;
        for (size_t k = k0; k < st->n_spans && st->spans[k].b < x->e; k++) {
            ent_span *o = &st->spans[k];
            if (k != first && o->type >= 0 && o->b >= x->b && o->e <= x->e)
                o->type = -9;
        }
        a->b = x->b;
        a->e = x->e;
        a->type = lt;
    }
}

/* ----------------------------------------------------------- org heads */

static bool org_head(const ent_state *st, const nm_doc *d, size_t t)
{
    const nm_tok *k = &d->toks[t];
    /* written "Metals", not "METALS" (a headline says nothing) */
    return st->t_org_heads && k->kind == NM_TOK_WORD && (k->flags & NM_TF_UPPER_INITIAL) && k->end - k->start > 1 &&
           d->text[k->start + 1] >= 'a' && d->text[k->start + 1] <= 'z' &&
           nm_strtab_get(st->t_org_heads, norm(d, t), k->norm_len) != NULL;
}

/* A name that ends in an organisation's head word ("Tundra Metals",
 * "Harlow Dynamics") is an ORG whatever the tagger read; a name that stops
 * just before one takes it in ("Kestrel" + "Compute"). */
/* Capitalised words that open sentences without being names. */
static const char *const not_names[] = {"the", "a", "an", "in", "on", "at", "for", "but", "and", "while", "when",
                                        "if", "its", "their", "his", "her", "this", "that", "these", "those",
                                        "as", "after", "before", "under", "with", "by", "from", "of", "to", "new",
                                        "shares", "analysts", "regulators", "officials"};


static void apply_org_heads(ent_state *st, const nm_doc *d, size_t sent_b, size_t e, size_t from)
{
    for (size_t k = from; k < st->n_spans; k++) {
        ent_span *a = &st->spans[k];
        if (a->type < 0)
            continue;
        if (a->e < e && org_head(st, d, a->e) && !(d->toks[a->e].flags & NM_TF_NEWLINE_BEFORE)) {
            /* the tagger's names do not overlap and run in text order: only
             * one starting by the next token can hold it */
            bool taken = false;
            size_t by = 0;
            for (size_t q = k + 1; q < st->n_spans && st->spans[q].b <= a->e && !taken; q++)
                if ((taken = st->spans[q].type >= 0 && a->e < st->spans[q].e))
                    by = q;
            if (!taken) {
                a->e++;
            } else if (st->spans[by].b == a->e && st->spans[by].e == a->e + 1) {
                /* the tagger cut one name in two ("Kivu" LOC + "Pharma"
                 * LOC): one organisation */
                a->e++;
                st->spans[by].type = -9; /* dropped below */
                a->type = NER_ORG;
            }
        }
        /* "Pharma" alone, the tagger having missed "Northgate" before it
         * (a sentence's first word): "Northgate Pharma" is one company */
        if (a->e - a->b == 1 && org_head(st, d, a->b) && a->b > sent_b) {
            size_t p = a->b - 1;
            const nm_tok *pk = &d->toks[p];
            bool free = pk->kind == NM_TOK_WORD && (pk->flags & NM_TF_UPPER_INITIAL) && pk->end - pk->start > 1 &&
                        d->text[pk->start + 1] >= 'a' && d->text[pk->start + 1] <= 'z' &&
                        !(d->toks[a->b].flags & NM_TF_NEWLINE_BEFORE) && !NM__NORM_IN(d, p, not_names);
            /* spans run sentence by sentence: those of earlier sentences
             * end by sent_b and cannot hold P; the scan stops there */
            for (size_t q = k; q-- > 0 && free && st->spans[q].e > sent_b;)
                free = st->spans[q].type < 0 || st->spans[q].e <= p || st->spans[q].b > p;
            if (free) {
                a->b = (uint32_t)p;
                a->type = NER_ORG;
                continue;
            }
        }
        /* a person or a product with a company's last word; places keep
         * theirs ("West Bank", "Russian Federation") */
        if (a->e - a->b >= 2 && org_head(st, d, a->e - 1) &&
            (a->type == NER_PER || a->type == NER_MISC))
            a->type = NER_ORG;
    }
}

/* ------------------------------------------------------------ headings */

/* Web news is cut by headings written in title case ("Key Details on the
 * New Partnership", "2. Opens Doors for Cloud Rivals:"), where a capital
 * says nothing of a name and the tagger, trained on running text, finds
 * names in every other word.  A heading here is a line (or a part of one
 * cut at ':') after any list marker, with no digits and none of "();,",
 * three or more words of four letters or more, all capitalised.  All-capitals
 * lines are headlines of another kind, which the tagger knows. */
static bool heading_segment(const nm_doc *d, size_t b, size_t e)
{
    size_t caps = 0, digits = 0, upper_only = 0;
    for (size_t i = b; i < e; i++) {
        const nm_tok *t = &d->toks[i];
        if (t->kind == NM_TOK_NUMBER) {
            digits++;
            continue;
        }
        if (t->kind == NM_TOK_PUNCT && strchr("();,", d->text[t->start]))
            return false; /* tables and running text */
        if (t->kind != NM_TOK_WORD)
            continue;
        size_t letters = 0;
        bool lower = false;
        for (uint32_t k = t->start; k < t->end; k++) {
            unsigned char c = (unsigned char)d->text[k];
            letters += (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0xC0;
            lower |= c >= 'a' && c <= 'z';
        }
        if (letters < 4)
            continue;
        if (!(t->flags & NM_TF_UPPER_INITIAL))
            return false; /* a content word in lower case: running text */
        caps++;
        upper_only += !lower;
    }
    return caps >= 3 && upper_only < caps && !digits;
}

/* Mark the tagger's names [from, n_spans) that lie in a heading of
 * sentence [b, e), unless a list that gives spans matches over them:
 * keep_heading_names decides once the whole document is tagged. */
static void drop_heading_names(ent_state *st, const nm_doc *d, size_t b, size_t e, size_t from)
{
    const nm_gazetteer *gz = st->m->gz;
    size_t i = b, k0 = from, g0 = 0;
    while (i < e) {
        /* a segment: to the next line break or ':' */
        size_t sb = i, se = i + 1;
        while (se < e && !(d->toks[se].flags & NM_TF_NEWLINE_BEFORE) &&
               !(d->toks[se].kind == NM_TOK_PUNCT && d->text[d->toks[se].start] == ':'))
            se++;
        i = se < e && d->toks[se].kind == NM_TOK_PUNCT ? se + 1 : se;
        /* a segment starts a line, or follows a ':' on one */
        bool at_line = (d->toks[sb].flags & NM_TF_NEWLINE_BEFORE) || sb == 0 || sb > b ||
                       (sb == b && sb > 0 && d->toks[sb - 1].kind == NM_TOK_PUNCT);
        /* a list marker: "2.", "3)", a bullet */
        while (sb < se && (d->toks[sb].kind == NM_TOK_SYMBOL ||
                           (d->toks[sb].kind == NM_TOK_NUMBER && sb + 1 < se &&
                            d->toks[sb + 1].kind == NM_TOK_PUNCT &&
                            (d->text[d->toks[sb + 1].start] == '.' || d->text[d->toks[sb + 1].start] == ')')))) {
            sb += d->toks[sb].kind == NM_TOK_NUMBER ? 2 : 1;
        }
        if (!at_line || sb >= se || !heading_segment(d, sb, se))
            continue;
        /* names and matches run in text order: sweep both from where the
         * last segment left them */
        while (k0 < st->n_spans && st->spans[k0].b < sb)
            k0++;
        for (size_t k = k0; k < st->n_spans && st->spans[k].b < se; k++) {
            ent_span *a = &st->spans[k];
            if (a->type < 0 || a->e > se)
                continue;
            while (g0 < st->n_gm && st->gm[g0].e <= a->b)
                g0++;
            bool listed = false;
            for (size_t g = g0; gz && g < st->n_gm && st->gm[g].b < a->e && !listed; g++) {
                const nm_gz_match *x = &st->gm[g];
                listed = x->b < a->e && a->b < x->e && gz->lists[gz->entries[x->entry].list].span;
            }
            if (!listed)
                a->heading = true;
        }
    }
}

/* A name found only in headings stays if the document writes it again,
 * as written, elsewhere (propagation then finds it there too); otherwise
 * it goes. */
/* The n-token sequences of the document that heading names have, counted
 * by a hash of their text as written: one pass a length, not one a name. */
static uint64_t seq_hash(const uint64_t *th, size_t i, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (size_t k = 0; k < n; k++)
        h = (h ^ th[i + k]) * 0xBF58476D1CE4E5B9ull;
    return h ? h : 1;
}

static int keep_heading_names(ent_state *st, const nm_doc *d)
{
    uint32_t lens = 0; /* the lengths of heading names (1-31 tokens) */
    for (size_t k = 0; k < st->n_spans; k++)
        if (st->spans[k].heading)
            lens |= 1u << (st->spans[k].e - st->spans[k].b < 31 ? st->spans[k].e - st->spans[k].b : 31);
    if (!lens)
        return 0;
    const nm_allocator *al = &st->m->alloc;
    size_t slots = 64;
    while (slots < d->n_toks * 2)
        slots *= 2;
    uint64_t *th = nm__malloc(al, (d->n_toks ? d->n_toks : 1) * sizeof(*th));
    uint64_t *keys = nm__malloc(al, slots * sizeof(*keys));
    uint32_t *counts = nm__malloc(al, slots * sizeof(*counts));
    if (!th || !keys || !counts) {
        nm__free(al, th);
        nm__free(al, keys);
        nm__free(al, counts);
        return NM_ENOMEM;
    }
    for (size_t t = 0; t < d->n_toks; t++)
        th[t] = nm_hash(d->text + d->toks[t].start, d->toks[t].end - d->toks[t].start) | (1ull << 40);
    for (size_t n = 1; n <= 31; n++) {
        if (!(lens & (1u << n)))
            continue;
        memset(keys, 0, slots * sizeof(*keys));
        for (size_t i = 0; i + n <= d->n_toks; i++) {
            uint64_t h = seq_hash(th, i, n);
            size_t s = (size_t)h & (slots - 1);
            while (keys[s] && keys[s] != h)
                s = (s + 1) & (slots - 1);
            if (!keys[s]) {
                keys[s] = h;
                counts[s] = 0;
            }
            counts[s]++;
        }
        for (size_t k = 0; k < st->n_spans; k++) {
            ent_span *a = &st->spans[k];
            size_t len = a->e - a->b;
            if (!a->heading || (len < 31 ? len : 31) != n)
                continue;
            a->heading = false;
            uint64_t h = seq_hash(th, a->b, len);
            size_t s = (size_t)h & (slots - 1);
            while (keys[s] && keys[s] != h)
                s = (s + 1) & (slots - 1);
            /* written again elsewhere: the name itself and one more */
            if (!keys[s] || counts[s] < 2 || len >= 31)
                a->type = -9;
        }
    }
    nm__free(al, th);
    nm__free(al, keys);
    nm__free(al, counts);
    return 0;
}

/* -------------------------------------------------------------- tagger */

/* The cache key of token I's word: the hash of the token as written, its
 * kind and its norm's length; 0 for tokens longer than the hash reads
 * (they are not cached). */
/* Sum into ROW the weights of the N features at F. */
static void sum_rows(const nm_ner_weights *w, const uint64_t *f, size_t n, int32_t *row)
{
    memset(row, 0, NER_NTAGS * sizeof(*row));
    for (size_t q = 0; q < n; q++) {
        const int16_t *r = nm__ner_row(w, f[q]);
        for (int tg = 0; r && tg < NER_NTAGS; tg++)
            row[tg] += r[tg];
    }
}

/* Fill the context rows of memo entry X from its word and shape. */
static void memo_fill_context(const nm_ner_weights *w, struct type_memo *x)
{
    uint64_t k[6];
    nm__ner_type_keys(x->word, x->shapec, k);
    sum_rows(w, k, 2, x->m1);
    sum_rows(w, k + 2, 2, x->p1);
    sum_rows(w, k + 4, 1, x->m2);
    sum_rows(w, k + 5, 1, x->p2);
}

/* Add the weights of feature KEY[q] to row DST[q], for q < N: in blocks,
 * the table slots of a block prefetched, then probed (prefetching the rows
 * found), then summed, so that their cache misses overlap. */
static void sum_batch(const nm_ner_weights *w, const uint64_t *key, int32_t *const *dst, size_t n)
{
    enum { BLOCK = 64 };
    size_t slot[BLOCK], idx[BLOCK];
    const int16_t *row[BLOCK];
    for (size_t q0 = 0; q0 < n;) {
        size_t m = 0;
        for (; q0 < n && m < BLOCK; q0++) {
            uint64_t k = key[q0];
            size_t bit = (size_t)(k >> 40) & w->filter_mask;
            if (!(w->filter[bit >> 6] & (1ull << (bit & 63))))
                continue; /* not in the model */
            slot[m] = (size_t)(k ^ (k >> 29)) & w->mask;
            __builtin_prefetch(&w->keys[slot[m]]);
            idx[m++] = q0;
        }
        for (size_t q = 0; q < m; q++) {
            size_t sl = slot[q];
            uint64_t k = key[idx[q]];
            while (w->keys[sl] && w->keys[sl] != k)
                sl = (sl + 1) & w->mask;
            row[q] = w->keys[sl] ? w->w + (size_t)w->row[sl] * NER_STRIDE : NULL;
            if (row[q])
                __builtin_prefetch(row[q]);
        }
        for (size_t q = 0; q < m; q++) {
            if (!row[q])
                continue;
            int32_t *d = dst[idx[q]];
            for (int tg = 0; tg < NER_NTAGS; tg++)
                d[tg] += row[q][tg];
        }
    }
}

/* a token's keys in a batch: its type's (word features and the keys of
 * memo_of), or its own static features (nm__ner_rest_features) */
enum { BATCH_KEYS = NER_FEATS_MAX + 8 };

/* The memo entry of token I of the sentence starting at B (KEY: its
 * nm__ner_type_key): found, or taken (a slot not used by this sentence, or
 * one of OVER, which has a slot per token of the sentence) and its rows
 * zeroed, their features queued in st->bkey / st->bdst for sum_batch. */
static const struct type_memo *memo_of(ent_state *st, const nm_doc *d, size_t b, size_t i, uint64_t key)
{
    struct type_memo *x = NULL;
    if (key) {
        x = &st->memo[(key >> 17) & (MEMO_SLOTS - 1)];
        if (x->key == key) {
            x->stamp = st->stamp;
            return x;
        }
        if (x->stamp == st->stamp)
            x = NULL; /* another type of this sentence has it */
    }
    if (!x)
        x = &st->over[st->n_over++];
    x->key = key;
    x->stamp = st->stamp;
    nm_ner_tinfo *ti = &st->nf.ti[i - b];
    nm__ner_token_info(d, i, ti);
    st->nf.have[i - b] = 2;
    x->word = ti->word;
    x->shapec = ti->shapec;
    memset(x->own, 0, sizeof(x->own));
    memset(x->m1, 0, 5 * sizeof(x->m1));
    uint64_t *k = st->bkey + st->n_batch;
    int32_t **dst = st->bdst + st->n_batch;
    size_t n = nm__ner_word_features(&st->nf, d, b, i, k);
    for (size_t q = 0; q < n; q++)
        dst[q] = x->own;
    nm__ner_type_keys(x->word, x->shapec, k + n);
    nm__ner_word_tag_keys(x->word, x->shapec, NER_O, k + n + 6);
    int32_t *ctx[8] = {x->m1, x->m1, x->p1, x->p1, x->m2, x->p2, x->after_o, x->after_o};
    memcpy(dst + n, ctx, sizeof(ctx));
    st->n_batch += n + 8;
    return x;
}

/* Room for the per-token arrays of a sentence of C tokens, in one block
 * (they are scratch: nothing in them is kept from one sentence to the
 * next), widest elements first so that each is aligned. */
static int sentence_scratch(ent_state *st, size_t c)
{
    size_t sz[] = {
        c * sizeof(*st->over), c * BATCH_KEYS * sizeof(*st->bkey), c * BATCH_KEYS * sizeof(*st->bdst),
        c * sizeof(*st->tkey), c * sizeof(*st->tm), c * NER_STRIDE * sizeof(*st->sscore), c, c, c,
    };
    size_t total = 0;
    for (size_t k = 0; k < sizeof(sz) / sizeof(sz[0]); k++)
        total += sz[k];
    char *p = nm__malloc(&st->m->alloc, total);
    if (!p)
        return NM_ENOMEM;
    nm__free(&st->m->alloc, st->scratch_block);
    st->scratch_block = p;
    st->over = (struct type_memo *)p, p += sz[0];
    st->bkey = (uint64_t *)p, p += sz[1];
    st->bdst = (int32_t **)p, p += sz[2];
    st->tkey = (uint64_t *)p, p += sz[3];
    st->tm = (const struct type_memo **)p, p += sz[4];
    st->sscore = (int32_t *)p, p += sz[5];
    st->cand = (uint8_t *)p, p += sz[6];
    st->tags = (uint8_t *)p, p += sz[7];
    st->tm_want = (uint8_t *)p;
    st->cap_cand = c;
    return 0;
}

static int tag_sentence(ent_state *st, const nm_doc *d, size_t b, size_t e)
{
    const nm_model *m = st->m;
    const nm_ner_weights *w = m->ner;
    nm_ner_feats *nf = &st->nf;
    size_t nt = e - b;
    int rc;
    if (nt > st->cap_cand && (rc = sentence_scratch(st, nt + 64)) < 0)
        return rc;
    /* per-token scratch of the feature code (hashes, features) */
    if ((rc = nm__ner_sentence_begin(nf, nt)) < 0)
        return rc;
    nm__ner_candidates(d, b, e, st->gm, st->n_gm, st->cand);
    uint8_t *tags = st->tags;
    if (++st->stamp == 0) { /* wrapped: no slot may look taken */
        for (size_t k = 0; k < MEMO_SLOTS; k++)
            st->memo[k].stamp = 0;
        st->stamp = 1;
    }
    st->n_over = 0;
    /* the types of the candidates and of the two tokens either side: their
     * keys first and their slots prefetched, then looked up (a sentence's
     * cache misses overlap instead of queueing), their rows prefetched */
    uint64_t *key = st->tkey;
    for (size_t i = b; i < e; i++) {
        bool near = false;
        for (size_t k = i >= b + 2 ? i - 2 : b; k < e && k <= i + 2 && !near; k++)
            near = st->cand[k - b];
        key[i - b] = near ? nm__ner_type_key(d, i) : 0;
        if (key[i - b])
            __builtin_prefetch(&st->memo[(key[i - b] >> 17) & (MEMO_SLOTS - 1)]);
        st->tm[i - b] = NULL;
        st->tm_want[i - b] = near;
    }
    st->n_batch = 0;
    for (size_t i = b; i < e; i++) {
        if (!st->tm_want[i - b])
            continue;
        const struct type_memo *x = st->tm[i - b] = memo_of(st, d, b, i, key[i - b]);
        for (size_t off = 64; off < sizeof(*x); off += 64)
            __builtin_prefetch((const char *)x + off);
    }
    sum_batch(w, st->bkey, st->bdst, st->n_batch);
    st->n_batch = 0;
    /* The static score of every candidate: the memo's rows for its word and
     * its neighbours, and the few features left (pairs, place, lists) looked
     * up for all candidates at once.  Tag by tag, only the features of the
     * tags before are added. */
    for (size_t i = b; i < e; i++) {
        if (!st->cand[i - b])
            continue;
        const struct type_memo *x = st->tm[i - b];
        const struct type_memo *xm1 = i > b ? st->tm[i - b - 1] : &st->bound[0];
        const struct type_memo *xm2 = i > b + 1 ? st->tm[i - b - 2] : &st->bound[0];
        const struct type_memo *xp1 = i + 1 < e ? st->tm[i - b + 1] : &st->bound[1];
        const struct type_memo *xp2 = i + 2 < e ? st->tm[i - b + 2] : &st->bound[1];
        nm_ner_ctx c = {
            .wm2 = xm2->word, .wm1 = xm1->word, .w0 = x->word, .wp1 = xp1->word, .wp2 = xp2->word,
            .sm1 = xm1->shapec, .s0 = x->shapec, .sp1 = xp1->shapec,
        };
        unsigned code;
        size_t n = nm__ner_rest_features(nf, m, d, b, e, i, st->gm, st->n_gm, &c, st->bkey + st->n_batch,
                                         6, &code);
        const int32_t *sm = st->smallrow[code];
        int32_t *sc = st->sscore + (i - b) * NER_STRIDE;
        for (int tg = 0; tg < NER_NTAGS; tg++)
            sc[tg] = x->own[tg] + xm1->m1[tg] + xm2->m2[tg] + xp1->p1[tg] + xp2->p2[tg] + sm[tg];
        for (size_t q = 0; q < n; q++)
            st->bdst[st->n_batch + q] = sc;
        st->n_batch += n;
    }
    sum_batch(w, st->bkey, st->bdst, st->n_batch);
    for (size_t i = b; i < e; i++) {
        int t1 = i > b ? tags[i - b - 1] : NER_O, t2 = i > b + 1 ? tags[i - b - 2] : NER_O;
        bool open = t1 != NER_O && (NER_POS_OF(t1) == BIO_B || NER_POS_OF(t1) == BIO_I);
        int32_t score[NER_STRIDE];
        const struct type_memo *x = st->tm[i - b];
        const int32_t *tr = st->tagrow[t2 * NER_NTAGS + t1];
        if (st->cand[i - b]) {
            const int32_t *ss = st->sscore + (i - b) * NER_STRIDE;
            for (int tg = 0; tg < NER_NTAGS; tg++)
                score[tg] = ss[tg] + tr[tg];
        } else if (!open) { /* no capital, no list, nothing open: O, unscored */
            tags[i - b] = NER_O;
            continue;
        } else { /* inside a name: scored in full ("of" in "Bank of X") */
            uint64_t f[NER_FEATS_MAX];
            if (!x) {
                st->n_batch = 0;
                x = st->tm[i - b] = memo_of(st, d, b, i, nm__ner_type_key(d, i));
                sum_batch(w, st->bkey, st->bdst, st->n_batch);
            }
            nm__ner_ensure_info(nf, d, b, e, i);
            size_t k = nm__ner_token_features(nf, m, d, b, e, i, st->gm, st->n_gm, f);
            for (int tg = 0; tg < NER_NTAGS; tg++)
                score[tg] = tr[tg] + x->own[tg];
            for (size_t q = 0; q < k; q++) {
                const int16_t *row = nm__ner_row(w, f[q]);
                for (int tg = 0; row && tg < NER_NTAGS; tg++)
                    score[tg] += row[tg];
            }
        }
        if (t1 == NER_O) { /* most often: summed in the memo */
            for (int tg = 0; tg < NER_NTAGS; tg++)
                score[tg] += x->after_o[tg];
        } else {
            uint64_t dyn[2];
            nm__ner_word_tag_keys(x->word, x->shapec, t1, dyn);
            for (size_t q = 0; q < 2; q++) {
                const int16_t *row = nm__ner_row(w, dyn[q]);
                for (int tg = 0; row && tg < NER_NTAGS; tg++)
                    score[tg] += row[tg];
            }
        }
        int best = 0;
        for (int tg = 1; tg < NER_NTAGS; tg++)
            if (score[tg] > score[best])
                best = tg;
        tags[i - b] = (uint8_t)nm__ner_repair(tags, i - b, 0, best);
    }
    /* an entity open at the end closes there */
    if (e > b) {
        int last = tags[e - b - 1];
        if (last != NER_O && (NER_POS_OF(last) == BIO_B || NER_POS_OF(last) == BIO_I))
            tags[e - b - 1] = (uint8_t)NER_TAG(NER_TYPE_OF(last), NER_POS_OF(last) == BIO_B ? BIO_U : BIO_L);
    }
    /* spans from the tags: B..L, U */
    size_t start = 0;
    for (size_t i = b; i < e; i++) {
        int tg = tags[i - b];
        if (tg == NER_O)
            continue;
        int pos = NER_POS_OF(tg);
        if (pos == BIO_B)
            start = i;
        if (pos == BIO_U || pos == BIO_L) {
            ent_span s = {0};
            s.b = (uint32_t)(pos == BIO_U ? i : start);
            s.e = (uint32_t)(i + 1);
            s.type = NER_TYPE_OF(tg);
            if ((rc = add_span(st, &s)) < 0)
                return rc;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ the stage */

typedef struct name_ix {
    uint64_t h;
    uint32_t k; /* index in st->spans */
} name_ix;

static int cmp_name_ix(const void *x, const void *y)
{
    const name_ix *a = x, *b = y;
    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    return a->k < b->k ? -1 : a->k > b->k;
}

static bool same_name(const nm_doc *d, const ent_span *a, const ent_span *x)
{
    if (a->e - a->b != x->e - x->b)
        return false;
    for (size_t t = 0; t < a->e - a->b; t++)
        if (d->toks[a->b + t].norm_len != d->toks[x->b + t].norm_len ||
            memcmp(norm(d, a->b + t), norm(d, x->b + t), d->toks[x->b + t].norm_len))
            return false;
    return true;
}

/* A name found once is found everywhere: every other occurrence of a
 * multi-word name's tokens, capitalised as a name, becomes that name (the
 * tagger's pieces inside it give way: "Harlow" + "Dynamics" in one sentence
 * where another has "Harlow Dynamics").  Occurrences that would cut across
 * another span are left alone. */
static int cmp_u64pair(const void *x, const void *y)
{
    const uint64_t *a = x, *b = y;
    if (a[0] != b[0])
        return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

static int propagate_names(ent_state *st, const nm_doc *d)
{
    size_t n0 = st->n_spans, n_rep = 0;
    /* (first token's hash, span index) of each multi-word name's first
     * mention, sorted: a token finds the names it may open by bisection */
    uint64_t *reps = nm__malloc(&st->m->alloc, (n0 ? n0 : 1) * 2 * sizeof(uint64_t));
    if (!reps)
        return NM_ENOMEM;
    for (size_t k = 0; k < n0; k++) {
        const ent_span *a = &st->spans[k];
        if (a->type < 0 || a->e - a->b < 2)
            continue;
        bool earlier = false;
        for (size_t q = 0; q < n_rep && !earlier; q++)
            earlier = reps[2 * q] == d->toks[a->b].hash && same_name(d, &st->spans[reps[2 * q + 1]], a);
        if (earlier)
            continue;
        reps[2 * n_rep] = d->toks[a->b].hash;
        reps[2 * n_rep + 1] = k;
        n_rep++;
    }
    qsort(reps, n_rep, 2 * sizeof(uint64_t), cmp_u64pair);
    int rc = 0;
    for (size_t i = 0; i < d->n_toks && n_rep && rc == 0; i++) {
        const nm_tok *t = &d->toks[i];
        if (t->kind != NM_TOK_WORD || !(t->flags & NM_TF_UPPER_INITIAL))
            continue;
        size_t lo = 0, hi = n_rep;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (reps[2 * mid] < t->hash)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t r = lo; r < n_rep && reps[2 * r] == t->hash && rc == 0; r++) {
            const ent_span a = st->spans[reps[2 * r + 1]];
            size_t len = a.e - a.b;
            if (i == a.b || i + len > d->n_toks)
                continue;
            ent_span c = a;
            c.b = (uint32_t)i;
            c.e = (uint32_t)(i + len);
            c.id = NULL;
            if (!same_name(d, &c, &a))
                continue;
            bool ok = true;
            for (size_t q = i; q < i + len && ok; q++) {
                unsigned char c0 = (unsigned char)d->text[d->toks[q].start];
                ok = !(c0 >= 'a' && c0 <= 'z') && !(q > i && (d->toks[q].flags & NM_TF_PARA_BEFORE));
            }
            if (!ok)
                continue;
            /* exact already, or crossing another span: leave it */
            bool skip = false;
            for (size_t q = 0; q < st->n_spans && !skip; q++) {
                const ent_span *x = &st->spans[q];
                if (x->type == -9 || x->e <= c.b || c.e <= x->b)
                    continue;
                skip = (x->b == c.b && x->e == c.e && x->type >= 0) || x->b < c.b || x->e > c.e || x->type < 0;
            }
            if (skip)
                continue;
            for (size_t q = 0; q < st->n_spans; q++) {
                ent_span *x = &st->spans[q];
                if (x->type >= 0 && x->b >= c.b && x->e <= c.e)
                    x->type = -9;
            }
            rc = add_span(st, &c);
        }
    }
    nm__free(&st->m->alloc, reps);
    return rc;
}

static int unify_types(ent_state *st, const nm_doc *d)
{
    size_t n = 0;
    for (size_t k = 0; k < st->n_spans; k++)
        n += st->spans[k].type >= 0;
    if (n < 2)
        return 0;
    name_ix *ix = nm__malloc(&st->m->alloc, n * sizeof(*ix));
    uint8_t *newt = ix ? nm__malloc(&st->m->alloc, st->n_spans) : NULL;
    if (!newt) {
        nm__free(&st->m->alloc, ix);
        return NM_ENOMEM;
    }
    n = 0;
    for (size_t k = 0; k < st->n_spans; k++) {
        const ent_span *a = &st->spans[k];
        if (a->type < 0)
            continue;
        uint64_t h = 0x9E3779B97F4A7C15ull ^ (a->e - a->b);
        for (size_t t = a->b; t < a->e; t++) {
            const nm_tok *tk = &d->toks[t];
            uint32_t th = tk->hash ? tk->hash : nm_hash(norm(d, t), tk->norm_len);
            h = (h ^ th) * 0xBF58476D1CE4E5B9ull;
            h ^= h >> 31;
        }
        ix[n++] = (name_ix){h, (uint32_t)k};
    }
    qsort(ix, n, sizeof(*ix), cmp_name_ix);
    for (size_t g = 0; g < n;) {
        size_t end = g + 1;
        while (end < n && ix[end].h == ix[g].h)
            end++;
        /* within a hash group, the mentions equal to one another vote
         * together: the group is split into classes of equal names (almost
         * always one), each counted once, so a name mentioned m times costs
         * m compares, not m squared */
        for (size_t q = g; q < end; q++)
            newt[ix[q].k] = 0xFF; /* not yet in a class */
        for (size_t q = g; q < end; q++) {
            if (newt[ix[q].k] != 0xFF)
                continue;
            const ent_span *rep = &st->spans[ix[q].k];
            int votes[NER_NTYPES] = {0};
            for (size_t r = q; r < end; r++) {
                const ent_span *x = &st->spans[ix[r].k];
                if (newt[ix[r].k] == 0xFF && (r == q || same_name(d, rep, x))) {
                    votes[x->type]++;
                    newt[ix[r].k] = 0xFE; /* in this class */
                }
            }
            int top = 0;
            for (int t = 1; t < NER_NTYPES; t++)
                if (votes[t] > votes[top])
                    top = t;
            for (size_t r = q; r < end; r++) {
                if (newt[ix[r].k] != 0xFE)
                    continue;
                int own = st->spans[ix[r].k].type; /* a tie keeps its own */
                newt[ix[r].k] = (uint8_t)(votes[own] == votes[top] ? own : top);
            }
        }
        g = end;
    }
    for (size_t q = 0; q < n; q++)
        st->spans[ix[q].k].type = newt[ix[q].k];
    nm__free(&st->m->alloc, newt);
    nm__free(&st->m->alloc, ix);
    return 0;
}


/* A company introduced by its full name ("Velora Therapeutics") is then
 * called by the rest of it ("Velora"): those mentions, whatever the tagger
 * read, are the organisation.  At most 64 such names a document (the
 * check is a scan of them per span). */
static void short_names(ent_state *st, const nm_doc *d)
{
    enum { MAX_SHORT = 64 };
    uint32_t sb[MAX_SHORT], se[MAX_SHORT];
    size_t n = 0;
    for (size_t k = 0; k < st->n_spans && n < MAX_SHORT; k++) {
        const ent_span *a = &st->spans[k];
        if (a->type == NER_ORG && a->e - a->b >= 2 && org_head(st, d, a->e - 1) && !org_head(st, d, a->b)) {
            sb[n] = a->b;
            se[n++] = a->e - 1;
        }
    }
    for (size_t k = 0; n && k < st->n_spans; k++) {
        ent_span *a = &st->spans[k];
        if (a->type < 0 || a->type == NER_ORG)
            continue;
        /* a listed place stays one ("Singapore" beside "Singapore Exchange") */
        bool place = false;
        for (size_t g = 0; a->type == NER_LOC && g < st->n_doc_gm && !place; g++) {
            const nm_gz_match *x = &st->doc_gm[g];
            place = x->b == a->b && x->e == a->e &&
                    st->m->gz->lists[st->m->gz->entries[x->entry].list].ner_type == NER_LOC;
        }
        if (place)
            continue;
        for (size_t q = 0; q < n; q++) {
            if (a->e - a->b != se[q] - sb[q])
                continue;
            bool same = true;
            for (size_t t = 0; t < a->e - a->b && same; t++) {
                const nm_tok *x = &d->toks[a->b + t], *y = &d->toks[sb[q] + t];
                same = x->norm_len == y->norm_len && !memcmp(norm(d, a->b + t), norm(d, sb[q] + t), x->norm_len);
            }
            if (same) {
                a->type = NER_ORG;
                break;
            }
        }
    }
}

static int cmp_span(const void *x, const void *y)
{
    const ent_span *a = x, *b = y;
    if (a->b != b->b)
        return a->b < b->b ? -1 : 1;
    return a->e > b->e ? -1 : a->e < b->e;
}

/* The normalised surface of tokens [b, e): norms joined by single spaces. */
static int surface_key(const nm_doc *d, size_t b, size_t e, nm_buf *out)
{
    int rc = 0;
    nm_buf_clear(out);
    for (size_t i = b; i < e && rc == 0; i++) {
        if (i > b && (d->toks[i].flags & NM_TF_SPACE_BEFORE))
            rc = nm_buf_putc(out, ' ');
        if (rc == 0)
            rc = nm_buf_put(out, norm(d, i), d->toks[i].norm_len);
    }
    return rc;
}

static int ent_run(void *state, nm_doc *d, nm_err *err)
{
    ent_state *st = state;
    const nm_model *m = st->m;
    int rc;
    st->n_spans = 0;
    st->n_doc_gm = 0;
    if (m->ner && (rc = nm__ner_doc_prepare(&st->nf, d)) < 0)
        goto fail;
    for (size_t si = 0; si < d->n_sents; si++) {
        const nm_sent *s = &d->sents[si];
        size_t b = s->tok_begin, e = s->tok_end;
        if (e <= b)
            continue;
        size_t first_money = st->n_spans;
        if ((rc = find_money(st, d, b, e)) < 0)
            goto fail;
        size_t n_money = st->n_spans - first_money;
        if (!m->ner && !m->gz)
            continue;
        st->n_gm = 0;
        if ((rc = nm__gz_match(m->gz, d, b, e, &st->gm, &st->n_gm, &st->cap_gm, &m->alloc)) < 0)
            goto fail;
        for (size_t g = 0; g < st->n_gm; g++) { /* kept for ids */
            if (st->n_doc_gm == st->cap_doc_gm) {
                size_t c = st->cap_doc_gm ? st->cap_doc_gm * 2 : 64;
                nm_gz_match *p = nm__realloc(&m->alloc, st->doc_gm, c * sizeof(*p));
                if (!p) {
                    rc = NM_ENOMEM;
                    goto fail;
                }
                st->doc_gm = p;
                st->cap_doc_gm = c;
            }
            st->doc_gm[st->n_doc_gm++] = st->gm[g];
        }
        if (!m->ner)
            continue;
        size_t first_name = st->n_spans;
        if ((rc = tag_sentence(st, d, b, e)) < 0)
            goto fail;
        apply_lists(st, first_name);
        apply_org_heads(st, d, b, e, first_name);
        drop_heading_names(st, d, b, e, first_name);
        /* money and percentages win over a name they overlap */
        for (size_t k = first_name; k < st->n_spans; k++)
            for (size_t q = first_money; q < first_money + n_money; q++)
                if (st->spans[k].b < st->spans[q].e && st->spans[q].b < st->spans[k].e)
                    st->spans[k].type = -9; /* dropped below */
    }
    /* one name, one type in a document: each name takes the type most of
     * its mentions have (a tie keeps its own).  Names are grouped by a hash
     * of their normalised tokens, sorted, so this is n log n however many
     * names a document has. */
    if ((rc = keep_heading_names(st, d)) < 0)
        goto fail;
    if ((rc = propagate_names(st, d)) < 0 || (rc = unify_types(st, d)) < 0)
        goto fail;
    short_names(st, d);
    /* canonical ids: a "span" list entry of the same type over exactly the
     * entity's tokens */
    const nm_gazetteer *gz = m->gz;
    for (size_t k = 0; gz && k < st->n_spans; k++) {
        ent_span *a = &st->spans[k];
        if (a->type < 0)
            continue;
        for (size_t g = 0; g < st->n_doc_gm; g++) {
            const nm_gz_match *x = &st->doc_gm[g];
            const nm_gz_entry *en = &gz->entries[x->entry];
            const nm_gz_list *l = &gz->lists[en->list];
            if (x->b == a->b && x->e == a->e && l->span && l->ner_type == a->type) {
                a->id = nm__gz_id(gz, en);
                break;
            }
        }
    }
    if (st->n_spans > 1)
        qsort(st->spans, st->n_spans, sizeof(*st->spans), cmp_span);
    for (size_t k = 0; k < st->n_spans; k++) {
        const ent_span *a = &st->spans[k];
        if (a->type == -9)
            continue;
        nm_span_rec *sp = nm__doc_add_span(d);
        if (!sp) {
            rc = NM_ENOMEM;
            goto fail;
        }
        sp->start = d->toks[a->b].start;
        sp->end = d->toks[a->e - 1].end - a->trim;
        sp->type = a->type == -1 ? "MONEY" : a->type == -2 ? "PERCENT" : nm__ner_types[a->type];
        if (a->type < 0) {
            if ((rc = nm__doc_str(d, a->value, strlen(a->value), &sp->value_off)) < 0)
                goto fail;
            sp->value_len = (uint32_t)strlen(a->value);
            continue;
        }
        /* ,"id":"..." ,"key":"..." */
        nm_buf_clear(&st->scratch);
        if (a->id && ((rc = nm_buf_puts(&st->scratch, ",\"id\":")) < 0 ||
                      (rc = nm_buf_put_json_str(&st->scratch, a->id, strlen(a->id))) < 0))
            goto fail;
        size_t at = st->scratch.len;
        nm_buf key;
        nm_buf_init(&key, 4096, &m->alloc);
        rc = surface_key(d, a->b, a->e, &key);
        if (rc == 0 && key.len < 4096 &&
            ((rc = nm_buf_puts(&st->scratch, ",\"key\":")) < 0 ||
             (rc = nm_buf_put_json_str(&st->scratch, key.ptr, key.len)) < 0))
            st->scratch.len = at;
        nm_buf_free(&key);
        if (rc < 0)
            goto fail;
        if ((rc = nm__doc_str(d, st->scratch.ptr, st->scratch.len, &sp->attrs_off)) < 0)
            goto fail;
        sp->attrs_len = (uint32_t)st->scratch.len;
    }
    return 0;
fail:
    return nm__err_set(err, rc, "entities: %s", nm_strerror(rc));
}

const nm_stage_type nm__stage_entities = {
    "entities", NM_PHASE_MATCH, ent_open, ent_run, ent_close,
};
