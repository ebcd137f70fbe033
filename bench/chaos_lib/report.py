"""The chaos benchmark's checker: per fault, the longest time without service of
writes, one-to-one routing and the space; losses; stuck clients."""
import statistics


MARGIN = 0.5  # a gap that opens this close to the next fault is the next fault's


def longest_gap(times, t0, t1):
    """Longest interval between consecutive events that ends after t0 and opens
    before t1 (the last event before t0 anchors it). None without events."""
    ts = sorted(times)
    best = None
    for a, b in zip(ts, ts[1:]):
        if b >= t0 and a < t1 - MARGIN:
            best = max(best or 0, b - a)
    if ts and ts[-1] < t1 - MARGIN:  # nothing after the window's last event (until the end)
        best = max(best or 0, t1 - max(ts[-1], t0))
    return None if best is None else best * 1000


def streams(load):
    """(sender, receiver, arrival times) of every one-to-one and group stream."""
    out = []
    for a, b in load.pairs:
        for s, r in ((a, b), (b, a)):
            out.append(("chat", s, r, [t for m, t in r.arrived.items() if m in s.sent]))
    for s in load.occupants:
        for r in load.occupants:
            out.append(("group", s, r, [t for m, t in r.arrived.items() if m.startswith(f"g{s.nick}-")]))
    return out


def on_node(client, index, t0, t1):
    """True if the client's stream was on node `index` at any moment of [t0, t1), or
    was dropped then. Where it was then, not its home or where it ended: a client
    whose node died reconnects to the next one and stays there through later faults."""
    for lost, back, node in client.downs:
        if lost < t1 and (back is None or back > t0):
            return True
    for node, since, until in client.stints:
        if node == index and since < t1 and (until is None or until > t0):
            return True
    return False


def per_fault(faults, load, writer, end):
    rows = []
    ss = streams(load)
    acked_times = [a[1] for a in writer.acked]
    for k, f in enumerate(faults):
        t0 = f["at"]
        t1 = faults[k + 1]["at"] if k + 1 < len(faults) else end
        row = dict(f)
        row["writes_ms"] = longest_gap(acked_times, t0, t1)
        row["failed_writes"] = len([x for x in writer.failed if t0 <= x[1] < t1])
        for kind in ("chat", "group"):
            surv, alls = [], []
            for knd, s, r, times in ss:
                if knd != kind:
                    continue
                g = longest_gap(times, t0, t1)
                if g is None:
                    continue
                alls.append(g)
                if not (on_node(s, f["node"], t0, t1) or on_node(r, f["node"], t0, t1)):
                    surv.append(g)
            name = "xmpp" if kind == "chat" else "space"
            row[f"{name}_ms"] = max(surv) if surv else None
            row[f"{name}_all_ms"] = max(alls) if alls else None
        downs = [d for c in load.clients for d in c.downs if t0 <= d[0] < t1]
        row["reconnects"] = len(downs)
        row["reconnect_ms"] = max(((d[1] or end) - d[0]) * 1000 for d in downs) if downs else None
        rows.append(row)
    return rows


def fmt(v):
    return "-" if v is None else f"{v:.0f}"


def stats(values):
    v = [x for x in values if x is not None]
    if not v:
        return "none"
    return f"median {statistics.median(v):.0f} ms, max {max(v):.0f} ms (n={len(v)})"


COLUMNS = ("writes_ms", "xmpp_ms", "xmpp_all_ms", "space_ms", "space_all_ms", "reconnect_ms")


def table(rows):
    head = f"{'#':>3} {'t(s)':>6} {'fault':<10} {'node':<5} {'settle_s':>8} " + " ".join(f"{c:>12}" for c in COLUMNS)
    head += f" {'failed_w':>8} {'reconn':>6}  roles / detail"
    lines = [head]
    for k, r in enumerate(rows, 1):
        lines.append(f"{k:>3} {r['t']:>6.1f} {r['kind']:<10} node{r['node']:<1} {fmt(r.get('settle_s')):>8} "
                     + " ".join(f"{fmt(r[c]):>12}" for c in COLUMNS)
                     + f" {r['failed_writes']:>8} {r['reconnects']:>6}  {r['roles']}; {r['detail']}")
    return lines


def summary(rows):
    lines = []
    kinds = sorted({r["kind"] for r in rows})
    for c in COLUMNS:
        lines.append(f"  {c:<13} all faults: {stats(r[c] for r in rows)}")
        for kd in kinds:
            lines.append(f"  {'':<13} {kd:<10}: {stats(r[c] for r in rows if r['kind'] == kd)}")
    return lines
