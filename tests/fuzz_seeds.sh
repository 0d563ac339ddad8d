#!/bin/sh
# fuzz_seeds - replay the fuzz seed corpus through every target (TAP).
b=${top_builddir:-.}
s=${top_srcdir:-.}
{
	"$b/tests/fuzz_replay_reply" "$s/fuzz/seeds/reply" || echo "not ok - reply target crashed"
	"$b/tests/fuzz_replay_server" "$s/fuzz/seeds/server" || echo "not ok - server target crashed"
	"$b/tests/fuzz_replay_sasl" "$s/fuzz/seeds/sasl" || echo "not ok - sasl target crashed"
	"$b/tests/fuzz_replay_front" "$s/fuzz/seeds/front" || echo "not ok - front target crashed"
	"$b/tests/fuzz_replay_proxy" "$s/fuzz/seeds/proxy" || echo "not ok - proxy target crashed"
} | awk '
	/^ok / { n++; sub(/^ok [0-9]+/, "ok " n); print; next }
	/^not ok/ { n++; sub(/^not ok( [0-9]+)?/, "not ok " n); print; next }
	/^1\.\./ { next }
	{ print }
	END { print "1.." n }'
