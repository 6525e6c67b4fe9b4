#!/usr/bin/env python3
"""The benchmark: the emulator beside a bare axum server answering the same requests with
fixed bodies (examples/bare_server.rs), one server at a time, in turns A B A B.

    python3 bench/run.py            # everything, about 4 minutes
    python3 bench/run.py --quick    # shorter runs, for a first look

It builds both in release mode, loads each with the same wrk settings, and prints a
Markdown table (also written to bench/out/results.md, raw numbers to bench/out/results.json).
Needs wrk (`apt-get install wrk`; installed here when missing and run as root).
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
EMULATOR = os.path.join(TARGET, "release", "webex-emulator")
BARE = os.path.join(TARGET, "release", "examples", "bare_server")
QUICK = "--quick" in sys.argv
DURATION = "4s" if QUICK else "10s"
CLK = os.sysconf("SC_CLK_TCK")

TOKEN = "webex-emulator-admin"
JOHN = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8xOGJiOWNjMC0zMWM2LTQ3MzYtYmE4OC0wMDk5ZmQzNDNmODE"
USERCONFIG = "/v1/admin/meeting/userconfig/trackingCodes"
PUT_BODY = json.dumps({
    "personId": JOHN,
    "email": "john.andersen@example.com",
    "siteUrl": "example.webex.com",
    "trackingCodes": [
        {"name": "Department", "value": "Sales"},
        {"name": "Division", "value": "Part-time"},
    ],
})

# name: (method, path, seed, connections, what the bare server answers with)
WORKLOADS = {
    "PUT userconfig (docs example)": ("PUT", USERCONFIG, None, 32, "put"),
    "GET userconfig": ("GET", f"{USERCONFIG}?siteUrl=example.webex.com&personId={JOHN}", None, 32, "get"),
    "List Tracking Codes, 1 000 codes": ("GET", "/v1/admin/meeting/config/trackingCodes?siteUrl=example.webex.com", "list", 32, "list"),
    "PUT userconfig, one at a time": ("PUT", USERCONFIG, None, 1, "put"),
}

LUA = """
wrk.method = "%(method)s"
wrk.headers["Authorization"] = "Bearer %(token)s"
%(body)s
local non200 = 0
response = function(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("REQUESTS %%d\\nP50_US %%d\\nP99_US %%d\\n",
    summary.requests, latency:percentile(50), latency:percentile(99)))
  io.write(string.format("ERRORS %%d\\n", summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout + summary.errors.status + non200))
end
"""


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def ensure_wrk():
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        sh("apt-get", "install", "-y", "-q", "wrk", stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is needed (apt-get install wrk)")


def build():
    sh("cargo", "build", "--release", "--quiet", "--bin", "webex-emulator", "--example", "bare_server", cwd=ROOT)


def built_in_seed():
    return json.load(open(os.path.join(ROOT, "seed-data", "default.json")))


def list_seed(path):
    """The built-in seed with 1 000 more codes on example.webex.com."""
    seed = built_in_seed()
    for i in range(1000):
        seed["trackingCodes"].append({
            "siteUrl": "example.webex.com", "id": str(100 + i), "name": f"Bench code {i}",
            "inputMode": "select", "hostProfileCode": "optional",
            "options": [{"value": f"Option {j}", "defaultValue": j == 0} for j in range(3)],
            "scheduleStartCodes": [{"service": "All", "type": "optional"}],
        })
    json.dump(seed, open(path, "w"))


def scale_seed(path, people=100_000, codes=10_000, sites=10):
    """A generated seed of 100 000 people and 10 000 codes over 10 sites of one org, with a
    value of each person for one code of their site."""
    import uuid, base64
    def webex_id(kind):
        return base64.b64encode(f"ciscospark://us/{kind}/{uuid.uuid4()}".encode()).decode().rstrip("=")
    org = webex_id("ORGANIZATION")
    site_urls = [f"scale{i}.webex.com" for i in range(sites)]
    seed = {"orgs": [{"id": org, "name": "Scale Inc."}],
            "sites": [{"siteUrl": s, "orgId": org, "management": "controlHub"} for s in site_urls],
            "people": [], "tokens": [], "trackingCodes": [], "userTrackingCodes": []}
    per_site = codes // sites
    for s in site_urls:
        for i in range(per_site):
            seed["trackingCodes"].append({
                "siteUrl": s, "id": str(i + 1), "name": f"Code {i}", "inputMode": "text",
                "hostProfileCode": "optional"})
    for n in range(people):
        pid = webex_id("PEOPLE")
        site = site_urls[n % sites]
        seed["people"].append({
            "id": pid, "orgId": org, "emails": [f"person{n}@scale.example.com"],
            "displayName": f"Person {n}", "roles": ["id_full_admin"] if n == 0 else [],
            "siteUrls": [site]})
        seed["userTrackingCodes"].append({
            "siteUrl": site, "personId": pid,
            "trackingCodes": [{"name": f"Code {n % per_site}", "value": f"value {n}"}]})
    seed["tokens"].append({"token": TOKEN, "personId": seed["people"][0]["id"], "scopes": [
        "meeting:admin_schedule_read", "meeting:admin_schedule_write", "spark:people_read"]})
    json.dump(seed, open(path, "w"))


def rss_kib(pid, field="VmRSS:"):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    stat = open(f"/proc/{pid}/stat").read()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port, path="/v1/people/me"):
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
               "Connection: close\r\n\r\n").encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(request)
            return s.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


class Server:
    def __init__(self, kind, seed=None, bodies=None, ready_path=None):
        self.port = free_port()
        if kind == "emulator":
            cmd = [EMULATOR, "--listen", f"127.0.0.1:{self.port}"]
            if seed:
                cmd += ["--seed", seed]
            ready_path = ready_path or "/v1/people/me"
        else:
            cmd = [BARE, "--listen", f"127.0.0.1:{self.port}"]
            for k, v in (bodies or {}).items():
                cmd += [f"--{k}", v]
            ready_path = ready_path or USERCONFIG
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not answers(self.port, ready_path):
            if self.proc.poll() is not None or time.perf_counter() - self.started > 60:
                raise RuntimeError(f"{kind} did not start")
            time.sleep(0.0005)
        self.first_answer_ms = (time.perf_counter() - self.started) * 1000

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def fetch(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if body:
        headers["Content-Type"] = "application/json"
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def wrk(port, method, path, connections, duration=DURATION):
    script = os.path.join(OUT, f"{method.lower()}.lua")
    body = (f'wrk.body = {json.dumps(PUT_BODY)}\nwrk.headers["Content-Type"] = "application/json"'
            if method == "PUT" else "")
    open(script, "w").write(LUA % {"method": method, "token": TOKEN, "body": body})
    threads = "1" if connections == 1 else "2"
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "-s", script,
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    value = lambda key: float(re.search(rf"{key}\s+([\d.]+)", out).group(1))
    return {"rps": value("Requests/sec:"), "requests": int(value("REQUESTS")),
            "p50_us": value("P50_US"), "p99_us": value("P99_US"), "errors": int(value("ERRORS"))}


def load_run(kind, workload, seeds, bodies):
    method, path, seed, connections, _ = WORKLOADS[workload]
    server = Server(kind, seed=seeds.get(seed), bodies=bodies)
    try:
        time.sleep(0.2)
        idle = rss_kib(server.proc.pid)
        cpu0 = cpu_seconds(server.proc.pid)
        result = wrk(server.port, method, path, connections)
        cpu = cpu_seconds(server.proc.pid) - cpu0
        result.update(rss_idle_kib=idle, rss_after_kib=rss_kib(server.proc.pid),
                      cpu_us_per_request=cpu / max(result["requests"], 1) * 1e6)
        return result
    finally:
        server.stop()


def bare_bodies(seeds):
    """What the emulator answers, so the bare server sends the same bytes."""
    bodies = {}
    for workload, (method, path, seed, _, name) in WORKLOADS.items():
        if name in bodies:
            continue
        server = Server("emulator", seed=seeds.get(seed))
        try:
            status, data = fetch(server.port, method, path, PUT_BODY if method == "PUT" else None)
            assert status == 200, (workload, status, data[:200])
        finally:
            server.stop()
        file = os.path.join(OUT, f"{name}.json")
        open(file, "wb").write(data)
        bodies[name] = file
    return bodies


def first_answer(kind, bodies, seed=None, runs=5):
    times = []
    for _ in range(runs):
        server = Server(kind, seed=seed, bodies=bodies)
        times.append(server.first_answer_ms)
        server.stop()
    return statistics.median(times)


def worlds(runs=1000):
    server = Server("emulator")
    try:
        c = http.client.HTTPConnection("127.0.0.1", server.port)
        def call(method, path):
            t = time.perf_counter()
            c.request(method, path)
            r = c.getresponse()
            data = r.read()
            return time.perf_counter() - t, r.status, data
        rss0 = rss_kib(server.proc.pid)
        created, ids = [], []
        for _ in range(runs):
            t, status, data = call("POST", "/_emulator/worlds")
            assert status == 201
            created.append(t)
            ids.append(json.loads(data)["id"])
        rss1 = rss_kib(server.proc.pid)
        deleted = [call("DELETE", f"/_emulator/worlds/{i}")[0] for i in ids]
        return {"create_ms": statistics.median(created) * 1000, "delete_ms": statistics.median(deleted) * 1000,
                "kib_per_world": (rss1 - rss0) / runs}
    finally:
        server.stop()


def million_requests():
    """RSS after a million PUTs with the journal on (its default size)."""
    server = Server("emulator")
    try:
        total = 0
        while total < 1_000_000:
            total += wrk(server.port, "PUT", USERCONFIG, 32, duration="5s")["requests"]
        return {"requests": total, "rss_kib": rss_kib(server.proc.pid)}
    finally:
        server.stop()


def scale(seed):
    server = Server("emulator", seed=seed, ready_path="/_emulator/health")
    try:
        return {"first_answer_ms": server.first_answer_ms, "rss_kib": rss_kib(server.proc.pid),
                "peak_kib": rss_kib(server.proc.pid, "VmHWM:")}
    finally:
        server.stop()


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "-"


def main():
    os.makedirs(OUT, exist_ok=True)
    ensure_wrk()
    print("building (release)...", file=sys.stderr)
    build()
    seeds = {"list": os.path.join(OUT, "list-seed.json"), "scale": os.path.join(OUT, "scale-seed.json")}
    list_seed(seeds["list"])
    scale_seed(seeds["scale"])
    bodies = bare_bodies(seeds)
    results = {"machine": machine(), "workloads": {}}
    for workload in WORKLOADS:
        runs = {"emulator": [], "bare": []}
        for turn in (1, 2):
            for kind in ("emulator", "bare"):
                print(f"{workload}: {kind}, turn {turn}", file=sys.stderr)
                runs[kind].append(load_run(kind, workload, seeds, bodies))
        results["workloads"][workload] = runs
    results["first_answer_ms"] = {"emulator": first_answer("emulator", bodies),
                                  "bare": first_answer("bare", bodies)}
    results["worlds"] = worlds()
    results["million"] = million_requests()
    results["scale"] = scale(seeds["scale"])
    json.dump(results, open(os.path.join(OUT, "results.json"), "w"), indent=1)
    table = render(results)
    open(os.path.join(OUT, "results.md"), "w").write(table)
    print(table)


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return f"{os.cpu_count()} cores, {cpu}; wrk and the server share them"


def render(r):
    mean = lambda runs, key: statistics.mean(x[key] for x in runs)
    lines = [f"Machine: {r['machine']}. Each load: wrk for {DURATION}, twice per server in turns A B A B; means of the two.",
             "",
             "| workload | emulator req/s | bare req/s | ratio | emulator p50 / p99 (ms) | bare p50 / p99 (ms) | CPU µs/request (emulator / bare, ratio) | errors |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, runs in r["workloads"].items():
        e, b = runs["emulator"], runs["bare"]
        ce, cb = mean(e, "cpu_us_per_request"), mean(b, "cpu_us_per_request")
        lines.append(
            f"| {name} | {mean(e, 'rps'):,.0f} | {mean(b, 'rps'):,.0f} | {ratio(mean(e, 'rps'), mean(b, 'rps'))} "
            f"| {mean(e, 'p50_us') / 1000:.3f} / {mean(e, 'p99_us') / 1000:.3f} "
            f"| {mean(b, 'p50_us') / 1000:.3f} / {mean(b, 'p99_us') / 1000:.3f} "
            f"| {ce:.1f} / {cb:.1f}, {ratio(ce, cb)} | {sum(x['errors'] for x in e + b)} |")
    put = r["workloads"]["PUT userconfig (docs example)"]
    ei, bi = mean(put["emulator"], "rss_idle_kib"), mean(put["bare"], "rss_idle_kib")
    ea, ba = mean(put["emulator"], "rss_after_kib"), mean(put["bare"], "rss_after_kib")
    fa = r["first_answer_ms"]
    lines += ["",
              "| measure | emulator | bare | ratio |",
              "| --- | --- | --- | --- |",
              f"| first answer after start (median of 5) | {fa['emulator']:.1f} ms | {fa['bare']:.1f} ms | {ratio(fa['emulator'], fa['bare'])} |",
              f"| RSS idle | {ei / 1024:.1f} MiB | {bi / 1024:.1f} MiB | {ratio(ei, bi)} |",
              f"| RSS after the PUT load | {ea / 1024:.1f} MiB | {ba / 1024:.1f} MiB | {ratio(ea, ba)} |",
              "",
              "| measure | value |",
              "| --- | --- |",
              f"| create a world (built-in seed, HTTP round trip, median of 1 000) | {r['worlds']['create_ms']:.3f} ms |",
              f"| delete a world (median of 1 000) | {r['worlds']['delete_ms']:.3f} ms |",
              f"| memory per world | {r['worlds']['kib_per_world']:.0f} KiB |",
              f"| RSS after {r['million']['requests']:,} PUTs, journal on (1 000 entries) | {r['million']['rss_kib'] / 1024:.1f} MiB |",
              f"| 100 000 people / 10 000 codes seed: start to first answer | {r['scale']['first_answer_ms']:.0f} ms |",
              f"| 100 000 people / 10 000 codes seed: RSS once loaded | {r['scale']['rss_kib'] / 1024:.0f} MiB |",
              f"| 100 000 people / 10 000 codes seed: peak RSS while loading | {r['scale']['peak_kib'] / 1024:.0f} MiB |",
              ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
