"""Roster (花名册) files: cell parsing (`cells`); reading .xlsx/.xls/.csv (`reader`, with
`sniff`, `xlsx_scan`, `streamed`, `csvfile`, `headers`, `sheet`, `errors`); the template layout
and writer (`layout`); the import into the database (`importer`, with `rows` and `report`);
the files kept while an import runs (`files`) and its background steps (`jobs`).

Import from the submodules; this package imports nothing, so `cells` and `reader` stay usable
without Django set up.
"""
