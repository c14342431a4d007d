"""Groundwork for importing leads from CSV/XLSX files (spec §4.2): reading tables and mapping columns.

Pure Python over files: no Django, no database. ``reader`` streams rows out of a CSV or XLSX file;
``mapping`` turns a row of source columns into Baton's capture fields (presets for Salesforce, HubSpot
and Chinese headers, or a TOML mapping file).
"""
