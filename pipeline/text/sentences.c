/*
 * sentences.c - splits the token stream into sentences.
 *
 * Input: doc->toks with flags and norm forms.  Output: doc->sents, covering
 * every token exactly once, in order.
 *
 * A boundary falls
 *   - before a token that follows a blank line (paragraphs, headlines,
 *     datelines set apart);
 *   - before a bullet that opens a line: a listed bullet character, '-' or
 *     '*' followed by a space, or "1." / "2)" / "a)" at a line start;
 *   - after '.', '!', '?', '…' or "..." (and any closing quotes and
 *     brackets glued to it) when the next token does not start in lower
 *     case, and is not itself closing punctuation;
 *   - after an abbreviation (a token that took its dot: "Inc.", "U.S.")
 *     only if the next token starts a paragraph, or opens with a capital
 *     and is a frequent sentence starter ("The", "He"...; a model list).
 *     Titles ("Mr.") and initials ("J.") never end a sentence; a month
 *     ("Jan.") does not before a number.
 * Decimal numbers and inner dots never reach here as separate tokens: the
 * tokenizer keeps "1.13", "U.S." and "node.js" whole.
 */
#include <string.h>

#include "core.h"

typedef struct sent_state {
    const nm_model *m;
} sent_state;

static int sent_open(void **state, const nm_model *m, const nm_opts *o, nm_err *err)
{
    (void)o;
    sent_state *st = nm__calloc(&m->alloc, 1, sizeof(*st));
    if (!st)
        return nm__err_set(err, NM_ENOMEM, "out of memory");
    st->m = m;
    *state = st;
    return 0;
}

static void sent_close(void *state)
{
    sent_state *st = state;
    if (st)
        nm__free(&st->m->alloc, st);
}

static inline size_t tlen(const nm_tok *t) { return t->end - t->start; }

static bool tok_is(const nm_doc *d, const nm_tok *t, const char *s)
{
    size_t n = strlen(s);
    return tlen(t) == n && memcmp(d->text + t->start, s, n) == 0;
}

static bool is_terminal(const nm_doc *d, const nm_tok *t)
{
    if (t->kind != NM_TOK_PUNCT)
        return false;
    unsigned char b = (unsigned char)d->text[t->start];
    if (b < 0x80)
        return (tlen(t) == 1 && (b == '.' || b == '!' || b == '?')) || tok_is(d, t, "...");
    return tok_is(d, t, "\xE2\x80\xA6") /* … */ ||
           tok_is(d, t, "\xEF\xBC\x81") || tok_is(d, t, "\xEF\xBC\x9F") || /* fullwidth ! ? */
           tok_is(d, t, "\xE3\x80\x82"); /* ideographic full stop */
}

/* Closing quotes and brackets that stay with the sentence they close. */
static bool is_closer(const nm_doc *d, const nm_tok *t)
{
    if (t->kind != NM_TOK_PUNCT || t->norm_len > 2)
        return false;
    const char *n = nm__doc_norm(d, t);
    if (t->norm_len == 1)
        return n[0] == '"' || n[0] == '\'' || n[0] == ')' || n[0] == ']' || n[0] == '}';
    return !strcmp(n, "\xC2\xBB") /* » */;
}

static bool lower_initial(const nm_doc *d, const nm_tok *t)
{
    if (t->flags & NM_TF_UPPER_INITIAL)
        return false;
    unsigned char b = (unsigned char)d->text[t->start];
    if (b < 0x80)
        return b >= 'a' && b <= 'z';
    /* non-ASCII: lower case if folding leaves the first bytes unchanged
     * and it is a word */
    return t->kind == NM_TOK_WORD;
}

static bool is_bullet(const sent_state *st, const nm_doc *d, size_t i)
{
    const nm_tok *t = &d->toks[i];
    if (!(t->flags & NM_TF_NEWLINE_BEFORE) && i != 0)
        return false;
    /* listed bullets are non-ASCII; look only those up */
    if ((unsigned char)d->text[t->start] >= 0x80)
        return nm_strtab_get(&st->m->bullets, d->text + t->start, tlen(t)) != NULL;
    const nm_tok *nx = i + 1 < d->n_toks ? &d->toks[i + 1] : NULL;
    if ((tok_is(d, t, "-") || tok_is(d, t, "*")) && nx && (nx->flags & NM_TF_SPACE_BEFORE))
        return true;
    /* "1." "12)" "a)" at a line start, then a space */
    if (nx && i + 2 < d->n_toks && (d->toks[i + 2].flags & NM_TF_SPACE_BEFORE) &&
        !(nx->flags & NM_TF_SPACE_BEFORE) && (tok_is(d, nx, ".") || tok_is(d, nx, ")"))) {
        if (t->kind == NM_TOK_NUMBER && tlen(t) <= 2)
            return true;
        if (tlen(t) == 1 && tok_is(d, nx, ")") && d->text[t->start] >= 'a' && d->text[t->start] <= 'z')
            return true;
    }
    return false;
}

static int push(nm_doc *d, size_t b, size_t e)
{
    if (e <= b)
        return 0;
    nm_sent *s = nm__doc_add_sent(d);
    if (!s)
        return NM_ENOMEM;
    s->tok_begin = (uint32_t)b;
    s->tok_end = (uint32_t)e;
    s->start = d->toks[b].start;
    s->end = d->toks[e - 1].end;
    return 0;
}

static int sent_run(void *state, nm_doc *d, nm_err *err)
{
    const sent_state *st = state;
    size_t begin = 0;
    int rc;

    for (size_t i = 0; i < d->n_toks; i++) {
        const nm_tok *t = &d->toks[i];
        if (i > begin && ((t->flags & NM_TF_PARA_BEFORE) ||
                          ((t->flags & NM_TF_NEWLINE_BEFORE) && is_bullet(st, d, i)))) {
            if ((rc = push(d, begin, i)) < 0)
                goto fail;
            begin = i;
        }
        /* the dot of a "1." bullet marker ends nothing */
        bool term = is_terminal(d, t) && !(i > 0 && (d->toks[i - 1].flags & NM_TF_NEWLINE_BEFORE) &&
                                          is_bullet(st, d, i - 1));
        bool abbr = (t->flags & NM_TF_ABBREV) != 0;
        if (!term && !abbr)
            continue;
        size_t j = i + 1;
        while (j < d->n_toks && is_closer(d, &d->toks[j]) &&
               !(d->toks[j].flags & NM_TF_NEWLINE_BEFORE))
            j++;
        const nm_tok *nx = j < d->n_toks ? &d->toks[j] : NULL;
        bool split;
        if (!nx) {
            split = true;
        } else if (nx->flags & NM_TF_PARA_BEFORE) {
            split = true;
        } else if (term) {
            split = !lower_initial(d, nx) && !is_terminal(d, nx) &&
                    !(nx->kind == NM_TOK_PUNCT && (tok_is(d, nx, ",") || tok_is(d, nx, ";") ||
                                                   tok_is(d, nx, ":") || tok_is(d, nx, ")")));
        } else {
            /* an abbreviation that took its dot */
            size_t n = t->norm_len ? t->norm_len - 1 : 0;
            int cls = 0;
            const nm_strtab_entry *e = nm_strtab_get(&st->m->abbrev, nm__doc_norm(d, t), n);
            if (e)
                cls = e->ival;
            bool initial = n <= 4 && (t->flags & NM_TF_UPPER_INITIAL) && !e &&
                           memchr(nm__doc_norm(d, t), '.', n) == NULL;
            if (cls == NM_ABBR_TITLE || initial) {
                split = false;
            } else if (cls == NM_ABBR_MONTH && nx->kind == NM_TOK_NUMBER) {
                split = false;
            } else {
                split = (nx->flags & NM_TF_UPPER_INITIAL) &&
                        nm_strtab_get(&st->m->starters, nm__doc_norm(d, nx), nx->norm_len) != NULL;
            }
        }
        if (split) {
            if ((rc = push(d, begin, j)) < 0)
                goto fail;
            begin = j;
            i = j - 1;
        }
    }
    if ((rc = push(d, begin, d->n_toks)) < 0)
        goto fail;
    return 0;
fail:
    return nm__err_set(err, rc, "sentences: %s", nm_strerror(rc));
}

const nm_stage_type nm__stage_sentences = {
    "sentences", NM_PHASE_SEGMENT, sent_open, sent_run, sent_close,
};
