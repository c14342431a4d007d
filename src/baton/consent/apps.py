from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "baton.consent"
    label = "consent"
