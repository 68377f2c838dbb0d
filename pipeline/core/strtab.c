/*
 * strtab.c - open-addressing hash table from byte strings to an int and a
 * string, with keys and values in one arena.
 *
 * Linear probing, power-of-two size, load factor kept under 1/2.  Entries
 * hold arena offsets, not pointers, so growing the arena moves nothing that
 * a caller holds beyond the next put.  The hash (nm_hash, in core.h) reads
 * 8 bytes at a time: short keys (words) take one or two rounds.
 */
#include <string.h>

#include "core.h"

#define EMPTY UINT32_MAX

static int alloc_slots(nm_strtab *t, size_t n)
{
    t->slots = nm__malloc(t->alloc, n * sizeof(*t->slots));
    if (!t->slots)
        return NM_ENOMEM;
    for (size_t i = 0; i < n; i++)
        t->slots[i].key_off = EMPTY;
    t->n_slots = n;
    return 0;
}

int nm_strtab_init(nm_strtab *t, size_t expected, const nm_allocator *a)
{
    size_t n = 16;
    while (n < expected * 2)
        n *= 2;
    memset(t, 0, sizeof(*t));
    t->alloc = a;
    nm_buf_init(&t->arena, (size_t)UINT32_MAX - 1, a);
    return alloc_slots(t, n);
}

void nm_strtab_free(nm_strtab *t)
{
    nm__free(t->alloc, t->slots);
    t->slots = NULL;
    t->n_slots = t->n_used = 0;
    nm_buf_free(&t->arena);
}

static nm_strtab_entry *find(const nm_strtab *t, const char *key, size_t len,
                             uint32_t h)
{
    size_t mask = t->n_slots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        nm_strtab_entry *e = &t->slots[i];
        if (e->key_off == EMPTY)
            return e;
        if (e->hash == h && e->key_len == len &&
            memcmp(t->arena.ptr + e->key_off, key, len) == 0)
            return e;
    }
}

static int rehash(nm_strtab *t)
{
    nm_strtab_entry *old = t->slots;
    size_t n_old = t->n_slots;
    if (alloc_slots(t, n_old * 2) < 0) {
        t->slots = old;
        t->n_slots = n_old;
        return NM_ENOMEM;
    }
    for (size_t i = 0; i < n_old; i++) {
        if (old[i].key_off == EMPTY)
            continue;
        size_t mask = t->n_slots - 1;
        size_t j = old[i].hash & mask;
        while (t->slots[j].key_off != EMPTY)
            j = (j + 1) & mask;
        t->slots[j] = old[i];
    }
    nm__free(t->alloc, old);
    return 0;
}

int nm_strtab_put(nm_strtab *t, const char *key, size_t key_len, int ival,
                  const char *val, size_t val_len)
{
    int rc;
    if (key_len >= UINT32_MAX || val_len >= UINT32_MAX)
        return NM_ELIMIT;
    if ((t->n_used + 1) * 2 > t->n_slots && (rc = rehash(t)) < 0)
        return rc;
    uint32_t h = nm_hash(key, key_len);
    nm_strtab_entry *e = find(t, key, key_len, h);
    if (e->key_off == EMPTY) {
        size_t off = t->arena.len;
        if ((rc = nm_buf_put(&t->arena, key, key_len)) < 0 ||
            (rc = nm_buf_putc(&t->arena, '\0')) < 0)
            return rc;
        e->key_off = (uint32_t)off;
        e->key_len = (uint32_t)key_len;
        e->hash = h;
        t->n_used++;
    }
    e->ival = ival;
    e->val_off = (uint32_t)t->arena.len;
    e->val_len = (uint32_t)val_len;
    if ((rc = nm_buf_put(&t->arena, val ? val : "", val_len)) < 0 ||
        (rc = nm_buf_putc(&t->arena, '\0')) < 0)
        return rc;
    return 0;
}

const nm_strtab_entry *nm_strtab_get_h(const nm_strtab *t, const char *key, size_t key_len,
                                       uint32_t hash)
{
    if (!t->n_used)
        return NULL;
    const nm_strtab_entry *e = find(t, key, key_len, hash);
    return e->key_off == EMPTY ? NULL : e;
}

const nm_strtab_entry *nm_strtab_get(const nm_strtab *t, const char *key,
                                     size_t key_len)
{
    if (!t->n_used)
        return NULL;
    const nm_strtab_entry *e = find(t, key, key_len, nm_hash(key, key_len));
    return e->key_off == EMPTY ? NULL : e;
}
