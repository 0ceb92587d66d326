import pytest


@pytest.fixture(autouse=True)
def _packs_loaded(db):
    # The first use of the packs records their change in the audit log; do it before counting.
    from dangjian.meetings.packs import rules_in_force

    rules_in_force()
