#!/bin/sh
# run-libfuzzer.sh - coverage-guided fuzzing of each harness with libFuzzer
# (clang), SECONDS each, starting from the saved corpus.  New inputs land in
# build-fuzz/corpus/NAME; a crash leaves crash-* files in build-fuzz/: copy
# one into tests/fuzz/corpus/NAME/ so that `make check` replays it forever.
set -eu
seconds=${1:-60}
if ! command -v clang >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q clang libclang-rt-14-dev >/dev/null
    else echo "fuzz: clang is needed (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; fi
fi
out=build-fuzz
mkdir -p "$out"
src=$(ls pipeline/*.c pipeline/core/*.c pipeline/read/*.c pipeline/text/*.c pipeline/match/*.c pipeline/emit/*.c)
for h in tests/fuzz/fuzz_*.c; do
    name=$(basename "$h" .c); name=${name#fuzz_}
    clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
        -Iinclude -Ipipeline -Ipipeline/core -o "$out/fuzz_$name" "$h" $src \
        -lpcre2-8 -lstemmer -lutf8proc -lyajl -lz -lpthread -lm
    mkdir -p "$out/corpus/$name"
    echo "fuzz: $name for ${seconds}s"
    (cd "$out" && NEWSMINE_MODELS=../models ./"fuzz_$name" -max_total_time="$seconds" \
        -max_len=65536 "corpus/$name" "../tests/fuzz/corpus/$name")
done
