"""The work desk (home page), the leaders' dashboard and the statistics: pages composed from the
domain apps' records, never from figures typed in for them."""
