from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "baton.scoring"
    label = "scoring"
