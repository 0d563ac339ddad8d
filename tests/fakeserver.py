#!/usr/bin/python3
"""fakeserver - a scripted, misbehaving SMTP server for robustness tests.

usage: fakeserver.py PORT SCRIPT
SCRIPT holds one step per line, run for every connection:
  send B      send the Python bytes expression B at once (b'x' * 3 works)
  drip B      send B one byte at a time, 2 ms apart
  flood N B   send B N times
  recv        wait for one line from the client
  recvdot     wait for message data up to the line "." alone
  sleep S     pause S seconds
  shutdown    half-close (no more sending), keep reading
  close       close the connection
Binds 127.0.0.1 only; serves connections one after another until killed.
"""
import ast, socket, sys, time

port, script = int(sys.argv[1]), open(sys.argv[2]).read().splitlines()
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
while True:
    c, _ = srv.accept()
    buf = b""
    try:
        for step in script:
            op, _, arg = step.partition(" ")
            if op == "send":
                c.sendall(eval(arg, {"__builtins__": {}}))
            elif op == "drip":
                for b in ast.literal_eval(arg):
                    c.sendall(bytes([b])); time.sleep(0.002)
            elif op == "flood":
                n, _, b = arg.partition(" ")
                c.sendall(ast.literal_eval(b) * int(n))
            elif op == "recv":
                while b"\n" not in buf:
                    d = c.recv(4096)
                    if not d:
                        break
                    buf += d
                buf = buf.split(b"\n", 1)[1] if b"\n" in buf else b""
            elif op == "recvdot":
                while b"\r\n.\r\n" not in b"\r\n" + buf:
                    d = c.recv(4096)
                    if not d:
                        break
                    buf += d
                i = (b"\r\n" + buf).find(b"\r\n.\r\n")
                buf = buf[i + 3:] if i >= 0 else b""
            elif op == "sleep":
                time.sleep(float(arg))
            elif op == "shutdown":
                c.shutdown(socket.SHUT_WR)
                while c.recv(4096):
                    pass
            elif op == "close":
                break
    except OSError:
        pass
    c.close()
