from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "baton.routing"
    label = "routing"
