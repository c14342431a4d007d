from django.db import models


class FloorRow(models.Model):
    """Target of the benchmark floor: one bare row insert on the same server and database."""

    payload = models.CharField(max_length=200)
    created_at = models.DateTimeField()
