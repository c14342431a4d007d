from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "baton.leads"
    label = "leads"
