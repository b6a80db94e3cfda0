"""The Markdown of docs/BENCHMARKS.md, from bench/run's measurements."""
import os
import platform
import subprocess


def machine():
    model = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) // 1024
    go = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    load = open("/proc/loadavg").read().split()[:3]
    return f"{os.cpu_count()} CPUs (`nproc`), {model}, {mem:,} MiB, {platform.system()} {platform.release()}; {go}; load average at the end {' / '.join(load)}"


def markdown(recs, started, command, stat, fmt, parse_wrk):
    out = ["# Benchmarks", "",
           f"Written by `{command}` (started {started}). Every figure: median (min–max) over the rounds or runs named.",
           "", f"Machine: {machine()}.", ""]
    out += goals(recs, parse_wrk)
    out += intake(recs, stat, fmt, parse_wrk)
    out += footprint(recs, stat, fmt)
    out += scaffold(recs, stat, fmt)
    out += render(recs, stat, fmt)
    out += merge(recs, stat, fmt)
    out += rollout(recs, stat, fmt)
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NOTES.md")
    if os.path.exists(notes):
        out += [open(notes).read().rstrip(), ""]
    return "\n".join(out) + "\n"


def intake(recs, stat, fmt, parse_wrk):
    rows = [r for r in recs if r.get("section") == "intake"]
    if not rows:
        return []
    out = ["## Webhook intake: goldenpath vs Probot", "",
           "| c | server | req/s | p50 ms | p99 ms | CPU ms / delivery | non-2xx | drain after s |",
           "|---|---|---|---|---|---|---|---|"]
    cs = sorted({int(r["c"]) for r in rows})
    for c in cs:
        for server in ("goldenpath", "goldenpath-nojob", "probot"):
            rs = [r for r in rows if int(r["c"]) == c and r["server"] == server]
            if not rs:
                continue
            w = [parse_wrk(r["wrk"]) for r in rs]
            rps = stat([x["requests"] / (x["duration_us"] / 1e6) for x in w])
            p50 = stat([x["p50_us"] / 1000 for x in w])
            p99 = stat([x["p99_us"] / 1000 for x in w])
            cpu = stat([(float(r["cpu1"]) - float(r["cpu0"])) * 1000 / max(1, x["requests"]) for r, x in zip(rs, w)])
            non = stat([x["non2xx"] + x["socket_errors"] for x in w])
            drain = stat([float(r["drain_s"]) for r in rs])
            label = {"goldenpath": "goldenpath, queued", "goldenpath-nojob": "goldenpath, answered without a job", "probot": "Probot"}[server]
            out.append(f"| {c} | {label} | {fmt(rps)} | {fmt(p50, 2)} | {fmt(p99, 2)} | {fmt(cpu, 3)} | {fmt(non)} | {fmt(drain, 2) if server == 'goldenpath' else '—'} |")
    out.append("")
    rss = [r for r in recs if r.get("section") == "intake-rss"]
    for server in ("goldenpath", "goldenpath-nojob", "probot"):
        s = stat([int(r["peak_kib"]) / 1024 for r in rss if r["server"] == server])
        f = stat([int(r.get("file_kib", 0)) / 1024 for r in rss if r["server"] == server])
        if s:
            out.append(f"- Peak RSS of {server} over a round (VmHWM): {fmt(s, 1, ' MiB')}; "
                       f"file-backed at the end (the executable's pages, shared and reclaimable): {fmt(f, 1, ' MiB')}")
    for r in recs:
        if r.get("section") == "intake-durable":
            out.append(f"- Round {r['round']}, {r.get('server', 'goldenpath')}: answered {int(r['answered']):,} deliveries 2xx; "
                       f"{int(r['rows']):,} deliveries in `goldenpath_delivery` (durably queued; more rows than answers: deliveries committed as wrk closed their connections)")
    out.append("")
    return out


def gobench_rows(recs, section):
    return [r for r in recs if r.get("section") == section]


def footprint(recs, stat, fmt):
    out = []
    b = [r for r in recs if r.get("section") == "binary"]
    gp = [r for r in recs if r.get("section") == "footprint"]
    pb = [r for r in recs if r.get("section") == "footprint-probot"]
    if not (b or gp):
        return out
    out += ["## Footprint", "", "| figure | goldenpath | Probot |", "|---|---|---|"]
    if b:
        out.append(f"| binary (`-trimpath -ldflags='-s -w'`, as deploy/Dockerfile builds it) | {int(b[0]['bytes']) / 1e6:.1f} MB | — |")
        out.append(f"| binary (plain `go build`) | {int(b[0]['default_bytes']) / 1e6:.1f} MB | — |")
    ready = lambda rs: stat([float(r["ready_ms"]) for r in rs])
    idle = lambda rs: stat([int(r["idle_kib"]) / 1024 for r in rs])
    restarts = [r for r in gp if r.get("db") == "restart"]
    first = [r for r in gp if r.get("db") == "new-database"]
    out.append(f"| exec → first 2xx of `/readyz` (Probot: first answer), restart, ms | {fmt(ready(restarts), 1)} | {fmt(ready(pb), 1)} |")
    out.append(f"| exec → first 2xx of `/readyz`, first start (migrates a new SQLite database), ms | {fmt(ready(first), 1)} | — |")
    out.append(f"| idle RSS 2 s after ready, MiB | {fmt(idle(gp), 1)} | {fmt(idle(pb), 1)} |")
    out.append(f"\n{len(gp)} starts of each (goldenpath on SQLite against the simulator, LOG_LEVEL=warn).\n")
    return out


def scaffold(recs, stat, fmt):
    rs = gobench_rows(recs, "scaffold")
    if not rs:
        return []
    r = rs[0]
    return ["## Scaffold latency on the simulator", "",
            "Issue opened → repository created with every file → issue closed, `go-service`, production pacing "
            "(GitHub's 80/minute and 500/hour windows, a burst of 20 writes then one a second), no injected latency; "
            "each scaffold is a new installation's first request (`bench/scaffold`).", "",
            "| scaffolds | median | min | max | GitHub requests per scaffold |", "|---|---|---|---|---|",
            f"| {int(r.get('iterations', 0)) or '—'} | {r['median-ms']:.0f} ms | {r['min-ms']:.0f} ms | {r['max-ms']:.0f} ms | {r['requests/scaffold']:.0f} |", ""]


def render(recs, stat, fmt):
    rs = [r for r in recs if r.get("section") == "render"]
    if not rs:
        return []
    out = ["## Render vs cookiecutter (whole process)", "",
           "| template | goldenpath render ms | cookiecutter ms | ratio of medians |", "|---|---|---|---|"]
    for case in sorted({r["case"] for r in rs}):
        g = stat([float(r["ms"]) for r in rs if r["case"] == case and r["tool"] == "goldenpath"])
        c = stat([float(r["ms"]) for r in rs if r["case"] == case and r["tool"] == "cookiecutter"])
        n = len([r for r in rs if r["case"] == case and r["tool"] == "goldenpath"])
        out.append(f"| {case} ({n} runs each, alternating) | {fmt(g, 1)} | {fmt(c, 1)} | {c[0] / g[0]:.1f}× |")
    out.append("")
    rg = gobench_rows(recs, "render-go")
    if rg:
        out += ["In process (`go test -bench Render ./internal/template`, no process start-up):", "",
                "| template | ms per render | allocated |", "|---|---|---|"]
        for name in sorted({r["name"] for r in rg}):
            rs = [r for r in rg if r["name"] == name]
            out.append(f"| {name.split('/', 1)[-1]} ({len(rs)} runs) | {fmt(stat([r['ns/op'] / 1e6 for r in rs]), 2)} | "
                       f"{fmt(stat([r.get('B/op', 0) / 1e6 for r in rs]), 2, ' MB')} |")
        out.append("")
    return out


def merge(recs, stat, fmt):
    rs = gobench_rows(recs, "merge")
    if not rs:
        return []
    out = ["## 3-way merge vs `git merge-file` (BenchmarkMerge)", "",
           "| lines | goldenpath ms | git merge-file ms (process) | ratio of medians | goldenpath allocated |", "|---|---|---|---|---|"]
    for n in ("10", "1000", "50000"):
        g = [r for r in rs if r["name"] == f"BenchmarkMerge/lines={n}/impl=goldenpath"]
        k = [r for r in rs if r["name"] == f"BenchmarkMerge/lines={n}/impl=git-merge-file"]
        if not g or not k:
            continue
        gs = stat([r["ns/op"] / 1e6 for r in g])
        ks = stat([r["ns/op"] / 1e6 for r in k])
        alloc = stat([r.get("B/op", 0) / 1e6 for r in g])
        out.append(f"| {int(n):,} | {fmt(gs, 3)} | {fmt(ks, 2)} | {ks[0] / gs[0]:.1f}× | {fmt(alloc, 2, ' MB')} |")
    out.append(f"\n{len(rs) // 6 or 1} runs of each; outputs are compared byte for byte inside the benchmark.\n")
    return out


def rollout(recs, stat, fmt):
    rs = gobench_rows(recs, "rollout")
    if not rs:
        return []
    n = int(rs[0].get("repos", 200))
    return [f"## Rollout under time-scaled secondary limits (BenchmarkRollout{n})", "",
            f"{n:,} repositories, 80 writes a \"minute\" of 150 ms and 500 an \"hour\" of 9 s; the benchmark fails on any violation.", "",
            "| runs | wall time s | floor ratio | writes | requests per repository |", "|---|---|---|---|---|",
            f"| {len(rs)} | {fmt(stat([r['s/rollout'] for r in rs]), 2)} | {fmt(stat([r['floor_ratio'] for r in rs]), 3)} | "
            f"{fmt(stat([r['writes'] for r in rs]))} | {fmt(stat([r['requests/repo'] for r in rs]), 1)} |", ""]


def med(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2 if xs else None


def goals(recs, parse_wrk):
    """The goals of issue 12, each checked against this run's medians."""
    rows = []

    def add(goal, value, ok):
        rows.append(f"| {goal} | {value} | {'met' if ok else '**not met**'} |")

    intake = [r for r in recs if r.get("section") == "intake"]

    def m(server, c, f):
        xs = [f(parse_wrk(r["wrk"]), r) for r in intake if r["server"] == server and int(r["c"]) == c]
        return med(xs)
    rps = lambda w, r: w["requests"] / (w["duration_us"] / 1e6)
    cpu = lambda w, r: (float(r["cpu1"]) - float(r["cpu0"])) * 1000 / max(1, w["requests"])
    for server, label in (("goldenpath", "queued"), ("goldenpath-nojob", "answered without a job")):
        for c in sorted({int(r["c"]) for r in intake}):
            g, p = m(server, c, rps), m("probot", c, rps)
            if g is not None and p:
                add(f"intake ({label}) ≥ Probot's req/s at c={c}", f"{g:,.0f} vs {p:,.0f} ({g / p:.2f}×)", g >= p)
        p99 = m(server, 64, lambda w, r: w["p99_us"] / 1000)
        if p99 is not None:
            # wrk is a closed loop: 64 connections each waiting for its
            # answer, so the mean latency is 64 ÷ req/s (Little's law) and a
            # p99 under 10 ms needs more than 6,400 req/s on these 2 cores.
            g64, pp99 = m(server, 64, rps), m("probot", 64, lambda w, r: w["p99_us"] / 1000)
            why = f"; Probot {pp99:.1f} ms" if pp99 is not None else ""
            if g64:
                why += f"; mean at c=64 is 64 ÷ req/s = {64000 / g64:.1f} ms"
            add(f"intake ({label}) p99 < 10 ms at c=64", f"{p99:.1f} ms{why}", p99 < 10)
        gc, pc = m(server, 16, cpu), m("probot", 16, cpu)
        if gc is not None and pc:
            add(f"intake ({label}) CPU per delivery ≤ Probot's (c=16)", f"{gc:.3f} vs {pc:.3f} ms", gc <= pc)
    rss = [r for r in recs if r.get("section") == "intake-rss"]
    g = med([int(r["peak_kib"]) for r in rss if r["server"] == "goldenpath"])
    p = med([int(r["peak_kib"]) for r in rss if r["server"] == "probot"])
    if g and p:
        # The file-backed part is the executable's own pages (shared,
        # reclaimable); the anonymous part is what the process allocated.
        gf = med([int(r.get("file_kib", 0)) for r in rss if r["server"] == "goldenpath"]) or 0
        pf = med([int(r.get("file_kib", 0)) for r in rss if r["server"] == "probot"]) or 0
        add("intake peak RSS ≤ ¼ of Probot's", f"{g / 1024:.0f} vs {p / 1024:.0f} MiB "
            f"(without the executables' file-backed pages: {(g - gf) / 1024:.0f} vs {(p - pf) / 1024:.0f} MiB)", g <= p / 4)
    drains = [float(r["drain_s"]) for r in intake if r["server"] == "goldenpath"]
    if drains:
        add("workers keep up (queue drained after each run)", f"longest drain {max(drains):.2f} s", max(drains) < 5)
    sc = [r for r in recs if r.get("section") == "scaffold"]
    if sc:
        add("scaffold < 3 s on the simulator", f"median {sc[0]['median-ms']:.0f} ms, max {sc[0]['max-ms']:.0f} ms", sc[0]["max-ms"] < 3000)
    rd = [r for r in recs if r.get("section") == "render"]
    for case in sorted({r["case"] for r in rd}):
        g = med([float(r["ms"]) for r in rd if r["case"] == case and r["tool"] == "goldenpath"])
        c = med([float(r["ms"]) for r in rd if r["case"] == case and r["tool"] == "cookiecutter"])
        want = 15 if case == "go-service" else 20
        add(f"render {case} ≥ {want}× cookiecutter", f"{c / g:.1f}×", c / g >= want)
    mg = [r for r in recs if r.get("section") == "merge"]
    g = med([r["ns/op"] for r in mg if r["name"] == "BenchmarkMerge/lines=50000/impl=goldenpath"])
    k = med([r["ns/op"] for r in mg if r["name"] == "BenchmarkMerge/lines=50000/impl=git-merge-file"])
    if g and k:
        add("merge ≥ 5× git merge-file at 50,000 lines", f"{k / g:.1f}×", k / g >= 5)
    ro = [r for r in recs if r.get("section") == "rollout"]
    if ro:
        f = med([r["floor_ratio"] for r in ro])
        add("rollout ≤ 1.05× the floor, no violation", f"{f:.3f}× (the benchmark fails on a violation)", f <= 1.05)
    b = [r for r in recs if r.get("section") == "binary"]
    if b:
        add("binary ≤ 35 MB", f"{int(b[0]['bytes']) / 1e6:.1f} MB", int(b[0]["bytes"]) <= 35e6)
    fp = [r for r in recs if r.get("section") == "footprint"]
    if fp:
        idle = med([int(r["idle_kib"]) for r in fp]) / 1024
        add("idle RSS ≤ 30 MiB", f"{idle:.1f} MiB", idle <= 30)
        rs = [float(r["ready_ms"]) for r in fp if r.get("db") == "restart"]
        if rs:
            add("ready ≤ 150 ms (restart)", f"{med(rs):.0f} ms", med(rs) <= 150)
    if not rows:
        return []
    return ["## Goals of issue 12 against this run", "", "| goal | this run (medians) | |", "|---|---|---|"] + rows + [""]


def readme_table(recs, parse_wrk):
    """README's performance table: figures of this run, as docs/BENCHMARKS.md has them."""
    out = ["| what | goldenpath | peer | details in docs/BENCHMARKS.md |", "|---|---|---|---|"]
    intake = [r for r in recs if r.get("section") == "intake"]

    def m(server, c, f):
        return med([f(parse_wrk(r["wrk"]), r) for r in intake if r["server"] == server and int(r["c"]) == c])
    rps = lambda w, r: w["requests"] / (w["duration_us"] / 1e6)
    for c in sorted({int(r["c"]) for r in intake}):
        q, n, p = m("goldenpath", c, rps), m("goldenpath-nojob", c, rps), m("probot", c, rps)
        if None not in (q, n, p):
            out.append(f"| webhook intake, c = {c}, deliveries/s | {q:,.0f} queued (durably, then worked); {n:,.0f} answered without a job | Probot 14: {p:,.0f} | Webhook intake |")
    sc = [r for r in recs if r.get("section") == "scaffold"]
    if sc:
        out.append(f"| new go-service repository, issue opened → closed, simulator | median {sc[0]['median-ms']:,.0f} ms, {sc[0]['requests/scaffold']:.0f} GitHub requests | — | Scaffold latency |")
    rd = [r for r in recs if r.get("section") == "render"]
    for case in sorted({r["case"] for r in rd}):
        g = med([float(r["ms"]) for r in rd if r["case"] == case and r["tool"] == "goldenpath"])
        c = med([float(r["ms"]) for r in rd if r["case"] == case and r["tool"] == "cookiecutter"])
        out.append(f"| render {case}, whole process | {g:,.1f} ms | cookiecutter: {c:,.1f} ms ({c / g:.1f}×) | Render |")
    mg = [r for r in recs if r.get("section") == "merge"]
    for n in ("1000", "50000"):
        g = med([r["ns/op"] for r in mg if r["name"] == f"BenchmarkMerge/lines={n}/impl=goldenpath"])
        k = med([r["ns/op"] for r in mg if r["name"] == f"BenchmarkMerge/lines={n}/impl=git-merge-file"])
        if g and k:
            out.append(f"| 3-way merge, {int(n):,} lines | {g / 1e6:,.2f} ms | git merge-file: {k / 1e6:,.1f} ms ({k / g:.1f}×) | 3-way merge |")
    ro = [r for r in recs if r.get("section") == "rollout"]
    if ro:
        out.append(f"| rollout of {int(ro[0].get('repos', 200)):,} repositories under scaled secondary limits | {med([r['floor_ratio'] for r in ro]):.3f}× the floor, no violation | — | Rollout |")
    b = [r for r in recs if r.get("section") == "binary"]
    fp = [r for r in recs if r.get("section") == "footprint"]
    pb = [r for r in recs if r.get("section") == "footprint-probot"]
    if b and fp:
        out.append(f"| binary; idle RSS; exec → ready (restart) | {int(b[0]['bytes']) / 1e6:.1f} MB; "
                   f"{med([int(r['idle_kib']) for r in fp]) / 1024:.1f} MiB; {med([float(r['ready_ms']) for r in fp if r.get('db') == 'restart']):.0f} ms | "
                   f"Probot: {med([int(r['idle_kib']) for r in pb]) / 1024:.1f} MiB; {med([float(r['ready_ms']) for r in pb]):.0f} ms | Footprint |")
    return "\n".join(out) + "\n"
