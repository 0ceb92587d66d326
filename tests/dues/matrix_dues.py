"""Permission-matrix entries for the dues pages (issue 16).

The ledger, assessing and the base belong to the branch's dues managers (its secretary and
committee); a member sees their own account and base; the levels above (机关党委, 纪检) never
see a member's amount or base on these pages (they get totals), and administrators nothing.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from tests.dues.helpers import this_month
from tests.matrix_helpers import DENIED, MEMBER_SCOPES, NO_SCOPE, OK, Entry, Objects, rows

ADMINS_DENIED = {"sysadmin": DENIED, "secadmin": DENIED, "auditor": DENIED}
ADMINS_403 = {"sysadmin": 403, "secadmin": 403, "auditor": 403}
LEDGER_SCOPES = ("own_branch", "sibling", "dept", "other_dept")

# fmt: off
MINE = rows((NO_SCOPE,),
    member=OK, secretary=OK, committee=OK, inspector=OK, organ=OK, **ADMINS_403,
)
LEDGER = rows(LEDGER_SCOPES,
    member=   (404, 404, 404, 404),
    secretary=(OK,  404, 404, 404),
    committee=(OK,  404, 404, 404),
    inspector=(403, 403, 404, 404),
    organ=    (403, 403, 404, 404),
    **ADMINS_DENIED,
)
ASSESS = rows(MEMBER_SCOPES,
    member=   (404, 404, 404, 403),
    secretary=(OK,  404, 404, OK),
    committee=(OK,  404, 404, OK),
    inspector=(403, 403, 404, 403),
    organ=    (403, 403, 404, 403),
    **ADMINS_DENIED,
)
REVEAL = rows(MEMBER_SCOPES,
    member=   (404, 404, 404, OK),
    secretary=(OK,  404, 404, OK),
    committee=(OK,  404, 404, OK),
    inspector=(403, 403, 404, 403),
    organ=    (403, 403, 404, 403),
    **ADMINS_DENIED,
)
# fmt: on

_months_back = itertools.count(1)


def _ledger_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": objs.org(scope).pk}, {"month": f"{this_month():%Y-%m}"}


def _member_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": objs.member(scope).pk}, {}


def _assessed_member_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    from dangjian.crypto import default_keyring
    from dangjian.dues.models import Assessment

    member = objs.member(scope)
    Assessment.objects.get_or_create(
        member=member,
        effective_from=this_month(),
        defaults={
            "kind": "salaried",
            "base_encrypted": default_keyring().encrypt("4200.00"),
            "amount": Decimal("42.00"),
            "rate": Decimal("0.01"),
            "bracket": "5000元及以下，1%",
            "rule_id": "dues_rates_salaried",
        },
    )
    return {"pk": member.pk}, {}


def _assess_form(objs: Objects, scope: str) -> dict:
    # A new month each time, so every allowed request creates an assessment.
    month = this_month().replace(year=this_month().year - next(_months_back))
    return {"kind": "salaried", "base": "3000", "effective_from": month.isoformat()}


def _ledger_form(objs: Objects, scope: str) -> dict:
    return {"month": f"{this_month():%Y-%m}", "method": "cash"}


DUES_MATRIX: dict[str, tuple[Entry, ...]] = {
    "dues:mine": (Entry("GET", MINE),),
    "dues:ledger": (
        Entry("GET", LEDGER, LEDGER_SCOPES, url=_ledger_url),
        Entry(
            "POST",
            LEDGER,
            LEDGER_SCOPES,
            ok=302,
            url=_ledger_url,
            body=_ledger_form,
            audits="create",
        ),
    ),
    "dues:assess": (
        Entry(
            "POST",
            ASSESS,
            MEMBER_SCOPES,
            ok=302,
            url=_member_url,
            body=_assess_form,
            audits="create",
        ),
    ),
    "dues:reveal": (
        Entry("POST", REVEAL, MEMBER_SCOPES, url=_assessed_member_url, audits="reveal"),
    ),
}


# fmt: off
TOTALS_SCOPES = ("own_branch", "dept", "other_dept")
TOTALS = rows(TOTALS_SCOPES,
    member=   (404, 404, 404),
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(OK,  OK,  404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
MINE_API = rows((NO_SCOPE,),
    member=OK, secretary=OK, committee=403, inspector=OK, organ=OK, **ADMINS_403,
)
# fmt: on


def _totals_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": objs.org(scope).pk}, {"month": f"{this_month():%Y-%m}"}


def _totals_query(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {}, {"org": objs.org(scope).code}


DUES_MATRIX.update(
    {
        "dues:totals": (Entry("GET", TOTALS, TOTALS_SCOPES, url=_totals_url),),
        "api:my_dues": (Entry("GET", MINE_API),),
        "api:dues_totals": (Entry("GET", TOTALS, TOTALS_SCOPES, url=_totals_query),),
    }
)


def _branch_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    return {"pk": objs.org(scope).pk}, {}


DUES_MATRIX.update(
    {
        # The upload form; the upload itself is tested in tests/dues/test_payroll.py.
        "dues:payroll": (Entry("GET", LEDGER, LEDGER_SCOPES, url=_branch_url),),
        # Without an upload waiting in the session the confirmation only sends the user back.
        "dues:payroll_confirm": (
            Entry("POST", LEDGER, LEDGER_SCOPES, ok=302, url=_branch_url, body=lambda o, s: {}),
        ),
    }
)


# fmt: off
# Writers of the organization may hand over (for a branch: only its dues managers); with nothing
# recorded the page answers with a message and a redirect, and writes nothing.
HANDOVER = rows(TOTALS_SCOPES,
    member=   (404, 404, 404),
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(403, 403, 404),
    organ=    (403, OK,  404),
    **ADMINS_DENIED,
)
# fmt: on


def _handover_form(objs: Objects, scope: str) -> dict:
    return {"month": f"{this_month():%Y-%m}"}


DUES_MATRIX["dues:handover"] = (
    Entry("POST", HANDOVER, TOTALS_SCOPES, ok=302, url=_branch_url, body=_handover_form),
)


# ---- hardship reduction or exemption (减免) --------------------------------------------------
# The branch's dues managers decide (as they assess); the list is for them (their branch) and
# for the writers of the levels above (the upper 党委 answers); the answer is the upper 党委's
# alone: the branch cannot approve its own decision.
# fmt: off
RELIEFS = rows(TOTALS_SCOPES,
    member=   (404, 404, 404),
    secretary=(OK,  404, 404),
    committee=(OK,  404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
RELIEF_SCOPES = ("own_branch", "sibling", "other_dept")
ANSWER = rows(RELIEF_SCOPES,
    member=   (404, 404, 404),
    secretary=(403, 404, 404),
    committee=(403, 404, 404),
    inspector=(403, 403, 404),
    organ=    (OK,  OK,  404),
    **ADMINS_DENIED,
)
# fmt: on
_relief_months = itertools.count(0)


def _relief_form(objs: Objects, scope: str) -> dict:
    # A month of its own each time, so every allowed request records a decision.
    from dangjian.regulations.dates import add_months

    month = f"{add_months(this_month(), next(_relief_months)):%Y-%m}"
    return {
        "kind": "exempt",
        "first_month": month,
        "last_month": month,
        "reason": "矩阵测试",
        "decided_on": this_month().isoformat(),
    }


def _pending_relief_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    from dangjian.dues.models import Relief

    member = objs.member(scope)
    relief = Relief.objects.create(
        member=member,
        organization=member.organization,
        kind="exempt",
        first_month=this_month(),
        last_month=this_month(),
        reason="矩阵测试",
        decided_on=this_month(),
        decided_by=objs.demo.users["secretary"],
    )
    return {"pk": relief.pk}, {}


DUES_MATRIX.update(
    {
        "dues:relief_decide": (
            Entry(
                "POST",
                ASSESS,
                MEMBER_SCOPES,
                ok=302,
                url=_assessed_member_url,
                body=_relief_form,
                audits="create",
            ),
        ),
        "dues:reliefs": (Entry("GET", RELIEFS, TOTALS_SCOPES, url=_branch_url),),
        "dues:relief_answer": (
            Entry(
                "POST",
                ANSWER,
                RELIEF_SCOPES,
                ok=302,
                url=_pending_relief_url,
                body=lambda o, s: {"decision": "approve"},
                audits="update",
            ),
        ),
    }
)


# ---- quarterly payment (按季度交纳) ------------------------------------------------------------
# The branch's dues managers consent and record, as they assess; the member cannot consent to
# their own quarterly payment.


def _quarter_start():
    import datetime as dt

    month = this_month()
    return dt.date(month.year, (month.month - 1) // 3 * 3 + 1, 1)


def _quarterly_member_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    from dangjian.crypto import default_keyring
    from dangjian.dues.models import Assessment, Payment, QuarterlyApproval
    from dangjian.members.models import Member

    member = objs.member(scope)
    # Dues are owed for the whole quarter only by someone in the branch before it starts. Move
    # the dates back only where needed, and never before the member could have been admitted:
    # the matrix's world is shared, and a later entry saving this member revalidates them (an
    # admission in 2000 made every later PATCH of a member born in 1994 a 422).
    start = _quarter_start()
    year_before = start.replace(year=start.year - 1)
    changes = {}
    if member.admitted_on is None or member.admitted_on >= start:
        changes["admitted_on"] = year_before
    if member.org_since is None or member.org_since >= start:
        changes["org_since"] = max(changes.get("admitted_on", member.admitted_on), year_before)
    if changes:
        Member.objects.filter(pk=member.pk).update(**changes)
    # The matrix's database outlives one request: other entries may have paid these months.
    Payment.objects.filter(member=member, month__gte=_quarter_start()).delete()
    Assessment.objects.get_or_create(
        member=member,
        effective_from=_quarter_start(),
        defaults={
            "kind": "flat",
            "base_encrypted": default_keyring().encrypt(""),
            "amount": Decimal("0.20"),
            "bracket": "定额",
            "rule_id": "dues_flat",
        },
    )
    QuarterlyApproval.objects.get_or_create(
        member=member,
        defaults={
            "organization": member.organization,
            "decided_on": this_month(),
            "decided_by": objs.demo.users["secretary"],
        },
    )
    # The withdrawal entry may have withdrawn it in the shared world.
    QuarterlyApproval.objects.filter(member=member).update(
        withdrawn_from=None, withdrawn_on=None, withdrawn_by=None
    )
    return {"pk": member.pk}, {}


def _unconsented_member_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    # The matrix's database outlives one request: start each consent from none.
    from dangjian.dues.models import QuarterlyApproval

    QuarterlyApproval.objects.filter(member=objs.member(scope)).delete()
    return {"pk": objs.member(scope).pk}, {}


def _withdrawable_member_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    # A consent of the member's branch, not withdrawn (the shared world may have withdrawn it).
    from dangjian.dues.models import QuarterlyApproval

    member = objs.member(scope)
    QuarterlyApproval.objects.update_or_create(
        member=member,
        defaults={
            "organization": member.organization,
            "decided_on": this_month(),
            "decided_by": objs.demo.users["secretary"],
            "withdrawn_from": None,
            "withdrawn_on": None,
            "withdrawn_by": None,
        },
    )
    return {"pk": member.pk}, {}


DUES_MATRIX.update(
    {
        "dues:quarterly_consent": (
            Entry(
                "POST",
                ASSESS,
                MEMBER_SCOPES,
                ok=302,
                url=_unconsented_member_url,
                body=lambda o, s: {"decided_on": this_month().isoformat()},
                audits="create",
            ),
        ),
        "dues:quarterly_withdraw": (
            Entry(
                "POST",
                ASSESS,
                MEMBER_SCOPES,
                ok=302,
                url=_withdrawable_member_url,
                body=lambda o, s: {"month": f"{this_month():%Y-%m}"},
                audits="update",
            ),
        ),
        "dues:pay_quarter": (
            Entry(
                "POST",
                ASSESS,
                MEMBER_SCOPES,
                ok=302,
                url=_quarterly_member_url,
                body=lambda o, s: {"month": f"{_quarter_start():%Y-%m}"},
                audits="create",
            ),
        ),
    }
)


# ---- receipts: the member who paid and the branch's dues managers, nobody else -------------
def _payment_url(objs: Objects, scope: str) -> tuple[dict, dict]:
    from dangjian.dues.models import Payment

    member = objs.member(scope)
    payment, _ = Payment.objects.get_or_create(
        member=member,
        month=this_month(),
        defaults={
            "organization": member.organization,
            "amount": Decimal("42.00"),
            "paid_on": this_month(),
            "method": "cash",
        },
    )
    return {"pk": payment.pk}, {}


DUES_MATRIX["dues:receipt"] = (
    Entry("GET", REVEAL, MEMBER_SCOPES, url=_payment_url, audits="export"),
)


# ---- the yearly publication: the branch's dues managers and the writers above it -----------
# fmt: off
PUBLICATION = rows(LEDGER_SCOPES,
    member=   (404, 404, 404, 404),
    secretary=(OK,  404, 404, 404),
    committee=(OK,  404, 404, 404),
    inspector=(403, 403, 404, 404),
    organ=    (OK,  OK,  404, 404),
    **ADMINS_DENIED,
)
# fmt: on
DUES_MATRIX["dues:publication"] = (
    Entry("GET", PUBLICATION, LEDGER_SCOPES, url=_branch_url, audits="export"),
)


# ---- voluntary one-off payments: the branch's dues managers, as the ledger ------------------
def _extra_form(objs: Objects, scope: str) -> dict:
    member = objs.member(scope if scope in ("own_branch", "sibling") else "own_branch")
    return {"member": member.pk, "amount": "1000", "paid_on": this_month().isoformat()}


DUES_MATRIX["dues:extra"] = (
    Entry("GET", LEDGER, LEDGER_SCOPES, url=_branch_url),
    Entry(
        "POST",
        LEDGER,
        LEDGER_SCOPES,
        ok=302,
        url=_branch_url,
        body=_extra_form,
        audits="create",
    ),
)
