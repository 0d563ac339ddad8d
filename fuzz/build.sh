#!/bin/sh
# build.sh - build the libFuzzer targets with clang and run each for a
# while:  fuzz/build.sh [SECONDS]  (default 30).  Findings go to fuzz/out/.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-30}
CC=${CC:-clang}
out=fuzz/out
mkdir -p "$out"
printf '#define _GNU_SOURCE 1\n' > "$out/config.h"
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$out -I."
for t in reply server sasl front proxy; do
	# front: the sink's transcript writer too (cli/, with readline for out.c)
	extra=
	[ $t = front ] && extra="cli/sinktx.c cli/tx.c cli/out.c -lreadline"
	$CC $flags -o "fuzz/${t}_fuzzer" "fuzz/fuzz_$t.c" session/*.c $extra
	mkdir -p "$out/corpus-$t"
	"fuzz/${t}_fuzzer" -dict=fuzz/smtp.dict -max_len=65536 -timeout=5 \
	    -rss_limit_mb=1024 -max_total_time="$secs" -artifact_prefix="$out/$t-" \
	    -print_final_stats=1 "$out/corpus-$t" "fuzz/seeds/$t" 2>&1 | tail -n 12
done
