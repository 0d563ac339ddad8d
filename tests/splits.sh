#!/bin/sh
# splits - every split of every conversation, through real sockets (and
# through smtpdbg proxy to a sink): the
# sink's replies, transcript, JSON and stored bytes, and the client's
# transcript and JSON, are those of the unsplit run (tests/splits.py).
. "${top_srcdir:-.}/tests/lib.sh"
need "$PY"
for side in sink client proxy; do
	timeout 600 $PY "$top_srcdir/tests/splits.py" "$SMTPDBG" "$T/splits" $side >"$T/$side.tap" 2>"$T/$side.err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$T/$side.tap"
	check "$side: the harness ran to its end (exit $rc)" [ "$rc" = 0 ]
	[ -s "$T/$side.err" ] && diag "$T/$side.err"
done
# Sanitizer reports of the smtpdbg runs land in the harness's folders.
cat "$T"/splits/sink/sink-*/stderr "$T"/splits/client/client-*.txt "$T"/splits/proxy/*.err \
    >"$T/runs.log" 2>/dev/null || true
done_testing
