"""Checks that a trace in Zipkin has the spans a test expects, each under its parent.

    trace.py ZIPKIN_URL TRACE_ID 'SERVICE KIND NAME < PARENT_SERVICE KIND NAME' ...

`< -` marks a root span. Zipkin writes span names in lower case. Exits 1, listing what is
missing and what the trace has, when a span is missing (or the trace is not there yet).
"""

import json
import sys
import urllib.error
import urllib.request


def key(span):
    return f'{span["localEndpoint"]["serviceName"]} {span.get("kind", "-")} {span["name"]}'


def main(zipkin, trace_id, *wanted):
    try:
        with urllib.request.urlopen(f"{zipkin}/api/v2/trace/{trace_id}", timeout=5) as answer:
            spans = json.load(answer)
    except (urllib.error.URLError, OSError) as error:
        print(f"trace {trace_id}: {error}", file=sys.stderr)
        return 1
    by_id = {span["id"]: span for span in spans}
    have = set()
    for span in spans:
        parent = by_id.get(span.get("parentId"))
        have.add((key(span), key(parent) if parent else "-"))
    missing = [w for w in wanted if tuple(part.strip() for part in w.split("<")) not in have]
    if missing:
        print(f"trace {trace_id} lacks:", *missing, "it has:", *sorted(f"{a} < {b}" for a, b in have),
              sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
