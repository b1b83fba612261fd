#!/usr/bin/env python3
"""The HTTP listener against hostile clients, and over TLS: the real daemon over real sockets on
loopback (127.0.0.1 and 127.0.0.2, no other address and no namespace needed).

- an unauthenticated 1 MiB POST to /api is answered 401 at its headers: no 100 Continue, nothing
  of the body waited for, the connection closed;
- slowloris: headers, or a body, trickling past [server] request_timeout_s get 408 and close
  while other clients are served;
- [server] max_connections_per_ip: one more connection from 127.0.0.1 gets 503, 127.0.0.2 not;
- TLS ([server] tls_cert/tls_key, a CA and certificates made here with the openssl CLI): a
  verified HTTPS request, plain HTTP answered 400 and closed, TLS 1.1 and non-ECDHE/non-AEAD
  ciphers refused, SIGHUP loads a new certificate for new connections (a broken one is reported
  and the old one kept), a garbage ClientHello disturbs nobody;
- the generated token is printed by the first start only.
Exits 0 on success, 1 on the first failure, 77 when the daemon is missing."""
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_http import AUTH, Conn, Daemon, check, config, fail, make_web  # noqa: E402

DAEMON = os.environ.get("ANCLOUDD")
MIB = 1024 * 1024


def recv_all_until_close(s, wait):
    s.settimeout(wait)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except (socket.timeout, TimeoutError):
        return data, False
    except ConnectionResetError:
        return data, True


def test_unauthenticated_body(port):
    # Headers announce 1 MiB and ask for 100 Continue; the body is never sent.
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /api/v1/instances HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % MIB)
    data, closed = recv_all_until_close(s, 3)
    s.close()
    check(b"100 Continue" not in data, "no 100 Continue for an unauthenticated request: %r"
          % data[:80])
    check(data.startswith(b"HTTP/1.1 401 "), "401 at the headers: %r" % data[:80])
    check(b"Connection: close" in data and closed, "closed after the 401")
    # The same with the body in flight: half of it sent, the answer must not wait for the rest.
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /api/v1/instances HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % MIB)
    s.sendall(b"x" * (MIB // 2))
    data, closed = recv_all_until_close(s, 3)
    s.close()
    check(data.startswith(b"HTTP/1.1 401 "), "401 without waiting for the body: %r" % data[:80])
    check(closed, "closed after the 401 (body in flight)")
    # An authenticated request still gets its 100 Continue and its body read.
    c = Conn(port)
    c.send("POST /api/v1/health HTTP/1.1\r\nHost: t\r\n%sContent-Length: 3\r\n"
           "Expect: 100-continue\r\n\r\n" % AUTH)
    c.s.settimeout(3)
    first = c.s.recv(100)
    check(first.startswith(b"HTTP/1.1 100 Continue"), "100 Continue when authorized: %r" % first)
    c.send("abc")
    c.buf = first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
    check(c.read_response().status == 405, "authorized body read and answered")
    c.close()
    print("ok unauthenticated 1 MiB POST: 401 at the headers, no 100 Continue, closed",
          flush=True)


def trickle(port, head, rest, step=0.25, limit=8):
    """Sends head, then rest one byte per step; returns (response bytes, seconds to close)."""
    s = socket.create_connection(("127.0.0.1", port))
    start = time.time()
    s.sendall(head)
    s.setblocking(False)
    got = b""
    for b in rest:
        time.sleep(step)
        try:
            s.send(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            break
        try:
            chunk = s.recv(4096)
            got += chunk
            if not chunk:
                break
        except BlockingIOError:
            pass
        if time.time() - start > limit:
            break
    s.setblocking(True)
    data, closed = recv_all_until_close(s, max(0.5, limit - (time.time() - start)))
    s.close()
    return got + data, time.time() - start, closed


def test_slowloris(port, timeout_s):
    # Others are served while two slow clients trickle (one in headers, one in the body).
    import threading
    served = []

    def others():
        end = time.time() + timeout_s + 1
        while time.time() < end:
            t0 = time.time()
            c = Conn(port, timeout=2)
            r = c.request("GET", "/api/v1/health")
            c.close()
            served.append((r.status, time.time() - t0))
            time.sleep(0.2)
    t = threading.Thread(target=others)
    t.start()
    head = b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n"
    data, took, closed = trickle(port, head, b"X-Slow: " + b"a" * 200 + b"\r\n\r\n")
    check(data.startswith(b"HTTP/1.1 408 ") and closed, "trickled headers → 408: %r" % data[:60])
    check(timeout_s - 0.5 <= took <= timeout_s + 1.5, "headers deadline after %.1f s" % took)
    head = ("POST /api/v1/health HTTP/1.1\r\nHost: t\r\n%sContent-Length: 200\r\n\r\n"
            % AUTH).encode()
    data, took, closed = trickle(port, head, b"b" * 200)
    check(data.startswith(b"HTTP/1.1 408 ") and closed, "trickled body → 408: %r" % data[:60])
    check(timeout_s - 0.5 <= took <= timeout_s + 1.5, "body deadline after %.1f s" % took)
    t.join()
    check(len(served) >= 5 and all(st == 200 and dt < 1 for st, dt in served),
          "other clients served meanwhile: %r" % served)
    print("ok slowloris: headers and body trickling → 408 at %d s; %d other requests served"
          % (timeout_s, len(served)), flush=True)


def test_per_ip(port, cap):
    conns = []
    for i in range(cap):
        c = Conn(port)
        check(c.request("GET", "/api/v1/health").status == 200, "connection %d of %d" % (i, cap))
        conns.append(c)
    extra = Conn(port)
    extra.send("GET /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
    r = extra.read_response()
    check(r.status == 503 and r.h("connection") == "close", "one more from 127.0.0.1 → 503")
    check(extra.closed(), "the 503 connection is closed")
    other = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0))
    c2 = Conn.__new__(Conn)
    c2.s, c2.buf = other, b""
    check(c2.request("GET", "/api/v1/health").status == 200, "127.0.0.2 still connects")
    c2.close()
    conns[0].close()
    time.sleep(0.2)
    c = Conn(port)
    check(c.request("GET", "/api/v1/health").status == 200, "a freed slot is usable again")
    c.close()
    for c in conns[1:]:
        c.close()
    print("ok max_connections_per_ip = %d: the next from 127.0.0.1 → 503, 127.0.0.2 served" % cap,
          flush=True)


# ---- TLS ----

def openssl(*args, cwd):
    p = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        fail("openssl %s: %s" % (" ".join(args), p.stderr))


def make_pki(d):
    """A CA and two server certificates for 127.0.0.1 (cert1, cert2) signed by it."""
    os.makedirs(d)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=ancloud test CA",
            cwd=d)
    for name in ("cert1", "cert2"):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name, cwd=d)
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", "ext.cnf",
                cwd=d)


def tls_ctx(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = True
    return ctx


class TlsConn(Conn):
    def __init__(self, port, ca, timeout=10):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.s = tls_ctx(ca).wrap_socket(raw, server_hostname="127.0.0.1")
        self.buf = b""

    def peer_cn(self):
        return dict(x[0] for x in self.s.getpeercert()["subject"])["commonName"]


def s_client(port, *args):
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, *args],
                       input="", capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout + p.stderr


def test_tls(tmp):
    pki = os.path.join(tmp, "pki")
    make_pki(pki)
    cert, key = os.path.join(tmp, "server.pem"), os.path.join(tmp, "server.key")
    for src, dst in (("cert1.pem", cert), ("cert1.key", key)):
        with open(os.path.join(pki, src), "rb") as f, open(dst, "wb") as g:
            g.write(f.read())
    ca = os.path.join(pki, "ca.pem")
    d = Daemon(tmp, config(tmp, "").replace("[server]\n", "[server]\ntls_cert = %s\ntls_key = %s\n"
                                              % (cert, key)), name="tls.conf")
    try:
        check(d.scheme == "https", "the start line says https://: %r" % d.line)
        c = TlsConn(d.port, ca)
        check(c.peer_cn() == "cert1", "verified against the test CA, cert1")
        r = c.request("GET", "/api/v1/health")
        check(r.status == 200 and b'"ok"' in r.body, "GET over HTTPS")
        r = c.request("GET", "/index.html")
        check(r.status == 200 and b"ancloud" in r.body, "static file over HTTPS, keep-alive")
        check(c.request("GET", "/api/v1/instances", AUTH).status == 200, "REST over HTTPS")
        check(c.s.version() in ("TLSv1.3", "TLSv1.2"), "version %s" % c.s.version())
        print("ok HTTPS: verified certificate, static + REST, %s %s" % (c.s.version(),
                                                                      c.s.cipher()[0]), flush=True)

        # Plain HTTP to the TLS port: a clear plain-text 400, then closed.
        p = Conn(d.port)
        p.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        r = p.read_response()
        check(r.status == 400 and b"HTTPS" in r.body, "plain HTTP → 400 (%d %r)" % (r.status,
                                                                                    r.body))
        check(p.closed(), "plain HTTP connection closed")
        p.close()
        print("ok plain HTTP on the TLS port → 400 and closed", flush=True)

        # Protocol and cipher policy, with openssl s_client.
        rc, out = s_client(d.port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
        check(rc == 0 and "ECDHE-ECDSA-AES128-GCM-SHA256" in out, "TLS 1.2 ECDHE+AEAD accepted")
        rc, out = s_client(d.port, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
        check(rc != 0 and "Cipher is (NONE)" in out, "TLS 1.1 refused:\n" + out[-400:])
        for cipher in ("ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES128-SHA", "AES128-GCM-SHA256"):
            rc, out = s_client(d.port, "-tls1_2", "-cipher", cipher + ":@SECLEVEL=0")
            check(rc != 0 and "Cipher is (NONE)" in out, "%s refused:\n%s" % (cipher, out[-400:]))
        rc, out = s_client(d.port, "-tls1_3")
        check(rc == 0 and "TLSv1.3" in out and "Compression: NONE" in out,
              "TLS 1.3 with default suites, no compression")
        print("ok TLS policy: 1.1 refused, CBC and non-ECDHE refused, 1.2 ECDHE+AEAD and 1.3 ok",
              flush=True)

        # A garbage ClientHello (and random bytes) on two connections; a TLS client beside them.
        g1 = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        g1.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(600))
        g2 = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        g2.sendall(os.urandom(4000))
        check(c.request("GET", "/api/v1/health").status == 200, "the TLS client goes on")
        for g in (g1, g2):
            data, closed = recv_all_until_close(g, 5)
            check(closed, "a garbage ClientHello is closed")
            g.close()
        c2 = TlsConn(d.port, ca)
        check(c2.request("GET", "/api/v1/health").status == 200, "new TLS clients are served")
        c2.close()
        print("ok garbage ClientHello closed, other connections undisturbed", flush=True)

        # SIGHUP with a new certificate: new connections get it, the open one keeps working.
        for src, dst in (("cert2.pem", cert), ("cert2.key", key)):
            with open(os.path.join(pki, src), "rb") as f, open(dst, "wb") as g:
                g.write(f.read())
        d.p.send_signal(signal.SIGHUP)
        check(d.wait_log("TLS certificate reloaded"), "reload logged")
        c3 = TlsConn(d.port, ca)
        check(c3.peer_cn() == "cert2", "a new connection sees the new certificate")
        check(c3.request("GET", "/api/v1/health").status == 200, "served with cert2")
        c3.close()
        check(c.request("GET", "/api/v1/health").status == 200, "the old connection goes on")
        # A broken certificate on SIGHUP is reported; cert2 stays.
        with open(cert, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
        d.p.send_signal(signal.SIGHUP)
        check(d.wait_log("keeping the running certificate"), "bad certificate reported")
        c4 = TlsConn(d.port, ca)
        check(c4.peer_cn() == "cert2", "the running certificate is kept")
        c4.close()
        c.close()
        print("ok SIGHUP: new certificate for new connections; a broken one reported and ignored",
              flush=True)
    except BaseException:
        d.p.kill()
        print(d.log()[-3000:])
        raise
    check(d.stop() == 0, "TLS daemon exits 0")
    check("loop closed cleanly" in d.log(), "TLS daemon: loop closed cleanly")
    # One of the two files without the other is a configuration error.
    bad = os.path.join(tmp, "half.conf")
    with open(bad, "w") as f:
        f.write("[server]\ntls_cert = %s\n" % cert)
    p = subprocess.run([DAEMON, "--check-config", "-c", bad], capture_output=True, text=True)
    check(p.returncode == 2 and "tls_key" in p.stderr, "tls_cert without tls_key: %s" % p.stderr)


def start_line(tmp, conf):
    p = subprocess.Popen([DAEMON, "-c", conf], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ready, _, _ = select.select([p.stdout], [], [], 30)
    check(ready, "daemon did not print its address")
    line = p.stdout.readline().decode()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    return line + out.decode(), err.decode()


def test_token_printed_once(tmp):
    conf = os.path.join(tmp, "gen.conf")
    state = os.path.join(tmp, "genstate")
    with open(conf, "w") as f:
        f.write(config(tmp).replace("token = integration-token-0123456789\n", "")
                .replace("%s/state" % tmp, state))
    out1, err1 = start_line(tmp, conf)
    m = re.search(r"#token=([0-9a-f]{64})", out1)
    check(m, "the first start prints the generated token: %r" % out1)
    token = m.group(1)
    check(os.stat(os.path.join(state, "token")).st_mode & 0o777 == 0o600, "token file is 0600")
    out2, err2 = start_line(tmp, conf)
    check(token not in out2 and token not in err2, "the second start does not print the token")
    check("(token in %s/token)" % state in out2, "it says where the token is: %r" % out2)
    print("ok token printed by the start that generated it only", flush=True)


def main():
    if not DAEMON or not os.access(DAEMON, os.X_OK):
        print("SKIP: ANCLOUDD not set or not executable")
        return 77
    timeout_s, cap = 3, 4
    with tempfile.TemporaryDirectory(prefix="anc-hard-") as tmp:
        make_web(tmp)
        extra = "max_body_kib = 2048\nrequest_timeout_s = %d\nmax_connections_per_ip = %d\n" % (
            timeout_s, cap)
        text = config(tmp).replace("max_body_kib = 4\nrequest_timeout_s = 10\n"
                                   "max_connections_per_ip = 1000\n", extra)
        d = Daemon(tmp, text)
        try:
            test_unauthenticated_body(d.port)
            test_per_ip(d.port, cap)
            test_slowloris(d.port, timeout_s)
        except BaseException:
            d.p.kill()
            print(d.log()[-3000:])
            raise
        check(d.stop() == 0, "exit 0")
        test_tls(tmp)
        test_token_printed_once(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
