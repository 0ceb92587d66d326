"""Permission-matrix entries for the transfer pages and /api/v1/transfers.

A transfer is read by the readers of either side (secretary, 支委, the 机关党委 and 纪检 above)
and acted on by the side whose step it is: the 机关党委 above the sending branch approves, the
receiving branch receives or returns, the sending branch cancels and prints the letter; the 纪检
reader never acts; the three administrators see none. Transfers by scope, each issued (letter
numbered) or only applied for: `sending` FGW-B01 → CZJ-B01 (the secretary's branch sends),
`receiving` CZJ-B01 → FGW-B01 (it receives), `other_dept` CZJ-B01 → CZJ-B03 (no part in it).
"""

from __future__ import annotations

import datetime as dt

from tests.matrix_helpers import DENIED, MEMBER_SCOPES, NO_SCOPE, OK, Entry, Objects, rows

T_SCOPES = ("sending", "receiving", "other_dept")
ROUTES = {"sending": ("FGW-B01", "CZJ-B01"), "receiving": ("CZJ-B01", "FGW-B01"),
          "other_dept": ("CZJ-B01", "CZJ-B03")}  # fmt: skip
# Which spare members of the sending branch carry the issued and the applied transfer.
SLOTS = {("sending", "approved"): 0, ("sending", "applied"): 1,
         ("receiving", "approved"): 0, ("receiving", "applied"): 1,
         ("other_dept", "approved"): 2, ("other_dept", "applied"): 3}  # fmt: skip
ORG_SCOPES = ("own_branch", "sibling", "other_dept")
ORGS = {"own_branch": "FGW-B01", "sibling": "FGW-B02", "other_dept": "CZJ-B01"}

ADMINS_DENIED = {"sysadmin": DENIED, "secadmin": DENIED, "auditor": DENIED}
ADMINS_403 = {"sysadmin": 403, "secadmin": 403, "auditor": 403}

# fmt: off
READ = rows(T_SCOPES,
    member=404,
    secretary=(OK, OK, 404),
    committee=(OK, OK, 404),
    inspector=(OK, OK, 404),
    organ=    (OK, OK, 404),
    **ADMINS_DENIED,
)
# 转出方审核: the 机关党委 above the sending branch only (FGW-JGDW for `sending`).
APPROVE = rows(T_SCOPES,
    member=404,
    secretary=(403, 403, 404),
    committee=(403, 403, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  403, 404),
    **ADMINS_DENIED,
)
# Receive and return (after the letter): the receiving side.
RECEIVE = rows(T_SCOPES,
    member=404,
    secretary=(403, OK,  404),
    committee=(403, OK,  404),
    inspector=(403, 403, 404),
    organ=    (403, OK,  404),
    **ADMINS_DENIED,
)
# Cancel: the side that started it.
CANCEL = rows(T_SCOPES,
    member=404,
    secretary=(OK,  403, 404),
    committee=(OK,  403, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  403, 404),
    **ADMINS_DENIED,
)
# The letter: exported by the sending side (the 纪检 may export what it reads).
LETTER = rows(T_SCOPES,
    member=404,
    secretary=(OK,  403, 404),
    committee=(OK,  403, 404),
    inspector=(OK,  403, 404),
    organ=    (OK,  403, 404),
    **ADMINS_DENIED,
)
START = rows(MEMBER_SCOPES,
    member=   (404, 404, 404, 403),
    secretary=(OK,  404, 404, OK),
    committee=(OK,  404, 404, OK),
    inspector=(403, 403, 404, 403),
    organ=    (OK,  OK,  404, OK),
    **ADMINS_DENIED,
)
BY_ORG = rows(ORG_SCOPES,
    member=403,
    secretary=(OK, 404, 404),
    committee=(OK, 404, 404),
    inspector=(OK, OK,  404),
    organ=    (OK, OK,  404),
    **ADMINS_403,
)
INCOMING = rows(ORG_SCOPES,
    member=403,
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_403,
)
# 整建制转移: the 机关党委 above the branch only (FGW-JGDW for FGW-B01 and FGW-B02).
BULK = rows(ORG_SCOPES,
    member=403,
    secretary=(403, 404, 404),
    committee=(403, 404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_403,
)
API_LIST = rows((NO_SCOPE,),
    member=OK, secretary=OK, committee=OK, inspector=OK, organ=OK, **ADMINS_403,
)
API_WAITING = rows((NO_SCOPE,),
    member=403, secretary=OK, committee=OK, inspector=403, organ=OK, **ADMINS_403,
)
# fmt: on


def _spare(objs: Objects, code: str, slot: int):
    from dangjian.members.models import Member

    taken = [m.pk for m in (objs.demo.member_in_branch, objs.demo.member_in_other_dept)]
    spare = (
        Member.objects.filter(organization=objs.demo.org[code], left_on__isnull=True,
                              user__isnull=True)
        .exclude(pk__in=taken)
        .order_by("pk")
    )  # fmt: skip
    return spare[slot]


def transfer_for(objs: Objects, scope: str, state: str):
    from dangjian.audit.services import Actor
    from dangjian.transfers import services

    cache = objs.__dict__.setdefault("_transfers", {})
    if (scope, state) not in cache:
        source, target = ROUTES[scope]
        actor = Actor.system("matrix")
        transfer = services.start(
            actor,
            _spare(objs, source, SLOTS[(scope, state)]),
            kind="within",
            to_organization=objs.demo.org[target],
            reason="矩阵转接",
            applied_on=dt.date(2026, 11, 2),
        )
        if state == "approved":
            transfer = services.approve(actor, transfer, dt.date(2026, 11, 5))
        cache[(scope, state)] = transfer
    return cache[(scope, state)]


def _pk(state: str, name: str = "pk"):
    return lambda objs, scope: ({name: transfer_for(objs, scope, state).pk}, {})


def _org_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {}, {"org": objs.demo.org[ORGS[scope]].pk}


def _member_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {}, {"member": objs.member(scope).pk}


def start_form(objs: Objects, scope: str) -> dict:
    return {
        "kind": "within",
        "to_code": "CZJ-B01",
        "reason": "矩阵调动",
        "applied_on": "2026-11-20",
    }


def incoming_form(objs: Objects, scope: str) -> dict:
    return {"person_name": "矩阵转入", "from_name": "外省某党支部", "letter_number": "外001",
            "issued_on": "2026-11-10", "valid_until": "2027-02-10"}  # fmt: skip


# The bulk move takes one spare member no transfer of the matrix uses (slots 0-3 are taken).
BULK_TARGETS = {"own_branch": "FGW-B03", "sibling": "FGW-B03", "other_dept": "CZJ-B03"}


def bulk_form(action: str):
    def body(objs: Objects, scope: str) -> dict:
        from dangjian.core.clock import today

        return {"action": action, "target": objs.demo.org[BULK_TARGETS[scope]].pk,
                "on": today().isoformat(), "reason": "机构调整",
                "members": [_spare(objs, ORGS[scope], 4).pk]}  # fmt: skip

    return body


def mobile_form(objs: Objects, scope: str) -> dict:
    from dangjian.core.clock import today

    return {"action": "add", "member": _spare(objs, ORGS[scope], 4).pk, "place": "矩阵某市",
            "since": today().isoformat()}  # fmt: skip


def bulk_json(objs: Objects, scope: str) -> dict:
    from dangjian.core.clock import today

    return {"source": ORGS[scope], "target": BULK_TARGETS[scope], "on": today().isoformat(),
            "reason": "机构调整", "preview": True,
            "members": [_spare(objs, ORGS[scope], 4).pk]}  # fmt: skip


def absence_form(objs: Objects, scope: str) -> dict:
    return {"action": "add", "member": _spare(objs, ORGS[scope], 5).pk, "kind": "lost_contact",
            "since": "2026-01-05"}  # fmt: skip


def _post(name: str, table, state: str, body: dict, audits: str = "update") -> tuple[Entry, ...]:
    return (
        Entry("POST", table, T_SCOPES, ok=302, url=_pk(state), body=lambda o, s: body,
              audits=audits),
    )  # fmt: skip


TRANSFERS_MATRIX: dict[str, tuple[Entry, ...]] = {
    "transfers:list": (Entry("GET", BY_ORG, ORG_SCOPES, url=_org_query),),
    "transfers:incoming": (
        Entry("GET", INCOMING, ORG_SCOPES, url=_org_query),
        Entry("POST", INCOMING, ORG_SCOPES, ok=302, url=_org_query, body=incoming_form,
              audits="create"),
    ),  # fmt: skip
    "transfers:new": (
        Entry("GET", START, MEMBER_SCOPES, url=_member_query),
        Entry("POST", START, MEMBER_SCOPES, ok=302, url=_member_query, body=start_form,
              audits="create"),
    ),  # fmt: skip
    "transfers:bulk": (
        Entry("GET", BULK, ORG_SCOPES, url=_org_query),
        Entry("POST", BULK, ORG_SCOPES, ok=302, url=_org_query, body=bulk_form("confirm"),
              audits="move"),
    ),
    # 流动党员: read by the branch's readers (and those above), recorded by its writers.
    "transfers:mobile": (
        Entry("GET", BY_ORG, ORG_SCOPES, url=_org_query),
        Entry("POST", INCOMING, ORG_SCOPES, ok=302, url=_org_query, body=mobile_form,
              audits="create"),
    ),
    # 失去联系与出国出境: read like the 流动党员 page, recorded by the branch's writers.
    "transfers:absence": (
        Entry("GET", BY_ORG, ORG_SCOPES, url=_org_query),
        Entry("POST", INCOMING, ORG_SCOPES, ok=302, url=_org_query, body=absence_form,
              audits="create"),
    ),  # fmt: skip
    "transfers:detail": (Entry("GET", READ, T_SCOPES, url=_pk("approved")),),
    "transfers:approve": _post("transfers:approve", APPROVE, "applied",
                               {"approved_on": "2026-11-06"}),
    "transfers:receive": _post("transfers:receive", RECEIVE, "approved",
                               {"received_on": "2026-11-20"}),
    "transfers:return": _post("transfers:return", RECEIVE, "approved",
                              {"return_reason": "矩阵退回"}),
    "transfers:cancel": _post("transfers:cancel", CANCEL, "approved", {"reason": "矩阵撤销"}),
    "transfers:letter": (
        Entry("GET", LETTER, T_SCOPES, url=_pk("approved"), audits="export"),
    ),
    "api:transfer_list": (Entry("GET", API_LIST),),
    # 整建制转移 by the API: the page's policy; the preview answers 200 and writes nothing.
    "api:transfer_bulk": (Entry("POST", BULK, ORG_SCOPES, body=bulk_json),),
    "api:transfer_waiting": (Entry("GET", API_WAITING),),
    "api:transfer_detail": (Entry("GET", READ, T_SCOPES, url=_pk("approved", "transfer_id")),),
}  # fmt: skip
