/*
 * source.c - the reader (inputs to raw records) and the record parser (a raw
 * record to text + metadata).
 *
 * Inputs: .txt files (one article each), .jsonl/.ndjson files (one record a
 * line), directories (walked recursively in byte order of names, hidden
 * entries skipped, only those two kinds of file taken), "-" for standard
 * input (JSONL).  Any of them may be gzip-compressed: everything is read
 * through zlib's gzread, which passes plain files through unchanged.
 *
 * Memory is bounded: a line is assembled in a buffer capped at the record
 * cap; a longer line is skipped to its newline and reported (NM_ELIMIT)
 * naming FILE:LINE.  A directory is listed only when the walk reaches it.
 *
 * Parsing (nm__record_parse) happens on worker threads: JSON through
 * yajl's event parser, then "text" (required; or "text_file", a path relative to the
 * record's file, for standoff gold), "id", "dct", "source"; other fields are
 * kept as a JSON object for passthrough.  A record without an id gets
 * "FILE:LINE".
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <zlib.h>

#include "source.h"


#define CHUNK (256u * 1024u)

struct nm_reader {
    nm_allocator alloc;
    nm_err err;
    size_t max;
    char **roots; /* inputs in the order given */
    size_t n_roots, cap_roots, next_root;
    char **stack; /* directory walk: next path on top */
    size_t n_stack, cap_stack;
    /* the open file */
    gzFile gz;
    char *path;
    int kind;
    long lineno;
    unsigned char *chunk;
    size_t chunk_len, chunk_pos;
    bool file_eof;
    nm_buf line;
    nm_record rec;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* @return NM_REC_JSONL, NM_REC_TEXT, or 0 for a kind we do not read. */
int nm__input_kind(const char *path, bool explicit_path)
{
    char base[4096];
    snprintf(base, sizeof(base), "%s", path);
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".gz") == 0)
        base[n - 3] = '\0';
    if (!strcmp(path, "-") || ends_with(base, ".jsonl") || ends_with(base, ".ndjson"))
        return NM_REC_JSONL;
    if (ends_with(base, ".txt"))
        return NM_REC_TEXT;
    if (ends_with(base, ".html") || ends_with(base, ".htm") || ends_with(base, ".warc"))
        return 0;
    /* a file named on the command line with no known suffix: an article */
    return explicit_path ? NM_REC_TEXT : 0;
}

int nm_reader_new(nm_reader **out, const nm_reader_opts *opts)
{
    nm_allocator al = {0};
    if (opts && opts->alloc)
        al = *opts->alloc;
    *out = NULL;
    nm_reader *rd = nm__calloc(&al, 1, sizeof(*rd));
    if (!rd)
        return NM_ENOMEM;
    rd->alloc = al;
    rd->max = opts && opts->max_record_len ? opts->max_record_len : NM_DEFAULT_MAX_TEXT;
    nm_buf_init(&rd->line, rd->max, &rd->alloc);
    *out = rd;
    return 0;
}

static void close_file(nm_reader *rd)
{
    if (rd->gz)
        gzclose(rd->gz);
    rd->gz = NULL;
    nm__free(&rd->alloc, rd->path);
    rd->path = NULL;
}

void nm_reader_free(nm_reader *rd)
{
    if (!rd)
        return;
    close_file(rd);
    for (size_t i = 0; i < rd->n_roots; i++)
        nm__free(&rd->alloc, rd->roots[i]);
    for (size_t i = 0; i < rd->n_stack; i++)
        nm__free(&rd->alloc, rd->stack[i]);
    nm__free(&rd->alloc, rd->roots);
    nm__free(&rd->alloc, rd->stack);
    nm__free(&rd->alloc, rd->chunk);
    nm_buf_free(&rd->line);
    nm_allocator al = rd->alloc;
    nm__free(&al, rd);
}

const char *nm_reader_errmsg(const nm_reader *rd) { return rd ? rd->err.msg : "out of memory"; }

static int push_str(nm_reader *rd, char ***arr, size_t *n, size_t *cap, const char *s)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        char **p = nm__realloc(&rd->alloc, *arr, c * sizeof(*p));
        if (!p)
            return NM_ENOMEM;
        *arr = p;
        *cap = c;
    }
    if (!((*arr)[*n] = nm__strndup(&rd->alloc, s, strlen(s))))
        return NM_ENOMEM;
    (*n)++;
    return 0;
}

int nm_reader_add(nm_reader *rd, const char *path)
{
    struct stat sb;
    if (strcmp(path, "-") != 0) {
        if (stat(path, &sb) != 0)
            return nm__err_set(&rd->err, NM_EIO, "%s: %s", path, strerror(errno));
        if (!S_ISDIR(sb.st_mode) && !nm__input_kind(path, true))
            return nm__err_set(&rd->err, NM_EINVAL,
                               "%s: unsupported input type (this build reads .txt, .jsonl and directories, optionally .gz)",
                               path);
    }
    if (push_str(rd, &rd->roots, &rd->n_roots, &rd->cap_roots, path) < 0)
        return nm__err_set(&rd->err, NM_ENOMEM, "out of memory");
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List DIR's entries, sorted, onto the walk stack (last name pushed first). */
static int expand_dir(nm_reader *rd, const char *dir)
{
    DIR *dh = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    if (!dh)
        return nm__err_set(&rd->err, NM_EIO, "%s: %s", dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char full[4096];
        if (snprintf(full, sizeof(full), "%s/%s", dir, de->d_name) >= (int)sizeof(full))
            continue;
        if ((rc = push_str(rd, &names, &n, &cap, full)) < 0)
            goto done;
    }
    qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = n; i-- > 0;) {
        if (rd->n_stack == rd->cap_stack) {
            size_t c = rd->cap_stack ? rd->cap_stack * 2 : 64;
            char **p = nm__realloc(&rd->alloc, rd->stack, c * sizeof(*p));
            if (!p) {
                rc = NM_ENOMEM;
                goto done;
            }
            rd->stack = p;
            rd->cap_stack = c;
        }
        rd->stack[rd->n_stack++] = names[i];
        names[i] = NULL;
    }
done:
    for (size_t i = 0; i < n; i++)
        nm__free(&rd->alloc, names[i]);
    nm__free(&rd->alloc, names);
    closedir(dh);
    if (rc == NM_ENOMEM)
        nm__err_set(&rd->err, rc, "out of memory");
    return rc;
}

/* Open the next input file.  @return 0, NM_EOF, or an error for one input
 * (the walk goes on at the next call). */
static int open_next(nm_reader *rd)
{
    for (;;) {
        char *path;
        bool is_root;
        if (rd->n_stack) {
            path = rd->stack[--rd->n_stack];
            is_root = false;
        } else if (rd->next_root < rd->n_roots) {
            const char *r = rd->roots[rd->next_root++];
            if (!(path = nm__strndup(&rd->alloc, r, strlen(r))))
                return nm__err_set(&rd->err, NM_ENOMEM, "out of memory");
            is_root = true;
        } else {
            return NM_EOF;
        }
        struct stat sb;
        int rc = 0;
        if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            rc = expand_dir(rd, path);
            nm__free(&rd->alloc, path);
            if (rc < 0)
                return rc;
            continue;
        }
        int kind = nm__input_kind(path, is_root);
        if (!kind) {
            nm__free(&rd->alloc, path);
            continue; /* a file of another kind inside a directory */
        }
        if (!strcmp(path, "-")) {
            int fd = dup(0);
            rd->gz = fd >= 0 ? gzdopen(fd, "rb") : NULL;
            if (!rd->gz && fd >= 0)
                close(fd);
        } else {
            rd->gz = gzopen(path, "rb");
        }
        nm__free(&rd->alloc, rd->path);
        rd->path = path;
        if (!rd->gz) {
            rc = nm__err_set(&rd->err, NM_EIO, "%s: %s", strcmp(path, "-") ? path : "<stdin>",
                             errno ? strerror(errno) : "cannot open");
            return rc;
        }
        gzbuffer(rd->gz, CHUNK);
        rd->kind = kind;
        rd->lineno = 0;
        rd->chunk_len = rd->chunk_pos = 0;
        rd->file_eof = false;
        return 0;
    }
}

static const char *display_name(const nm_reader *rd)
{
    return strcmp(rd->path, "-") ? rd->path : "<stdin>";
}

static int fill(nm_reader *rd)
{
    if (!rd->chunk && !(rd->chunk = nm__malloc(&rd->alloc, CHUNK)))
        return nm__err_set(&rd->err, NM_ENOMEM, "out of memory");
    int n = gzread(rd->gz, rd->chunk, CHUNK);
    if (n < 0) {
        int zerr;
        const char *msg = gzerror(rd->gz, &zerr);
        return nm__err_set(&rd->err, NM_EIO, "%s:%ld: read error: %s", display_name(rd),
                           rd->lineno + 1, zerr == Z_ERRNO ? strerror(errno) : msg);
    }
    rd->chunk_len = (size_t)n;
    rd->chunk_pos = 0;
    if (n == 0) {
        /* gzread returns 0 both at a clean end and at a truncated stream */
        int zerr;
        const char *msg = gzerror(rd->gz, &zerr);
        rd->file_eof = true;
        if (zerr != Z_OK && zerr != Z_BUF_ERROR)
            return nm__err_set(&rd->err, NM_EIO, "%s: %s", display_name(rd), msg);
        if (zerr == Z_BUF_ERROR)
            return nm__err_set(&rd->err, NM_EIO, "%s: truncated compressed input", display_name(rd));
    }
    return 0;
}

/* The next line of a JSONL file into rd->line.  @return 1 got one, 0 end of
 * file, or an error (the offending line is already skipped). */
static int next_line(nm_reader *rd)
{
    bool overflow = false;
    bool any = false;
    int rc;
    nm_buf_clear(&rd->line);
    for (;;) {
        if (rd->chunk_pos == rd->chunk_len) {
            if (rd->file_eof)
                break;
            if ((rc = fill(rd)) < 0)
                return rc;
            if (rd->chunk_len == 0)
                break;
        }
        any = true;
        unsigned char *p = rd->chunk + rd->chunk_pos;
        size_t avail = rd->chunk_len - rd->chunk_pos;
        unsigned char *nl = memchr(p, '\n', avail);
        size_t take = nl ? (size_t)(nl - p) : avail;
        if (!overflow && nm_buf_put(&rd->line, p, take) < 0)
            overflow = true;
        rd->chunk_pos += take + (nl ? 1 : 0);
        if (nl)
            break;
    }
    if (!any)
        return 0;
    rd->lineno++;
    if (overflow)
        return nm__err_set(&rd->err, NM_ELIMIT, "%s:%ld: record longer than %zu bytes (--max-record)",
                           display_name(rd), rd->lineno, rd->max);
    if (rd->line.len && rd->line.ptr[rd->line.len - 1] == '\r')
        rd->line.ptr[--rd->line.len] = '\0';
    return 1;
}

static int read_whole(nm_reader *rd)
{
    int rc;
    nm_buf_clear(&rd->line);
    rd->lineno = 1;
    for (;;) {
        if ((rc = fill(rd)) < 0)
            return rc;
        if (rd->chunk_len == 0)
            return 0;
        if (nm_buf_put(&rd->line, rd->chunk, rd->chunk_len) < 0)
            return nm__err_set(&rd->err, NM_ELIMIT, "%s: file larger than %zu bytes (--max-record)",
                               display_name(rd), rd->max);
    }
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

int nm_reader_next(nm_reader *rd, const nm_record **out)
{
    int rc;
    *out = NULL;
    nm__err_clear(&rd->err);
    for (;;) {
        if (!rd->gz) {
            rc = open_next(rd);
            if (rc == NM_EOF)
                return NM_EOF;
            if (rc < 0) {
                rd->rec.file = "";
                rd->rec.line = 0;
                rd->rec.raw = "";
                rd->rec.raw_len = 0;
                *out = &rd->rec;
                return rc;
            }
        }
        rd->rec.file = display_name(rd);
        rd->rec.kind = rd->kind;
        rd->rec.raw = "";
        rd->rec.raw_len = 0;
        if (rd->kind == NM_REC_TEXT) {
            rc = read_whole(rd);
            rd->rec.line = 1;
            if (rc == 0) {
                rd->rec.raw = rd->line.ptr ? rd->line.ptr : "";
                rd->rec.raw_len = rd->line.len;
            }
            /* the file is done either way; keep its name alive for rec */
            gzclose(rd->gz);
            rd->gz = NULL;
            *out = &rd->rec;
            return rc;
        }
        rc = next_line(rd);
        rd->rec.line = rd->lineno;
        if (rc == 0) {
            gzclose(rd->gz);
            rd->gz = NULL;
            continue;
        }
        if (rc < 0) {
            *out = &rd->rec;
            if (rc == NM_EIO) {
                /* a read error ends this file; its name stays for rec */
                gzclose(rd->gz);
                rd->gz = NULL;
            }
            return rc;
        }
        if (blank(rd->line.ptr, rd->line.len))
            continue;
        rd->rec.raw = rd->line.ptr;
        rd->rec.raw_len = rd->line.len;
        *out = &rd->rec;
        return 0;
    }
}

const char *nm_record_file(const nm_record *rec) { return rec->file; }
long nm_record_line(const nm_record *rec) { return rec->line; }
const char *nm_record_id(const nm_record *rec) { return rec->id; }
const unsigned char *nm_record_sha256(const nm_record *rec) { return rec->sha256; }
const char *nm_record_raw(const nm_record *rec, size_t *len_out)
{
    *len_out = rec->raw_len;
    return rec->raw;
}

/* --------------------------------------------------------------- parser */

/*
 * The parser is event-driven (yajl): strings arrive already unescaped, and
 * nothing is built for fields we do not keep.  Top-level keys are matched
 * as they come; any other field is re-generated into p->gen (passthrough)
 * only when asked for.  yajl was chosen over a DOM parser for speed: on
 * news JSONL it parses at ~370 MB/s where a DOM parser managed ~50.
 */

enum { F_NONE = 0, F_TEXT, F_TEXT_FILE, F_ID, F_DCT, F_SOURCE, F_SKIP, F_EXTRA };

typedef struct pctx {
    nm__parsed *p;
    int depth;
    int field;   /* F_* of the current top-level value */
    bool have_text, have_text_file, have_dct;
    const char *bad; /* a message when a callback stops the parse */
    nm_err *err;
} pctx;

static void *ya_malloc(void *ctx, size_t n) { return nm__malloc(ctx, n); }
static void *ya_realloc(void *ctx, void *ptr, size_t n) { return nm__realloc(ctx, ptr, n); }
static void ya_free(void *ctx, void *ptr) { nm__free(ctx, ptr); }

static bool gen_on(const pctx *c) { return c->field == F_EXTRA && c->p->gen; }

/* A scalar value at the top level ends that field. */
static void end_value(pctx *c)
{
    if (c->depth == 1)
        c->field = F_NONE;
}

static int set_buf(pctx *c, nm_buf *b, const unsigned char *s, size_t n, const char *what)
{
    nm_buf_clear(b);
    if (nm_buf_put(b, s, n) < 0) {
        c->bad = what;
        return 0;
    }
    return 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    pctx *c = ctx;
    nm__parsed *p = c->p;
    int ok = 1;
    if (c->depth == 0) {
        c->bad = "a record must be a JSON object";
        return 0;
    }
    if (c->depth == 1) {
        switch (c->field) {
        case F_TEXT:
            ok = set_buf(c, &p->text_buf, s, n, "\"text\" is over the record cap (--max-record)");
            c->have_text = true;
            break;
        case F_TEXT_FILE:
            ok = set_buf(c, &p->path_buf, s, n, "\"text_file\" is too long");
            c->have_text_file = true;
            break;
        case F_ID:
            ok = set_buf(c, &p->id_buf, s, n, "\"id\" is too long");
            p->has_id = true;
            break;
        case F_DCT:
            ok = set_buf(c, &p->dct_buf, s, n, "\"dct\" is too long");
            c->have_dct = true;
            break;
        case F_SOURCE:
            ok = set_buf(c, &p->source_buf, s, n, "\"source\" is too long");
            p->has_source = true;
            break;
        default:
            break;
        }
    }
    if (ok && gen_on(c) && yajl_gen_string(p->gen, s, n) != yajl_gen_status_ok) {
        c->bad = "passthrough fields too large";
        ok = 0;
    }
    end_value(c);
    return ok;
}

static int wrong_type(pctx *c)
{
    if (c->depth == 0) {
        c->bad = "a record must be a JSON object";
        return 0;
    }
    if (c->depth == 1) {
        switch (c->field) {
        case F_TEXT: c->bad = "\"text\" must be a string"; return 0;
        case F_TEXT_FILE: c->bad = "\"text_file\" must be a string"; return 0;
        case F_ID: c->bad = "\"id\" must be a string or an integer"; return 0;
        case F_DCT: c->bad = "\"dct\" must be a YYYY-MM-DD date"; return 0;
        default: break;
        }
    }
    return 1;
}

static int cb_null(void *ctx)
{
    pctx *c = ctx;
    if (c->depth == 1 && (c->field == F_DCT || c->field == F_SOURCE || c->field == F_ID)) {
        end_value(c); /* "dct": null is no dct */
        return 1;
    }
    if (!wrong_type(c))
        return 0;
    int ok = !gen_on(c) || yajl_gen_null(c->p->gen) == yajl_gen_status_ok;
    end_value(c);
    return ok;
}

static int cb_bool(void *ctx, int v)
{
    pctx *c = ctx;
    if (!wrong_type(c))
        return 0;
    int ok = !gen_on(c) || yajl_gen_bool(c->p->gen, v) == yajl_gen_status_ok;
    end_value(c);
    return ok;
}

static int cb_number(void *ctx, const char *s, size_t n)
{
    pctx *c = ctx;
    if (c->depth == 1 && c->field == F_ID) {
        bool integer = n > 0;
        for (size_t i = 0; i < n; i++)
            integer &= (s[i] >= '0' && s[i] <= '9') || (i == 0 && s[i] == '-');
        if (!integer)
            return wrong_type(c);
        c->p->has_id = true;
        end_value(c);
        return set_buf(c, &c->p->id_buf, (const unsigned char *)s, n, "\"id\" is too long");
    }
    if (!wrong_type(c))
        return 0;
    int ok = !gen_on(c) || yajl_gen_number(c->p->gen, s, n) == yajl_gen_status_ok;
    end_value(c);
    return ok;
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t n)
{
    pctx *c = ctx;
    if (c->depth == 1) {
#define KEY(k) (n == sizeof(k) - 1 && memcmp(s, k, n) == 0)
        c->field = KEY("text") ? F_TEXT : KEY("text_file") ? F_TEXT_FILE : KEY("id") ? F_ID
                 : KEY("dct") ? F_DCT : KEY("source") ? F_SOURCE : KEY("spans") ? F_SKIP
                 : F_EXTRA;
#undef KEY
        if (c->field == F_EXTRA && c->p->gen &&
            yajl_gen_string(c->p->gen, s, n) != yajl_gen_status_ok) {
            c->bad = "passthrough fields too large";
            return 0;
        }
        return 1;
    }
    return !gen_on(c) || yajl_gen_string(c->p->gen, s, n) == yajl_gen_status_ok;
}

static int cb_start_map(void *ctx)
{
    pctx *c = ctx;
    if (c->depth >= 1 && !wrong_type(c))
        return 0;
    c->depth++;
    if (c->depth > 64) {
        c->bad = "JSON nested more than 64 levels deep";
        return 0;
    }
    return c->depth == 1 || !gen_on(c) || yajl_gen_map_open(c->p->gen) == yajl_gen_status_ok;
}

static int cb_end_map(void *ctx)
{
    pctx *c = ctx;
    c->depth--;
    int ok = c->depth == 0 || !gen_on(c) || yajl_gen_map_close(c->p->gen) == yajl_gen_status_ok;
    end_value(c);
    return ok;
}

static int cb_start_array(void *ctx)
{
    pctx *c = ctx;
    if (!wrong_type(c))
        return 0;
    c->depth++;
    if (c->depth > 64) {
        c->bad = "JSON nested more than 64 levels deep";
        return 0;
    }
    return !gen_on(c) || yajl_gen_array_open(c->p->gen) == yajl_gen_status_ok;
}

static int cb_end_array(void *ctx)
{
    pctx *c = ctx;
    c->depth--;
    int ok = !gen_on(c) || yajl_gen_array_close(c->p->gen) == yajl_gen_status_ok;
    end_value(c);
    return ok;
}

static const yajl_callbacks callbacks = {
    cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
    cb_start_map, cb_map_key, cb_end_map, cb_start_array, cb_end_array,
};

void nm__parsed_init(nm__parsed *p, size_t max, const nm_allocator *a)
{
    memset(p, 0, sizeof(*p));
    p->alloc = a;
    p->max = max;
    nm_buf_init(&p->text_buf, max, a);
    nm_buf_init(&p->id_buf, 4096, a);
    nm_buf_init(&p->dct_buf, 64, a);
    nm_buf_init(&p->source_buf, 4096, a);
    nm_buf_init(&p->path_buf, 4096, a);
}

void nm__parsed_free(nm__parsed *p)
{
    nm_buf_free(&p->text_buf);
    nm_buf_free(&p->id_buf);
    nm_buf_free(&p->dct_buf);
    nm_buf_free(&p->source_buf);
    nm_buf_free(&p->path_buf);
    if (p->gen)
        yajl_gen_free(p->gen);
    p->gen = NULL;
}

static int read_text_file(const nm_record *rec, nm__parsed *p, nm_err *err)
{
    char path[4096];
    const char *rel = p->path_buf.ptr;
    if (rel[0] == '/') {
        snprintf(path, sizeof(path), "%s", rel);
    } else {
        const char *slash = strrchr(rec->file, '/');
        if (slash)
            snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - rec->file), rec->file, rel);
        else
            snprintf(path, sizeof(path), "%s", rel);
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return nm__err_set(err, NM_EIO, "text_file \"%s\": %s", path, strerror(errno));
    char tmp[65536];
    size_t n;
    int rc = 0;
    nm_buf_clear(&p->text_buf);
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
        if ((rc = nm_buf_put(&p->text_buf, tmp, n)) < 0) {
            nm__err_set(err, rc, "text_file \"%s\": larger than %zu bytes", path, p->max);
            break;
        }
    }
    if (!rc && ferror(f))
        rc = nm__err_set(err, NM_EIO, "text_file \"%s\": read error", path);
    fclose(f);
    return rc;
}

/* Does the line hold a \u escape?  memchr for the backslash is much
 * faster than a general substring search, and most lines have none. */
static bool has_u_escape(const char *s, size_t n)
{
    const char *end = s + n;
    while (s < end) {
        const char *b = memchr(s, '\\', (size_t)(end - s));
        if (!b || b + 1 >= end)
            return false;
        if (b[1] == 'u')
            return true;
        s = b + 2; /* skip the escaped character, whatever it is */
    }
    return false;
}

int nm__record_parse(const nm_record *rec, nm__parsed *p, unsigned flags, nm_err *err)
{
    yajl_handle h = NULL;
    int rc = 0;

    p->has_id = p->has_source = p->utf8_checked = false;
    p->dct = NULL;
    p->extra = NULL;
    p->extra_len = 0;
    nm_buf_clear(&p->id_buf);
    if (rec->kind == NM_REC_TEXT) {
        p->text = rec->raw;
        p->text_len = rec->raw_len;
        p->has_id = true;
        return nm_buf_puts(&p->id_buf, rec->file) < 0
                   ? nm__err_set(err, NM_ELIMIT, "file name too long") : 0;
    }
    size_t bad = nm__utf8_check(rec->raw, rec->raw_len);
    if (bad != rec->raw_len)
        return nm__err_set(err, NM_EUTF8, "invalid UTF-8 at byte %zu of the line", bad + 1);

    if (flags & NM_PIPE_PASSTHROUGH) {
        if (!p->gen) {
            yajl_alloc_funcs af = {ya_malloc, ya_realloc, ya_free, (void *)p->alloc};
            if (!(p->gen = yajl_gen_alloc(&af)))
                return nm__err_set(err, NM_ENOMEM, "out of memory");
        } else {
            yajl_gen_clear(p->gen);
            yajl_gen_reset(p->gen, NULL);
        }
        yajl_gen_map_open(p->gen);
    }
    pctx c = {p, 0, F_NONE, false, false, false, NULL, err};
    yajl_alloc_funcs af = {ya_malloc, ya_realloc, ya_free, (void *)p->alloc};
    if (!(h = yajl_alloc(&callbacks, &af, &c))) {
        rc = nm__err_set(err, NM_ENOMEM, "out of memory");
        goto done;
    }
    /* the whole line was checked above */
    yajl_config(h, yajl_dont_validate_strings, 1);
    yajl_status st = yajl_parse(h, (const unsigned char *)rec->raw, rec->raw_len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st != yajl_status_ok) {
        if (c.bad) {
            rc = nm__err_set(err, NM_EPARSE, "%s", c.bad);
        } else {
            unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
            size_t at = yajl_get_bytes_consumed(h);
            size_t ml = msg ? strlen((const char *)msg) : 0;
            while (ml && (msg[ml - 1] == '\n' || msg[ml - 1] == ' ' || msg[ml - 1] == '.'))
                msg[--ml] = '\0';
            rc = nm__err_set(err, NM_EPARSE, "invalid JSON at byte %zu: %s", at,
                             msg ? (const char *)msg : "parse error");
            if (msg)
                yajl_free_error(h, msg);
        }
        goto done;
    }
    if (c.have_text) {
        p->text = p->text_buf.ptr ? p->text_buf.ptr : "";
        p->text_len = p->text_buf.len;
        p->utf8_checked = true;
    } else if (c.have_text_file) {
        if ((rc = read_text_file(rec, p, err)) < 0)
            goto done;
        p->text = p->text_buf.ptr ? p->text_buf.ptr : "";
        p->text_len = p->text_buf.len;
    } else {
        rc = nm__err_set(err, NM_EPARSE, "missing \"text\"");
        goto done;
    }
    /* the line was valid UTF-8, but a \u escape can still decode to a lone
     * surrogate: where there are escapes, check what came out of them */
    if (has_u_escape(rec->raw, rec->raw_len) &&
        (nm__utf8_check(p->text, p->text_len) != p->text_len ||
        (p->has_id && nm__utf8_check(p->id_buf.ptr, p->id_buf.len) != p->id_buf.len) ||
         (p->has_source && nm__utf8_check(p->source_buf.ptr, p->source_buf.len) != p->source_buf.len))) {
        rc = nm__err_set(err, NM_EUTF8, "a \\u escape decodes to invalid UTF-8 (a lone surrogate?)");
        goto done;
    }
    if (p->has_id && p->id_buf.len == 0)
        p->has_id = false; /* "id":"" is no id */
    if (!p->has_id) {
        nm_buf_clear(&p->id_buf);
        if (nm_buf_printf(&p->id_buf, "%s:%ld", rec->file, rec->line) < 0) {
            rc = nm__err_set(err, NM_ELIMIT, "file name too long");
            goto done;
        }
    }
    if (c.have_dct) {
        const char *s = p->dct_buf.ptr;
        /* "2025-01-21" or an ISO timestamp starting with one */
        if (p->dct_buf.len < 10 || (s[10] && s[10] != 'T' && s[10] != ' ')) {
            rc = nm__err_set(err, NM_EPARSE, "\"dct\" must be a YYYY-MM-DD date");
            goto done;
        }
        p->dct_buf.ptr[10] = '\0';
        p->dct_buf.len = 10;
        if (!nm__date_valid(p->dct_buf.ptr)) {
            rc = nm__err_set(err, NM_EPARSE, "\"dct\" \"%s\" is not a valid date", p->dct_buf.ptr);
            goto done;
        }
        p->dct = p->dct_buf.ptr;
    }
    if (p->gen) {
        const unsigned char *buf;
        size_t len;
        yajl_gen_map_close(p->gen);
        if (yajl_gen_get_buf(p->gen, &buf, &len) == yajl_gen_status_ok) {
            p->extra = (const char *)buf;
            p->extra_len = len;
        }
    }
done:
    if (h)
        yajl_free(h);
    return rc;
}

const char *nm__parsed_id(const nm__parsed *p) { return p->id_buf.ptr ? p->id_buf.ptr : ""; }
const char *nm__parsed_source(const nm__parsed *p)
{
    return p->has_source && p->source_buf.ptr ? p->source_buf.ptr : NULL;
}
