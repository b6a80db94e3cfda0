#!/usr/bin/env python3
"""bench/run's helpers: measurements it cannot take in bash, and the report.

Each subcommand is one small job (see bench/run for how they are called):
record, wait-file, wait-http, delivery, answered, drain, rows, cpu, hwm,
ready, gobench, timeit, gen500, report. Only the standard library is used.
"""
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")


def record(path, *pairs):
    rec = {}
    for p in pairs:
        k, _, v = p.partition("=")
        rec[k] = v
    with open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")


def wait_file(path, timeout):
    deadline = time.monotonic() + float(timeout)
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit(f"{path} did not appear within {timeout}s")
        time.sleep(0.01)


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (OSError, ValueError, ConnectionError, Exception):  # not up yet, or not HTTP yet
        return None


def wait_http(url, timeout, accept="2xx"):
    """Polls url until it answers (2xx, or any status with accept=any)."""
    deadline = time.monotonic() + float(timeout)
    while True:
        s = http_status(url)
        if s is not None and (accept == "any" or 200 <= s < 300):
            return
        if time.monotonic() > deadline:
            sys.exit(f"{url} not ready within {timeout}s (last status {s})")
        time.sleep(0.005)


def delivery(examples, installation, out):
    """The issues.opened example of @octokit/webhooks-examples, compact, with
    the installation GitHub adds for an App's delivery."""
    events = json.load(open(examples))
    ex = next(e for e in events if e["name"] == "issues")["examples"]
    payload = next(x for x in ex if x.get("action") == "opened")
    payload["installation"] = {"id": int(installation), "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMg=="}
    with open(out, "w") as f:
        json.dump(payload, f, separators=(",", ":"))


def parse_wrk(line):
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def answered(line):
    w = parse_wrk(line)
    print(w.get("requests", 0) - w.get("non2xx", 0))


def query(db, sql):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def drain(db, timeout):
    """Waits until no delivery's job (a group commit's batch, or a delivery's
    own) is waiting or running; prints the seconds."""
    start = time.monotonic()
    sql = ("SELECT count(*) FROM river_job WHERE kind IN ('github_webhook', 'github_delivery_batch')"
           " AND state IN ('available', 'running', 'pending')")
    while query(db, sql) > 0:
        if time.monotonic() - start > float(timeout):
            sys.exit(f"the workers did not drain the queue within {timeout}s")
        time.sleep(0.02)
    print(f"{time.monotonic() - start:.2f}")


def rows(db):
    """Deliveries durably stored: rows of goldenpath_delivery (each named by a
    group commit's job in the same transaction)."""
    print(query(db, "SELECT count(*) FROM goldenpath_delivery"))


def cpu(pid):
    """utime+stime of a process, in seconds."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    print((int(fields[11]) + int(fields[12])) / CLK_TCK)


def status_kib(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def hwm(pid):
    print(status_kib(pid, "VmHWM"))


def rssfile(pid):
    """The file-backed part of the resident set (mostly the executable's pages)."""
    print(status_kib(pid, "RssFile"))


def ready(binary, url, *rest):
    """Starts binary (env K=V... then args after --), times exec to the first
    2xx of url, waits 2 s idle, prints the figures; stops it."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    args = ["serve"]
    rest = list(rest)
    if "--" in rest:
        i = rest.index("--")
        rest, args = rest[:i], rest[i + 1:]
    for kv in rest:
        k, _, v = kv.partition("=")
        env[k] = v
    t0 = time.monotonic()
    p = subprocess.Popen([binary] + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = t0 + 60
        while True:
            s = http_status(url)
            if s is not None and (200 <= s < 300 or "probot" in binary):
                break
            if p.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"{binary} did not get ready")
            time.sleep(0.001)
        ms = (time.monotonic() - t0) * 1000
        time.sleep(2)  # a measurement of idle memory, not a test's wait
        print(f"ready_ms={ms:.1f} idle_kib={status_kib(p.pid, 'VmRSS')}")
    finally:
        p.terminate()
        p.wait(timeout=30)


def gobench(raw, section):
    """Records `go test -bench` lines: name, iterations, then value-unit pairs."""
    for line in sys.stdin:
        m = re.match(r"^(Benchmark\S+?)(-\d+)?\s+(\d+)\s+(.*)$", line)
        if not m:
            continue
        rec = {"section": section, "name": m.group(1), "iterations": int(m.group(3))}
        parts = m.group(4).split()
        for v, unit in zip(parts[0::2], parts[1::2]):
            rec[unit] = float(v)
        with open(raw, "a") as f:
            f.write(json.dumps(rec) + "\n")


def timeit(raw, section, case, runs, outdir, *cmds):
    """Whole-process wall time of two commands, alternating, runs times each
    after one warm-up; the output folder is removed before each run."""
    cmd_lists, cur = [], []
    for a in cmds:
        if a == "--":
            if cur:
                cmd_lists.append(cur)
            cur = []
        else:
            cur.append(a)
    cmd_lists.append(cur)
    names = ["goldenpath", "cookiecutter"]
    times = {n: [] for n in names}
    for i in range(int(runs) + 1):
        for n, c in zip(names, cmd_lists):
            other = os.path.join(os.path.dirname(outdir), os.path.basename(outdir).replace("gp", "cc", 1))
            for d in (outdir, other):
                shutil.rmtree(d, ignore_errors=True)
            t0 = time.perf_counter()
            subprocess.run(c, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if i > 0:
                times[n].append((time.perf_counter() - t0) * 1000)
    for n in names:
        for t in times[n]:
            record(raw, f"section={section}", f"case={case}", f"tool={n}", f"ms={t:.3f}")


def gen500(root, files="500"):
    """A template of 500 (or files) files in both languages: folders of 25
    files, each with a few substitutions, a condition and a loop."""
    shutil.rmtree(root, ignore_errors=True)
    gp = os.path.join(root, "goldenpath")
    cc = os.path.join(root, "cookiecutter")
    os.makedirs(os.path.join(gp, "skeleton"))
    with open(os.path.join(gp, "template.yaml"), "w") as f:
        f.write("name: t500\ntitle: Five hundred files\ndescription: A generated template for bench/run.\n"
                "parameters:\n"
                "  - {id: name, title: Name, type: string, required: true, example: svc}\n"
                "  - {id: owner, title: Owner, type: string, required: true, example: team}\n")
    os.makedirs(os.path.join(cc, "{{cookiecutter.name}}"))
    with open(os.path.join(cc, "cookiecutter.json"), "w") as f:
        json.dump({"name": "svc", "owner": "team", "org": "acme"}, f)
    lines = 40
    for d in range((int(files) + 24) // 25):
        for i in range(min(25, int(files) - 25 * d)):
            gbody, cbody = [], []
            for k in range(lines):
                gbody.append(f"line {k} of file {i} in {{{{ .name }}}} owned by {{{{ .owner }}}} ({{{{ .goldenpath.org }}}})")
                cbody.append(f"line {k} of file {i} in {{{{ cookiecutter.name }}}} owned by {{{{ cookiecutter.owner }}}} ({{{{ cookiecutter.org }}}})")
            gbody.append("{{ if eq .owner \"team\" }}owned by the team{{ end }}")
            cbody.append("{% if cookiecutter.owner == \"team\" %}owned by the team{% endif %}")
            gbody.append("{{ range $i := until 3 }}item {{ $i }}\n{{ end }}")
            cbody.append("{% for i in range(3) %}item {{ i }}\n{% endfor %}")
            for base, body in ((os.path.join(gp, "skeleton"), gbody), (os.path.join(cc, "{{cookiecutter.name}}"), cbody)):
                p = os.path.join(base, f"dir{d:02d}", f"file{i:02d}.txt")
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "w") as f:
                    f.write("\n".join(body) + "\n")


def stat(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return statistics.median(xs), min(xs), max(xs)


def fmt(s, digits=0, unit=""):
    if s is None:
        return "—"
    med, lo, hi = s
    f = f"{{:,.{digits}f}}"
    if lo == hi:
        return f.format(med) + unit
    return f"{f.format(med)}{unit} ({f.format(lo)}–{f.format(hi)})"


def report(raw, started, command, table=None):
    """Prints the Markdown of docs/BENCHMARKS.md; writes README's table to table."""
    import report as rep  # bench/report.py: the Markdown
    recs = [json.loads(line) for line in open(raw) if line.strip()]
    sys.stdout.write(rep.markdown(recs, started, command, stat, fmt, parse_wrk))
    if table:
        with open(table, "w") as f:
            f.write(rep.readme_table(recs, parse_wrk))


def freeport():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {
        "record": record, "wait-file": wait_file, "wait-http": wait_http, "delivery": delivery,
        "answered": answered, "drain": drain, "rows": rows, "cpu": cpu, "hwm": hwm, "rssfile": rssfile, "ready": ready,
        "gobench": gobench, "timeit": timeit, "gen500": gen500, "report": report, "freeport": freeport,
    }[cmd]
    fn(*args)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
