#!/bin/sh
# install.sh - `make install` into a scratch DESTDIR, then build a program
# against the installed header, library and newsmine.pc, and run it and the
# installed command with the installed models.
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
prefix=/usr/local
make -s install DESTDIR="$d" PREFIX="$prefix" >/dev/null
root=$d$prefix
for f in include/newsmine.h lib/libnewsmine.a lib/libnewsmine.so lib/pkgconfig/newsmine.pc \
         bin/newsmine share/newsmine/models/MANIFEST.tsv; do
    [ -e "$root/$f" ] || { echo "install: $f missing"; echo "install: 0 passed, 1 failed"; exit 1; }
done
pc=$root/lib/pkgconfig/newsmine.pc
pkg-config --validate "$pc"
libs=$(PKG_CONFIG_PATH=$root/lib/pkgconfig pkg-config --static --libs-only-l --libs-only-other newsmine | sed "s/-lnewsmine//")
cat > "$d/example.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <newsmine.h>
int main(int argc, char **argv)
{
    nm_model *m = NULL;
    nm_pipeline *p = NULL;
    const nm_result *r;
    const char *text = "Microsoft and OpenAI agreed. The deal runs until 2030.";
    (void)argc;
    if (nm_model_load(&m, argv[1], NULL) < 0) { fprintf(stderr, "%s\n", nm_model_errmsg(m)); return 1; }
    if (nm_pipeline_new(&p, m, NULL) < 0 || nm_pipeline_run(p, text, strlen(text), NULL, &r) < 0) return 1;
    printf("%zu tokens, %zu sentences\n", nm_result_n_tokens(r), nm_result_n_sentences(r));
    nm_pipeline_free(p);
    nm_model_free(m);
    return 0;
}
C
cc -std=c11 -Wall -Werror -I"$root/include" -o "$d/example" "$d/example.c" "$root/lib/libnewsmine.a" $libs
out=$("$d/example" "$root/share/newsmine/models")
[ "$out" = "11 tokens, 2 sentences" ] || { echo "install: example said \"$out\""; echo "install: 0 passed, 1 failed"; exit 1; }
echo '{"id":"x","text":"ok"}' | "$root/bin/newsmine" run --models "$root/share/newsmine/models" | grep -q '"id":"x"'
echo "install: 2 passed, 0 failed"
