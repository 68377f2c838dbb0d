/*
 * tokenize.c - splits the document text into tokens with byte offsets.
 *
 * Input: doc->text (valid UTF-8, checked by the clean stage).
 * Output: doc->toks, in text order, non-overlapping, each [start, end) a
 * stretch of the original bytes; white space is never part of a token.
 *
 * Character classes come from utf8proc's Unicode categories (letters and
 * marks, decimal digits, white space and controls, format characters,
 * punctuation, symbols), with a table for ASCII so plain English text never
 * leaves the fast path.  The rules, in the order they are tried at a token's
 * first character:
 *
 *   URL          http:// https:// www.   up to white space, minus trailing
 *                                        punctuation (a ')' stays if the URL
 *                                        opened one)
 *   e-mail       local@domain.tld        ASCII only
 *   #tag @name   '#'/'@' + letters/digits/_
 *   initialism   U.S.  e.g.  a.m.        single letters each followed by '.'
 *   word         letters, joined across  '-' (multi-year), '·' (DALL·E),
 *                '&' between capitals (AT&T), '.' before a lower-case
 *                letter (node.js), an apostrophe not starting a clitic
 *                (O'Brien); clitics split PTB-style: OpenAI|'s, do|n't;
 *                a known abbreviation takes its dot (Inc.); a single capital
 *                and a dot is an initial (J.); lower-case letters glued to
 *                1-3 digits are a footnote marker (needs|12) unless the word
 *                is listed in glued-keep (mp3)
 *   number       digits joined across ',' '.' ':' '/' '-' before a digit
 *                (1,000.5  10:30  2025-01-21  1/21/2025), a hyphenated
 *                word (10-year) or letters (1990s, 3rd); a listed number
 *                suffix is split off (1.13|bn, 600|m, 4.5|GW)
 *   punctuation  one character; "..." and "--" stay whole
 *   symbol       one character ($ £ % ...)
 *
 * Word lists (abbreviations, number suffixes, glued-keep) come from the
 * model; no word is spelled out in this file.
 */
#include <string.h>
#include <utf8proc.h>

#include "core.h"

enum { C_SPACE = 0, C_NEWLINE, C_LETTER, C_UPPER, C_DIGIT, C_PUNCT, C_SYMBOL, C_FORMAT };

typedef struct tok_state {
    const nm_model *m;
    unsigned char ascii[128]; /* class of each ASCII byte */
    unsigned char alpha[256]; /* 1 for ASCII letters, 0 for all else */
    unsigned char digit[256]; /* 1 for ASCII digits */
    unsigned char word_end[256]; /* bytes no rule joins to a letter run */
    unsigned char num_end[256];  /* bytes no rule joins to a digit run */
    size_t abbrev_max;           /* the longest listed abbreviation */
} tok_state;

static int classify_cp(int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LT:
        return C_UPPER;
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return C_LETTER;
    case UTF8PROC_CATEGORY_ND:
        return C_DIGIT;
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
        return C_NEWLINE;
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
        return C_SPACE;
    case UTF8PROC_CATEGORY_CF:
        return C_FORMAT;
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
        return C_PUNCT;
    default:
        return C_SYMBOL;
    }
}

static int tok_open(void **state, const nm_model *m, const nm_opts *o, nm_err *err)
{
    (void)o;
    tok_state *st = nm__calloc(&m->alloc, 1, sizeof(*st));
    if (!st)
        return nm__err_set(err, NM_ENOMEM, "out of memory");
    st->m = m;
    for (int c = 0; c < 128; c++)
        st->ascii[c] = (unsigned char)classify_cp(c);
    st->ascii['\n'] = C_NEWLINE;
    for (int c = 0; c < 128; c++) {
        st->alpha[c] = st->ascii[c] == C_LETTER || st->ascii[c] == C_UPPER;
        st->digit[c] = st->ascii[c] == C_DIGIT;
    }
    /* Deliberately short lists: anything not here takes the full rules
     * ('.', '-', '\'', ':', '/', '@', '&', '#', letters after digits, all
     * non-ASCII bytes...). ',' joins digits (1,000) but never letters. */
    for (const char *p = " \t\n\r;()\"?![]"; *p; p++)
        st->word_end[(unsigned char)*p] = st->num_end[(unsigned char)*p] = 1;
    st->word_end[','] = 1;
    st->num_end['%'] = 1;
    for (size_t k = 0; k < m->abbrev.n_slots; k++)
        if (m->abbrev.slots[k].key_off != UINT32_MAX) {
            size_t n = strlen(m->abbrev.arena.ptr + m->abbrev.slots[k].key_off);
            if (n > st->abbrev_max)
                st->abbrev_max = n;
        }
    *state = st;
    return 0;
}

static void tok_close(void *state)
{
    tok_state *st = state;
    if (st)
        nm__free(&st->m->alloc, st);
}

/* A cursor over the text with the class of the code point under it. */
typedef struct cur {
    const unsigned char *s;
    size_t len;
    const tok_state *st;
} cur;

/* Class and length of the code point at I (C_SPACE/0 past the end). */
static inline int cls_at(const cur *c, size_t i, int *n, int32_t *cp)
{
    if (i >= c->len) {
        *n = 0;
        *cp = 0;
        return C_SPACE;
    }
    unsigned char b = c->s[i];
    if (b < 0x80) {
        *n = 1;
        *cp = b;
        return c->st->ascii[b];
    }
    *n = nm__utf8_decode(c->s + i, c->len - i, cp);
    return classify_cp(*cp);
}

static inline int cls(const cur *c, size_t i)
{
    int n;
    int32_t cp;
    return cls_at(c, i, &n, &cp);
}

static inline bool is_alpha_cls(int k) { return k == C_LETTER || k == C_UPPER; }
static inline bool is_alnum_cls(int k) { return k == C_LETTER || k == C_UPPER || k == C_DIGIT; }

static inline bool ascii_alnum(unsigned char b)
{
    return (b >= '0' && b <= '9') || ((b | 32) >= 'a' && (b | 32) <= 'z');
}

static inline bool is_apostrophe(const cur *c, size_t i, int *n)
{
    if (i < c->len && c->s[i] == '\'') {
        *n = 1;
        return true;
    }
    /* U+2019 RIGHT SINGLE QUOTATION MARK: E2 80 99 */
    if (i + 2 < c->len && c->s[i] == 0xE2 && c->s[i + 1] == 0x80 && c->s[i + 2] == 0x99) {
        *n = 3;
        return true;
    }
    return false;
}

static inline unsigned char lower(unsigned char b)
{
    return (b >= 'A' && b <= 'Z') ? (unsigned char)(b | 32) : b;
}

/* Length of a clitic ('s 're 've 'll 'd 'm) starting at the apostrophe at I,
 * or 0; the clitic must be followed by a non-letter. */
static size_t clitic_len(const cur *c, size_t i)
{
    static const char *const cl[] = {"s", "re", "ve", "ll", "d", "m"};
    int an;
    if (!is_apostrophe(c, i, &an))
        return 0;
    size_t j = i + (size_t)an;
    for (size_t k = 0; k < sizeof(cl) / sizeof(cl[0]); k++) {
        size_t n = strlen(cl[k]), q;
        for (q = 0; q < n; q++)
            if (j + q >= c->len || lower(c->s[j + q]) != (unsigned char)cl[k][q])
                break;
        if (q == n && !is_alpha_cls(cls(c, j + n)))
            return (size_t)an + n;
    }
    return 0;
}

static bool has_prefix_ci(const cur *c, size_t i, const char *p)
{
    size_t n = strlen(p);
    if (i + n > c->len)
        return false;
    for (size_t k = 0; k < n; k++)
        if (lower(c->s[i + k]) != (unsigned char)p[k])
            return false;
    return true;
}

static size_t scan_url(const cur *c, size_t i)
{
    unsigned char b0 = lower(c->s[i]);
    if (b0 != 'h' && b0 != 'w')
        return 0;
    if (!has_prefix_ci(c, i, "http://") && !has_prefix_ci(c, i, "https://") &&
        !has_prefix_ci(c, i, "www."))
        return 0;
    size_t j = i;
    int opens = 0;
    while (j < c->len) {
        int n;
        int32_t cp;
        int k = cls_at(c, j, &n, &cp);
        if (k == C_SPACE || k == C_NEWLINE || cp == '<' || cp == '>' || cp == '"')
            break;
        if (cp == '(')
            opens++;
        if (cp == ')')
            opens--;
        j += (size_t)n;
    }
    /* trailing punctuation belongs to the sentence, not the URL */
    while (j > i) {
        unsigned char b = c->s[j - 1];
        if (b == ')' && opens < 0) {
            opens++;
            j--;
        } else if (b == '.' || b == ',' || b == ';' || b == ':' || b == '!' ||
                   b == '?' || b == '\'' || b == '"' || b == ']') {
            j--;
        } else if (b >= 0x80) {
            /* a closing curly quote or similar glued to the URL */
            size_t k = j - 1;
            while (k > i && (c->s[k] & 0xC0) == 0x80)
                k--;
            if (cls(c, k) == C_PUNCT)
                j = k;
            else
                break;
        } else {
            break;
        }
    }
    return j - i > 7 ? j - i : 0;
}

/* Bytes that may stand in the local part of an e-mail address. */
static bool email_local(unsigned char b)
{
    return ascii_alnum(b) || b == '.' || b == '_' || b == '%' || b == '+' || b == '-';
}

/* Is there an '@' close enough after I to end an e-mail's local part?
 * *NEXT_AT caches the next '@' so the text is searched once overall. */
static bool near_at(const cur *c, size_t i, size_t *next_at)
{
    if (*next_at < i || *next_at == 0) {
        const unsigned char *p = memchr(c->s + i, '@', c->len - i);
        *next_at = p ? (size_t)(p - c->s) : SIZE_MAX;
    }
    return *next_at != SIZE_MAX && *next_at - i <= 64;
}

static size_t scan_email(const cur *c, size_t i)
{
    size_t j = i;
    while (j < c->len && email_local(c->s[j]))
        j++;
    if (j == i || j >= c->len || c->s[j] != '@')
        return 0;
    size_t at = j++, dot = 0;
    while (j < c->len && (ascii_alnum(c->s[j]) || c->s[j] == '-' || c->s[j] == '.')) {
        if (c->s[j] == '.')
            dot = j;
        j++;
    }
    while (j > at && c->s[j - 1] == '.')
        j--;
    if (!dot || dot >= j - 2 || dot == at + 1)
        return 0;
    for (size_t k = dot + 1; k < j; k++)
        if (!((c->s[k] | 32) >= 'a' && (c->s[k] | 32) <= 'z'))
            return 0;
    return j - i;
}

/* U.S.  e.g.  a.m. : one letter, a dot, at least twice. */
static size_t scan_initialism(const cur *c, size_t i)
{
    size_t j = i;
    int pairs = 0;
    for (;;) {
        int n;
        int32_t cp;
        int k = cls_at(c, j, &n, &cp);
        if (!is_alpha_cls(k) || j + (size_t)n >= c->len || c->s[j + (size_t)n] != '.')
            break;
        /* the letter must stand alone: not followed by another letter */
        j += (size_t)n + 1;
        pairs++;
        if (is_alpha_cls(cls(c, j)) && !(j + 1 < c->len && c->s[j + 1] == '.'))
            return 0;
        /* a second letter-run (U.S.A) is fine; stop at anything else */
        if (!is_alpha_cls(cls(c, j)))
            break;
    }
    return pairs >= 2 ? j - i : 0;
}

static bool lookup_lower(const nm_strtab *t, const unsigned char *s, size_t n, int *ival)
{
    char buf[64];
    if (n == 0 || n >= sizeof(buf))
        return false;
    for (size_t k = 0; k < n; k++)
        buf[k] = (char)lower(s[k]);
    const nm_strtab_entry *e = nm_strtab_get(t, buf, n);
    if (e && ival)
        *ival = e->ival;
    return e != NULL;
}

/* Position of the first byte >= 0x80 at or after I, or LEN. */
static size_t next_non_ascii(const unsigned char *s, size_t len, size_t i)
{
    while (i + 8 <= len) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull)
            break;
        i += 8;
    }
    while (i < len && s[i] < 0x80)
        i++;
    return i;
}

/* The end of the run of ASCII letters from J: eight bytes a step.  A byte
 * is a letter if, with bit 5 set (lower case), it lies in 'a'..'z'; the
 * additions cannot carry out of a letter byte, so the lowest byte that
 * fails is exact (later bytes may be garbled by carries; they are not
 * looked at). */
static inline size_t skip_letters(const unsigned char *s, size_t j, size_t len,
                                  const unsigned char *alpha)
{
    const uint64_t ones = 0x0101010101010101ull, hi = 0x8080808080808080ull;
    while (j + 8 <= len) {
        uint64_t w;
        memcpy(&w, s + j, 8);
        uint64_t l = w | 0x2020202020202020ull;
        uint64_t ge_a = l + (0x80 - 'a') * ones; /* high bit: byte >= 'a' */
        uint64_t gt_z = l + (0x7F - 'z') * ones; /* high bit: byte > 'z' */
        uint64_t letters = ge_a & ~gt_z & ~w & hi;
        if (letters != hi)
            return j + (size_t)__builtin_ctzll(~letters & hi) / 8;
        j += 8;
    }
    while (j < len && alpha[s[j]])
        j++;
    return j;
}

static inline int emit(nm_doc *d, size_t start, size_t end, int kind, unsigned flags)
{
    nm_tok *t;
    if (d->n_toks < d->cap_toks) {
        t = &d->toks[d->n_toks++];
    } else if (!(t = nm__doc_add_tok(d))) {
        return NM_ENOMEM;
    }
    *t = (nm_tok){.start = (uint32_t)start, .end = (uint32_t)end, .kind = (uint8_t)kind,
                  .flags = (uint8_t)flags};
    return 0;
}

/*
 * A word starting at I.  Returns its end; may emit a clitic or a footnote
 * marker after it (through *extra_end / *extra_kind).
 */
typedef struct word_out {
    size_t end;        /* end of the word token */
    size_t clitic_end; /* > end: a clitic token [end, clitic_end) follows */
    size_t foot_start; /* a footnote-marker token [foot_start, foot_end) */
    size_t foot_end;
    bool abbrev;
    bool hyphen; /* a hyphen joined two parts: multi-year */
    int kind;
} word_out;

static void scan_word(const cur *c, size_t i, word_out *w)
{
    const nm_model *m = c->st->m;
    size_t j = i, letters_end = 0;
    bool all_letters = true;
    memset(w, 0, sizeof(*w));
    w->kind = NM_TOK_WORD;
    for (;;) {
        /* fast path: a run of ASCII letters */
        size_t run = j;
        j = skip_letters(c->s, j, c->len, c->st->alpha);
        if (j > run && letters_end)
            all_letters = false; /* letters after digits: "b2b" */
        int n;
        int32_t cp;
        int k = cls_at(c, j, &n, &cp);
        if (is_alnum_cls(k) || (k == C_FORMAT && j > i && is_alnum_cls(cls(c, j + (size_t)n)))) {
            if (k == C_DIGIT && !letters_end)
                letters_end = j;
            if (k != C_DIGIT && letters_end)
                all_letters = false; /* letters after digits: "b2b" */
            j += (size_t)n;
            continue;
        }
        int an;
        size_t cl;
        if (is_apostrophe(c, j, &an)) {
            /* do|n't */
            if (j > i + 1 && lower(c->s[j - 1]) == 'n' && j + (size_t)an < c->len &&
                lower(c->s[j + (size_t)an]) == 't' && !is_alpha_cls(cls(c, j + (size_t)an + 1)) &&
                !letters_end) {
                w->end = j - 1;
                w->clitic_end = j + (size_t)an + 1;
                return;
            }
            if ((cl = clitic_len(c, j)) != 0) {
                w->end = j;
                w->clitic_end = j + cl;
                goto finish;
            }
            if (is_alpha_cls(cls(c, j + (size_t)an))) {
                j += (size_t)an;
                continue;
            }
            break;
        }
        /* hyphens: '-' U+2010 U+2011 between alphanumerics */
        if (cp == '-' || cp == 0x2010 || cp == 0x2011) {
            if (is_alnum_cls(cls(c, j + (size_t)n))) {
                w->hyphen = true;
                j += (size_t)n;
                letters_end = 0;
                all_letters = false;
                continue;
            }
            break;
        }
        /* DALL·E: middle dots between letters */
        if ((cp == 0xB7 || cp == 0x2027 || cp == 0x30FB) && is_alpha_cls(cls(c, j + (size_t)n))) {
            j += (size_t)n;
            continue;
        }
        /* AT&T, S&P */
        if (cp == '&' && j > i && c->st->ascii[c->s[j - 1] & 0x7F] == C_UPPER &&
            c->s[j - 1] < 0x80 && cls(c, j + 1) == C_UPPER) {
            j++;
            continue;
        }
        /* node.js, example.com: a dot straight before a lower-case letter */
        if (cp == '.' && j > i && cls(c, j + 1) == C_LETTER && is_alnum_cls(cls(c, j - 1)) &&
            !letters_end) {
            j++;
            all_letters = false;
            continue;
        }
        break;
    }
    w->end = j;
    /* needs12: a footnote marker glued to a word */
    if (letters_end && all_letters && j - letters_end <= 3 && letters_end - i >= 3 &&
        !lookup_lower(&m->glued_keep, c->s + i, j - i, NULL)) {
        bool vowel = false, shape = true;
        for (size_t k = i; k < letters_end; k++) {
            unsigned char b = c->s[k];
            if (b >= 0x80) { shape = false; break; }
            if (k > i && !(b >= 'a' && b <= 'z')) { shape = false; break; }
            if (strchr("aeiouy", lower(b)))
                vowel = true;
        }
        if (shape && vowel) {
            w->end = letters_end;
            w->foot_start = letters_end;
            w->foot_end = j;
            return;
        }
    }
finish:
    /* Inc. / J. : a listed abbreviation or an initial takes its dot */
    if (!w->clitic_end && w->end < c->len && c->s[w->end] == '.') {
        size_t n = w->end - i;
        int cls0 = cls(c, i);
        bool initial = cls0 == C_UPPER && (n == 1 || (n <= 4 && c->s[i] >= 0x80 &&
                                           nm__utf8_decode(c->s + i, c->len - i, &(int32_t){0}) == (int)n));
        if (initial || lookup_lower(&m->abbrev, c->s + i, n, NULL)) {
            w->end++;
            w->abbrev = true;
        }
    }
}

/* A number starting at I (a digit).  Sets *suffix_end > end when a listed
 * suffix (bn, m) follows and is split off. */
static size_t scan_number(const cur *c, size_t i, size_t *suffix_end, int *kind)
{
    const nm_model *m = c->st->m;
    size_t j = i;
    *suffix_end = 0;
    *kind = NM_TOK_NUMBER;
    for (;;) {
        while (j < c->len && c->s[j] >= '0' && c->s[j] <= '9')
            j++;
        if (j < c->len && c->s[j] >= 0x80 && cls(c, j) == C_DIGIT) {
            int n;
            int32_t cp;
            cls_at(c, j, &n, &cp);
            j += (size_t)n;
            continue;
        }
        if (j + 1 < c->len && strchr(",.:/", c->s[j]) && c->s[j] &&
            c->s[j + 1] >= '0' && c->s[j + 1] <= '9') {
            j++;
            continue;
        }
        if (j + 1 < c->len && c->s[j] == '-' && is_alnum_cls(cls(c, j + 1))) {
            if (!(c->s[j + 1] >= '0' && c->s[j + 1] <= '9'))
                *kind = NM_TOK_WORD; /* 10-year */
            j++;
            continue;
        }
        break;
    }
    /* letters glued to the number */
    size_t k = j;
    while (k < c->len && is_alpha_cls(cls(c, k))) {
        int n;
        int32_t cp;
        cls_at(c, k, &n, &cp);
        k += (size_t)n;
    }
    if (k > j) {
        if (!is_alnum_cls(cls(c, k)) && lookup_lower(&m->num_suffixes, c->s + j, k - j, NULL)) {
            *suffix_end = k;
            return j;
        }
        if (*kind == NM_TOK_NUMBER)
            *kind = NM_TOK_WORD; /* 1990s, 3rd, 5G */
        j = k;
        /* and a hyphenated continuation: 5G-enabled */
        while (j + 1 < c->len && c->s[j] == '-' && is_alnum_cls(cls(c, j + 1))) {
            j++;
            while (j < c->len && is_alnum_cls(cls(c, j))) {
                int n;
                int32_t cp;
                cls_at(c, j, &n, &cp);
                j += (size_t)n;
            }
        }
    }
    return j;
}

static int tok_run(void *state, nm_doc *d, nm_err *err)
{
    const tok_state *st = state;
    cur c = {(const unsigned char *)d->text, d->text_len, st};
    size_t i = 0;
    int rc = 0;
    unsigned pending = 0; /* NM_TF_* flags for the next token */
    int newlines = 0;
    size_t next_at = 0;   /* position of the next '@' at or after i */

    if (d->text_len > UINT32_MAX)
        return nm__err_set(err, NM_ELIMIT, "text longer than 4 GiB");
    /* an all-ASCII text (most wire copy) needs no search for the
     * non-ASCII bytes at the end */
    const unsigned ascii_fl = next_non_ascii(c.s, c.len, 0) == c.len ? NM_TF_ASCII : 0u;
    while (i < c.len) {
        if (c.s[i] == ' ') { /* the common case, before any decoding */
            pending |= NM_TF_SPACE_BEFORE;
            i++;
            continue;
        }
        if (c.s[i] == '\n') { /* wrapped wire copy has one every line */
            newlines++;
            pending |= NM_TF_SPACE_BEFORE | NM_TF_NEWLINE_BEFORE | (newlines >= 2 ? NM_TF_PARA_BEFORE : 0u);
            i++;
            continue;
        }
        int n;
        int32_t cp;
        int k = cls_at(&c, i, &n, &cp);
        if (k == C_SPACE || k == C_NEWLINE || k == C_FORMAT) {
            pending |= NM_TF_SPACE_BEFORE;
            if (k == C_NEWLINE || cp == '\n' || cp == 0x0B || cp == 0x0C || cp == 0x85) {
                newlines++;
                pending |= NM_TF_NEWLINE_BEFORE;
                if (newlines >= 2)
                    pending |= NM_TF_PARA_BEFORE;
            }
            i += (size_t)n;
            continue;
        }
        newlines = 0;
        unsigned fl = pending;
        pending = 0;
        if (k == C_UPPER)
            fl |= NM_TF_UPPER_INITIAL;
        size_t len;
        /* fast path: a plain ASCII word or number ending at a byte that no
         * rule below could join to it needs none of those rules */
        if (c.s[i] < 0x80 && (k == C_LETTER || k == C_UPPER || k == C_DIGIT)) {
            const unsigned char *end = k == C_DIGIT ? st->num_end : st->word_end;
            size_t j = i + 1;
            if (k == C_DIGIT) {
                while (j < c.len && st->digit[c.s[j]])
                    j++;
            } else {
                j = skip_letters(c.s, j, c.len, st->alpha);
            }
            /* a word longer than any abbreviation before a sentence's
             * final dot ("rose." then a space) needs no rule either */
            if (j == c.len || end[c.s[j]] ||
                (k != C_DIGIT && c.s[j] == '.' && j - i > st->abbrev_max &&
                 (j + 1 == c.len || c.s[j + 1] == ' ' || c.s[j + 1] == '\n'))) {
                if ((rc = emit(d, i, j, k == C_DIGIT ? NM_TOK_NUMBER : NM_TOK_WORD, fl)) < 0)
                    return nm__err_set(err, rc, "tokenize: %s", nm_strerror(rc));
                i = j;
                continue;
            }
        }
        unsigned char b0 = (unsigned char)(c.s[i] | 32);
        if ((b0 == 'h' || b0 == 'w') && (len = scan_url(&c, i)) != 0) {
            rc = emit(d, i, i + len, NM_TOK_URL, fl);
            i += len;
        } else if ((k == C_LETTER || k == C_UPPER || k == C_DIGIT) && c.s[i] < 0x80 &&
                   near_at(&c, i, &next_at) && (len = scan_email(&c, i)) != 0) {
            rc = emit(d, i, i + len, NM_TOK_EMAIL, fl);
            i += len;
        } else if ((cp == '#' || cp == '@') && i + 1 < c.len &&
                   (is_alnum_cls(cls(&c, i + 1)) || c.s[i + 1] == '_') &&
                   (i == 0 || !is_alnum_cls(cls(&c, i - 1)))) {
            size_t j = i + 1;
            while (j < c.len && (is_alnum_cls(cls(&c, j)) || c.s[j] == '_')) {
                int m2;
                int32_t cp2;
                cls_at(&c, j, &m2, &cp2);
                j += (size_t)m2;
            }
            rc = emit(d, i, j, cp == '#' ? NM_TOK_HASHTAG : NM_TOK_MENTION, fl);
            i = j;
        } else if ((k == C_LETTER || k == C_UPPER) && (len = scan_initialism(&c, i)) != 0) {
            rc = emit(d, i, i + len, NM_TOK_WORD, fl | NM_TF_ABBREV);
            i += len;
        } else if (k == C_LETTER || k == C_UPPER) {
            word_out w;
            scan_word(&c, i, &w);
            if (w.end > i)
                rc = emit(d, i, w.end, w.kind,
                          fl | (w.abbrev ? NM_TF_ABBREV : 0u) | (w.hyphen ? NM_TF_HYPHEN : 0u));
            if (rc == 0 && w.clitic_end > w.end)
                rc = emit(d, w.end, w.clitic_end, NM_TOK_WORD, 0);
            if (rc == 0 && w.foot_end > w.foot_start)
                rc = emit(d, w.foot_start, w.foot_end, NM_TOK_NUMBER, NM_TF_FOOTNOTE);
            i = w.clitic_end > w.end ? w.clitic_end : w.foot_end ? w.foot_end : w.end;
        } else if (k == C_DIGIT) {
            size_t suf;
            int kind;
            size_t j = scan_number(&c, i, &suf, &kind);
            rc = emit(d, i, j, kind, fl | (memchr(c.s + i, '-', j - i) ? NM_TF_HYPHEN : 0u));
            if (rc == 0 && suf > j)
                rc = emit(d, j, suf, NM_TOK_WORD, 0);
            i = suf > j ? suf : j;
        } else if (cp == '\'' || cp == 0x2019) {
            /* a clitic after something that is not a word ("’s" after a
             * quote): keep it whole; else a lone quote mark */
            size_t cl = clitic_len(&c, i);
            size_t e = cl ? i + cl : i + (size_t)n;
            rc = emit(d, i, e, cl ? NM_TOK_WORD : NM_TOK_PUNCT, fl);
            i = e;
        } else if (k == C_PUNCT) {
            size_t j = i + (size_t)n;
            if (cp == '.' || cp == '-') {
                while (j < c.len && c.s[j] == (unsigned char)cp)
                    j++;
                if (j - i == 2 && cp == '.')
                    j = i + 1; /* ".." is two dots; "..." and "--" stay whole */
            }
            rc = emit(d, i, j, NM_TOK_PUNCT, fl);
            i = j;
        } else {
            rc = emit(d, i, i + (size_t)n, NM_TOK_SYMBOL, fl);
            i += (size_t)n;
        }
        if (rc < 0)
            return nm__err_set(err, rc, "tokenize: %s", nm_strerror(rc));
    }
    /* mark the all-ASCII tokens: the normaliser's fast path */
    if (ascii_fl) {
        for (size_t k = 0; k < d->n_toks; k++)
            d->toks[k].flags |= NM_TF_ASCII;
        return 0;
    }
    size_t na = next_non_ascii(c.s, c.len, 0);
    for (size_t k = 0; k < d->n_toks; k++) {
        nm_tok *t = &d->toks[k];
        while (na < t->start)
            na = next_non_ascii(c.s, c.len, na + 1);
        if (t->end <= na)
            t->flags |= NM_TF_ASCII;
    }
    return 0;
}

const nm_stage_type nm__stage_tokenize = {
    "tokenize", NM_PHASE_TOKENIZE, tok_open, tok_run, tok_close,
};
