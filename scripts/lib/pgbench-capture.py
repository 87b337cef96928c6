"""Turns statements captured from PostgreSQL's log into a pgbench script.

Usage: pgbench-capture.py LOG SCRIPT VARS REQUESTS

LOG holds what the server logged (log_min_duration_statement = 0) while REQUESTS identical
requests ran. The application's background tasks log statements too, so only statements that
occur a multiple-of-REQUESTS times are the requests' own: each is written to SCRIPT that many
times divided by REQUESTS, with its `$n` placeholders as pgbench variables (`:s1_1`…), whose
logged values go to VARS as `-Dname=value` lines. pgbench -M prepared then sends them as
parameters of one prepared statement, as the application does.
"""

import re
import sys
from collections import Counter

log_path, script_path, vars_path, requests = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

# Join continuation lines (multi-line statements are logged with a leading tab).
entries = []
for line in open(log_path, encoding="utf-8", errors="replace"):
    if line.startswith("\t") and entries:
        entries[-1] += " " + line.strip()
    else:
        entries.append(line.rstrip("\n"))

executed = []  # (sql, params)
for i, e in enumerate(entries):
    m = re.search(r"LOG:  duration: [\d.]+ ms  execute [^:]+: (.*)$", e)
    if not m:
        continue
    params = {}
    if i + 1 < len(entries):
        d = re.search(r"DETAIL:  parameters: (.*)$", entries[i + 1])
        if d:
            for n, v in re.findall(r"\$(\d+) = ('(?:[^']|'')*'|NULL)", d.group(1)):
                params[int(n)] = None if v == "NULL" else v[1:-1].replace("''", "'")
    executed.append((m.group(1), tuple(sorted(params.items()))))

counts = Counter(executed)
mine = [(s, c // requests) for s, c in counts.items() if c >= requests and c % requests == 0]
if not mine:
    sys.exit(f"pgbench-capture: no statement ran {requests} times in {log_path}")

script, variables = [], []
for k, ((sql, params), times) in enumerate(mine, start=1):
    for n, value in params:
        if value is None:
            sys.exit("pgbench-capture: a NULL parameter can't be a pgbench variable")
        variables.append(f"-Ds{k}_{n}={value}")
    text = re.sub(r"\$(\d+)", lambda m: f":s{k}_{m.group(1)}", sql)
    script += [text + ";"] * times
open(script_path, "w").write("\n".join(script) + "\n")
open(vars_path, "w").write("\n".join(variables) + "\n")
