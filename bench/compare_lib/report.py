"""The comparison's outputs: a table of medians with min–max and the ratios
Convene/peer (higher is better for rates, lower for memory, so the ratio is always
"how many times better Convene is"), a CSV of every run, and a PNG chart (gnuplot)."""
import csv
import statistics
import subprocess

METRICS = [("login-first", "logins_per_s", "logins/s, first login", True), ("login", "logins_per_s", "logins/s", True), ("messages", "msgs_per_s", "messages/s delivered", True),
           # The median beside the p99: in the closed loop every user has one message on
           # its way, so the mean latency is (2 × pairs) / rate (Little's law) whatever
           # the server does, and the p99 can be no lower than that.
           ("messages-p50", "p50_ms", "messages: median latency, ms", False),
           ("messages-p99", "p99_ms", "messages: p99 latency, ms", False),
           # The server's own CPU per delivered message, as messages per second of one
           # core: what a core could carry when the tool on the other one runs out first.
           ("messages-core", "msgs_per_core_s", "messages per core-second", True),
           ("idle", "rss_per_conn_kib", "KiB RSS per idle connection", False),
           ("space", "deliveries_per_s", "space: group deliveries/s", True),
           ("space-p99", "p99_ms", "space: p99 latency, ms", False),
           ("space-memory", "kib_per_occupant", "space: KiB RSS per occupant", False)]
# bench/compare --scaling: one run each, server and tool not pinned for messages.
SCALING = [("idle-10000", "rss_per_conn_kib", "KiB per idle conn, 10k", False),
           ("idle-19000", "rss_per_conn_kib", "KiB per idle conn, 19k", False),
           ("messages-2cores", "msgs_per_s", "messages/s, 2 cores shared", True)]


def _values(results, server, scenario, metric):
    return [float(v) for s, sc, m, v, _, _ in results
            if s == server and sc == scenario and m == metric and v not in (None, "")]


def write_report(out, header, results, servers):
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["server", "scenario", "metric", "value", "tool_cpu", "error"])
        w.writerows(results)
    lines = list(header)
    lines.append(f"{'figure':30}" + "".join(f"{s:>24}" for s in servers) +
                 "".join(f"{'convene/' + s:>18}" for s in servers if s != "convene"))
    medians = {}
    metrics = [m for m in METRICS + SCALING if any(sc == m[0] for _, sc, _, _, _, _ in results)]
    for scenario, metric, title, higher_better in metrics:
        row = f"{title:30}"
        for s in servers:
            v = _values(results, s, scenario, metric)
            if v:
                medians[(s, scenario)] = statistics.median(v)
                row += f"{statistics.median(v):>12.1f} ({min(v):.0f}-{max(v):.0f})".rjust(24)
            else:
                errors = {e for srv, sc, _, _, _, e in results if srv == s and sc == scenario and e}
                row += f"{'failed' + (': ' + next(iter(errors))[:14] if errors else ''):>24}"
        for s in servers:
            if s == "convene":
                continue
            c, p = medians.get(("convene", scenario)), medians.get((s, scenario))
            ratio = (c / p if higher_better else p / c) if c and p else None
            row += f"{(f'{ratio:.2f}x' if ratio else '-'):>18}"
        lines.append(row)
    lines.append("ratios: how many times better Convene is (rates: convene/peer; memory: peer/convene)")
    failures = sorted({(s, m, e) for s, _, m, _, _, e in results if e})
    for s, m, e in failures:
        lines.append(f"failed: {s} {m}: {e}")
    table = "\n".join(lines) + "\n"
    (out / "table.txt").write_text(table)
    _chart(out, servers, medians, metrics)
    return table + f"written to {out}/ (table.txt, results.csv, chart.png)"


def _chart(out, servers, medians, metrics):
    data = out / "chart.dat"
    with open(data, "w") as f:
        f.write("figure " + " ".join(servers) + "\n")
        for scenario, _, title, _ in metrics:
            f.write('"' + title + '" ' + " ".join(str(medians.get((s, scenario), 0)) for s in servers) + "\n")
    plots = ", ".join(f"'{data}' every ::{{row}}::{{row}} using {i + 2}:xtic(1) title '{s}'"
                      for i, s in enumerate(servers))
    rows = (len(metrics) + 2) // 3
    script = [f"set terminal pngcairo size 1200,{420 * rows}", f"set output '{out / 'chart.png'}'",
              "set style data histograms", "set style histogram clustered gap 1", "set style fill solid 0.8",
              "set key outside bottom center horizontal", "set offsets 0, 0, graph 0.08, 0", "set grid ytics", f"set multiplot layout {rows},3 title 'Convene, Prosody, ejabberd "
              "(medians; server on one core, tool on the other, unless the panel says otherwise)'"]
    for row, (_, _, title, _) in enumerate(metrics):
        script += [f"set title '{title}'", "set yrange [0:*]", "unset xtics",
                   "plot " + plots.replace("{row}", str(row + 1))]
    script.append("unset multiplot")
    subprocess.run(["gnuplot"], input="\n".join(script), text=True, capture_output=True)
    data.unlink()


def replot(out):
    """Re-renders table.txt and chart.png of a results directory from its results.csv:
    python3 bench/compare_lib/report.py bench/results/compare-<time>"""
    with open(out / "results.csv", newline="") as f:
        results = [tuple(r) for r in list(csv.reader(f))[1:]]
    servers = list(dict.fromkeys(r[0] for r in results))
    header = [l for l in (out / "table.txt").read_text().splitlines() if l.startswith("#")]
    return write_report(out, header, results, servers)


if __name__ == "__main__":
    import sys
    from pathlib import Path
    print(replot(Path(sys.argv[1])))
