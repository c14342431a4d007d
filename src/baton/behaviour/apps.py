from django.apps import AppConfig


class BehaviourConfig(AppConfig):
    name = "baton.behaviour"
    label = "behaviour"
