"""Fixtures of the tag tests: a small organisation, leads captured at T0, a clock at T0 + 1 day, browsers."""

from django.test import Client
from lead_world import NOW, T0, _frozen, api_as, capture, leads, org

__all__ = ["HTMX", "NOW", "T0", "_frozen", "api_as", "capture", "client_for", "leads", "org"]

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client
