#!/bin/sh
# startup - what each library costs a process at start-up, before main():
# an empty program linked with one library at a time, and smtpdbg itself,
# started RUNS times each (interleaved); prints the dynamic loader's time
# (LD_DEBUG=statistics, in CPU cycles), the libraries mapped, and the wall
# time from fork to exit.  Not a test.   bench/startup.sh [RUNS] (default 200)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-200}
. bench/lib.sh
printf 'int main(void) { return 0; }\n' > "$T/empty.c"
cc -O2 -o "$T/none" "$T/empty.c"
tools="none"
for l in gnutls readline cmark unbound curl-gnutls gnutls-dane; do
	n=$(echo "$l" | tr -c 'a-z0-9\n' '_')
	cc -O2 -o "$T/$n" "$T/empty.c" -Wl,--no-as-needed -l"$l"
	tools="$tools $n"
done
cp "$SMTPDBG" "$T/smtpdbg"
tools="$tools smtpdbg"
cat > "$T/run.py" <<'PYEOF'
import os, re, statistics, subprocess, sys, time
d, runs, tools = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
args = {t: [os.path.join(d, t)] + (['-h'] if t == 'smtpdbg' else []) for t in tools}
wall = {t: [] for t in tools}
cyc = {t: [] for t in tools}
env = dict(os.environ, LD_DEBUG='statistics')
for i in range(runs):
    for t in tools:
        a = time.perf_counter_ns()
        subprocess.run(args[t], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall[t].append(time.perf_counter_ns() - a)
        if i < 30:
            e = subprocess.run(args[t], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env).stderr
            m = re.search(rb'total startup time in dynamic loader: ([0-9]+)', e)
            cyc[t].append(int(m.group(1)))
names = {'none': 'empty program (libc only)', 'smtpdbg': 'smtpdbg -h (all it links)'}
base = statistics.median(wall['none'])
print('%-36s %6s %14s %12s %12s' % ('program', 'libs', 'loader cycles', 'wall ms', 'over empty'))
for t in tools:
    libs = len(subprocess.run(['ldd', args[t][0]], capture_output=True).stdout.splitlines())
    w = statistics.median(wall[t])
    print('%-36s %6d %14.0f %12.2f %9.2f ms' % (names.get(t, 'empty + -l' + t.replace('_', '-')),
          libs, statistics.median(cyc[t]), w / 1e6, (w - base) / 1e6))
PYEOF
python3 "$T/run.py" "$T" "$runs" $tools
