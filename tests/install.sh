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
# examples/extract.c against the installed shared library, the way the
# header says: cc ... $(pkg-config --cflags --libs newsmine)
flags=$(PKG_CONFIG_PATH=$root/lib/pkgconfig pkg-config --define-variable=prefix="$root" --cflags --libs newsmine)
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror -o "$d/extract" examples/extract.c $flags
printf 'Microsoft kept a right of first refusal until 2030, it said on Tuesday.' |
    LD_LIBRARY_PATH=$root/lib "$d/extract" "$root/share/newsmine/models" 2025-06-03 > "$d/extract.out"
LD_LIBRARY_PATH=$root/lib ldd "$d/extract" | grep -q "libnewsmine.so.0 => $root/lib/" ||
    { echo "install: extract is not linked against the installed libnewsmine.so.0"; echo "install: 2 passed, 1 failed"; exit 1; }
for want in "ORG	Microsoft" "CLAUSE:ROFR	right of first refusal" "DATE	2030	2030" "DATE	Tuesday	2025-06-03"; do
    grep -q "$want" "$d/extract.out" ||
        { echo "install: extract did not print \"$want\": $(cat "$d/extract.out")"; echo "install: 2 passed, 1 failed"; exit 1; }
done
# the shared library exports the public API and nothing else
nm -D --defined-only "$root/lib/libnewsmine.so" | awk '$2 ~ /[TDBR]/ {print $3}' | sort > "$d/exported"
grep -o 'NM_API [^(]*\bnm_[a-z_0-9]*(' include/newsmine.h | grep -o 'nm_[a-z_0-9]*($' | tr -d '(' | sort > "$d/declared"
if ! cmp -s "$d/exported" "$d/declared"; then
    echo "install: exported symbols differ from the header's NM_API functions:"; diff "$d/declared" "$d/exported"
    echo "install: 3 passed, 1 failed"; exit 1
fi
echo "install: 4 passed, 0 failed"
