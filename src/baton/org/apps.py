from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "baton.org"
    label = "org"
