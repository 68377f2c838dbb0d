/*
 * model.c - loads a models/ folder into a read-only nm_model.
 *
 * DIR/MANIFEST.tsv names every model file and its kind:
 *
 *     #newsmine manifest v1
 *     text/abbreviations.tsv<TAB>abbreviations<TAB>what it is for
 *
 * Each model file opens with its own version line, "#newsmine KIND v1", so a
 * file put in the wrong slot or written for another version is caught at
 * load time.  Data lines are TAB-separated; '#' starts a comment line.  A bad
 * line is an error naming "DIR/FILE:LINE: reason".  Every kind the code
 * needs must be listed; a kind the code does not know is an error too, so a
 * typo in the manifest cannot silently disable a list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "../match/clauses.h"
#include "../match/entities.h"
#include "../match/rules.h"

#define MAX_LINE 65536
#define MAX_FIELDS 16

/* Read one line into BUF (capped); @return length, -1 at EOF, -2 if long. */
static long read_line(FILE *f, char *buf, size_t cap)
{
    size_t n = 0;
    int c;
    bool any = false;
    while ((c = getc(f)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (n + 1 >= cap) {
            while ((c = getc(f)) != EOF && c != '\n')
                ;
            return -2;
        }
        buf[n++] = (char)c;
    }
    if (!any)
        return -1;
    if (n && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    return (long)n;
}

int nm__model_read_tsv(nm_model *m, const char *rel_path, const char *format,
                       int min_fields, nm_model_line_fn fn, void *payload)
{
    char path[4096], want[128];
    char *line = NULL;
    FILE *f = NULL;
    int rc = 0;
    long lineno = 0;

    if (snprintf(path, sizeof(path), "%s/%s", m->dir, rel_path) >= (int)sizeof(path))
        return nm__err_set(&m->err, NM_EINVAL, "%s/%s: path too long", m->dir, rel_path);
    snprintf(want, sizeof(want), "#newsmine %s v1", format);
    if (!(line = nm__malloc(&m->alloc, MAX_LINE))) {
        rc = nm__err_set(&m->err, NM_ENOMEM, "out of memory");
        goto done;
    }
    if (!(f = fopen(path, "rb"))) {
        rc = nm__err_set(&m->err, NM_EIO, "%s: %s", path, strerror(errno));
        goto done;
    }
    for (;;) {
        long n = read_line(f, line, MAX_LINE);
        if (n == -1)
            break;
        lineno++;
        if (n == -2) {
            rc = nm__err_set(&m->err, NM_EPARSE, "%s:%ld: line longer than %d bytes",
                             path, lineno, MAX_LINE);
            goto done;
        }
        if (lineno == 1) {
            if (strcmp(line, want) != 0) {
                rc = nm__err_set(&m->err, NM_EPARSE,
                                 "%s:1: expected version line \"%s\"", path, want);
                goto done;
            }
            continue;
        }
        if (n == 0 || line[0] == '#')
            continue;
        if (nm__utf8_check(line, (size_t)n) != (size_t)n) {
            rc = nm__err_set(&m->err, NM_EUTF8, "%s:%ld: invalid UTF-8", path, lineno);
            goto done;
        }
        char *fields[MAX_FIELDS];
        int nf = 0;
        for (char *p = line;;) {
            char *tab = strchr(p, '\t');
            if (nf == MAX_FIELDS) {
                rc = nm__err_set(&m->err, NM_EPARSE, "%s:%ld: more than %d fields",
                                 path, lineno, MAX_FIELDS);
                goto done;
            }
            fields[nf++] = p;
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        if (nf < min_fields || fields[0][0] == '\0') {
            rc = nm__err_set(&m->err, NM_EPARSE, "%s:%ld: expected %d TAB-separated fields",
                             path, lineno, min_fields);
            goto done;
        }
        if ((rc = fn(m, path, lineno, fields, nf, payload)) < 0)
            goto done;
    }
    if (ferror(f))
        rc = nm__err_set(&m->err, NM_EIO, "%s: read error", path);
    else if (lineno == 0)
        rc = nm__err_set(&m->err, NM_EPARSE, "%s: empty file (no version line)", path);
done:
    if (f)
        fclose(f);
    nm__free(&m->alloc, line);
    return rc;
}

/* ------------------------------------------------------- list handlers */

static int put_word(nm_model *m, const char *path, long lineno, nm_strtab *t,
                    const char *w, int ival, const char *val)
{
    int rc = nm_strtab_put(t, w, strlen(w), ival, val, val ? strlen(val) : 0);
    if (rc < 0)
        return nm__err_set(&m->err, rc, "%s:%ld: %s", path, lineno, nm_strerror(rc));
    return 0;
}

static int on_word(nm_model *m, const char *path, long lineno, char **f,
                   int nf, void *payload)
{
    (void)nf;
    return put_word(m, path, lineno, payload, f[0], 1, NULL);
}

static int on_abbrev(nm_model *m, const char *path, long lineno, char **f,
                     int nf, void *payload)
{
    (void)nf;
    (void)payload;
    int cls;
    if (!strcmp(f[1], "title"))
        cls = NM_ABBR_TITLE;
    else if (!strcmp(f[1], "general"))
        cls = NM_ABBR_GENERAL;
    else if (!strcmp(f[1], "month") || !strcmp(f[1], "number"))
        cls = NM_ABBR_MONTH; /* Jan. 5, No. 2: no boundary before a number */
    else
        return nm__err_set(&m->err, NM_EPARSE,
                           "%s:%ld: class must be title, general, month or number, not \"%s\"",
                           path, lineno, f[1]);
    size_t n = strlen(f[0]);
    if (n && f[0][n - 1] == '.')
        return nm__err_set(&m->err, NM_EPARSE,
                           "%s:%ld: write the abbreviation without its final dot",
                           path, lineno);
    /* keys are lower case: the tokenizer looks up the folded form */
    char low[256];
    if (n >= sizeof(low))
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: abbreviation too long", path, lineno);
    for (size_t i = 0; i <= n; i++)
        low[i] = (f[0][i] >= 'A' && f[0][i] <= 'Z') ? (char)(f[0][i] + 32) : f[0][i];
    return put_word(m, path, lineno, &m->abbrev, low, cls, NULL);
}

/* "U+2019" -> UTF-8 bytes; @return length or -1. */
static int parse_cp(const char *s, char out[5])
{
    if (s[0] != 'U' || s[1] != '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long cp = strtoul(s + 2, &end, 16);
    if (errno || *end || end == s + 2 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    int n;
    if (cp < 0x80) { out[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    out[n] = '\0';
    return n;
}

static int on_fold(nm_model *m, const char *path, long lineno, char **f,
                   int nf, void *payload)
{
    (void)nf;
    (void)payload;
    char from[5];
    int n = parse_cp(f[0], from);
    if (n < 0)
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: expected a code point like U+2019, not \"%s\"",
                           path, lineno, f[0]);
    int rc = nm_strtab_put(&m->fold, from, (size_t)n, 1, f[1], strlen(f[1]));
    if (rc < 0)
        return nm__err_set(&m->err, rc, "%s:%ld: %s", path, lineno, nm_strerror(rc));
    return 0;
}

static int on_bullet(nm_model *m, const char *path, long lineno, char **f,
                     int nf, void *payload)
{
    (void)nf;
    (void)payload;
    char cp[5];
    int n = parse_cp(f[0], cp);
    if (n < 0)
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: expected a code point like U+2022, not \"%s\"",
                           path, lineno, f[0]);
    return put_word(m, path, lineno, &m->bullets, cp, 1, NULL);
}

/* ------------------------------------------------------------- manifest */

typedef struct kind_def {
    const char *kind;
    int min_fields;
    nm_model_line_fn fn;
    size_t table_off; /* offset of the nm_strtab in nm_model */
} kind_def;

#define TABLE(f) offsetof(nm_model, f)
static const kind_def kinds[] = {
    {"abbreviations", 2, on_abbrev, TABLE(abbrev)},
    {"sentence-starters", 1, on_word, TABLE(starters)},
    {"number-suffixes", 1, on_word, TABLE(num_suffixes)},
    {"glued-keep", 1, on_word, TABLE(glued_keep)},
    {"fold", 2, on_fold, TABLE(fold)},
    {"bullets", 1, on_bullet, TABLE(bullets)},
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

typedef struct manifest_state {
    bool seen[N_KINDS];
} manifest_state;

/* ------------------------------------------------------- named tables */

const nm_strtab *nm__model_table(const nm_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_tables; i++)
        if (!strcmp(m->tables[i].name, name))
            return &m->tables[i].t;
    return NULL;
}

static int on_table_line(nm_model *m, const char *path, long lineno, char **f, int nf,
                         void *payload)
{
    (void)nf;
    nm_strtab *t = payload;
    for (const char *p = f[0]; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: keys are lower case: \"%s\"", path,
                               lineno, f[0]);
    return put_word(m, path, lineno, t, f[0], 1, f[1]);
}

/* A "table" file: its name is the file's base name. */
static int load_table(nm_model *m, const char *mpath, long mline, const char *rel)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    size_t n = strcspn(base, ".");
    if (n == 0 || n >= sizeof(m->tables[0].name))
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: bad table file name \"%s\"", mpath, mline, rel);
    for (size_t i = 0; i < m->n_tables; i++)
        if (strlen(m->tables[i].name) == n && !strncmp(m->tables[i].name, base, n))
            return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: a table named \"%.*s\" is listed twice",
                               mpath, mline, (int)n, base);
    nm_table *p = nm__realloc(&m->alloc, m->tables, (m->n_tables + 1) * sizeof(*p));
    if (!p)
        return nm__err_set(&m->err, NM_ENOMEM, "out of memory");
    m->tables = p;
    nm_table *t = &m->tables[m->n_tables];
    memset(t, 0, sizeof(*t));
    memcpy(t->name, base, n);
    if (nm_strtab_init(&t->t, 64, &m->alloc) < 0)
        return nm__err_set(&m->err, NM_ENOMEM, "out of memory");
    m->n_tables++;
    return nm__model_read_tsv(m, rel, "table", 2, on_table_line, &t->t);
}

static int on_rule_line(nm_model *m, const char *path, long lineno, char **f, int nf, void *payload)
{
    int rc = nm__rules_add(payload, path, lineno, f, nf, &m->alloc);
    return rc < 0 ? nm__err_set(&m->err, rc, "%s:%ld: %s", path, lineno, nm_strerror(rc)) : 0;
}

/* Rule files: read now, compiled when every table is in. */
static int load_rules(nm_model *m, const char *mpath, long mline, const char *rel,
                      const char *kind, struct nm_rule_set **slot, int n_fields, int pattern_field,
                      int trigger_field, int reach_field)
{
    if (*slot)
        return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: kind \"%s\" listed twice", mpath, mline, kind);
    if (!(*slot = nm__calloc(&m->alloc, 1, sizeof(**slot))) ||
        nm__rules_init(*slot, pattern_field, trigger_field, reach_field, &m->alloc) < 0)
        return nm__err_set(&m->err, NM_ENOMEM, "out of memory");
    return nm__model_read_tsv(m, rel, kind, n_fields, on_rule_line, *slot);
}

static int load_entry(nm_model *m, const char *path, long lineno, char **f, int nf, void *payload)
{
    (void)nf;
    manifest_state *st = payload;
    if (!strcmp(f[1], "table"))
        return load_table(m, path, lineno, f[0]);
    if (!strcmp(f[1], "temporal-rules"))
        return load_rules(m, path, lineno, f[0], f[1], &m->temporal, 7, 6, 4, 5);
    if (!strcmp(f[1], "entity-lists"))
        return nm__gz_load(m, path, lineno, f[0]);
    if (!strcmp(f[1], "clause-triggers") || !strcmp(f[1], "clause-cues"))
        return nm__clauses_load(m, path, lineno, f[0], !strcmp(f[1], "clause-cues"));
    if (!strcmp(f[1], "ner-weights"))
        return nm__ner_load(m, path, lineno, f[0]);
    if (!strcmp(f[1], "temporal-vetoes"))
        return load_rules(m, path, lineno, f[0], f[1], &m->temporal_vetoes, 4, 3, 1, 2);
    for (size_t i = 0; i < N_KINDS; i++) {
        if (strcmp(kinds[i].kind, f[1]) != 0)
            continue;
        if (st->seen[i])
            return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: kind \"%s\" listed twice",
                               path, lineno, f[1]);
        st->seen[i] = true;
        nm_strtab *t = (nm_strtab *)((char *)m + kinds[i].table_off);
        if (!t->arena.ptr)
            nm_buf_grow(&t->arena, 0); /* so a listed-but-empty table is "seen" */
        return nm__model_read_tsv(m, f[0], kinds[i].kind, kinds[i].min_fields,
                                  kinds[i].fn, t);
    }
    return nm__err_set(&m->err, NM_EPARSE, "%s:%ld: unknown model kind \"%s\"",
                       path, lineno, f[1]);
}

/* A manifest line: its file loaded, then its digest kept (nm_model_digest). */
static int on_manifest(nm_model *m, const char *path, long lineno, char **f, int nf, void *payload)
{
    int rc = load_entry(m, path, lineno, f, nf, payload);
    if (rc < 0)
        return rc;
    struct nm_model_file *fs = nm__realloc(&m->alloc, m->files, (m->n_files + 1) * sizeof(*fs));
    if (!fs)
        return nm__err_set(&m->err, NM_ENOMEM, "out of memory");
    m->files = fs;
    struct nm_model_file *mf = &fs[m->n_files];
    snprintf(mf->kind, sizeof(mf->kind), "%s", f[1]);
    char full[4096];
    snprintf(full, sizeof(full), "%s/%s", m->dir, f[0]);
    if (nm__sha256_file(full, mf->hex) < 0)
        return nm__err_set(&m->err, NM_EIO, "%s:%ld: %s: %s", path, lineno, f[0], strerror(errno));
    m->n_files++;
    return 0;
}

int nm_model_load(nm_model **out, const char *dir, const nm_model_opts *opts)
{
    int rc = 0;
    nm_allocator al = {0};
    if (opts && opts->alloc)
        al = *opts->alloc;
    *out = NULL;
    if (!dir)
        return NM_EINVAL;
    nm_model *m = nm__calloc(&al, 1, sizeof(*m));
    if (!m)
        return NM_ENOMEM;
    m->alloc = al;
    m->no_tagger = opts && (opts->flags & NM_MODEL_NO_TAGGER);
    *out = m;
    if (!(m->dir = nm__strndup(&m->alloc, dir, strlen(dir)))) {
        rc = nm__err_set(&m->err, NM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < N_KINDS; i++) {
        nm_strtab *t = (nm_strtab *)((char *)m + kinds[i].table_off);
        if ((rc = nm_strtab_init(t, 64, &m->alloc)) < 0) {
            nm__err_set(&m->err, rc, "out of memory");
            goto done;
        }
    }
    manifest_state st = {{false}};
    if ((rc = nm__model_read_tsv(m, "MANIFEST.tsv", "manifest", 2, on_manifest, &st)) < 0)
        goto done;
    for (size_t i = 0; i < N_KINDS; i++) {
        if (!st.seen[i]) {
            rc = nm__err_set(&m->err, NM_EPARSE, "%s/MANIFEST.tsv: no file of kind \"%s\"",
                             dir, kinds[i].kind);
            goto done;
        }
    }
    if ((rc = nm__temporal_compile(m)) < 0)
        goto done;
    if ((rc = nm__gz_build(m)) < 0)
        goto done;
    if ((rc = nm__clauses_build(m)) < 0)
        goto done;
    /* one digest over every file's path order and digest */
    {
        nm_buf all;
        nm_buf_init(&all, (size_t)1 << 20, &m->alloc);
        for (size_t i = 0; i < m->n_files && rc == 0; i++)
            rc = nm_buf_put(&all, m->files[i].hex, 64);
        unsigned char h[32];
        if (rc == 0) {
            nm__sha256(all.ptr ? all.ptr : "", all.len, h);
            nm__hex(h, 32, m->digest);
        } else {
            nm__err_set(&m->err, rc, "out of memory");
        }
        nm_buf_free(&all);
    }
done:
    return rc;
}

const char *nm_model_digest(const nm_model *m, const char *kind)
{
    if (!m || !m->digest[0])
        return NULL;
    if (!kind)
        return m->digest;
    for (size_t i = 0; i < m->n_files; i++)
        if (!strcmp(m->files[i].kind, kind))
            return m->files[i].hex;
    return NULL;
}

const char *nm_model_errmsg(const nm_model *m)
{
    return m ? m->err.msg : "out of memory";
}

void nm_model_free(nm_model *m)
{
    if (!m)
        return;
    nm_allocator al = m->alloc;
    for (size_t i = 0; i < N_KINDS; i++)
        nm_strtab_free((nm_strtab *)((char *)m + kinds[i].table_off));
    nm__temporal_free_model(m);
    nm__gz_free(m);
    nm__ner_free(m);
    nm__clauses_free(m);
    for (size_t i = 0; i < m->n_tables; i++)
        nm_strtab_free(&m->tables[i].t);
    nm__free(&al, m->tables);
    nm__free(&al, m->files);
    nm__free(&al, m->dir);
    nm__free(&al, m);
}
