#!/usr/bin/env python3
"""The native stack's memory, per program, from /proc/<pid>/smaps_rollup.

    memory.py                   the table now
    memory.py --during CMD...   the table now, then CMD run while the stack is sampled
                                twice a second, then the table at the stack's peak

Every process supervisord started, with its children, counts under its program (named as
supervisord names it), and the telemetry stack's programs are summed apart too. RSS counts
pages shared between processes (PostgreSQL's shared buffers) once in each of them; PSS
shares them out, so the stack's real footprint lies between the two totals.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

MIB = 1024
# The programs that watch the shop (docs/observability.md), rather than run it.
TELEMETRY = {"otelcol", "zipkin", "victorialogs", "prometheus", "alertmanager"}


def parents():
    """Every process's parent, by pid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; the parent follows it.
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = int(fields[1])
    return found


def name_of(pid):
    try:
        return (Path("/proc") / str(pid) / "comm").read_text().strip()
    except OSError:
        return "?"


def rollup(pid):
    """(RSS, PSS) of one process in KiB, or None once it is gone."""
    try:
        text = (Path("/proc") / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss"):
            values[key] = int(rest.split()[0])
    return values.get("Rss", 0), values.get("Pss", 0)


def programs_by_pid():
    """supervisord's program name of each process it started, by pid."""
    status = subprocess.run([os.path.join(os.path.dirname(__file__), "supervisorctl.sh"), "status"],
                            capture_output=True, text=True, check=False).stdout
    found = {}
    for line in status.splitlines():
        fields = line.replace(",", " ").split()
        if "pid" in fields:
            found[int(fields[fields.index("pid") + 1])] = fields[0]
    return found


def sample(root, names):
    """{program: [processes, RSS KiB, PSS KiB]} for supervisord and everything under it."""
    parent_of = parents()
    programs = {}
    for pid in parent_of:
        # Walk up to the process supervisord started; it names the program.
        top, up = pid, parent_of.get(pid)
        while up not in (None, 0, root) and up in parent_of:
            top, up = up, parent_of.get(up)
        if pid != root and up != root:
            continue
        memory = rollup(pid)
        if memory is None:
            continue
        # supervisord is Python and may rename its own thread; call it by its name.
        program = "supervisord" if pid == root else names.get(top) or name_of(top)
        row = programs.setdefault(program, [0, 0, 0])
        row[0] += 1
        row[1] += memory[0]
        row[2] += memory[1]
    return programs


def total(programs):
    return sum(row[1] for row in programs.values()), sum(row[2] for row in programs.values())


def table(programs, title):
    print(title)
    print("| program | processes | RSS MiB | PSS MiB |")
    print("|---|---|---|---|")
    for name, (count, rss, pss) in sorted(programs.items(), key=lambda item: -item[1][1]):
        print(f"| {name} | {count} | {rss / MIB:.1f} | {pss / MIB:.1f} |")
    rss, pss = total(programs)
    print(f"| total | | {rss / MIB:.1f} | {pss / MIB:.1f} |")
    rss, pss = total({name: row for name, row in programs.items() if name in TELEMETRY})
    print(f"| of which telemetry ({', '.join(sorted(TELEMETRY))}) | | {rss / MIB:.1f} | {pss / MIB:.1f} |")


def supervisord_pid():
    state = Path(os.environ.get("LOCALMART_STATE", ".localmart"))
    try:
        pid = int((state / "supervisord.pid").read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        sys.exit("memory.py: the native stack is not running (`make up` starts it)")


def main(argv):
    root = supervisord_pid()
    names = programs_by_pid()
    table(sample(root, names), "The stack's memory now:")
    if not argv or argv[0] != "--during":
        return 0
    command = argv[1:]
    if not command:
        sys.exit("memory.py: --during needs a command")
    print(flush=True)
    started = time.monotonic()
    child = subprocess.Popen(command)
    peak, peak_at = sample(root, names), 0.0
    while child.poll() is None:
        now = sample(root, names)
        if total(now)[0] > total(peak)[0]:
            peak, peak_at = now, time.monotonic() - started
        time.sleep(0.5)
    print()
    table(peak, f"The stack's memory at its peak (RSS), {peak_at:.0f} s into the run:")
    return child.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
