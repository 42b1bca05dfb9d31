#!/usr/bin/env python3
"""A fixed number of keep-alive GETs to a server on loopback, over N connections.

wrk runs for a duration, so the work it drives varies with the machine's load.
Instruction counts (callgrind) and allocation counts per request need a fixed amount
of work instead: exactly --requests answers, each checked for a 200.
The server under callgrind is tens of times slower than this client, so every
connection always has a request waiting, as under wrk's load.

    fixed_load.py PORT --requests 20000 --connections 64 [--path /api/me] [--header "Cookie: sid=..."]
"""
import argparse
import selectors
import socket
import sys


def request(path, headers):
    lines = [f"GET {path} HTTP/1.1", "Host: bench", "User-Agent: fixed_load", "Accept: */*", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = b""

    def take_response(self):
        """Returns True when a whole response was consumed from the buffer."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = self.buf[:end].decode("latin-1").split("\r\n")
        if not head[0].startswith("HTTP/1.1 200"):
            sys.exit(f"fixed_load: unexpected status line {head[0]!r}")
        length = None
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if length is None:
            sys.exit("fixed_load: a response without Content-Length")
        if len(self.buf) < end + 4 + length:
            return False
        self.buf = self.buf[end + 4 + length:]
        return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--path", default="/")
    ap.add_argument("--header", action="append", default=[], help="a header line, e.g. 'Cookie: sid=x'")
    a = ap.parse_args()
    wire = request(a.path, a.header)

    sel = selectors.DefaultSelector()
    conns = [Conn(a.port) for _ in range(a.connections)]
    sent = done = 0
    for c in conns:
        if sent < a.requests:
            c.sock.sendall(wire)
            sent += 1
        sel.register(c.sock, selectors.EVENT_READ, c)
    while done < a.requests:
        for key, _ in sel.select(timeout=60):
            c = key.data
            data = c.sock.recv(65536)
            if not data:
                sys.exit("fixed_load: the server closed a connection")
            c.buf += data
            while c.take_response():
                done += 1
                if sent < a.requests:
                    c.sock.sendall(wire)
                    sent += 1
    for c in conns:
        c.sock.close()
    print(done)


if __name__ == "__main__":
    main()
