from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "baton.pipeline"
    label = "pipeline"
