#!/usr/bin/env python3
"""idle.py PORT N PID [SECONDS]: open N connections at once, wait (at most
SECONDS, default 60) until each is greeted, print the server's resident
memory before and after, then close them all.  Used by bench/idle.sh and
bench/burst.sh; prints "greeted rss_before_kib rss_after_kib refused
seconds_until_the_last_greeting"."""
import resource, selectors, socket, sys, time

port, n, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 100), hard))

def rss(p):
    for line in open('/proc/%d/status' % p):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])

before = rss(pid)
sel = selectors.DefaultSelector()
socks = []
for i in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(('127.0.0.1', port))
    sel.register(s, selectors.EVENT_READ)
    socks.append(s)
greeted = 0
refused = 0
t0 = time.time()
deadline = t0 + (float(sys.argv[4]) if len(sys.argv) > 4 else 60)
last = t0
while greeted + refused < n and time.time() < deadline:
    for key, _ in sel.select(timeout=1):
        try:
            data = key.fileobj.recv(512)
        except OSError:
            data = b''
        if data.startswith(b'220'):
            greeted += 1
            last = time.time()
        else:
            refused += 1
        sel.unregister(key.fileobj)
time.sleep(1)
after = rss(pid)
print(greeted, before, after, refused, "%.3f" % (last - t0))
for s in socks:
    s.close()
