import pytest

from tests.transfers.helpers import outsider, receiver


@pytest.fixture(autouse=True)
def _secretaries(request):
    """The receiving branch's and a third branch's secretaries exist before a test counts audit
    events (their creation is audited too)."""
    if "demo" in request.fixturenames:
        demo = request.getfixturevalue("demo")
        receiver(demo)
        outsider(demo)
