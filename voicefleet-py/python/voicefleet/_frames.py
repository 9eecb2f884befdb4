"""Values to pandas DataFrames with typed columns. pandas is optional: it is imported only when a
DataFrame is asked for, and its absence is a clear ``ImportError``."""

from __future__ import annotations

import dataclasses
import typing
from datetime import datetime, timedelta
from typing import Any, Dict, List, Sequence

PANDAS_MISSING = (
    "to_pandas() needs pandas, which is not installed: pip install pandas "
    "(voicefleet works without it; only DataFrames need it)"
)


def import_pandas() -> Any:
    """The pandas module, or an ImportError that says how to install it."""
    try:
        import pandas
    except ImportError as error:
        raise ImportError(PANDAS_MISSING) from error
    return pandas


def _column_kind(annotation: Any) -> str:
    """``datetime``, ``timedelta``, ``int``, ``int?``, ``float``, ``bool``, ``bool?``, ``str`` or
    ``object`` for a field's type."""
    args = typing.get_args(annotation)
    optional = type(None) in args
    inner = [a for a in args if a is not type(None)]
    base = inner[0] if optional and len(inner) == 1 else annotation
    if base is datetime:
        return "datetime"
    if base is timedelta:
        return "timedelta"
    if base is bool:
        return "bool?" if optional else "bool"
    if base is int:
        return "int?" if optional else "int"
    if base is float:
        return "float"
    if base is str:
        return "str"
    return "object"


def table_to_pandas(kind: type, items: Sequence[Any]) -> Any:
    """One row per value, one typed column per field shown in its repr (secrets and whole
    documents are never columns)."""
    pandas = import_pandas()
    hints = typing.get_type_hints(kind)
    fields = [f.name for f in dataclasses.fields(kind) if f.repr]
    columns: Dict[str, Any] = {}
    for name in fields:
        values: List[Any] = [getattr(item, name) for item in items]
        column = _column_kind(hints[name])
        if column == "datetime":
            columns[name] = pandas.to_datetime(pandas.Series(values, dtype="object"), utc=True)
        elif column == "timedelta":
            columns[name] = pandas.to_timedelta(pandas.Series(values, dtype="object"))
        elif column == "int":
            columns[name] = pandas.Series(values, dtype="int64")
        elif column == "int?":
            columns[name] = pandas.Series(values, dtype="Int64")
        elif column == "float":
            columns[name] = pandas.Series([float("nan") if v is None else v for v in values], dtype="float64")
        elif column == "bool":
            columns[name] = pandas.Series(values, dtype="bool")
        elif column == "bool?":
            columns[name] = pandas.Series(values, dtype="boolean")
        elif column == "str":
            columns[name] = pandas.Series(values, dtype="string")
        else:
            columns[name] = pandas.Series(values, dtype="object")
    return pandas.DataFrame(columns, columns=fields)
