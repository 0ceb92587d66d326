"""A digest of every whole-tree finding, to check that a speed change changes no finding.

    DANGJIAN_DATA_DIR=/tmp/prov PYTHONPATH=src .venv/bin/python bench/findings_digest.py \
        2026-11-25 2026 /tmp/dump-new.txt

Prints the compute time, the number of findings and a sha256 over a sorted JSON dump of every
finding (`as_dict()`, by organization code), every cell, every roll-up, the columns and the
meetings counted per month; writes the dump to the optional third argument. Run it under the
old code (`PYTHONPATH=/work/main/src`) and the new on the same data and compare (`cmp`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import time

os.environ.setdefault("DANGJIAN_SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")


def main() -> None:
    import django

    django.setup()
    from dangjian.meetings import findings as compliance
    from dangjian.orgs.models import Organization

    today = dt.date.fromisoformat(sys.argv[1]) if len(sys.argv) > 1 else dt.date.today()
    year = int(sys.argv[2]) if len(sys.argv) > 2 else today.year
    root = Organization.objects.get(code=os.environ.get("DIGEST_ROOT", "GW"))
    started = time.perf_counter()
    report = compliance.compute(root, year, today=today)
    print("compute", round(time.perf_counter() - started, 3))
    lines = []
    for org in report.orgs:
        for found in report.findings_for(org.id):
            lines.append(
                json.dumps(
                    [org.code, found.as_dict()], sort_keys=True, ensure_ascii=False, default=str
                )
            )
    count = len(lines)
    cells = {
        org.code: {
            key: (cell.tally, cell.worst, cell.explained)
            for key, cell in sorted(report.cells_by_org().get(org.id, {}).items())
        }
        for org in report.orgs
    }
    rollups = {
        org.code: (r.tally, r.explained, r.organizations, r.columns)
        for org in report.orgs
        for r in [report.rollups[org.id]]
    }
    lines.append(json.dumps(cells, sort_keys=True, ensure_ascii=False))
    lines.append(json.dumps(rollups, sort_keys=True))
    lines.append(json.dumps([c.key for c in report.columns]))
    lines.append(json.dumps(report.meetings_by_month(), sort_keys=True))
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    print("findings", count, "digest", digest.hexdigest())
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as out:
            out.write("\n".join(lines))


if __name__ == "__main__":
    main()
