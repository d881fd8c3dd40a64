#!/usr/bin/env python3
"""CPU time of a test run (or any interval), by kind of process, read from /proc.

    python3 scripts/cpu-by-process.py --out /tmp/cpu.json &   # start beside ./test.sh; stop it with SIGINT/SIGTERM
    python3 scripts/cpu-by-process.py --report /tmp/cpu.json  # the table

Why hand-written: no process-accounting tool is installed here (no acct, no pidstat), and the question is "which processes burn
the two cores", so every process is classified by what it is (Postgres, a worker, an API, a pg_dump, the test host, ...).
The benchmarks' bench/TenantAspire.Bench/ProcessStats.cs reads /proc at two moments for process trees it knows by name; a test
run starts and stops stack after stack, so this samples every process each second and keeps each one's last reading.

How it counts without double counting: each process counts its own time; the processes that start short-lived children (a
postmaster its backends, the worker its pg_dumps) also count the part of their children's time (cutime + cstime, what they reaped)
that no sampled child accounts for: a backend lives milliseconds, too short to be sampled, and its time lands in its postmaster's
children's time. Processes already running when sampling starts count only what they use from then on (start the sampler before
the run). What it misses: up to one interval of each process's last second, and short-lived children of other processes.
"""
import json
import os
import signal
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def read_processes():
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")[:200]
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        # fields[0] is state (field 3); utime is field 14 -> index 11
        ppid, utime, stime, cutime, cstime, start = int(fields[1]), int(fields[11]), int(fields[12]), int(fields[13]), int(fields[14]), int(fields[19])
        found[int(pid)] = {"comm": comm, "cmd": cmdline, "ppid": ppid, "self": (utime + stime) / TICK,
                           "children": (cutime + cstime) / TICK, "start": start}
    return found


def sample(out, interval):
    seen = {}  # (pid, start) -> last record, with the sample number
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    # processes already running count only what they use from now on
    baseline = {(pid, p["start"]): p for pid, p in read_processes().items()}
    n = 0
    began = time.time()
    while not stop:
        n += 1
        for pid, p in read_processes().items():
            key = (pid, p["start"])
            p["n"] = n
            if not p["cmd"] and key in seen:
                p["cmd"] = seen[key]["cmd"]
            if key in baseline:
                p["self"] -= baseline[key]["self"]
                p["children"] -= baseline[key]["children"]
            seen[key] = p
        time.sleep(interval)
    records = [dict(v, pid=k[0]) for k, v in seen.items()]
    with open(out, "w") as f:
        json.dump({"seconds": time.time() - began, "samples": n, "processes": records}, f)


def kind(p):
    comm, cmd = p["comm"], p["cmd"]
    if comm == "dotnet" and " run --project " in cmd:
        return "dotnet run launchers (one per service start)"
    if comm in ("pg_dump", "pg_restore", "psql", "pg_ctl", "initdb") or comm.startswith("pg_"):
        return "Postgres client tools (" + comm + ")"
    if comm == "postgres" or cmd.startswith("/usr/lib/postgresql") or "run-postgres" in cmd:
        return "Postgres servers (backends, archiver, initdb)"
    # A service runs as its apphost ("ProvisioningWor", "TenantApi") under Aspire, or as "dotnet X.dll" (the suite's own processes)
    if comm.startswith("Provision") or "ProvisioningWorker.dll" in cmd:
        return "provisioning workers (with the tools they ran unsampled)"
    if comm == "TenantApi" or "TenantApi.dll" in cmd:
        return "API processes"
    if "testhost" in cmd or "Tests.runtimeconfig" in cmd:
        return "test host (tests, in-process hosts, the AppHost)"
    if comm == "dcp" or "/dcp" in cmd:
        return "Aspire orchestrator (dcp)"
    if comm == "node" or "azurite" in cmd:
        return "Azurite (node)"
    if comm.startswith("redis"):
        return "Redis"
    if comm == "dotnet" or "MSBuild" in cmd or "vstest" in cmd:
        return "dotnet CLI, build, test runner"
    if comm == "pgbackrest":
        return "pgBackRest (archive pushes, backups, restores)"
    return "other: " + comm


def ancestors(p, by_pid):
    seen = []
    while p["ppid"] in by_pid and p["ppid"] not in seen:
        seen.append(p["ppid"])
        p = by_pid[p["ppid"]]
    return seen


def runs_short_lived_children(p):
    """
    Whose unsampled children count with it: a postmaster (backends), its archiver (pgBackRest pushes through sh), the worker
    (pg_dump, pg_restore, pgBackRest), the Postgres start script (initdb, pg_ctl). Any other process counts its own time only:
    when a whole tree exits at once (a stack stopping, the test run ending) its children's time reaches its parents within one
    sampling interval and would be counted twice.
    """
    comm, cmd = p["comm"], p["cmd"]
    return (comm in ("postgres", "sh", "ProvisioningWor") or "run-postgres" in cmd
            or (comm == "dotnet" and "ProvisioningWorker.dll" in cmd))


def report(path):
    data = json.load(open(path))
    procs = data["processes"]
    by_pid = {p["pid"]: p for p in procs}
    # Exclusive time: a process's own time, plus its children's time that no sampled child accounts for (the children it
    # reaped before its own last sample are subtracted, they count as themselves).
    reaped = {}
    for c in procs:
        parent = by_pid.get(c["ppid"])
        if parent is not None and c["n"] < parent["n"]:
            reaped[parent["pid"]] = reaped.get(parent["pid"], 0) + c["self"] + c["children"]
    totals = {}
    for p in procs:
        cpu = p["self"] + (max(0.0, p["children"] - reaped.get(p["pid"], 0)) if runs_short_lived_children(p) else 0.0)
        k = kind(p)
        totals[k] = totals.get(k, 0) + cpu
    total = sum(totals.values())
    print(f"{data['seconds']:.0f} s sampled ({data['samples']} samples), {total:.0f} CPU-seconds counted "
          f"({total / data['seconds']:.2f} cores on average)")
    for k, v in sorted(totals.items(), key=lambda kv: -kv[1])[:20]:
        print(f"  {v:8.0f} s  {100 * v / total:5.1f} %  {k}")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--report":
        report(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "--out":
        sample(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 1.0)
    else:
        print(__doc__)
        sys.exit(2)
