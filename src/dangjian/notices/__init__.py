"""Notices and the inbox: every app tells its users through `dangjian.notices.services`.

Notices know nothing of the apps that send them: a notice has a kind (whose label the sending app
registers), a link to the page it is about and, optionally, the record it is about. What waits
for a user's action ("待办") comes from to-do providers the apps register (`registry`).
"""
