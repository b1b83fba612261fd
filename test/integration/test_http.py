#!/usr/bin/env python3
"""HTTP server integration test: the real daemon over real TCP sockets.

Starts $ANCLOUDD with a temporary config (listen 127.0.0.1:0, temp state/run/web dirs), reads
the port from its "listening: open http://HOST:PORT/#token=..." line and drives it: static files
(MIME, ETag/304, HEAD, traversal and symlinks), REST (health, 401/404/405), limits (400, 413,
431, 503, header timeout), keep-alive, pipelining, concurrency, SIGHUP reload, SIGTERM, and
--check-config. Exits 0 on success, 1 on the first failure, 77 when the daemon is missing."""
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

DAEMON = os.environ.get("ANCLOUDD")
TOKEN = "integration-token-0123456789"
AUTH = "Authorization: Bearer %s\r\n" % TOKEN


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def h(self, name):
        return self.headers.get(name.lower())


class Conn:
    def __init__(self, port, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data.encode() if isinstance(data, str) else data)

    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def read_response(self, head=False):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.1 (\d{3}) ", lines[0])
        check(m, "bad status line %r" % lines[0])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        status = int(m.group(1))
        n = 0 if head or status in (204, 304) else int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return Response(status, headers, body)

    def request(self, method, path, headers="", body=b"", head=None):
        if isinstance(body, str):
            body = body.encode()
        if body:
            headers += "Content-Length: %d\r\n" % len(body)
        self.send(("%s %s HTTP/1.1\r\nHost: t\r\n%s\r\n" % (method, path, headers)).encode() + body)
        return self.read_response(head=(method == "HEAD") if head is None else head)

    def closed(self, wait=5):
        """True when the server closes the connection within wait seconds."""
        self.s.settimeout(wait)
        try:
            while True:
                if not self.s.recv(65536):
                    return True
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.s.close()


def get(port, path, headers=""):
    c = Conn(port)
    r = c.request("GET", path, headers)
    c.close()
    return r


class Daemon:
    def __init__(self, tmp, conf_text, name="a.conf"):
        self.conf = os.path.join(tmp, name)
        with open(self.conf, "w") as f:
            f.write(conf_text)
        self.errpath = os.path.join(tmp, "stderr.log")
        self.err = open(self.errpath, "w")
        self.p = subprocess.Popen([DAEMON, "-c", self.conf], stdout=subprocess.PIPE,
                                  stderr=self.err)
        ready, _, _ = select.select([self.p.stdout], [], [], 30)
        check(ready, "daemon did not print its address")
        self.line = self.p.stdout.readline().decode()
        m = re.search(r"listening: open (https?)://127\.0\.0\.1:(\d+)/(#token=(\S+))?",
                      self.line)
        check(m, "unexpected first line %r" % self.line)
        check(TOKEN not in self.line, "a configured token is not printed: %r" % self.line)
        self.scheme, self.port, self.token = m.group(1), int(m.group(2)), m.group(4)

    def log(self):
        with open(self.errpath) as f:
            return f.read()

    def wait_log(self, text, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if text in self.log():
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(30)
        except subprocess.TimeoutExpired:
            self.p.kill()  # a daemon that hangs on SIGTERM must not outlive the test
            self.p.wait()
            fail("the daemon did not exit within 30 s of SIGTERM:\n" + self.log()[-2000:])
        self.err.close()
        return rc


def config(tmp, extra=""):
    return ("[server]\nlisten = 127.0.0.1:0\ntoken = %s\nweb_dir = %s/web\nmax_body_kib = 4\n"
            "request_timeout_s = 10\nmax_connections_per_ip = 1000\n"
            "[paths]\nstate_dir = %s/state\nrun_dir = %s/run\nimage_dir = %s/images\n"
            "[rtc]\nudp_port = 0\n[network]\nenabled = false\n%s"
            % (TOKEN, tmp, tmp, tmp, tmp, extra))


def make_web(tmp):
    web = os.path.join(tmp, "web")
    os.makedirs(os.path.join(web, "js"))
    files = {"index.html": "<!doctype html><p>ancloud</p>\n", "js/app.js": "export const a=1;\n",
             "js/mod.mjs": "export {};\n", "style.css": "p{}\n", "data.json": "{}\n",
             "manifest.webmanifest": "{}\n", "icon.svg": "<svg/>\n", "icon.png": "\x89PNG",
             "favicon.ico": "ico", "m.wasm": "\0asm", "robots.txt": "User-agent: *\n"}
    for name, text in files.items():
        with open(os.path.join(web, name), "w") as f:
            f.write(text)
    with open(os.path.join(tmp, "secret.txt"), "w") as f:
        f.write("outside web_dir\n")
    os.symlink(os.path.join(tmp, "secret.txt"), os.path.join(web, "leak.txt"))
    os.symlink(tmp, os.path.join(web, "up"))
    os.symlink("index.html", os.path.join(web, "alias.html"))


def test_static(port):
    r = get(port, "/")
    check(r.status == 200 and b"ancloud" in r.body, "GET / serves index.html")
    check(r.h("content-type") == "text/html; charset=utf-8", "html type")
    check(r.h("cache-control") == "no-cache", "Cache-Control")
    check(r.h("server", ).startswith("ancloudd/") and r.h("date"), "Server and Date")
    etag = r.h("etag")
    check(etag and etag.startswith('"'), "ETag")
    r2 = get(port, "/index.html", "If-None-Match: %s\r\n" % etag)
    check(r2.status == 304 and r2.body == b"", "If-None-Match → 304 (%d)" % r2.status)
    check(get(port, "/index.html", 'If-None-Match: "other"\r\n').status == 200, "other etag")
    types = {"/js/app.js": "text/javascript", "/js/mod.mjs": "text/javascript",
             "/style.css": "text/css", "/data.json": "application/json",
             "/manifest.webmanifest": "application/manifest+json", "/icon.svg": "image/svg+xml",
             "/icon.png": "image/png", "/favicon.ico": "image/x-icon",
             "/m.wasm": "application/wasm", "/robots.txt": "text/plain"}
    for path, t in types.items():
        r = get(port, path)
        check(r.status == 200 and r.h("content-type").split(";")[0] == t, "type of %s" % path)
    c = Conn(port)
    r = c.request("HEAD", "/js/app.js")
    check(r.status == 200 and r.h("content-length") == str(len("export const a=1;\n")), "HEAD")
    r = c.request("GET", "/api/v1/health")  # the HEAD sent no body: the stream stays in sync
    check(r.status == 200, "after HEAD")
    c.close()
    check(get(port, "/alias.html").status == 200, "symlink inside web_dir is served")
    r = get(port, "/js")
    check(r.status == 301 and r.h("location") == "/js/", "directory redirects")
    print("ok static", flush=True)


def test_traversal(port):
    bad = ["/../secret.txt", "/js/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
           "/js/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt", "/js%2f..%2f..%2fsecret.txt",
           "/index.html%00.png", "/leak.txt", "/up/secret.txt", "/up/web/index.html",
           "/..%5csecret.txt", "/.%2e/secret.txt", "//../secret.txt", "/nonexistent"]
    for path in bad:
        r = get(port, path)
        check(r.status in (400, 404), "%s gives %d" % (path, r.status))
        check(b"outside web_dir" not in r.body, "%s leaked" % path)
    print("ok traversal", flush=True)


def test_rest(port):
    r = get(port, "/api/v1/health")
    check(r.status == 200 and r.h("content-type") == "application/json", "health")
    import json
    j = json.loads(r.body)
    check(j["status"] == "ok" and "version" in j and isinstance(j["uptime_s"], int), "health body")
    r = get(port, "/api/v1/no-such-route")
    check(r.status == 401 and r.h("www-authenticate").startswith("Bearer"), "401")
    check(json.loads(r.body)["error"]["code"] == "unauthorized", "401 body")
    check(get(port, "/api/v1/no-such-route", "Authorization: Bearer wrong\r\n").status == 401,
          "wrong token")
    r = get(port, "/api/v1/no-such-route", AUTH)
    check(r.status == 404 and json.loads(r.body)["error"]["code"] == "not_found", "404 after auth")
    c = Conn(port)
    r = c.request("DELETE", "/api/v1/health", AUTH)
    check(r.status == 405 and r.h("allow") == "GET, HEAD", "405 + Allow")
    check(json.loads(r.body)["error"]["code"] == "method_not_allowed", "405 body")
    c.close()
    check(get(port, "/metrics").status == 401, "/metrics needs the token")
    r = get(port, "/metrics", AUTH)
    check(r.status == 200 and r.h("content-type").startswith("text/plain; version=0.0.4"), "metrics")
    for name in (b"ancloud_http_connections_total ", b"ancloud_http_connections_active ",
                 b"ancloud_uptime_seconds ", b'ancloud_http_requests_total{code="200"} '):
        check(name in r.body, "metric %s" % name)
    print("ok rest", flush=True)


def expect_error_and_close(port, data, status, code):
    c = Conn(port)
    c.send(data)
    r = c.read_response()
    check(r.status == status, "expected %d, got %d" % (status, r.status))
    import json
    check(json.loads(r.body)["error"]["code"] == code, "error code %s" % code)
    check(r.h("connection") == "close", "Connection: close on %d" % status)
    check(c.closed(), "closed after %d" % status)
    c.close()


def test_limits(port):
    expect_error_and_close(port, "GARBAGE\r\n\r\n", 400, "bad_request")
    expect_error_and_close(port, "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                           400, "bad_request")
    expect_error_and_close(port, "GET / HTTP/1.1\r\nX: " + "a" * 17000 + "\r\n\r\n", 431,
                           "headers_too_large")
    expect_error_and_close(port, "POST /api/v1/x HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" +
                           "b" * 5000, 413, "payload_too_large")
    chunk = "1000\r\n" + "c" * 4096 + "\r\n"
    expect_error_and_close(port, "POST /api/v1/x HTTP/1.1\r\n%sTransfer-Encoding: chunked\r\n\r\n"
                           % AUTH + chunk * 2 + "0\r\n\r\n", 413, "payload_too_large")
    # Bodies within the limit, by length and chunked, keep the connection usable.
    c = Conn(port)
    r = c.request("POST", "/api/v1/health", AUTH, body="x" * 4000)
    check(r.status == 405, "POST with a body (%d)" % r.status)
    c.send("POST /api/v1/health HTTP/1.1\r\n%sTransfer-Encoding: chunked\r\n\r\n"
           "3;ext=1\r\nabc\r\n0\r\n\r\n" % AUTH)
    check(c.read_response().status == 405, "chunked body")
    check(c.request("GET", "/api/v1/health").status == 200, "still alive")
    c.close()
    print("ok limits", flush=True)


def test_http10(port):
    c = Conn(port)
    c.send("GET /api/v1/health HTTP/1.0\r\n\r\n")
    r = c.read_response()
    check(r.status == 200 and r.h("connection") == "close", "HTTP/1.0 closes")
    check(c.closed(), "HTTP/1.0 connection closed")
    c.close()
    c = Conn(port)
    c.send("GET /api/v1/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    r = c.read_response()
    check(r.h("connection") == "keep-alive", "HTTP/1.0 keep-alive")
    c.send("GET /api/v1/health HTTP/1.1\r\nConnection: close\r\n\r\n")
    r = c.read_response()
    check(r.status == 200 and r.h("connection") == "close", "Connection: close")
    check(c.closed(), "closed after Connection: close")
    c.close()
    print("ok http/1.0 and Connection: close", flush=True)


def test_keepalive_1000(port):
    c = Conn(port)
    for i in range(1000):
        r = c.request("GET", "/api/v1/health" if i % 2 else "/js/app.js")
        check(r.status == 200, "request %d on one connection" % i)
    c.close()
    print("ok 1000 requests on one keep-alive connection", flush=True)


def test_pipelining(port):
    c = Conn(port)
    paths = ["/api/v1/health", "/js/app.js", "/nope", "/style.css"] * 25
    c.send("".join("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % p for p in paths))
    for p in paths:
        r = c.read_response()
        want = 404 if p == "/nope" else 200
        check(r.status == want, "pipelined %s: %d" % (p, r.status))
        if p == "/js/app.js":
            check(r.body == b"export const a=1;\n", "pipelined body order")
    c.close()
    # A refused request (401 at its headers) ends the connection: what follows is not answered.
    c = Conn(port)
    c.send("".join("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % p
                   for p in ["/api/v1/health", "/api/v1/nope", "/api/v1/health"]))
    check(c.read_response().status == 200, "pipelined before the 401")
    r = c.read_response()
    check(r.status == 401 and r.h("connection") == "close", "pipelined 401 closes")
    check(c.buf == b"" and c.closed(), "nothing answered after the 401")
    c.close()
    print("ok pipelining (%d requests in one write)" % len(paths), flush=True)


def test_concurrent(port, n=200):
    conns = [Conn(port) for _ in range(n)]
    for c in conns:
        c.send("GET /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
    for i, c in enumerate(conns):
        check(c.read_response().status == 200, "concurrent connection %d" % i)
    r = get(port, "/metrics", AUTH)
    m = re.search(rb"ancloud_http_connections_active (\d+)", r.body)
    check(m and int(m.group(1)) >= n, "active gauge counts %d open connections" % n)
    for c in conns:
        c.close()
    print("ok %d concurrent connections" % n, flush=True)


def test_sighup_and_max_connections(d, tmp):
    with open(d.conf, "w") as f:
        f.write(config(tmp, "[log]\nlevel = debug\n")
                .replace("[server]\n", "[server]\nmax_connections = 3\n")
                .replace("image_dir = %s/images" % tmp, "image_dir = %s/images2" % tmp))
    d.p.send_signal(signal.SIGHUP)
    check(d.wait_log("SIGHUP: reloaded") and d.wait_log("(log level debug)"), "SIGHUP reload logged")
    check(d.wait_log("these changes need a restart: paths.image_dir"),
          "SIGHUP names what needs a restart")
    time.sleep(0.5)  # let earlier connections finish closing
    held = [Conn(d.port) for _ in range(3)]
    for i, c in enumerate(held):
        r = c.request("GET", "/api/v1/health")
        check(r.status == 200, "within max_connections: #%d got %d" % (i, r.status))
    extra = Conn(d.port)
    r = extra.read_response()
    check(r.status == 503 and r.h("connection") == "close", "503 beyond max_connections")
    check(extra.closed(), "503 connection closed")
    extra.close()
    for c in held:
        c.close()
    # A broken file on SIGHUP keeps the daemon running with the old configuration.
    with open(d.conf, "w") as f:
        f.write("[server]\nnonsense here\n")
    d.p.send_signal(signal.SIGHUP)
    check(d.wait_log("is invalid; keeping the running configuration"), "bad SIGHUP logged")
    time.sleep(0.3)
    check(get(d.port, "/api/v1/health").status == 200, "still serving after a bad SIGHUP")
    print("ok SIGHUP reload, max_connections → 503, bad file kept running", flush=True)


def test_check_config(tmp):
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write("[server]\nmax_connections = many\n")
    p = subprocess.run([DAEMON, "--check-config", "-c", bad], capture_output=True, text=True)
    check(p.returncode == 2 and "bad.conf:2" in p.stderr, "bad value: %d %s" % (p.returncode,
                                                                                p.stderr))
    with open(bad, "w") as f:
        f.write("[server]\nlisten = 127.0.0.1:0\nno_such_key = 1\n")
    p = subprocess.run([DAEMON, "--check-config", "-c", bad], capture_output=True, text=True)
    check(p.returncode == 2 and "bad.conf:3" in p.stderr, "unknown key: %d %s" % (p.returncode,
                                                                                  p.stderr))
    print("ok --check-config", flush=True)


def main():
    if not DAEMON or not os.access(DAEMON, os.X_OK):
        print("SKIP: ANCLOUDD not set or not executable")
        return 77
    with tempfile.TemporaryDirectory(prefix="anc-http-") as tmp:
        make_web(tmp)
        d = Daemon(tmp, config(tmp))
        try:
            slow = Conn(d.port, timeout=30)  # sends part of its headers, then nothing
            slow.send("GET / HTTP/1.1\r\nHost: t\r\n")
            slow_start = time.time()
            idle = Conn(d.port, timeout=30)  # connects and never sends
            test_static(d.port)
            test_traversal(d.port)
            test_rest(d.port)
            test_limits(d.port)
            test_http10(d.port)
            test_keepalive_1000(d.port)
            test_pipelining(d.port)
            test_concurrent(d.port)
            check(slow.closed(wait=max(1, slow_start + 13 - time.time())), "slow header client")
            check(time.time() - slow_start >= 9.5, "request_timeout_s = 10: not before 10 s")
            check(idle.closed(wait=3), "a connection that sends nothing is closed too")
            slow.close()
            idle.close()
            print("ok slow-header client closed after %.1f s" % (time.time() - slow_start))
            test_sighup_and_max_connections(d, tmp)
        except BaseException:
            d.p.kill()
            print(d.log()[-3000:])
            raise
        rc = d.stop()
        log = d.log()
        check(rc == 0, "SIGTERM exit status %d" % rc)
        check("loop closed cleanly" in log, "'loop closed cleanly' logged:\n" + log[-2000:])
        print("ok SIGTERM → exit 0, loop closed cleanly", flush=True)
        test_check_config(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
