"""Behaviour events (spec §4.2): signups, event registrations and attendance, content downloads, e-mail
opens and clicks, page visits — on the lead timeline, counted for tag rules, scoring and flows."""
