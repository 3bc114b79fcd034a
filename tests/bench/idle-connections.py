#!/usr/bin/env python3
"""Portal memory per idle connection: opens N WebSockets (over TLS by default), each says
hello and then stays idle; prints the portal's resident memory before and after, per
connection.

    cargo build --release -p tandem-portal
    tests/bench/idle-connections.py 1000 10000          # TLS (the default)
    tests/bench/idle-connections.py --plain 1000 10000  # plain HTTP on loopback

Client sockets come from many 127.x addresses; the portal is started with room for all of
them (per-address cap and the anonymous deadline lifted for the measurement only).
"""
import asyncio
import os
import re
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PORTAL = os.path.join(ROOT, "target", "release", "tandem-portal")
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
# One context for all (making one reads the system's CA store: ~30 ms each).
CLIENT_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
CLIENT_TLS.check_hostname = False
CLIENT_TLS.verify_mode = ssl.CERT_NONE  # a measurement of memory, not of trust


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def open_one(port, tls, i, held):
    src = f"127.{1 + (i // 60000) % 200}.{(i // 250) % 250}.{1 + i % 250}"
    ctx = CLIENT_TLS if tls else None
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Without it the client's small handshake writes wait for delayed ACKs (40 ms each).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((src, 0))
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(
        sock=sock, ssl=ctx, server_hostname="127.0.0.1" if tls else None
    )
    writer.write(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise RuntimeError(head[:80])
    hello = b'{"type":"hello","version":1,"client":"idle-bench"}'
    frame = bytes([0x81, 0x80 | len(hello)]) + b"\0\0\0\0" + hello  # masked with zeros
    writer.write(frame)
    await reader.read(256)  # the welcome
    held.append((reader, writer))


async def measure(port, pid, tls, counts):
    held = []
    await asyncio.sleep(0.5)
    base = rss_kib(pid)
    results = []
    failed = 0
    next_id = 0
    for n in counts:
        started = time.monotonic()
        while len(held) < n:
            want = min(100, n - len(held))
            batch = [open_one(port, tls, next_id + k, held) for k in range(want)]
            next_id += want
            # A handshake the loaded client machine did not finish in the portal's deadline
            # is closed by the portal: counted and retried, not fatal.
            outcomes = await asyncio.gather(*batch, return_exceptions=True)
            failed += sum(isinstance(o, Exception) for o in outcomes)
            if failed > n:
                raise RuntimeError(f"{failed} connections failed")
        took = time.monotonic() - started
        await asyncio.sleep(2)
        rss = rss_kib(pid)
        results.append((n, base, rss, took, failed))
    for _, w in held:
        w.close()
    return results


def main():
    args = sys.argv[1:]
    tls = "--plain" not in args
    counts = [int(a) for a in args if a.isdigit()] or [1000, 10000]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if max(counts) + 100 > hard:
        sys.exit(f"the open-file limit ({hard}) is too low for {max(counts)} connections")
    data = tempfile.mkdtemp(prefix="tandem-idle-")
    cmd = [
        PORTAL, "--listen", "127.0.0.1:0", "--db", os.path.join(data, "p.sqlite3"),
        "--max-connections-per-address", "100000", "--identify-within-secs", "3600",
        "--max-connections", str(max(counts) * 2),
    ]
    if not tls:
        cmd.append("--no-tls")
    env = dict(os.environ, TANDEM_ADMIN_PASSWORD="idle bench password", RUST_LOG="warn")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        port = None
        for line in proc.stdout:
            m = re.search(r"listening on https?://[^:]+:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        results = asyncio.run(measure(port, proc.pid, tls, counts))
        kind = "TLS (wss)" if tls else "plain (ws)"
        print(f"portal memory per idle {kind} connection (hello said, then idle):")
        print(f"{'connections':>12} {'RSS before':>11} {'RSS after':>10} {'per conn':>9} {'open time':>10} {'retried':>8}")
        for n, base, rss, took, failed in results:
            print(f"{n:>12} {base/1024:>9.1f}Mi {rss/1024:>8.1f}Mi {(rss-base)/n:>7.1f}Ki {took:>9.1f}s {failed:>8}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
