#!/usr/bin/env python3
"""Mixed-load driver for proxy/bench/soak.sh (standard library only).

Each worker thread plays a machine client over one keep-alive connection, in a loop:
client_credentials issuance (an access and a refresh token), searches, a `_bulk` write, a
refresh-token rotation, searches with the new token, then revocation of the access token and
one search with it that must now be refused (401). Every 10 s it samples the proxy's RSS and
open file descriptors (/proc/PID) and prints one table row: requests/s, p99 latency per
operation over that window and unexpected answers by status. At the end: totals, RSS growth
from the first to the last minute after a warm-up (--warmup), the RSS trend over the second
half, and a verdict. Exit status 1 on any unexpected answer or RSS growth beyond
--max-rss-growth-pct.

Why a Python driver rather than wrk: the flows are stateful (a refresh needs the previous
answer's refresh token, a revocation the token just issued, the check after it the revoked
token) and the figures are needed per operation and per 10-second window while the run goes
on; wrk's Lua threads only report at the end. The driver is closed-loop (each worker waits for
its answer), so it cannot overload the machine, and its request count is bounded by time.
"""

import argparse
import base64
import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse

OPS = ("issue", "search", "bulk", "refresh", "revoke", "revoked")
# What each operation must answer; anything else is an error.
EXPECTED = {"issue": 200, "search": 200, "bulk": 200, "refresh": 200, "revoke": 200, "revoked": 401}


class Stats:
    """Latencies and statuses of the current window, and totals."""

    def __init__(self):
        self.lock = threading.Lock()
        self.window = {op: [] for op in OPS}
        self.errors = {}  # (op, status) -> count, current window
        self.total = {op: 0 for op in OPS}
        self.total_errors = {}
        self.samples = []  # one dict per window
        self.first_error = None

    def record(self, op, status, seconds, detail=""):
        with self.lock:
            self.window[op].append(seconds)
            self.total[op] += 1
            if status != EXPECTED[op]:
                key = (op, status)
                self.errors[key] = self.errors.get(key, 0) + 1
                self.total_errors[key] = self.total_errors.get(key, 0) + 1
                if self.first_error is None:
                    self.first_error = f"{op}: {status} {detail[:300]}"

    def take(self):
        with self.lock:
            window, errors = self.window, self.errors
            self.window = {op: [] for op in OPS}
            self.errors = {}
        return window, errors


def p99(values):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def proc_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Worker(threading.Thread):
    def __init__(self, n, args, stats, deadline):
        super().__init__(daemon=True)
        self.n, self.args, self.stats, self.deadline = n, args, stats, deadline
        url = urllib.parse.urlsplit(args.url)
        self.host, self.port = url.hostname, url.port
        self.conn = None
        basic = f"{args.client_id}:{args.client_secret}".encode()
        self.basic = "Basic " + base64.b64encode(basic).decode()
        self.rng = random.Random(n)

    def call(self, op, method, path, body=b"", headers=None):
        headers = dict(headers or {})
        start = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
            status = resp.status
            if resp.getheader("connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
        except (OSError, http.client.HTTPException) as e:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            status, data = f"conn:{type(e).__name__}", str(e).encode()
        self.stats.record(op, status, time.perf_counter() - start, data.decode("utf-8", "replace"))
        return status, data

    def token(self, op, form):
        status, data = self.call(
            op,
            "POST",
            "/oauth/token",
            urllib.parse.urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Authorization": self.basic},
        )
        if status != 200:
            return None
        return json.loads(data)

    def search(self, op, token):
        q = {"query": {"match": {"level": self.rng.choice(["error", "warn", "info"])}}, "size": 5}
        return self.call(
            op,
            "POST",
            f"/{self.args.index}/_search",
            json.dumps(q).encode(),
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )

    def bulk(self, token):
        lines = []
        for i in range(5):
            lines.append(json.dumps({"index": {"_index": self.args.index}}))
            lines.append(json.dumps({"level": "info", "message": f"soak w{self.n} {i}", "ts": int(time.time())}))
        body = ("\n".join(lines) + "\n").encode()
        return self.call(
            "bulk",
            "POST",
            "/_bulk",
            body,
            {"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {token}"},
        )

    def run(self):
        scope = self.args.scope
        while time.monotonic() < self.deadline:
            issued = self.token("issue", {"grant_type": "client_credentials", "scope": scope})
            if issued is None:
                time.sleep(0.1)
                continue
            access, refresh = issued["access_token"], issued.get("refresh_token")
            for _ in range(self.args.searches):
                self.search("search", access)
            self.bulk(access)
            if refresh:
                rotated = self.token("refresh", {"grant_type": "refresh_token", "refresh_token": refresh})
                if rotated is not None:
                    access = rotated["access_token"]
                    for _ in range(2):
                        self.search("search", access)
            status, _ = self.call(
                "revoke",
                "POST",
                "/oauth/revoke",
                urllib.parse.urlencode({"token": access}).encode(),
                {"Content-Type": "application/x-www-form-urlencoded", "Authorization": self.basic},
            )
            if status == 200:
                self.search("revoked", access)


def fmt_ms(v):
    return "-" if v is None else f"{v * 1000:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--pid", type=int, required=True, help="the proxy's process id")
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--client-secret", required=True)
    ap.add_argument("--scope", default="read:soak-* write:soak-*")
    ap.add_argument("--index", default="soak-logs")
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--interval", type=int, default=10)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--searches", type=int, default=5, help="searches per issued token")
    ap.add_argument("--max-rss-growth-pct", type=float, default=10.0)
    ap.add_argument("--warmup", type=int, default=60, help="seconds left out of the RSS verdict")
    args = ap.parse_args()

    stats = Stats()
    start = time.monotonic()
    deadline = start + args.seconds
    workers = [Worker(n, args, stats, deadline) for n in range(args.workers)]
    for w in workers:
        w.start()

    cols = ["t(s)", "rss MiB", "fds", "req/s"] + [f"p99 {op} ms" for op in OPS] + ["unexpected"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    sys.stdout.flush()
    next_tick = min(start + args.interval, deadline)
    prev = start
    while True:
        time.sleep(max(0.0, next_tick - time.monotonic()))
        finished = time.monotonic() >= deadline
        if finished:
            for w in workers:
                w.join(timeout=35)
        window, errors = stats.take()
        now = time.monotonic()
        span, prev = max(0.001, now - prev), now
        try:
            rss, fds = proc_rss_kib(args.pid), proc_fds(args.pid)
        except OSError:
            print(f"the proxy (pid {args.pid}) is gone", file=sys.stderr)
            return 1
        n = sum(len(v) for v in window.values())
        stats.samples.append({"t": now - start, "rss": rss, "fds": fds, "n": n})
        unexpected = " ".join(f"{op}:{st}={c}" for (op, st), c in sorted(errors.items(), key=str)) or "0"
        row = [f"{now - start:.0f}", f"{rss / 1024:.1f}", str(fds), f"{n / span:.0f}"]
        row += [fmt_ms(p99(window[op])) for op in OPS] + [unexpected]
        print("| " + " | ".join(row) + " |")
        sys.stdout.flush()
        if finished:
            break
        next_tick = min(next_tick + args.interval, deadline)

    # Verdict: RSS averaged over the first and the last minute after the warm-up (the first
    # minute's allocations fill caches, connection pools and the revocation list up to their
    # steady size; a leak keeps growing after it), or over the first and last third of what
    # follows the warm-up in a shorter run; file descriptors first and last; unexpected answers.
    samples = stats.samples
    steady = [s for s in samples if s["t"] > args.warmup] or samples
    per_min = max(1, 60 // args.interval)
    k = min(per_min, max(1, len(steady) // 3))
    first = sum(s["rss"] for s in steady[:k]) / k
    last = sum(s["rss"] for s in steady[-k:]) / k
    growth = (last - first) / first * 100 if first else 0.0
    total = sum(stats.total.values())
    print()
    print(f"requests: {total} in {args.seconds} s ({total / args.seconds:.0f}/s); by operation: "
          + ", ".join(f"{op} {stats.total[op]}" for op in OPS))
    print(f"RSS: {samples[0]['rss'] / 1024:.1f} MiB at {samples[0]['t']:.0f} s; after the {args.warmup} s warm-up "
          f"{first / 1024:.1f} MiB (first {k * args.interval} s) -> {last / 1024:.1f} MiB "
          f"(last {k * args.interval} s): {growth:+.1f}%; peak {max(s['rss'] for s in samples) / 1024:.1f} MiB")
    half = samples[len(samples) // 2:]
    if len(half) >= 2 and half[-1]["t"] > half[0]["t"]:
        slope = (half[-1]["rss"] - half[0]["rss"]) / 1024 / ((half[-1]["t"] - half[0]["t"]) / 60)
        print(f"RSS trend over the second half: {slope:+.2f} MiB/min")
    print(f"open files: {samples[0]['fds']} -> {samples[-1]['fds']} (max {max(s['fds'] for s in samples)})")
    bad = sum(stats.total_errors.values())
    if bad:
        print("unexpected answers: " + ", ".join(f"{op} {st}: {c}" for (op, st), c in sorted(stats.total_errors.items(), key=str)))
        print(f"first one: {stats.first_error}")
    ok = bad == 0 and growth <= args.max_rss_growth_pct
    reasons = []
    if bad:
        reasons.append(f"{bad} unexpected answers")
    if growth > args.max_rss_growth_pct:
        reasons.append(f"RSS grew {growth:.1f}% (> {args.max_rss_growth_pct}%)")
    print("verdict: " + ("PASS (flat RSS, no unexpected answer)" if ok else "FAIL: " + "; ".join(reasons)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
