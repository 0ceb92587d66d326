"""The report as JSON-ready data (the command line's --json and the API)."""

from __future__ import annotations

from dangjian.meetings.findings.report import ComplianceReport, OrgInfo
from dangjian.orgs.models import Organization, OrgKind


def report_json(report: ComplianceReport, *, findings: bool = True) -> dict[str, object]:
    """The report as JSON-ready data (the CLI's --json and the API answer)."""
    rollups = report.rollups
    root_rollup = rollups[report.root.id]
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
                "parent_code": _parent_code(report, org),
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
            for org in report.orgs
        ],
    }


def _parent_code(report: ComplianceReport, org: OrgInfo) -> str | None:
    if org.id == report.root.id:
        return None
    parents = report.__dict__.setdefault("_codes_by_path", {o.path: o.code for o in report.orgs})
    return parents.get(org.parent_path)


def own_depth(org: Organization) -> int:
    """The depth an organization's own page reaches: itself, and a branch's party groups."""
    return org.depth + 1 if org.kind == OrgKind.BRANCH else org.depth
