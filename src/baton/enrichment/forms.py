"""The enrichment settings form. It checks the shape of the input; the service enforces the rules."""

from django import forms

from baton.enrichment.models import EnrichmentSettings


class EnrichmentSettingsForm(forms.ModelForm):
    class Meta:
        model = EnrichmentSettings
        fields = ["enabled", "wait_before_routing", "timeout_seconds"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "enr_%s")
        super().__init__(*args, **kwargs)
