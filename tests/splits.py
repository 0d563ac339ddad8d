#!/usr/bin/python3
"""splits - every split of every conversation, through real sockets.

usage: splits.py SMTPDBG WORKDIR [sink|client|proxy]

sink: runs smtpdbg sinks (default, --bare-lf normalize, --lmtp) with a
transcript, --json and a Maildir with sidecars, and replays each test
conversation once whole and then split at chosen points: every byte, between
CR and LF, inside UTF-8 sequences, at 8191/8192/8193 octets of a long line,
around BDAT chunk boundaries, and at random.  Each piece is a read of its
own on the sink's side: the next piece is sent only once the sink's socket
has nothing left to read (its queue in /proc/net/tcp), an event, not a
time.  The replies, the transcript, the JSON events and the stored bytes of
every split run must be those of the whole run.

client: the same for smtpdbg's client reading replies from a scripted
server that splits them at chosen points; its transcript and JSON must not
change.

Prints TAP lines ("ok - ..." / "not ok - ...", unnumbered) for the shell
wrapper.  Facts that depend on time, not on bytes, are left out of the
comparison: timestamps, latencies, "ahead" (whether a command came before
the previous reply was written) and the file names the sink generates.
"""
import json, os, random, re, signal, socket, subprocess, sys, time

SMTPDBG, WORK = sys.argv[1], sys.argv[2]
WHAT = sys.argv[3] if len(sys.argv) > 3 else "sink"
WORK = os.path.join(WORK, WHAT)
if os.path.isdir(WORK):
    import shutil
    shutil.rmtree(WORK)
os.makedirs(WORK)
results = []


def report(ok, desc):
    results.append(ok)
    print(("ok - " if ok else "not ok - ") + desc, flush=True)


def rx_queue(local_port, remote_port):
    """bytes waiting to be read on the socket local_port<->remote_port"""
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for l in lines:
            f = l.split()
            lp, rp = int(f[1].split(":")[1], 16), int(f[2].split(":")[1], 16)
            if lp == local_port and rp == remote_port:
                return int(f[4].split(":")[1], 16)
    return 0


def drained(local_port, remote_port, deadline=10.0):
    """until the receiving side has read all it was sent"""
    end = time.monotonic() + deadline
    while rx_queue(local_port, remote_port) > 0:
        if time.monotonic() > end:
            raise TimeoutError("the peer read nothing for %gs" % deadline)
        time.sleep(0.0002)


def finals(b):
    """complete replies in b: final lines "NNN " / "NNN" """
    return sum(1 for l in b.split(b"\r\n")[:-1] if len(l) >= 3 and l[3:4] in (b" ", b""))


# ---------------------------------------------------------------- sink side

LONG = b"x" * 8191  # with CRLF: a line whose CR is its 8192nd byte
def txn(hello=b"EHLO c"):
    return [(hello + b"\r\n", 1), (b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n", 2)]

CONVS = {
    # name: (sink config, [(bytes, replies to wait for), ...])
    "plain message": ("default", txn() + [
        (b"DATA\r\n", 1),
        (b"Subject: =?utf-8?q?caf=C3=A9?= \xc3\xa9t\xc3\xa9\r\nMessage-ID: <1@t>\r\n\r\n"
         b"..leading dot\r\n\xe2\x80\x8bzero width\r\ncaf\xc3\xa9 \xf0\x9f\x93\xa7\r\n.\r\n", 1),
        (b"QUIT\r\n", 1)]),
    "a line whose CR is its 8192nd byte": ("default", txn() + [
        (b"DATA\r\n", 1),
        (b"Subject: long\r\n\r\n" + LONG + b"\r\nafter\r\n.\r\n", 1),
        (b"QUIT\r\n", 1)]),
    "lines of 8191, 8192, 8193 and 20000 octets": ("default", txn() + [
        (b"DATA\r\n", 1),
        (b"y" * 8189 + b"\r\n" + b"y" * 8190 + b"\r\n" + b"y" * 8191 + b"\r\n" +
         b"z" * 19998 + b"\r\n.\r\n", 1),
        (b"QUIT\r\n", 1)]),
    "BDAT chunks that cut lines and CRLFs": ("default", txn() + [
        (b"BDAT 17\r\nSubject: b\r\n\r\nab\r", 1),
        (b"BDAT 8\r\n\ncd\r\nef\xc3", 1),
        (b"BDAT 6 LAST\r\n\xa9\r\nz\r\n", 1),
        (b"QUIT\r\n", 1)]),
    "bare LF and bare CR refused": ("default", txn() + [
        (b"DATA\r\n", 1), (b"a\nb\rc\r\n.\r\n", 1), (b"QUIT\r\n", 1)]),
    "--bare-lf normalize, DATA and BDAT": ("normalize", txn() + [
        (b"DATA\r\n", 1), (b"a\nb\rc\r\n.\r\n", 1),
        (b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n", 2),
        (b"BDAT 3\r\nab\r", 1), (b"BDAT 8 LAST\r\n\ncd\nx\ry\r", 1), (b"QUIT\r\n", 1)]),
    "over-long command lines": ("default", [
        (b"EHLO c\r\n", 1), (b"NOOP " + b"q" * 3000 + b"\r\n", 1),
        (b"NOOP " + b"r" * 20000 + b"\r\n", 1), (b"NOOP\r\n", 1), (b"QUIT\r\n", 1)]),
    "pipelined, then a half-close (Exim)": ("default", [
        (b"EHLO c\r\n", 1),
        (b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nRCPT TO:<e@d.example>\r\n"
         b"DATA\r\n", 4),
        (b"Subject: pipe\r\n\r\nbody\r\n.\r\nQUIT\r\n", "eof")]),
    "AUTH PLAIN, masked however it is split": ("default", [
        (b"EHLO c\r\n", 1), (b"AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n", 1), (b"QUIT\r\n", 1)]),
    "AUTH LOGIN, masked however it is split": ("default", [
        (b"EHLO c\r\n", 1), (b"AUTH LOGIN\r\n", 1), (b"YWxpY2U=\r\n", 1), (b"czNjcmV0\r\n", 1),
        (b"QUIT\r\n", 1)]),
    "control bytes, NUL, invisible Unicode in commands": ("default", [
        (b"EHLO c\xe2\x80\xae\x1b[2J\r\n", 1), (b"NOOP a\x00b\r\n", 1),
        (b"VRFY \xef\xbb\xbfbom\xc2\xa0nbsp\r\n", 1), (b"QUIT\r\n", 1)]),
    "LMTP, two recipients": ("lmtp", [
        (b"LHLO c\r\n", 1),
        (b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nRCPT TO:<e@d.example>\r\n", 3),
        (b"DATA\r\n", 1), (b"Subject: l\r\n\r\nhi\r\n.\r\n", 2), (b"QUIT\r\n", 1)]),
    "an unfinished line at the end": ("default", [
        (b"EHLO c\r\n", 1), (b"NOOP\r\nNOO", "eof")]),
}

SINK_OPTS = {
    "default": ["--auth-any-time"],
    "normalize": ["--bare-lf", "normalize"],
    "lmtp": ["--lmtp"],
}


def split_points(data):
    """offsets where a split matters: between CR and LF, inside UTF-8
    sequences, around 8192 octets of long lines, around chunk headers"""
    pts = set()
    for i in range(1, len(data)):
        if data[i - 1] == 0x0D and data[i] == 0x0A:
            pts.add(i)
        if 0x80 <= data[i] <= 0xBF:
            pts.add(i)
    start = 0
    for m in re.finditer(rb"\n", data):
        if m.start() + 1 - start > 8000:
            for k in (8190, 8191, 8192, 8193, 16383, 16384, 16385):
                if start + k < m.start() + 1:
                    pts.add(start + k)
        start = m.start() + 1
    for m in re.finditer(rb"BDAT [0-9]+( LAST)?\r\n", data):
        pts.update((m.end() - 1, m.end(), m.end() + 1))
    pts.discard(0)
    return sorted(p for p in pts if 0 < p < len(data))


def split_sets(turns):
    """[(name, [[segments of turn 0], [segments of turn 1], ...]), ...]"""
    whole = [[t] for t, _ in turns]
    sets = [("whole", whole)]
    total = sum(len(t) for t, _ in turns)
    if total <= 4000:
        sets.append(("every byte", [[t[i:i + 1] for i in range(len(t))] for t, _ in turns]))
    else:
        sets.append(("every 7 bytes", [[t[i:i + 7] for i in range(0, len(t), 7)]
                                        for t, _ in turns]))
    for k, (t, _) in enumerate(turns):
        for p in split_points(t):
            segs = [list(x) for x in whole]
            segs[k] = [t[:p], t[p:]]
            sets.append(("turn %d at %d" % (k, p), segs))
    rnd = random.Random(5321)
    for seed in range(3):
        segs = []
        for t, _ in turns:
            cuts = sorted(set(rnd.randrange(1, len(t)) for _ in range(min(8, len(t) - 1)))) \
                if len(t) > 1 else []
            b = [0] + cuts + [len(t)]
            segs.append([t[b[i]:b[i + 1]] for i in range(len(b) - 1)])
        sets.append(("random %d" % seed, segs))
    return sets


def converse(port, turns, segs):
    """one session; returns the bytes the sink sent"""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    me = s.getsockname()[1]
    got = b""
    def until(n):
        nonlocal got
        while finals(got) < n:
            d = s.recv(65536)
            if not d:
                raise EOFError("closed after %r" % got[-200:])
            got += d
    until(1)
    want = 1
    for (data, replies), pieces in zip(turns, segs):
        for piece in pieces:
            s.sendall(piece)
            drained(port, me)
        if replies == "eof":
            s.shutdown(socket.SHUT_WR)
            while True:
                d = s.recv(65536)
                if not d:
                    break
                got += d
            break
        want += replies
        until(want)
    s.close()
    return got


NAME = re.compile(rb"[0-9]+\.M[0-9]+P[0-9]+Q[0-9]+R[0-9a-f]+\.[A-Za-z0-9.-]+")


def norm_bytes(b):
    return NAME.sub(b"NAME", b)


PIPE_LINT = re.compile(r"(; )?commands sent ahead [^;]*\([0-9]+\)")
# The end of a client's input and the end of a store job race: which is
# printed first is time, not bytes.
TIMING_NOTES = ("end of input from the client",)


def norm_text(line):
    line = re.sub(r"127\.0\.0\.1:[0-9]+", "127.0.0.1:PORT", line)
    # the sink numbers messages across the run: sessions differ in that only
    line = re.sub(r"message [0-9]+ from", "message N from", line)
    if "lint:" in line:
        # whether commands came ahead of replies is time (how the sink's
        # reads fell), not bytes
        line = PIPE_LINT.sub("", line)
        line = re.sub(r"lint: ([0-9]+ findings?: )?(; )?", "lint: ", line)
    line = NAME.sub(b"NAME", line.encode("latin-1")).decode("latin-1")
    return line


def norm_event(e):
    e = dict(e)
    for k in ("t", "latency_ms", "ahead", "session", "seq"):
        e.pop(k, None)
    if e.get("event") == "lint":
        e.pop("findings", None)
    for k in ("raw", "text", "peer", "stored"):
        if k in e and e[k] is not None:
            e[k] = norm_text(("lint: " if e.get("event") == "lint" and k == "text" else "") +
                             e[k])
    return e


def run_sinks():
    sessions = []   # (conv, split name, config, session id, replies)
    for cfg in SINK_OPTS:
        d = os.path.join(WORK, "sink-" + cfg)
        os.makedirs(d, exist_ok=True)
        out = open(os.path.join(d, "transcript"), "wb")
        err = open(os.path.join(d, "stderr"), "wb")
        p = subprocess.Popen([SMTPDBG, "sink", "--color=never", "--json=" + d + "/events.jsonl",
                              "--maildir", d + "/md", "--json-sidecar"] + SINK_OPTS[cfg] +
                             ["127.0.0.1:0"], stdout=out, stderr=err)
        port = None
        for _ in range(200):
            m = re.search(rb"listening on 127\.0\.0\.1:([0-9]+)",
                          open(d + "/stderr", "rb").read())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.05)
        if port is None:
            report(False, "%s sink started" % cfg)
            p.kill()
            continue
        sid = 0
        for conv, (c, turns) in CONVS.items():
            if c != cfg:
                continue
            for sname, segs in split_sets(turns):
                sid += 1
                try:
                    got = converse(port, turns, segs)
                except (OSError, EOFError, TimeoutError) as x:
                    got = ("ERROR %s" % x).encode()
                sessions.append((conv, sname, cfg, sid, got))
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
        out.close()
        err.close()
    return sessions


def load_stored(new):
    """{session: [message bodies]} of a sink's Maildir with sidecars,
    without the sink's two header fields"""
    stored = {}
    for f in sorted(os.listdir(new)) if os.path.isdir(new) else []:
        if f.endswith(".json"):
            continue
        side = json.load(open(os.path.join(new, f + ".json")))
        body = open(os.path.join(new, f), "rb").read()
        # the sink's two header fields (Received is folded) come first
        i = body.index(b"\r\n", body.index(b"Received: ")) + 2
        while body[i:i + 1] in (b"\t", b" "):
            i = body.index(b"\r\n", i) + 2
        stored.setdefault(side["session"], []).append(body[i:])
    return stored


def show_diff(a, b):
    """the first difference of two runs' facts"""
    if isinstance(a, list) and isinstance(b, list):
        for x, y in zip(a, b):
            if x != y:
                print("# got  %.300r\n# want %.300r" % (x, y))
                return
        print("# %d vs %d entries" % (len(a), len(b)))
    else:
        print("# got  %.300r\n# want %.300r" % (a, b))


def load_sink(cfg):
    d = os.path.join(WORK, "sink-" + cfg)
    text, events = {}, {}
    for line in open(d + "/transcript", encoding="latin-1"):
        m = re.match(r"^[0-9:.]+ \[([0-9]+)\] (.*)$", line.rstrip("\n"))
        if m and not any(n in m.group(2) for n in TIMING_NOTES):
            text.setdefault(int(m.group(1)), []).append(norm_text(m.group(2)))
    for line in open(d + "/events.jsonl", encoding="latin-1"):
        e = json.loads(line)
        if "session" in e and not any(n in e.get("text", "") for n in TIMING_NOTES):
            events.setdefault(e["session"], []).append(norm_event(e))
    return text, events, load_stored(os.path.join(d, "md", "new"))


def check_sink(sessions):
    loaded = {cfg: load_sink(cfg) for cfg in SINK_OPTS
              if os.path.exists(os.path.join(WORK, "sink-" + cfg, "events.jsonl"))}
    base = {}
    for conv, sname, cfg, sid, got in sessions:
        text, events, stored = loaded[cfg]
        facts = (norm_bytes(got), text.get(sid), events.get(sid), stored.get(sid, []))
        if sname == "whole":
            base[conv] = (facts, sid)
            continue
        want, wsid = base[conv]
        for i, what in enumerate(("replies", "transcript", "JSON events", "stored bytes")):
            if facts[i] != want[i]:
                report(False, "%s, split %s: the %s differ from the whole run (session %d vs %d)"
                       % (conv, sname, what, sid, wsid))
                show_diff(facts[i], want[i])
                break
        else:
            continue
    per = {}
    for conv, sname, cfg, sid, got in sessions:
        per.setdefault(conv, []).append(sname)
    for conv, names in per.items():
        report(True, "%s: %d runs compared with the whole one" % (conv, len(names) - 1))
    # what the whole runs must say
    def whole(conv):
        (g, t, e, s), sid = base[conv]
        return g, t or [], e or [], s
    g, t, e, s = whole("a line whose CR is its 8192nd byte")
    report(b"250 2.0.0 Ok: queued as NAME" in g and s and s[0].endswith(LONG + b"\r\nafter\r\n"),
           "the line with its CR as 8192nd byte: accepted and stored exactly")
    report(sum(1 for l in t if l.startswith("C: xxxx")) == 1 and
           any("line longer than the RFC 5321 limit (8193 octets)" in l for l in t) and
           not any("bare" in l for l in t), "... shown as one line of 8193 octets, no bare CR/LF")
    g, t, e, s = whole("lines of 8191, 8192, 8193 and 20000 octets")
    pieces = [x for x in e if x.get("event") == "line" and x.get("data")]
    joined = b"".join(x["raw"].encode("latin-1") for x in pieces)
    report(joined.startswith(b"y" * 8189) and b"z" * 19998 + b"\r\n" in joined and
           any(x.get("octets") == 20000 for x in pieces),
           "JSON keeps every byte of long lines (pieces with more/octets)")
    g, t, e, s = whole("BDAT chunks that cut lines and CRLFs")
    report(s == [b"Subject: b\r\n\r\nab\r\ncd\r\nef\xc3\xa9\r\nz\r\n"] and
           not any("bare" in l for l in t), "BDAT: stored exactly, no bare CR/LF where none was")
    g, t, e, s = whole("--bare-lf normalize, DATA and BDAT")
    report(s == [b"a\r\nb\r\nc\r\n", b"ab\r\ncd\r\nx\r\ny\r\n"],
           "normalize: bare CR/LF stored as CRLF, split CRLFs kept whole: %r" % (s,))
    g, t, e, s = whole("over-long command lines")
    report(g.count(b"500 5.5.2 Error: line too long") == 2 and b"250 2.0.0 Ok" in g,
           "over-long commands: 500 twice, and the session goes on")
    lines = [x for x in e if x.get("event") == "line" and x.get("dir") == "C"]
    report(b"".join(x["raw"].encode("latin-1") for x in lines).count(b"r" * 20000) == 1,
           "... every byte of them in the JSON")
    g, t, e, s = whole("pipelined, then a half-close (Exim)")
    report(g.endswith(b"221 2.0.0 Bye\r\n") and b"250 2.0.0 Ok: queued" in g and len(s) == 1,
           "half-close: 250 and 221 sent, one copy stored")
    for conv in ("AUTH PLAIN, masked however it is split",
                 "AUTH LOGIN, masked however it is split"):
        g, t, e, s = whole(conv)
        report(b"235 2.7.0" in g and
               not any("AGFsaWNl" in l or "czNjcmV0" in l or "YWxpY2U=" in l for l in t) and
               not any(k in json.dumps(x) for x in e for k in ("AGFsaWNl", "czNjcmV0", "YWxpY2U")),
               "%s: accepted, no credential in the transcript or the JSON" % conv.split(",")[0])
    g, t, e, s = whole("control bytes, NUL, invisible Unicode in commands")
    report(any("\\u{202E}\\x1B[2J" in l for l in t) and any("\\u{FEFF}bom\\u{A0}nbsp" in l
           for l in t), "invisible and bidi code points are named, ESC escaped")
    report(any(x.get("raw") == "EHLO c\u00e2\u0080\u00ae\u001b[2J\r\n" for x in e),
           "... and the JSON has the exact bytes")
    g, t, e, s = whole("LMTP, two recipients")
    report(g.count(b"250 2.0.0 Ok: queued as NAME") == 2, "LMTP: one reply per recipient")
    g, t, e, s = whole("an unfinished line at the end")
    report(any(l == "C: NOO" for l in t) and
           any("no line terminator" in l for l in t), "an unfinished line is shown as such")


# -------------------------------------------------------------- client side

REPLIES = [
    b"220 mx.example ESMTP\r\n",
    b"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-X-LONG " + b"w" * 9000 +
    b"\r\n250 8BITMIME\r\n",
    b"250 2.1.0 Ok \xc3\xa9t\xc3\xa9 \xe2\x80\x8b\r\n",
    b"250-2.1.5 first\r\n250 2.1.5 " + b"v" * 20000 + b"\r\n",
    b"354 go ahead\r\n",
    b"250 2.0.0 queued \x00 with a NUL\r\n",
    b"221 2.0.0 bye\r\n",
]
SCRIPT = ["/expect 220", "/expect 250 EHLO c.example", "/expect 250 MAIL FROM:<a@b>",
          "/expect 250 RCPT TO:<c@d>", "/expect 354 DATA", "line one", ".", "/expect 250",
          "/expect 221 QUIT"]
COMMAND_LINES = [1, 1, 1, 1, 2, 1]   # lines the client sends before each reply after the first


def client_splits():
    sets = [("whole", [[r] for r in REPLIES])]
    sets.append(("every 13 bytes", [[r[i:i + 13] for i in range(0, len(r), 13)] for r in REPLIES]))
    for k, r in enumerate(REPLIES):
        for p in split_points(r):
            segs = [[x] for x in REPLIES]
            segs[k] = [r[:p], r[p:]]
            sets.append(("reply %d at %d" % (k, p), segs))
    return sets


def serve_one(srv, segs):
    c, addr = srv.accept()
    c.settimeout(10)
    port = srv.getsockname()[1]
    buf = b""
    for k, pieces in enumerate(segs):
        if k > 0:
            need = COMMAND_LINES[k - 1]
            while buf.count(b"\n") < need:
                d = c.recv(65536)
                if not d:
                    break
                buf += d
            buf = buf.split(b"\n", need)[-1] if buf.count(b"\n") >= need else b""
        for piece in pieces:
            c.sendall(piece)
            drained(addr[1], port)
    c.shutdown(socket.SHUT_WR)
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()


# Whether the server's FIN or the end of the script comes first is time.
CLIENT_TIMING = ("connection closed by server",)


def norm_client(path):
    out = []
    for line in open(path, encoding="latin-1"):
        line = line.rstrip("\n")
        if any(n in line for n in CLIENT_TIMING):
            continue
        # "   12.345   0.480 S: ..." : the two time columns go
        out.append(re.sub(r"^ *[0-9.]+ {1,}([0-9.]+ )? *", "", line) if line[:1] == " " and
                   re.match(r"^ *[0-9]", line) else line.strip())
    return [norm_text(l) for l in out]


def run_client():
    import threading
    script = os.path.join(WORK, "client.script")
    open(script, "w").write("\n".join(SCRIPT) + "\n")
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    base = None
    runs = 0
    for sname, segs in client_splits():
        th = threading.Thread(target=serve_one, args=(srv, segs))
        th.start()
        tx = os.path.join(WORK, "client-%d.txt" % runs)
        js = os.path.join(WORK, "client-%d.jsonl" % runs)
        rc = subprocess.call([SMTPDBG, "--color=never", "-k", "--json=" + js, "--helo", "c.example",
                              "-f", script, "127.0.0.1:%d" % port],
                             stdout=open(tx, "wb"), stderr=subprocess.STDOUT, timeout=30)
        th.join(30)
        facts = (rc, norm_client(tx),
                 [norm_event(e) for e in map(json.loads, open(js, encoding="latin-1"))
                  if e.get("event") != "close" and
                  not any(n in e.get("text", "") for n in CLIENT_TIMING)])
        runs += 1
        if base is None:
            base = facts
            report(rc == 0, "client, whole replies: the script passes (exit %d)" % rc)
            t, e = facts[1], facts[2]
            report(sum(1 for l in t if l.startswith("S: 250 2.1.5 vvvv")) == 1 and
                   any("(20012 octets)" in l for l in t),
                   "client: a 20012-octet reply line is one transcript line")
            joined = "".join(x["raw"] for x in e if x.get("event") == "line" and
                             x.get("dir") == "S")
            report(joined.encode("latin-1") == b"".join(REPLIES),
                   "client: the JSON holds every byte the server sent")
            report(any("\\u{200B}" in l for l in t), "client: a zero-width space is named")
            continue
        for i, what in enumerate(("exit status", "transcript", "JSON events")):
            if facts[i] != base[i]:
                report(False, "client, split %s: the %s differ from the whole run" %
                       (sname, what))
                a, b = facts[i], base[i]
                if isinstance(a, list):
                    for x, y in zip(a, b):
                        if x != y:
                            print("# got  %.300r\n# want %.300r" % (x, y))
                            break
                else:
                    print("# got %r, want %r" % (a, b))
                break
    report(True, "client: %d split runs compared with the whole one" % (runs - 1))
    srv.close()

# --------------------------------------------------------------- proxy side

PX_TIMING = ("end of input from the", "session closed")
PX_LAT = re.compile(r"   \(upstream [0-9.]+ ms(, proxy [0-9.]+ ms)?\)$")


def start(cmd, d, name):
    """a server process writing NAME.txt/NAME.err in d; returns (proc, port)"""
    out = open(os.path.join(d, name + ".txt"), "wb")
    err = open(os.path.join(d, name + ".err"), "wb")
    p = subprocess.Popen(cmd, stdout=out, stderr=err)
    for _ in range(200):
        m = re.search(rb"listening on 127\.0\.0\.1:([0-9]+)",
                      open(os.path.join(d, name + ".err"), "rb").read())
        if m:
            return p, int(m.group(1))
        time.sleep(0.05)
    p.kill()
    return None, None


def stop(p):
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()


def run_proxy():
    """the sink behind smtpdbg proxy: each split reaches the proxy as reads
    of their own, and the proxy passes them on as they come"""
    d = os.path.join(WORK, "proxy")
    os.makedirs(d, exist_ok=True)
    sink, sport = start([SMTPDBG, "sink", "--color=never", "--maildir", d + "/md",
                         "--json-sidecar", "--auth-any-time", "127.0.0.1:0"], d, "sink")
    if sink is None:
        report(False, "proxy: the sink started")
        return
    px, port = start([SMTPDBG, "proxy", "--color=never", "--json=" + d + "/events.jsonl",
                      "--upstream-tls", "none", "--no-ext", "STARTTLS", "127.0.0.1:0",
                      "127.0.0.1:%d" % sport], d, "proxy")
    if px is None:
        report(False, "proxy: the proxy started")
        stop(sink)
        return
    sessions, sid = [], 0
    for conv, (c, turns) in CONVS.items():
        if c != "default":
            continue
        for sname, segs in split_sets(turns):
            sid += 1
            try:
                got = converse(port, turns, segs)
            except (OSError, EOFError, TimeoutError) as x:
                got = ("ERROR %s" % x).encode()
            sessions.append((conv, sname, sid, got))
    stop(px)
    stop(sink)
    text, events = {}, {}
    for line in open(d + "/proxy.txt", encoding="latin-1"):
        m = re.match(r"^[0-9:.]+ \[([0-9]+)\] (.*)$", line.rstrip("\n"))
        if m and not any(n in m.group(2) for n in PX_TIMING):
            t = PX_LAT.sub("", m.group(2))
            t = re.sub(r" in [0-9.]+ ms", " in T ms", t)
            text.setdefault(int(m.group(1)), []).append(norm_text(t))
    for line in open(d + "/events.jsonl", encoding="latin-1"):
        e = json.loads(line)
        if "session" in e and not any(n in e.get("text", "") for n in PX_TIMING) and \
                e.get("event") != "close":
            sid = e["session"]
            e = norm_event(e)
            e.pop("proxy_ms", None)
            if "text" in e:
                e["text"] = re.sub(r" in [0-9.]+ ms", " in T ms", e["text"])
            events.setdefault(sid, []).append(e)
    stored = load_stored(os.path.join(d, "md", "new"))
    # What the client sent and what came back interleave as the reads fell
    # (a split MAIL is answered before the RCPT behind it arrives): each
    # stream is compared in its own order.
    def streams(lines, client):
        return [x for x in lines or [] if client(x)], [x for x in lines or [] if not client(x)]
    base, per = {}, {}
    for conv, sname, sid, got in sessions:
        facts = (norm_bytes(got),
                 streams(text.get(sid), lambda l: l.startswith("C")),
                 streams(events.get(sid), lambda e: e.get("route", "").startswith("C")),
                 stored.get(sid, []))
        per.setdefault(conv, 0)
        if sname == "whole":
            base[conv] = (facts, sid)
            continue
        per[conv] += 1
        want, wsid = base[conv]
        for i, what in enumerate(("replies", "transcript", "JSON events", "stored bytes")):
            if facts[i] != want[i]:
                report(False, "proxy: %s, split %s: the %s differ from the whole run "
                       "(session %d vs %d)" % (conv, sname, what, sid, wsid))
                a, b = facts[i], want[i]
                if isinstance(a, tuple):
                    a, b = (a[0], b[0]) if a[0] != b[0] else (a[1], b[1])
                show_diff(a, b)
                break
    for conv, n in per.items():
        report(True, "proxy: %s: %d runs compared with the whole one" % (conv, n))
    def whole(conv):
        (g, t, e, s), _ = base[conv]
        return g, t[0] + t[1], e[0] + e[1], s
    g, t, e, s = whole("plain message")
    report(len(s) == 1 and s[0].endswith(b"\r\n.leading dot\r\n\xe2\x80\x8bzero width\r\n"
           b"caf\xc3\xa9 \xf0\x9f\x93\xa7\r\n") and any(l.startswith("C:>U: ..leading")
           for l in t), "proxy: the message reaches the sink exactly, dot-stuffing kept on the wire")
    g, t, e, s = whole("BDAT chunks that cut lines and CRLFs")
    report(s == [b"Subject: b\r\n\r\nab\r\ncd\r\nef\xc3\xa9\r\nz\r\n"],
           "proxy: BDAT chunks stored exactly: %r" % (s,))
    report(sum(1 for l in t if l.startswith("C:>U: BDAT ")) == 3, "proxy: three BDAT commands relayed")
    g, t, e, s = whole("lines of 8191, 8192, 8193 and 20000 octets")
    report(len(s) == 1 and s[0].endswith(b"z" * 19998 + b"\r\n"),
           "proxy: long data lines pass whole")
    g, t, e, s = whole("pipelined, then a half-close (Exim)")
    report(g.endswith(b"221 2.0.0 Bye\r\n") and b"250 2.0.0 Ok: queued" in g and len(s) == 1,
           "proxy: half-close: the 250 and the 221 come back, one message stored")
    for conv in ("AUTH PLAIN, masked however it is split",
                 "AUTH LOGIN, masked however it is split"):
        g, t, e, s = whole(conv)
        report(b"235 2.7.0" in g and
               not any("AGFsaWNl" in l or "czNjcmV0" in l or "YWxpY2U=" in l for l in t) and
               not any(k in json.dumps(x) for x in e for k in ("AGFsaWNl", "czNjcmV0", "YWxpY2U")),
               "proxy: %s passed through, masked in the transcript and the JSON" %
               conv.split(",")[0])
    g, t, e, s = whole("over-long command lines")
    report(g.count(b"500 5.5.2 Error: line too long") == 2 and b"250 2.0.0 Ok" in g,
           "proxy: over-long commands answered 500 by the proxy, the session goes on")
    g, t, e, s = whole("an unfinished line at the end")
    report(any("ended inside a command line" in l for l in t) and b"250 2.0.0 Ok" in g,
           "proxy: an unfinished line is shown and not sent on")


if WHAT == "sink":
    check_sink(run_sinks())
elif WHAT == "proxy":
    run_proxy()
else:
    run_client()
sys.exit(0 if all(results) else 1)
