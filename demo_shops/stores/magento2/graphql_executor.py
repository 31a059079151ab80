"""Running a parsed GraphQL operation against the schema: validation, variable and argument coercion,
and projecting resolved data onto the selection set.
"""

from __future__ import annotations

import json
from typing import Any

from .graphql_parser import FieldNode, Fragment, FragmentSpread, GraphQLError, InlineFragment, Operation, Variable
from .graphql_schema import FIELD_ARGUMENTS, INPUT_TYPES, LEAF_TYPES, SCHEMA, named_type, possible_types


class Validator:
    """The validation rules a crawler's query can break: unknown fields/types/arguments,
    missing or superfluous sub-selections, undefined variables and fragments."""

    def __init__(self, fragments: dict[str, Fragment], operation: Operation) -> None:
        self.fragments = fragments
        self.operation = operation
        self.errors: list[GraphQLError] = []
        self.used_variables: set[str] = set()

    def run(self) -> list[GraphQLError]:
        root = {"query": "Query"}.get(self.operation.kind)
        if root is None:
            self.errors.append(
                GraphQLError(
                    f"Schema is not configured for {self.operation.kind}s.",
                    self.operation.line,
                    self.operation.column,
                )
            )
            return self.errors
        self.selections(self.operation.selections, root, set())
        for name in sorted(self.used_variables - set(self.operation.variables)):
            self.errors.append(GraphQLError(f'Variable "${name}" is not defined.'))
        return self.errors

    def selections(self, selections: list[Any], parent: str, spreading: set[str]) -> None:
        for selection in selections:
            self.directives(getattr(selection, "directives", []), selection)
            if isinstance(selection, FieldNode):
                self.field(selection, parent, spreading)
            elif isinstance(selection, InlineFragment):
                target = selection.type_condition or parent
                if self.fragment_type_ok(target, parent, selection):
                    self.selections(selection.selections, target, spreading)
            else:
                self.spread(selection, parent, spreading)

    def spread(self, spread: FragmentSpread, parent: str, spreading: set[str]) -> None:
        fragment = self.fragments.get(spread.name)
        if fragment is None:
            self.errors.append(GraphQLError(f'Unknown fragment "{spread.name}".', spread.line, spread.column))
        elif spread.name in spreading:
            self.errors.append(
                GraphQLError(f'Cannot spread fragment "{spread.name}" within itself.', spread.line, spread.column)
            )
        elif self.fragment_type_ok(fragment.type_condition, parent, spread):
            self.selections(fragment.selections, fragment.type_condition, spreading | {spread.name})

    def fragment_type_ok(self, target: str, parent: str, node: Any) -> bool:
        if target not in SCHEMA:
            self.errors.append(GraphQLError(f'Unknown type "{target}".', node.line, node.column))
            return False
        if not possible_types(target) & possible_types(parent):
            self.errors.append(
                GraphQLError(
                    f'Fragment cannot be spread here as objects of type "{parent}" can never be of type "{target}".',
                    node.line,
                    node.column,
                )
            )
            return False
        return True

    def directives(self, directives: list[tuple[str, dict[str, Any]]], node: Any) -> None:
        for name, arguments in directives:
            if name not in ("include", "skip"):
                self.errors.append(GraphQLError(f'Unknown directive "@{name}".', node.line, node.column))
            self.collect_variables(arguments)

    def field(self, node: FieldNode, parent: str, spreading: set[str]) -> None:
        if node.name == "__typename":
            return
        fields = SCHEMA[parent]
        if node.name not in fields:
            hint = ""
            if parent == "ProductInterface" and node.name in SCHEMA["ConfigurableProduct"]:
                hint = ' Did you mean to use an inline fragment on "ConfigurableProduct"?'
            self.errors.append(
                GraphQLError(f'Cannot query field "{node.name}" on type "{parent}".{hint}', node.line, node.column)
            )
            return
        allowed = FIELD_ARGUMENTS.get((parent, node.name), {})
        for argument in node.arguments:
            if argument not in allowed:
                self.errors.append(
                    GraphQLError(
                        f'Unknown argument "{argument}" on field "{node.name}" of type "{parent}".',
                        node.line,
                        node.column,
                    )
                )
        self.collect_variables(node.arguments)
        type_ref = fields[node.name]
        named = named_type(type_ref)
        if named in LEAF_TYPES:
            if node.selections is not None:
                self.errors.append(
                    GraphQLError(
                        f'Field "{node.name}" must not have a selection since type "{type_ref}" has no subfields.',
                        node.line,
                        node.column,
                    )
                )
        elif node.selections is None:
            self.errors.append(
                GraphQLError(
                    f'Field "{node.name}" of type "{type_ref}" must have a selection of subfields. '
                    f'Did you mean "{node.name} {{ ... }}"?',
                    node.line,
                    node.column,
                )
            )
        else:
            self.selections(node.selections, named, spreading)

    def collect_variables(self, value: Any) -> None:
        if isinstance(value, Variable):
            self.used_variables.add(value.name)
        elif isinstance(value, dict):
            for item in value.values():
                self.collect_variables(item)
        elif isinstance(value, list):
            for item in value:
                self.collect_variables(item)


def coerce_variables(operation: Operation, provided: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, (type_ref, default) in operation.variables.items():
        if name in provided and provided[name] is not None:
            values[name] = provided[name]
        elif default is not None:
            values[name] = default
        elif type_ref.endswith("!"):
            raise GraphQLError(f'Variable "${name}" of required type "{type_ref}" was not provided.')
        else:
            values[name] = None
    return values


def substitute(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, Variable):
        return variables.get(value.name)
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    return value


def check_input(value: Any, type_ref: str, where: str) -> None:
    """Input coercion errors for the argument types a crawler sends (Int, String, input objects)."""
    if value is None:
        return
    named = named_type(type_ref)
    if type_ref.startswith("["):
        for item in value if isinstance(value, list) else [value]:
            check_input(item, named, where)
        return
    if named == "Int" and (isinstance(value, bool) or not isinstance(value, int)):
        shown = json.dumps(value, default=str)
        raise GraphQLError(f"{where}: Int cannot represent non-integer value: {shown}", category="graphql")
    if named == "String" and not isinstance(value, (str, int)):
        shown = json.dumps(value, default=str)
        raise GraphQLError(f"{where}: String cannot represent a non string value: {shown}", category="graphql")
    if named == "SortEnum" and value not in ("ASC", "DESC"):
        raise GraphQLError(f'{where}: Value "{value}" does not exist in "SortEnum" enum.', category="graphql")
    if named in INPUT_TYPES:
        if not isinstance(value, dict):
            raise GraphQLError(f'{where}: Expected type "{named}" to be an object.', category="graphql")
        for key, item in value.items():
            if key not in INPUT_TYPES[named]:
                raise GraphQLError(f'Field "{key}" is not defined by type "{named}".', category="graphql")
            check_input(item, INPUT_TYPES[named][key], where)


def check_arguments(node: FieldNode, variables: dict[str, Any]) -> None:
    """Argument values (variables substituted) against their declared input types."""
    declared = FIELD_ARGUMENTS.get(("Query", node.name), {})
    for name, value in substitute(node.arguments, variables).items():
        if name in declared:
            try:
                check_input(value, declared[name], f'Field "{node.name}" argument "{name}"')
            except GraphQLError as error:
                error.line, error.column = node.line, node.column
                raise


def include_selection(directives: list[tuple[str, dict[str, Any]]], variables: dict[str, Any]) -> bool:
    for name, arguments in directives:
        condition = bool(substitute(arguments.get("if"), variables))
        if (name == "include" and not condition) or (name == "skip" and condition):
            return False
    return True


def project(
    value: Any, selections: list[Any], type_name: str, fragments: dict[str, Fragment], variables: dict[str, Any]
) -> Any:
    """The part of a resolved object (plain dicts and lists) the selection set asks for."""
    if value is None:
        return None
    if isinstance(value, list):
        return [project(item, selections, type_name, fragments, variables) for item in value]
    runtime = value.get("__typename", type_name)
    out: dict[str, Any] = {}
    for node in collect_fields(selections, runtime, fragments, variables):
        if node.name == "__typename":
            out[node.key] = runtime
            continue
        raw = value.get(node.name)
        if node.selections is None:
            out[node.key] = raw
        else:
            child_type = named_type(SCHEMA[runtime][node.name])
            merged = out.get(node.key)
            projected = project(raw, node.selections, child_type, fragments, variables)
            out[node.key] = _merge(merged, projected) if merged is not None else projected
    return out


def _merge(left: Any, right: Any) -> Any:
    """Two selections of one response key (``price_range`` asked twice) merge field-wise."""
    if isinstance(left, dict) and isinstance(right, dict):
        return {**left, **{k: _merge(left[k], v) if k in left else v for k, v in right.items()}}
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        return [_merge(a, b) for a, b in zip(left, right, strict=True)]
    return right


def collect_fields(
    selections: list[Any], runtime: str, fragments: dict[str, Fragment], variables: dict[str, Any]
) -> list[FieldNode]:
    out: list[FieldNode] = []
    for selection in selections:
        if not include_selection(selection.directives, variables):
            continue
        if isinstance(selection, FieldNode):
            out.append(selection)
            continue
        if isinstance(selection, InlineFragment):
            condition, inner = selection.type_condition, selection.selections
        else:
            fragment = fragments[selection.name]
            condition, inner = fragment.type_condition, fragment.selections
        if condition is None or runtime in possible_types(condition):
            out.extend(collect_fields(inner, runtime, fragments, variables))
    return out
