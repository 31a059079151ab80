"""GraphQL documents: the tokenizer, the syntax tree and a recursive-descent parser that reports syntax
errors as ``graphql-php`` words them.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


class GraphQLError(Exception):
    """An error as GraphQL reports it; ``syntax`` errors are answered with HTTP 400."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        *,
        category: str | None = "graphql",
        path: list[str] | None = None,
        syntax: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line, self.column = line, column
        self.category, self.path, self.syntax = category, path, syntax

    def as_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message}
        if self.category:
            error["extensions"] = {"category": self.category}
        if self.line is not None:
            error["locations"] = [{"line": self.line, "column": self.column}]
        if self.path:
            error["path"] = self.path
        return error


@dataclass
class Token:
    kind: str  # punct, spread, name, int, float, string, eof
    value: str
    line: int
    column: int

    def describe(self) -> str:
        if self.kind == "eof":
            return "<EOF>"
        if self.kind in ("punct", "spread"):
            return f'"{self.value}"'
        return {"name": "Name", "int": "Int", "float": "Float", "string": "String"}[self.kind] + f' "{self.value}"'


_TOKEN_RE = re.compile(
    r"""
    (?P<ignored>[\s,\ufeff]+|\#[^\n\r]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$&()\:=@\[\]{}|])
  | (?P<float>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+))
  | (?P<int>-?(?:0|[1-9][0-9]*))
  | (?P<block>\"\"\"(?:\\\"\"\"|[^"]|"(?!""))*\"\"\")
  | (?P<string>"(?:\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4})|[^"\\\n\r])*")
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
    """,
    re.VERBOSE,
)


def tokenize(source: str) -> list[Token]:
    line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r", source)]

    def position(offset: int) -> tuple[int, int]:
        line = bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1] + 1

    tokens: list[Token] = []
    offset = 0
    while offset < len(source):
        match = _TOKEN_RE.match(source, offset)
        if match is None:
            line, column = position(offset)
            if source[offset] == '"':
                raise GraphQLError("Syntax Error: Unterminated string.", line, column, category=None, syntax=True)
            char = source[offset]
            raise GraphQLError(
                f'Syntax Error: Cannot parse the unexpected character "{char}".',
                line,
                column,
                category=None,
                syntax=True,
            )
        kind, text = match.lastgroup or "", match.group()
        offset = match.end()
        if kind == "ignored":
            continue
        line, column = position(match.start())
        if kind == "block":
            kind, text = "string", text[3:-3].replace('\\"""', '"""')
        elif kind == "string":
            text = json.loads(text)
        tokens.append(Token(kind, text, line, column))
    line, column = position(len(source))
    tokens.append(Token("eof", "", line, column))
    return tokens


@dataclass
class Variable:
    name: str


class EnumValue(str):
    """An unquoted enum literal (``ASC``)."""


@dataclass
class FieldNode:
    alias: str | None
    name: str
    arguments: dict[str, Any]
    directives: list[tuple[str, dict[str, Any]]]
    selections: list[Any] | None
    line: int
    column: int

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class InlineFragment:
    type_condition: str | None
    directives: list[tuple[str, dict[str, Any]]]
    selections: list[Any]
    line: int
    column: int


@dataclass
class FragmentSpread:
    name: str
    directives: list[tuple[str, dict[str, Any]]]
    line: int
    column: int


@dataclass
class Operation:
    kind: str
    name: str | None
    variables: dict[str, tuple[str, Any]]  # name -> (type, default)
    selections: list[Any]
    line: int
    column: int


@dataclass
class Fragment:
    name: str
    type_condition: str
    selections: list[Any]
    line: int
    column: int


class Parser:
    """Recursive descent over GraphQL's executable grammar (no type system definitions)."""

    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.pos = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def error(self, expected: str) -> GraphQLError:
        token = self.token
        return GraphQLError(
            f"Syntax Error: Expected {expected}, found {token.describe()}.",
            token.line,
            token.column,
            category=None,
            syntax=True,
        )

    def peek(self, kind: str, value: str | None = None) -> bool:
        return self.token.kind == kind and (value is None or self.token.value == value)

    def expect(self, kind: str, value: str | None = None) -> Token:
        if not self.peek(kind, value):
            raise self.error(f'"{value}"' if value else "Name" if kind == "name" else kind)
        token = self.token
        self.pos += 1
        return token

    def skip(self, kind: str, value: str | None = None) -> bool:
        if self.peek(kind, value):
            self.pos += 1
            return True
        return False

    def document(self) -> tuple[list[Operation], dict[str, Fragment]]:
        operations: list[Operation] = []
        fragments: dict[str, Fragment] = {}
        if self.peek("eof"):
            raise self.error("Name")  # an empty document
        while not self.peek("eof"):
            token = self.token
            if token.kind == "punct" and token.value == "{":
                operations.append(Operation("query", None, {}, self.selection_set(), token.line, token.column))
            elif token.kind == "name" and token.value in ("query", "mutation", "subscription"):
                operations.append(self.operation())
            elif token.kind == "name" and token.value == "fragment":
                fragment = self.fragment()
                fragments[fragment.name] = fragment
            else:
                raise GraphQLError(
                    f"Syntax Error: Unexpected {token.describe()}.",
                    token.line,
                    token.column,
                    category=None,
                    syntax=True,
                )
        return operations, fragments

    def operation(self) -> Operation:
        start = self.expect("name")
        name = self.expect("name").value if self.peek("name") else None
        variables: dict[str, tuple[str, Any]] = {}
        if self.skip("punct", "("):
            while not self.skip("punct", ")"):
                self.expect("punct", "$")
                var_name = self.expect("name").value
                self.expect("punct", ":")
                var_type = self.type_reference()
                default = self.value(const=True) if self.skip("punct", "=") else None
                variables[var_name] = (var_type, default)
        self.directives()
        return Operation(start.value, name, variables, self.selection_set(), start.line, start.column)

    def fragment(self) -> Fragment:
        start = self.expect("name", "fragment")
        name = self.expect("name").value
        if name == "on":
            raise self.error("Name")
        self.expect("name", "on")
        type_condition = self.expect("name").value
        self.directives()
        return Fragment(name, type_condition, self.selection_set(), start.line, start.column)

    def type_reference(self) -> str:
        if self.skip("punct", "["):
            inner = self.type_reference()
            self.expect("punct", "]")
            text = f"[{inner}]"
        else:
            text = self.expect("name").value
        return text + "!" if self.skip("punct", "!") else text

    def selection_set(self) -> list[Any]:
        self.expect("punct", "{")
        selections = []
        while not self.skip("punct", "}"):
            selections.append(self.selection())
        if not selections:
            raise GraphQLError(
                'Syntax Error: Expected Name, found "}".',
                self.tokens[self.pos - 1].line,
                self.tokens[self.pos - 1].column,
                category=None,
                syntax=True,
            )
        return selections

    def selection(self) -> Any:
        token = self.token
        if self.skip("spread"):
            if self.peek("name") and self.token.value != "on":
                name = self.expect("name").value
                return FragmentSpread(name, self.directives(), token.line, token.column)
            type_condition = None
            if self.skip("name", "on"):
                type_condition = self.expect("name").value
            directives = self.directives()
            return InlineFragment(type_condition, directives, self.selection_set(), token.line, token.column)
        name_token = self.expect("name")
        alias, name = None, name_token.value
        if self.skip("punct", ":"):
            alias, name = name, self.expect("name").value
        arguments = self.arguments()
        directives = self.directives()
        selections = self.selection_set() if self.peek("punct", "{") else None
        return FieldNode(alias, name, arguments, directives, selections, name_token.line, name_token.column)

    def arguments(self, const: bool = False) -> dict[str, Any]:
        arguments: dict[str, Any] = {}
        if self.skip("punct", "("):
            while not self.skip("punct", ")"):
                name = self.expect("name").value
                self.expect("punct", ":")
                arguments[name] = self.value(const)
        return arguments

    def directives(self) -> list[tuple[str, dict[str, Any]]]:
        directives = []
        while self.skip("punct", "@"):
            directives.append((self.expect("name").value, self.arguments()))
        return directives

    def value(self, const: bool = False) -> Any:
        token = self.token
        if token.kind == "punct" and token.value == "$" and not const:
            self.pos += 1
            return Variable(self.expect("name").value)
        if token.kind == "int":
            self.pos += 1
            return int(token.value)
        if token.kind == "float":
            self.pos += 1
            return Decimal(token.value)
        if token.kind == "string":
            self.pos += 1
            return token.value
        if token.kind == "name":
            self.pos += 1
            return {"true": True, "false": False, "null": None}.get(token.value, EnumValue(token.value))
        if token.kind == "punct" and token.value == "[":
            self.pos += 1
            items = []
            while not self.skip("punct", "]"):
                items.append(self.value(const))
            return items
        if token.kind == "punct" and token.value == "{":
            self.pos += 1
            fields: dict[str, Any] = {}
            while not self.skip("punct", "}"):
                name = self.expect("name").value
                self.expect("punct", ":")
                fields[name] = self.value(const)
            return fields
        raise GraphQLError(
            f"Syntax Error: Unexpected {token.describe()}.", token.line, token.column, category=None, syntax=True
        )
