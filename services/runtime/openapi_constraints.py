"""Put back into the OpenAPI document the msgspec constraints Litestar leaves out of it.

Litestar documents a Struct field's own ``msgspec.Meta``, but not the constraints of what the field holds (the
items of ``list[Id]``, the keys and values of ``dict[System, Id]``), and drops a bound equal to zero on an
optional number (``Annotated[int, Meta(ge=0)] | None``). msgspec enforces all of them when it decodes a
request, so each is copied from the Struct's type information into its component, and the document refuses
what the service refuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec.inspect as mi
from litestar.openapi.spec import OpenAPI, OpenAPIType, Schema

__all__ = ["document_constraints", "struct_types"]

_NUMBER_BOUNDS = (("ge", "minimum"), ("le", "maximum"), ("gt", "exclusive_minimum"), ("lt", "exclusive_maximum"),
                  ("multiple_of", "multiple_of"))
_STRING_BOUNDS = (("min_length", "min_length"), ("max_length", "max_length"), ("pattern", "pattern"))
_SEQUENCES = (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)


def struct_types(types: Iterable[Any]) -> list[mi.StructType]:
    """Every Struct reachable from ``types`` (types msgspec cannot describe are skipped)."""
    found: dict[type, mi.StructType] = {}
    seen: set[int] = set()

    def walk(info: Any) -> None:
        if id(info) in seen:
            return
        seen.add(id(info))
        if isinstance(info, mi.StructType):
            found.setdefault(info.cls, info)
        for name in getattr(info, "__struct_fields__", ()):
            value = getattr(info, name)
            for item in value if isinstance(value, tuple) else (value,):
                if isinstance(item, mi.Type | mi.Field):
                    walk(item)

    roots = []  # kept alive: ``seen`` holds ids, which a collected object's successor could reuse
    for annotation in types:
        try:
            roots.append(mi.type_info(annotation))
        except (TypeError, ValueError):
            continue
        walk(roots[-1])
    return list(found.values())


def document_constraints(schema: OpenAPI, structs: Iterable[mi.StructType], aliases: Mapping[str, Any]) -> None:
    """Complete each Struct's components with the constraints of its fields.

    A Struct's component is named after its class, and also after any ``aliases`` key naming that class (a request
    body given its own component).
    """
    components = (schema.components.schemas or {}) if schema.components else {}
    by_class = {info.cls: info for info in structs}
    named = [*((cls.__name__, info) for cls, info in by_class.items()),
             *((key, by_class[cls]) for key, cls in aliases.items() if cls in by_class)]
    for name, info in named:
        component = components.get(name)
        if not isinstance(component, Schema):
            continue
        for field in info.fields:
            _constrain((component.properties or {}).get(field.encode_name), field.type)


def _unwrap(info: Any) -> Any:
    return info.type if isinstance(info, mi.Metadata) else info


def _constrain(node: Any, info: Any) -> None:
    info = _unwrap(info)
    if not isinstance(node, Schema):
        return  # a reference: a Struct or enum component, completed on its own
    if isinstance(info, mi.UnionType):
        _constrain_optional(node, info)
    elif isinstance(info, _SEQUENCES):
        _copy(node, info, (("min_length", "min_items"), ("max_length", "max_items")))
        _constrain(node.items, info.item_type)
    elif isinstance(info, mi.DictType):
        _copy(node, info, (("min_length", "min_properties"), ("max_length", "max_properties")))
        if node.property_names is None:
            node.property_names = _key_schema(_unwrap(info.key_type))
        _constrain(node.additional_properties, info.value_type)
    else:
        _copy_scalar(node, info)


def _constrain_optional(node: Schema, info: mi.UnionType) -> None:
    options = [_unwrap(t) for t in info.types if not isinstance(t, mi.NoneType)]
    if len(options) != 1:
        return
    _copy_scalar(node, options[0])  # Litestar puts an optional scalar's constraints on the union itself
    branches = [b for b in node.one_of or () if not (isinstance(b, Schema) and b.type == OpenAPIType.NULL)]
    if len(branches) == 1 and isinstance(options[0], (*_SEQUENCES, mi.DictType)):
        _constrain(branches[0], options[0])


def _copy_scalar(node: Schema, info: Any) -> None:
    if isinstance(info, mi.IntType | mi.FloatType):
        _copy(node, info, _NUMBER_BOUNDS)
    elif isinstance(info, mi.StrType):
        _copy(node, info, _STRING_BOUNDS)


def _copy(node: Schema, info: Any, pairs: tuple[tuple[str, str], ...]) -> None:
    for source, target in pairs:
        value = getattr(info, source)
        if value is not None and getattr(node, target) is None:
            setattr(node, target, value)


def _key_schema(key: Any) -> Schema | None:
    """What a dict's keys may be, when msgspec restricts them (an enum, a Literal, a constrained string)."""
    values = [m.value for m in key.cls] if isinstance(key, mi.EnumType) else getattr(key, "values", None)
    if isinstance(key, mi.EnumType | mi.LiteralType) and all(isinstance(v, str) for v in values or ()):
        return Schema(type=OpenAPIType.STRING, enum=list(values))
    if isinstance(key, mi.StrType) and (key.pattern or key.min_length or key.max_length is not None):
        schema = Schema(type=OpenAPIType.STRING)
        _copy(schema, key, _STRING_BOUNDS)
        return schema
    return None
