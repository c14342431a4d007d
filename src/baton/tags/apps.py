from django.apps import AppConfig


class TagsConfig(AppConfig):
    name = "baton.tags"
    label = "tags"
