"""Small helpers for bulk writes, so that bulk paths never issue a query per row."""

import functools
import json
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

import orjson
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
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = model._meta.pk
    if len(objs) == 1:  # a plain UPDATE … WHERE pk = …, without building a query (hot paths write one row)
        obj = objs[0]
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {assignments} WHERE {quote(pk.column)} = %s",  # noqa: S608
                [db_value(f, memo=False)(getattr(obj, f.attname)) for f in fields] + [obj.pk],
            )
        return
    unique = list({obj.pk: obj for obj in objs}.values())  # the last version of each row wins
    columns = [pk, *fields]
    names = ", ".join(quote(f"c{i}") for i in range(len(columns)))
    if connection.vendor == "postgresql":
        # VALUES rows carry no column types on PostgreSQL: cast each one to its column's type.
        values = [f"CAST(v.{quote(f'c{i}')} AS {f.db_type(connection)})" for i, f in enumerate(columns)]
    else:
        values = [f"v.{quote(f'c{i}')}" for i in range(len(columns))]
    assignments = ", ".join(f"{quote(f.column)} = {values[i + 1]}" for i, f in enumerate(fields))
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    preps = [(f.attname, db_value(f)) for f in fields]
    with connection.cursor() as cursor:
        for part in chunks(unique, BATCH):
            params = []
            for obj in part:
                params.append(obj.pk)  # objects, or plain records with a ``pk``
                params.extend(prep(getattr(obj, attname)) for attname, prep in preps)
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


# Booleans are not read as they are: SQLite returns 0/1.
_READ_AS_IS = (models.CharField, models.TextField, models.IntegerField, models.ForeignKey, models.FloatField)


def _identity(value):
    return value


def db_value(field: models.Field, *, memo: bool = True):
    """A fast value → database parameter converter for one field.

    Strings, numbers, booleans and foreign-key ids pass through as they are (what the field's own
    conversion returns for values of the right type); date-times go through the backend's adapter
    (memoised unless ``memo`` is false, for one row: bulk rows repeat the same instants); JSON is encoded
    by ``json_text`` (the text Django's adapter would store, up to spacing); everything else through the
    field's full ``get_db_prep_save``.
    """
    if isinstance(field, _AS_IS):
        return _identity
    if isinstance(field, models.DateTimeField):
        adapt = connection.ops.adapt_datetimefield_value
        if memo:
            adapt = functools.lru_cache(maxsize=8192)(adapt)
        return lambda value: None if value is None else adapt(value)
    if isinstance(field, models.JSONField) and field.encoder is None:
        if connection.vendor == "sqlite":
            return json_text
        if connection.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            return lambda value: None if value is None else Jsonb(value, dumps=json_text)
    return lambda value: field.get_db_prep_save(value, connection)


_PASS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def json_text(value) -> str:
    """JSON text of a value, as ``json.dumps`` accepts it: orjson (a tenth of the time) for plain JSON
    values, ``json.dumps`` for anything else (and its error for what JSON cannot hold)."""
    try:
        return orjson.dumps(value, option=_PASS).decode()
    except TypeError:
        return json.dumps(value)


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
    memo = len(rows) > 1
    convert = [(i, _shared_json(prep) if prep is json_text and memo else prep)
               for i, prep in enumerate(db_value(f, memo=memo) for f in given) if prep is not _identity]  # fmt: skip
    defaults = tuple(db_value(f, memo=False)(f.get_default()) for f in rest)
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608
    # On SQLite the driver's own cursor takes '?' directly: Django's wrapper would rewrite every '%s'
    # of a 30,000-parameter statement with a regex, which costs as much as the insert itself.
    raw = connection.vendor == "sqlite"
    mark = "?" if raw else "%s"
    row_sql = "(" + ", ".join([mark] * len(fields)) + ")"
    tail = f" RETURNING {quote(meta.pk.column)}" if returning else ""
    ids: list[int] = []
    width = len(given)
    with _bulk_cursor() as cursor:
        for part in chunks(rows, max(1, min(BATCH, 30000 // len(fields)))):
            params = []
            for row in part:
                if len(row) != width:
                    raise ValueError(f"a row has {len(row)} values for {width} columns")
                if convert:
                    values = list(row)
                    for i, prep in convert:
                        values[i] = prep(values[i])
                    params.extend(values)
                else:
                    params.extend(row)
                params.extend(defaults)
            cursor.execute(head + ", ".join([row_sql] * len(part)) + tail, params)
            if returning:
                ids.extend(pk for (pk,) in cursor.fetchall())
    return ids


def _shared_json(dumps):
    """json.dumps once per object: bulk rows often share one value (a score's factors, an account match).
    Keyed by identity, which is stable while the rows hold the objects (for the one call)."""
    seen: dict[int, str] = {}

    def dump(value):
        if value == {}:
            return "{}"
        key = id(value)
        text = seen.get(key)
        if text is None:
            text = seen[key] = dumps(value)
        return text

    return dump


@contextmanager
def _bulk_cursor():
    """A cursor for bulk statements: the driver's own on SQLite (see rows_insert_values), Django's on
    PostgreSQL. Either way inside Django's connection and transaction."""
    if connection.vendor != "sqlite":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        yield _Logged(cursor) if connection.queries_logged else cursor
    finally:
        cursor.close()


class _Logged:
    """The driver's cursor, with statements recorded where Django records its own (DEBUG, tests that
    count queries)."""

    def __init__(self, cursor):
        self._cursor = cursor

    def execute(self, sql, params):
        started = time.perf_counter()
        try:
            return self._cursor.execute(sql, params)
        finally:
            connection.queries_log.append({"sql": sql, "time": f"{time.perf_counter() - started:.3f}"})

    def fetchall(self):
        return self._cursor.fetchall()


def db_reader(field: models.Field):
    """A fast database value → Python converter for one field (the inverse of db_value): what the
    ORM would return, without building a model object."""
    if isinstance(field, _READ_AS_IS):
        return _identity
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "sqlite":
            from datetime import UTC

            # Django's SQLite connection parses stored times to naive UTC; the ORM makes them aware.
            return lambda value: (
                value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
            )
        return _identity
    if isinstance(field, models.JSONField):
        return lambda value: json.loads(value) if isinstance(value, str | bytes) else value
    expression = field.get_col(field.model._meta.db_table)
    converters = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)

    def read(value):
        for converter in converters:
            value = converter(value, expression, connection)
        return value

    return read


def rows_read(sql: str, params: Sequence, fields: Sequence[models.Field]) -> list[tuple]:
    """Rows of a plain SELECT whose columns are ``fields``, in order, each value converted as the ORM
    would (``db_reader``): for hot paths, where building a query costs more than running it. Datetime
    parameters must be adapted by the caller (``connection.ops.adapt_datetimefield_value``)."""
    readers = [
        (i, reader) for i, reader in enumerate(db_reader(f) for f in fields) if reader is not _identity
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not readers:
        return rows
    out = []
    for row in rows:
        row = list(row)
        for i, reader in readers:
            row[i] = reader(row[i])
        out.append(tuple(row))
    return out


def rows_where_in(
    model: type[models.Model], key: str, values: Iterable, columns: Sequence[str]
) -> list[tuple]:
    """Rows whose ``key`` is one of ``values``, as tuples of ``columns`` (attnames), converted as the
    ORM would: one plain statement per 500 values, no query building, no model objects. No ORDER BY:
    with one the planner may walk the table in key order instead of using the index on ``key``."""
    values = sorted(set(values))
    if not values:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [meta.pk if c == "pk" else meta.get_field(c) for c in columns]
    readers = [
        (i, reader) for i, reader in enumerate(db_reader(f) for f in fields) if reader is not _identity
    ]
    key_column = quote((meta.pk if key == "pk" else meta.get_field(key)).column)
    select = f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(meta.db_table)} WHERE {key_column} IN "  # noqa: S608
    out: list[tuple] = []
    with connection.cursor() as cursor:
        for part in chunks(values):
            cursor.execute(select + "(" + ", ".join(["%s"] * len(part)) + ")", part)
            rows = cursor.fetchall()
            if readers:
                for row in rows:
                    row = list(row)
                    for i, reader in readers:
                        row[i] = reader(row[i])
                    out.append(tuple(row))
            else:
                out.extend(rows)
    return out


def rows_where_in_keys(
    model: type[models.Model], keys: dict[str, Iterable], columns: Sequence[str]
) -> dict[str, list[tuple]]:
    """``rows_where_in`` for several keys at once (e-mails and phones, domains and names): for each key,
    the rows whose value is one of its values; one statement (a UNION ALL) per 500 values in all."""
    wanted = [(key, sorted(set(values))) for key, values in keys.items()]
    out: dict[str, list[tuple]] = {key: [] for key in keys}
    pending = [(k, part) for k, (_, values) in enumerate(wanted) for part in chunks(values)]
    if not pending:
        return out
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [meta.pk if c == "pk" else meta.get_field(c) for c in columns]
    readers = [
        (i, reader) for i, reader in enumerate(db_reader(f) for f in fields) if reader is not _identity
    ]
    cols, table = ", ".join(quote(f.column) for f in fields), quote(meta.db_table)
    key_columns = [quote((meta.pk if key == "pk" else meta.get_field(key)).column) for key, _ in wanted]
    with connection.cursor() as cursor:
        while pending:
            terms, params, size = [], [], 0
            while pending and (not terms or size + len(pending[0][1]) <= BATCH):
                k, part = pending.pop(0)  # k: which key, the last column of the rows it brings
                marks = ", ".join(["%s"] * len(part))
                terms.append(f"SELECT {cols}, {k} FROM {table} WHERE {key_columns[k]} IN ({marks})")  # noqa: S608
                params += part
                size += len(part)
            cursor.execute(" UNION ALL ".join(terms), params)
            for row in cursor.fetchall():
                *row, k = row
                for i, reader in readers:
                    row[i] = reader(row[i])
                out[wanted[k][0]].append(tuple(row))
    return out


def newest_per_keys(model: type[models.Model], keys: dict[str, Sequence], columns: Sequence[str], *,
                    per_key: int) -> dict[str, list[tuple]]:  # fmt: skip
    """``newest_per_key`` for several key columns at once (a name's first and last characters): for
    each key, the rows as tuples of ``columns`` followed by the key's value; one statement per 200
    values in all."""
    out: dict[str, list[tuple]] = {key: [] for key in keys}
    pending = [(key, value) for key, values in keys.items() for value in values]
    if not pending:
        return out
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    cols = ", ".join(quote(meta.get_field(c).column) for c in columns)
    pk = quote(meta.pk.column)
    names = list(keys)
    with connection.cursor() as cursor:
        for part in chunks(pending, 200):
            terms = []
            for i, (key, _) in enumerate(part):
                key_col = quote(meta.get_field(key).column)
                terms.append(
                    f"SELECT {names.index(key)} AS k, t{i}.* FROM (SELECT {cols}, {key_col} FROM {table} "  # noqa: S608
                    f"WHERE {key_col} = %s ORDER BY {pk} DESC LIMIT {int(per_key)}) AS t{i}"
                )
            cursor.execute(" UNION ALL ".join(terms), [value for _, value in part])
            for k, *row in cursor.fetchall():
                out[names[k]].append(tuple(row))
    return out


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
