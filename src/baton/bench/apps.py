from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "baton.bench"
    label = "bench"
