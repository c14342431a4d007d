from django.apps import AppConfig


class QualificationConfig(AppConfig):
    name = "baton.qualification"
    label = "qualification"
