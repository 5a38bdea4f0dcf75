"""Runs every PromQL expression of the dashboards and the rules against a Prometheus.

    promql.py PROMETHEUS_URL

The dashboards' queries (deploy/observability/grafana/dashboards/*.json, the same as the
console templates') and the recording rules' must each return at least one series: with
traffic flowing, a query that returns none names a metric or label that does not exist.
The alerts' expressions must be valid; they return series only while the alert fires.
Exits 1, naming each query that failed.
"""

import glob
import json
import os
import sys
import urllib.parse
import urllib.request

import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "observability")


def expressions():
    """(where, expression, must return series) for every query."""
    for path in sorted(glob.glob(os.path.join(ROOT, "grafana", "dashboards", "*.json"))):
        dashboard = json.load(open(path))
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                yield f'{dashboard["uid"]}: {panel["title"]}', target["expr"], True
    for path in sorted(glob.glob(os.path.join(ROOT, "prometheus", "rules", "*.yml"))):
        for group in yaml.safe_load(open(path))["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    yield f'{group["name"]}: {rule["record"]}', rule["expr"], True
                else:
                    yield f'{group["name"]}: {rule["alert"]}', rule["expr"], False


def query(prometheus, expr):
    url = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        return json.load(error)


def main(prometheus):
    failed = []
    count = 0
    for where, expr, needs_series in expressions():
        count += 1
        answer = query(prometheus, expr)
        if answer.get("status") != "success":
            failed.append(f"{where}: {answer.get('error')}")
        elif needs_series and not answer["data"]["result"]:
            failed.append(f"{where}: no series for {expr}")
    if failed:
        print(f"{len(failed)} of {count} queries failed:", *failed, sep="\n  ", file=sys.stderr)
        return 1
    print(f"promql: {count} queries of the dashboards and rules answered")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
