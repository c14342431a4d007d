from django.apps import AppConfig


class EnrichmentConfig(AppConfig):
    name = "baton.enrichment"
    label = "enrichment"
