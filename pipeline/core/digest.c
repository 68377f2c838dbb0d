/*
 * digest.c - SHA-256 (through nettle) for the identity of a document's
 * text, and the shard a document id belongs to.
 *
 * nettle, not a hand-written hash: it is Debian's, small, allocates
 * nothing (so allocation hooks see every byte the library takes), and
 * uses the CPU's SHA instructions where there are some.
 */
#include <nettle/sha2.h>

#include "core.h"

void nm__sha256(const void *data, size_t len, unsigned char out[32])
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, len, data);
    sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

unsigned nm_shard_of(const char *id, size_t len, unsigned n)
{
    unsigned char h[32];
    uint64_t v = 0;
    if (n <= 1)
        return 1;
    nm__sha256(id, len, h);
    for (int i = 0; i < 8; i++)
        v = v << 8 | h[i];
    return (unsigned)(v % n) + 1;
}
