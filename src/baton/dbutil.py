"""Small helpers for bulk writes, so that bulk paths never issue a query per row."""

import functools
import json
from collections.abc import Iterable, Sequence

from django.db import connection, models

BATCH = 500  # rows per statement: far below SQLite's variable limit even with many columns


def rows_update(model: type[models.Model], objs: Sequence[models.Model], fields: Iterable[str]) -> None:
    """Write ``fields`` of already-loaded objects back: one UPDATE per 500 rows.

    Many rows go through ``UPDATE … FROM (VALUES …)`` (PostgreSQL and SQLite ≥ 3.33), which costs
    a fraction of Django's ``bulk_update`` CASE expressions when rows number in the hundreds.
    """
    fields = [model._meta.get_field(f) for f in fields]
    if not objs or not fields:
        return
    if len(objs) == 1:
        obj = objs[0]
        model.objects.filter(pk=obj.pk).update(**{f.attname: getattr(obj, f.attname) for f in fields})
        return
    unique = list({obj.pk: obj for obj in objs}.values())  # the last version of each row wins
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = model._meta.pk
    columns = [pk, *fields]
    names = ", ".join(quote(f"c{i}") for i in range(len(columns)))
    if connection.vendor == "postgresql":
        # VALUES rows carry no column types on PostgreSQL: cast each one to its column's type.
        values = [f"CAST(v.{quote(f'c{i}')} AS {f.db_type(connection)})" for i, f in enumerate(columns)]
    else:
        values = [f"v.{quote(f'c{i}')}" for i in range(len(columns))]
    assignments = ", ".join(f"{quote(f.column)} = {values[i + 1]}" for i, f in enumerate(fields))
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    preps = [(f.attname, db_value(f)) for f in columns]
    with connection.cursor() as cursor:
        for part in chunks(unique, BATCH):
            params = [prep(getattr(obj, attname)) for obj in part for attname, prep in preps]
            # Identifiers come from the model's metadata, quoted; every value is a bound parameter.
            sql = (
                f"WITH v ({names}) AS (VALUES {', '.join([row] * len(part))}) "  # noqa: S608
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{quote(pk.column)} = {values[0]}"
            )
            cursor.execute(sql, params)


def chunks(items: Sequence, size: int = BATCH):
    for i in range(0, len(items), size):
        yield items[i : i + size]


_AS_IS = (
    models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey,
    models.FloatField,
)  # fmt: skip


def _identity(value):
    return value


def db_value(field: models.Field):
    """A fast value → database parameter converter for one field.

    Strings, numbers, booleans and foreign-key ids pass through as they are (what the field's own
    conversion returns for values of the right type); date-times go through the backend's adapter
    (memoised: bulk rows repeat the same instants); JSON on SQLite is ``json.dumps`` (what Django's
    adapter does); everything else through the field's full ``get_db_prep_save``.
    """
    if isinstance(field, _AS_IS):
        return _identity
    if isinstance(field, models.DateTimeField):
        adapt = functools.lru_cache(maxsize=8192)(connection.ops.adapt_datetimefield_value)
        return lambda value: None if value is None else adapt(value)
    if isinstance(field, models.JSONField) and connection.vendor == "sqlite" and field.encoder is None:
        return json.dumps
    return lambda value: field.get_db_prep_save(value, connection)


def rows_insert(model: type[models.Model], objs: Sequence[models.Model]) -> list[models.Model]:
    """Insert unsaved objects, 500 rows per statement, and set their primary keys (RETURNING).

    The same rows as ``bulk_create`` for models without save() logic or signals, at a fraction of
    its per-row cost: values are prepared by each field, the SQL is built once per batch size.
    """
    if not objs:
        return list(objs)
    attnames = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    ids = rows_insert_values(model, attnames, [tuple(getattr(o, a) for a in attnames) for o in objs])
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
    return list(objs)


def rows_insert_values(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple], *, returning: bool = True
) -> list[int]:
    """Insert plain tuples (values for ``columns``, by attname; the model's other fields get their
    defaults) without building model objects: the lean path for imports. Returns the new keys in order."""
    if not rows:
        return []
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields if not f.primary_key}
    unknown = [c for c in columns if c not in by_attname]
    if unknown:
        raise ValueError(f"{meta.label} has no column(s) {', '.join(unknown)}")
    given = [by_attname[c] for c in columns]
    rest = [f for a, f in by_attname.items() if a not in set(columns)]
    fields = given + rest
    convert = [(i, prep) for i, prep in enumerate(db_value(f) for f in given) if prep is not _identity]
    defaults = tuple(db_value(f)(f.get_default()) for f in rest)
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = f" RETURNING {quote(meta.pk.column)}" if returning else ""
    ids: list[int] = []
    with connection.cursor() as cursor:
        for part in chunks(rows, max(1, min(BATCH, 30000 // len(fields)))):
            params = []
            for row in part:
                if len(row) != len(given):
                    raise ValueError(f"a row has {len(row)} values for {len(given)} columns")
                values = list(row)
                for i, prep in convert:
                    values[i] = prep(values[i])
                params.extend(values)
                params.extend(defaults)
            cursor.execute(head + ", ".join([row_sql] * len(part)) + tail, params)
            if returning:
                ids.extend(pk for (pk,) in cursor.fetchall())
    return ids


def newest_per_key(model: type[models.Model], key: str, values: Sequence, columns: Sequence[str], *,
                   per_key: int, extra_where: str = "") -> list[tuple]:  # fmt: skip
    """For each value of ``key``, the ``per_key`` newest rows (by primary key) as tuples of ``columns``.

    One statement per 200 values, each a UNION ALL of index-ordered ``LIMIT`` subqueries, so a block
    costs ``per_key`` index steps however large it is (a window function would number every row of
    every block first). ``extra_where`` is a fixed SQL condition (no parameters), e.g. "merged_into_id IS NULL".
    """
    if not values:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    cols = ", ".join(quote(meta.get_field(c).column) for c in columns)
    key_col = quote(meta.get_field(key).column)
    where = f"{key_col} = %s" + (f" AND {extra_where}" if extra_where else "")
    pk = quote(meta.pk.column)
    out: list[tuple] = []
    with connection.cursor() as cursor:
        for part in chunks(list(values), 200):
            terms = [
                f"SELECT * FROM (SELECT {cols} FROM {table} WHERE {where} ORDER BY {pk} DESC LIMIT {int(per_key)}) AS t{i}"  # noqa: S608
                for i in range(len(part))
            ]
            cursor.execute(" UNION ALL ".join(terms), list(part))
            out.extend(cursor.fetchall())
    return out
