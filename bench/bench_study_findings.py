"""What the study-hours column (study/findings.py, issue 13) adds to the findings report on the
province-scale demo: `compliance.compute` for the whole tree with every contributor, and with
the study contributor taken out, alternately, in one process (so load on a shared machine hits
both alike); and the study column's own evaluation for the whole tree with its query count.

    python bench/bench_compliance.py --data-dir /tmp/prov --runs 1     # generates the data once
    python bench/bench_study_findings.py --data-dir /tmp/prov --as-of 2026-11-25 --year 2026

`--findings-out FILE` writes every finding of the whole tree (every column: organization code,
rule, column, period, status, severity, message, facts), one sorted line each, so two runs, for
instance `main` before a change and a branch after it on the same data, can be compared with
`--compare FILE` (prints "same findings" or the differences and exits 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--as-of", default="2026-11-25")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--findings-out", help="write the whole tree's findings to this file")
    parser.add_argument("--compare", help="compare the whole tree's findings with this file")
    args = parser.parse_args()
    os.environ["DANGJIAN_DATA_DIR"] = args.data_dir
    os.environ.setdefault("DANGJIAN_SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    sys.path.insert(0, str(HERE.parent / "src"))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.meetings import findings
    from dangjian.meetings.findings import contributors
    from dangjian.orgs.models import Organization
    from dangjian.study import findings as study_findings

    root = Organization.objects.get(code="GW")
    today = dt.date.fromisoformat(args.as_of)
    study = next(c for c in contributors.contributors() if c.key == "study")
    timings: dict[str, list[float]] = {"with study": [], "without study": []}
    for _ in range(args.runs):
        for label in ("without study", "with study"):
            if label == "with study":
                contributors.register(study)
            else:
                contributors.unregister("study")
            findings.clear_cache()
            start = time.perf_counter()
            report = findings.compute(root, args.year, today=today)
            timings[label].append(time.perf_counter() - start)
    contributors.register(study)
    statuses = Counter(
        (f.rule_id, f.status)
        for info in report.orgs
        for f in report.findings_for(info.id)
        if f.column == study_findings.COLUMN
    )
    scope = contributors.Scope(
        where=None,
        orgs=report.orgs,
        year=args.year,
        as_of=today,
        today=today,
        rules=report.rules,
    )  # type: ignore[arg-type]
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        study_findings._evaluate(scope)
        alone = time.perf_counter() - start
    print(
        f"{connection.vendor}: whole tree (GW), {len(report.orgs)} organizations, {args.year} as of {today}"
    )
    for label, values in timings.items():
        print(f"  compliance.compute {label}: best {min(values):.3f} s of {len(values)}")
    print(f"  study column alone: {alone:.3f} s, {len(queries)} queries")
    for (rule, status), count in sorted(statuses.items()):
        print(f"    {rule} {status}: {count} branches")
    lines = _lines(report)
    print(f"  {len(lines)} findings in the whole tree")
    if args.findings_out:
        Path(args.findings_out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.compare:
        before = Path(args.compare).read_text(encoding="utf-8").splitlines()
        if before == lines:
            print(f"  same findings as {args.compare} ({len(lines)})")
        else:
            gone, new = sorted(set(before) - set(lines)), sorted(set(lines) - set(before))
            print(f"  DIFFERENT from {args.compare}: {len(gone)} gone, {len(new)} new")
            for line in (gone + new)[:20]:
                print("   ", line)
            sys.exit(1)


def _lines(report) -> list[str]:
    """Every finding of the report, one line each, sorted: what two runs must agree on."""
    import json

    codes = {info.id: info.code for info in report.orgs}
    return sorted(
        json.dumps(
            [
                codes[info.id],
                f.rule_id,
                f.column,
                str(getattr(f, "period", "")),
                str(f.status),
                str(f.severity),
                f.message,
                f.citation,
                f.facts,
            ],
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        for info in report.orgs
        for f in report.findings_for(info.id)
    )


if __name__ == "__main__":
    main()
