from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "baton.analytics"
    label = "analytics"
