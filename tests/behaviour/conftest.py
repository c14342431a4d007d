"""Fixtures of the behaviour tests: a small organisation, leads captured at T0, a clock at T0 + 1 day."""

from lead_world import NOW, T0, _frozen, api_as, capture, leads, org

__all__ = ["NOW", "T0", "_frozen", "api_as", "capture", "leads", "org"]
