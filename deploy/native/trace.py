"""Checks that a trace in Zipkin has the spans a test expects, each under its parent, and
which of its spans failed.

    trace.py ZIPKIN_URL TRACE_ID '[!]SERVICE KIND NAME < PARENT_SERVICE KIND NAME' ...

`< -` marks a root span, and KIND `-` a span of no kind (internal). Zipkin writes span
names in lower case. A span marked `!` must have failed (Zipkin's `error` tag); with no
span marked, no span of the trace may have failed. Exits 1, listing what is missing and
what the trace has, when that is not so (or the trace is not there yet).
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
    # (span, parent) -> whether it failed
    have = {}
    for span in spans:
        parent = by_id.get(span.get("parentId"))
        have[(key(span), key(parent) if parent else "-")] = "error" in span.get("tags", {})
    problems = []
    for want in wanted:
        must_fail = want.startswith("!")
        edge = tuple(part.strip() for part in want.lstrip("!").split("<"))
        if edge not in have:
            problems.append(f"missing {want}")
        elif have[edge] != must_fail:
            problems.append(f"{'not failed' if must_fail else 'failed'}: {want}")
    if not any(want.startswith("!") for want in wanted):
        problems += [f"failed: {a} < {b}" for (a, b), failed in have.items() if failed]
    if problems:
        print(f"trace {trace_id}:", *sorted(set(problems)), "it has:",
              *sorted(f"{'!' if failed else ''}{a} < {b}" for (a, b), failed in have.items()),
              sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
