"""Company enrichment (spec §4.2): providers, the offline company directory, and leads that wait for it."""
