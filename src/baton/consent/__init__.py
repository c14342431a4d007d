"""Consent and do-not-contact (spec §4.2): per-person, per-channel preferences, domain suppression,
unsubscribe links; the check every send makes (``selectors.contact_decision``)."""
