"""Resolving field paths against the schema, and Salesforce's positioned query error messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import SalesforceError
from ..schema import FieldSpec, ObjectSpec, lookup
from ._ast import FieldRef

__all__ = ["Path", "located", "query_error", "read", "resolve", "resolve_object"]

_CUSTOM_FIELD = ("If you are attempting to use a custom field, be sure to append the '__c' after the custom field "
                 "name. Please reference your WSDL or the describe call for the appropriate names.")
_CUSTOM_REL = ("If you are attempting to use a custom relationship, be sure to append the '__r' after the custom "
               "relationship name. Please reference your WSDL or the describe call for the appropriate names.")
_CUSTOM_OBJ = ("If you are attempting to use a custom object, be sure to append the '__c' after the entity name. "
               "Please reference your WSDL or the describe call for the appropriate names.")


def located(source: str, offset: int, message: str) -> str:
    """Salesforce's message layout: the offending line, a caret, ``ERROR at Row:r:Column:c`` and the text."""
    before = source[:offset]
    row = before.count("\n") + 1
    line_start = before.rfind("\n") + 1
    line_end = source.find("\n", offset)
    line = source[line_start:line_end if line_end >= 0 else len(source)]
    column = offset - line_start
    return f"\n{line}\n{' ' * column}^\nERROR at Row:{row}:Column:{column + 1}\n{message}"


def query_error(code: str, source: str, offset: int, message: str) -> SalesforceError:
    """A 400 query error with the positioned message."""
    return SalesforceError(400, code, located(source, offset, message))


@dataclass(frozen=True)
class Path:
    """A resolved field path: the reference fields walked, and the final field."""

    hops: tuple[tuple[FieldSpec, ObjectSpec], ...]
    field: FieldSpec
    owner: ObjectSpec

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical names: relationship names then the field's API name (``("Account", "Name")``)."""
        return (*(str(hop.relationship_name) for hop, _ in self.hops), self.field.name)


def resolve_object(name: str, source: str, offset: int) -> ObjectSpec:
    """An sObject named in FROM, or ``INVALID_TYPE``."""
    spec = lookup(name)
    if spec is None:
        raise query_error("INVALID_TYPE", source, offset, f"sObject type '{name}' is not supported. {_CUSTOM_OBJ}")
    return spec


def resolve(obj: ObjectSpec, ref: FieldRef, source: str) -> Path:
    """Resolve ``ref`` on ``obj`` or raise ``INVALID_FIELD`` positioned at the path."""
    hops: list[tuple[FieldSpec, ObjectSpec]] = []
    current = obj
    for segment in ref.path[:-1]:
        rel = current.parent(segment)
        target = lookup(rel.reference_to[0]) if rel is not None else None
        if rel is None or target is None:
            raise query_error("INVALID_FIELD", source, ref.offset,
                              f"Didn't understand relationship '{segment}' in field path. {_CUSTOM_REL}")
        hops.append((rel, target))
        current = target
    spec = current.field(ref.path[-1])
    if spec is None:
        raise query_error("INVALID_FIELD", source, ref.offset,
                          f"No such column '{ref.path[-1]}' on entity '{current.name}'. {_CUSTOM_FIELD}")
    return Path(tuple(hops), spec, current)


def read(records: dict[str, dict[str, dict[str, Any]]], record: dict[str, Any], path: Path) -> Any:
    """The value at ``path`` from ``record`` (None when a parent on the way is empty)."""
    current: dict[str, Any] | None = record
    for hop, target in path.hops:
        parent_id = current.get(hop.name) if current else None
        current = records[target.name].get(parent_id) if parent_id else None
    return current.get(path.field.name) if current else None
