"""Roster (花名册) files: cell parsing (`cells`), reading .xlsx/.xls/.csv (`reader`), the template
layout and writer (`layout`), and the import into the database (`importer`).

Import from the submodules; this package imports nothing, so `cells` and `reader` stay usable
without Django set up.
"""
