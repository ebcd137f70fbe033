#!/usr/bin/python3
"""The web admin's request figures: GET /api/v1/system/status with HTTP Basic auth.

    bench/web-api.py [--build build] [--requests 300] [--warmup 20]

Starts one real convened on NET.1 (the e2e harness; NET from CONVENE_TEST_NET,
default 127.0.1), enables its web admin through mmp as an operator would
(self-signed certificate made now, `webadmin listen a 445`, `webadmin certs`,
`webadmin enable`, one admin account), then times, one request at a time
(closed loop, Python's http.client verifying the node's certificate):

  new-connection  a TCP connection and TLS handshake per request (curl-like scripts)
  keep-alive      every request on one kept connection (Postman, a scraper)

Each request includes the account's password check (PBKDF2, the slow KDF the
accounts are stored with): every API request authenticates. Median and p99 in
milliseconds, requests per second, printed with the command line that
reproduces them. A benchmark, not a test: figures, not pass/fail. The node is
stopped by its pid.
"""
import argparse
import base64
import http.client
import os
import shutil
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "e2e"))

args = argparse.ArgumentParser()
args.add_argument("--build", default=str(TOP / "build"))
args.add_argument("--requests", type=int, default=300)
args.add_argument("--warmup", type=int, default=20)
opts = args.parse_args()
os.environ["CONVENE_BUILD"] = str(Path(opts.build).resolve())

from harness import Node  # noqa: E402  (reads CONVENE_BUILD)
from webadmin_fixtures import ACCOUNTS, PORT, enable_webadmin  # noqa: E402

PATH = "/api/v1/system/status"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(send, count):
    times = []
    for _ in range(count):
        started = time.perf_counter()
        status = send()
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"GET {PATH} answered {status}")
    return times


def main():
    base = Path(tempfile.mkdtemp(prefix="convene-web-bench-"))
    node = Node(base, 1).start()
    try:
        web = enable_webadmin(node)
        ctx = ssl.create_default_context(cafile=str(web.cert))
        password = ACCOUNTS["ops"][1]
        headers = {"Authorization": "Basic " + base64.b64encode(f"ops:{password}".encode()).decode()}

        def fresh():
            conn = http.client.HTTPSConnection(node.address, PORT, context=ctx, timeout=10)
            try:
                conn.request("GET", PATH, headers=headers)
                r = conn.getresponse()
                r.read()
                return r.status
            finally:
                conn.close()

        kept = http.client.HTTPSConnection(node.address, PORT, context=ctx, timeout=10)

        def reuse():
            kept.request("GET", PATH, headers=headers)
            r = kept.getresponse()
            r.read()
            return r.status

        lines = []
        for name, send in (("new-connection", fresh), ("keep-alive", reuse)):
            timed(send, opts.warmup)
            started = time.perf_counter()
            times = timed(send, opts.requests)
            wall = time.perf_counter() - started
            lines.append(f"RESULT scenario={name} requests={len(times)} median_ms={statistics.median(times):.2f} "
                         f"p99_ms={percentile(times, 99):.2f} max_ms={max(times):.2f} per_s={len(times) / wall:.1f}")
        kept.close()
        print(f"# {' '.join([sys.argv[0], *sys.argv[1:]])}  (CONVENE_TEST_NET={os.environ.get('CONVENE_TEST_NET', '127.0.1')},"
              f" {os.cpu_count()} cores, shared machine)")
        for line in lines:
            print(line)
    finally:
        node.stop()
        shutil.rmtree(base, ignore_errors=True)


main()
