"""The report as JSON-ready data (the command line's --json and the API)."""

from __future__ import annotations

from collections.abc import Sequence

from dangjian.meetings.findings.report import ComplianceReport, OrgInfo
from dangjian.orgs.models import Organization, OrgKind


def report_json(
    report: ComplianceReport, *, findings: bool = True, orgs: Sequence[OrgInfo] | None = None
) -> dict[str, object]:
    """The report as JSON-ready data (the CLI's --json and the API answer): every organization
    of the subtree, or only `orgs` (one page of them; the summary is the whole subtree's)."""
    rollups = report.rollups
    root_rollup = rollups[report.root.id]
    codes = {o.path: o.code for o in report.orgs}
    return {
        "organization": {
            "id": report.root.id,
            "code": report.root.code,
            "name": report.root.name,
            "kind": report.root.kind,
        },
        "year": report.year,
        "as_of": report.as_of.isoformat(),
        "rule_packs": list(report.rules.pack_ids),
        "columns": [
            {"key": c.key, "label": c.label, "rule_ids": list(c.rule_ids), "citation": c.citation}
            for c in report.columns
        ],
        "summary": root_rollup.as_dict(),
        "meetings_counted": report.meetings_counted,
        "organizations": [
            {
                "id": org.id,
                "code": org.code,
                "name": org.name,
                "kind": org.kind,
                "depth": org.depth,
                "parent_code": None if org.id == report.root.id else codes.get(org.parent_path),
                "members": org.members,
                "full_members": org.full_members,
                "committee_size": org.committee_size,
                "rollup": rollups[org.id].as_dict(),
                **(
                    {"findings": [f.as_dict() for f in report.findings_for(org.id)]}
                    if findings
                    else {}
                ),
            }
            for org in (report.orgs if orgs is None else orgs)
        ],
    }


def own_depth(org: Organization) -> int:
    """The depth an organization's own page reaches: itself, and a branch's party groups."""
    return org.depth + 1 if org.kind == OrgKind.BRANCH else org.depth
