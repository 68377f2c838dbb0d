/*
 * base.c - errors, allocation hooks, capped buffers, UTF-8 validation and
 * date checks: the small things every module needs.
 *
 * Invariants: an nm_buf never grows past its max (NM_ELIMIT instead) and is
 * always NUL-terminated once it has memory; every allocation goes through
 * the nm_allocator it was given (NULL: the C library's).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>
#include <sys/mman.h>

#include "core.h"

enum { HUGE_PAGE = 2 << 20 };

const char *nm_strerror(int code)
{
    switch (code) {
    case NM_OK: return "success";
    case NM_ENOMEM: return "out of memory";
    case NM_EINVAL: return "invalid argument";
    case NM_EIO: return "input/output error";
    case NM_EPARSE: return "parse error";
    case NM_EUTF8: return "invalid UTF-8";
    case NM_ELIMIT: return "size limit exceeded";
    case NM_EREJECT: return "record rejected";
    case NM_EOF: return "end of input";
    case NM_EDB: return "database error";
    default: return "unknown error";
    }
}

const char *nm_version(void) { return NM_VERSION; }

bool nm_utf8_valid(const char *s, size_t n) { return nm__utf8_check(s, n) == n; }

int nm__err_set(nm_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void nm__err_clear(nm_err *err)
{
    err->code = 0;
    err->msg[0] = '\0';
}

/* ----------------------------------------------------------- allocation */

void *nm__malloc(const nm_allocator *a, size_t size)
{
    if (a && a->malloc_fn)
        return a->malloc_fn(size ? size : 1, a->payload);
    return malloc(size ? size : 1);
}

void *nm__calloc(const nm_allocator *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = nm__malloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *nm__alloc_huge(const nm_allocator *a, size_t size)
{
    void *p = nm__malloc(a, size);
    if (!p)
        return NULL;
#ifdef MADV_HUGEPAGE
    /* before the first touch: the pages are then faulted in huge where
     * the 2 MiB-aligned part of the block allows; advice only, so its
     * failure is not an error */
    uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t hi = ((uintptr_t)p + size) & ~(uintptr_t)(HUGE_PAGE - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
    memset(p, 0, size);
    return p;
}

void *nm__realloc(const nm_allocator *a, void *ptr, size_t size)
{
    if (a && a->realloc_fn)
        return a->realloc_fn(ptr, size ? size : 1, a->payload);
    return realloc(ptr, size ? size : 1);
}

int nm__grow(const nm_allocator *a, void **arr, size_t *cap, size_t want, size_t elem)
{
    if (want <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 256;
    while (c < want)
        c *= 2;
    void *p = nm__realloc(a, *arr, c * elem);
    if (!p)
        return NM_ENOMEM;
    *arr = p;
    *cap = c;
    return 0;
}

void nm__free(const nm_allocator *a, void *ptr)
{
    if (!ptr)
        return;
    if (a && a->free_fn)
        a->free_fn(ptr, a->payload);
    else
        free(ptr);
}

char *nm__strndup(const nm_allocator *a, const char *s, size_t len)
{
    char *p = nm__malloc(a, len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

/* ------------------------------------------------------- capped buffers */

void nm_buf_init(nm_buf *b, size_t max, const nm_allocator *a)
{
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->max = max;
    b->alloc = a;
}

void nm_buf_free(nm_buf *b)
{
    nm__free(b->alloc, b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

int nm_buf_grow(nm_buf *b, size_t n)
{
    if (n > b->max || b->len > b->max - n)
        return NM_ELIMIT;
    size_t need = b->len + n + 1; /* + NUL */
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = nm__realloc(b->alloc, b->ptr, cap);
    if (!p)
        return NM_ENOMEM;
    b->ptr = p;
    b->cap = cap;
    return 0;
}

int nm__buf_put_slow(nm_buf *b, const void *data, size_t n)
{
    int rc = nm_buf_grow(b, n);
    if (rc < 0)
        return rc;
    if (n)
        memcpy(b->ptr + b->len, data, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return 0;
}



int nm_buf_printf(nm_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return NM_EINVAL;
    if ((size_t)n < sizeof(small))
        return nm_buf_put(b, small, (size_t)n);
    int rc = nm_buf_grow(b, (size_t)n);
    if (rc < 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int nm_buf_put_uint(nm_buf *b, uint64_t v)
{
    char digits[24];
    int k = 0;
    do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    int rc = nm_buf_grow(b, (size_t)k);
    if (rc < 0)
        return rc;
    while (k)
        b->ptr[b->len++] = digits[--k];
    b->ptr[b->len] = '\0';
    return 0;
}

int nm_buf_put_json_str(nm_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* worst case every byte becomes \u00XX */
    if (n > (b->max / 6))
        return NM_ELIMIT;
    int rc = nm_buf_grow(b, n * 6 + 2);
    if (rc < 0)
        return rc;
    char *o = b->ptr + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u'; *o++ = '0'; *o++ = '0';
            *o++ = hex[c >> 4]; *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->ptr);
    b->ptr[b->len] = '\0';
    return 0;
}

/* ---------------------------------------------------------------- utf-8 */

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF.  The ASCII run is skipped eight bytes at a time.
 */
size_t nm__utf8_check(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        if (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) n = 2;
        else if (c == 0xE0) { n = 3; lo = 0xA0; }
        else if (c >= 0xE1 && c <= 0xEC) n = 3;
        else if (c == 0xED) { n = 3; hi = 0x9F; }
        else if (c >= 0xEE && c <= 0xEF) n = 3;
        else if (c == 0xF0) { n = 4; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) n = 4;
        else if (c == 0xF4) { n = 4; hi = 0x8F; }
        else return i;
        if (i + n > len)
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k < n; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return i;
        i += n;
    }
    return len;
}

bool nm__date_valid(const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int mo = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
        return false;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return false;
    return true;
}
