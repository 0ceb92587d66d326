"""A member's receipt for a payment (.docx): masked, access-checked, audited (issue 16)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from docx import Document

from dangjian.dues.models import Payment
from dangjian.dues.receipts import amount_in_words
from tests.dues.helpers import months_ago
from tests.helpers import actions_since, last_seq
from tests.matrix_helpers import persona_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.20", "贰角"),
        ("0.05", "伍分"),
        ("15.00", "壹拾伍元整"),
        ("15.05", "壹拾伍元零伍分"),
        ("11.73", "壹拾壹元柒角叁分"),
        ("1005.00", "壹仟零伍元整"),
        ("1000.00", "壹仟元整"),
        ("10500.00", "壹万零伍佰元整"),
        ("10000.10", "壹万元壹角"),
        ("120000.00", "壹拾贰万元整"),
        ("0.00", "零元整"),
    ],
)
def test_amounts_in_capital_numerals(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def _payment(member, branch) -> Payment:
    return Payment.objects.create(
        member=member,
        organization=branch,
        month=months_ago(1),
        amount=Decimal("1234.50"),
        paid_on=months_ago(0),
        method="transfer",
    )


def _text(body: bytes) -> str:
    doc = Document(io.BytesIO(body))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_the_member_downloads_a_masked_receipt_and_it_is_audited(demo, client_for):
    member = demo.own_member
    payment = _payment(member, member.organization)
    client = client_for(demo.users["member"])
    before = last_seq()
    response = client.get(f"/dues/payment/{payment.pk}/receipt/")
    assert response.status_code == 200
    assert response["Content-Type"].endswith("wordprocessingml.document")
    text = _text(response.content)
    assert "党费收据" in text and "壹仟贰佰叁拾肆元伍角" in text and "1234.50" in text
    assert member.name[0] + "*" in text and member.name not in text
    assert member.id_number not in text and member.id_number[-4:] not in text
    assert actions_since(before) == ["export"]


@pytest.mark.parametrize(("persona", "status"), [("secretary", 200), ("committee", 200)])
def test_the_branch_may_hand_out_receipts(demo, client_for, persona, status):
    payment = _payment(demo.member_in_branch, demo.branch)
    client = client_for(persona_user(demo, persona))
    assert client.get(f"/dues/payment/{payment.pk}/receipt/").status_code == status


@pytest.mark.parametrize(("persona", "status"), [("member", 404), ("organ", 403)])
def test_nobody_else_gets_a_members_receipt(demo, client_for, persona, status):
    payment = _payment(demo.member_in_branch, demo.branch)
    client = client_for(demo.users[persona])
    before = last_seq()
    assert client.get(f"/dues/payment/{payment.pk}/receipt/").status_code == status
    assert "export" not in actions_since(before)


def test_an_unknown_payment_is_not_found(demo, client_for):
    assert client_for(demo.users["member"]).get("/dues/payment/999999/receipt/").status_code == 404
