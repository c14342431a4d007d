import pytest
from django.db import connection

VENDOR_FOR_OPTION = {"sqlite": "sqlite", "postgres": "postgresql"}


@pytest.mark.django_db
def test_runs_on_the_database_chosen_with_the_db_option(request, db_vendor):
    with connection.cursor() as cursor:
        cursor.execute("select 1")
        assert cursor.fetchone() == (1,)
    assert db_vendor == VENDOR_FOR_OPTION[request.config.getoption("--db")]
