"""Tags (spec §4.2): manual tags ("industry + region + company + title") and automatic tags set by
rules on lead facts and behaviour (``core/tagging.py`` evaluates the conditions)."""
