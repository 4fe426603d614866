"""Pure-Python parsing: access-log pages split, converted and counted.

    gilsim record parse:parse_log --items parse:log_pages --path examples/record
"""
import random


def log_pages(pages=32, lines=8000):
    """Generated access-log pages, one string each (deterministic)."""
    rng = random.Random(7)
    paths = ["/api/items/%d" % i for i in range(50)] + ["/login", "/static/app.js", "/"]
    out = []
    for p in range(pages):
        rows = []
        for i in range(lines):
            rows.append(
                "2026-12-07T10:%02d:%02d %s %s %d %d %.1fms"
                % (i // 60 % 60, i % 60, rng.choice(("GET", "GET", "GET", "POST")),
                   rng.choice(paths), rng.choice((200, 200, 200, 404, 500)),
                   rng.randrange(100, 50_000), rng.expovariate(1 / 20))
            )
        out.append("\n".join(rows))
    return out


def parse_log(text):
    """Requests, bytes and the slowest latencies per path and status."""
    per_path = {}
    statuses = {}
    for line in text.split("\n"):
        stamp, method, path, status, size, latency = line.split(" ")
        ms = float(latency[:-2])
        entry = per_path.get(path)
        if entry is None:
            entry = per_path[path] = [0, 0, []]
        entry[0] += 1
        entry[1] += int(size)
        entry[2].append(ms)
        statuses[status] = statuses.get(status, 0) + 1
    summary = {}
    for path, (count, total, latencies) in per_path.items():
        latencies.sort()
        summary[path] = (count, total, latencies[len(latencies) * 99 // 100])
    return summary, statuses
