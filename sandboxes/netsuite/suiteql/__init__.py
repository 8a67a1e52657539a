"""SuiteQL: a small parser and evaluator for the SELECT subset a connector uses, over the sandbox's records.

:func:`parse` turns text into a :class:`Select`; :func:`execute` runs it over :class:`Table` s;
:func:`build_tables` projects the record store into NetSuite's SuiteQL tables; :func:`render` writes a
value as the REST response does (strings; dates ``M/D/YYYY``).
"""

from .evaluate import Table, execute
from .parser import parse
from .syntax import QueryError, Select
from .tables import build_tables
from .values import render

__all__ = ["QueryError", "Select", "Table", "build_tables", "execute", "parse", "render"]
