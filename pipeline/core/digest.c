/*
 * digest.c - SHA-256 (through nettle) for the identity of a document's
 * text, and the shard a document id belongs to.
 *
 * nettle, not a hand-written hash: it is Debian's, small, allocates
 * nothing (so allocation hooks see every byte the library takes), and
 * uses the CPU's SHA instructions where there are some.
 */
#include <nettle/sha2.h>
#include <stdio.h>

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

void nm__hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int nm__sha256_file(const char *path, char hex[65])
{
    unsigned char buf[65536], h[32];
    struct sha256_ctx c;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NM_EIO;
    sha256_init(&c);
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        sha256_update(&c, n, buf);
    int err = ferror(f);
    fclose(f);
    if (err)
        return NM_EIO;
    sha256_digest(&c, SHA256_DIGEST_SIZE, h);
    nm__hex(h, 32, hex);
    return 0;
}
