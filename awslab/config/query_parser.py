"""Parsing and checking an advanced-query expression: the part of SelectResourceConfig that
decides whether AWS accepts a query, and what it asks for.

Grammar and limits from the AWS Config Developer Guide, "Query Components" and "Querying the
Current Configuration State of AWS Resources" (Limitations). sqlglot tokenizes and parses; a
token outside the documented grammar (FROM, JOIN, DISTINCT, AS, ...) is a syntax error at that
token. Used by ``awslab.config.query``; not a public surface of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot.errors
from sqlglot import exp
from sqlglot.parser import Parser
from sqlglot.tokens import Token, Tokenizer, TokenType

from awslab.errors import AWSError

MAX_EXPRESSION_LENGTH = 4096
MAX_GROUP_BY_PROPERTIES = 3
INVALID_EXPRESSION = "InvalidExpressionException"
SELECT_STAR_PROPERTIES = (
    "accountId",
    "awsRegion",
    "arn",
    "availabilityZone",
    "configurationItemCaptureTime",
    "resourceCreationTime",
    "resourceId",
    "resourceName",
    "resourceType",
    "version",
)

AGGREGATES: dict[type[exp.Expression], str] = {
    exp.Count: "COUNT",
    exp.Sum: "SUM",
    exp.Avg: "AVG",
    exp.Min: "MIN",
    exp.Max: "MAX",
}
COMPARISONS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
}
# Tokens the advanced-query grammar knows; anything else (FROM, JOIN, DISTINCT, AS, ...) is a
# syntax error at that token, as AWS's parser reports one.
_ALLOWED_TOKENS = frozenset(
    {
        TokenType.SELECT, TokenType.WHERE, TokenType.GROUP_BY, TokenType.ORDER_BY,
        TokenType.ASC, TokenType.DESC, TokenType.AND, TokenType.OR, TokenType.NOT,
        TokenType.LIKE, TokenType.IN, TokenType.BETWEEN, TokenType.IS, TokenType.NULL,
        TokenType.TRUE, TokenType.FALSE, TokenType.VAR, TokenType.STRING, TokenType.NUMBER,
        TokenType.DOT, TokenType.COMMA, TokenType.L_PAREN, TokenType.R_PAREN, TokenType.STAR,
        TokenType.EQ, TokenType.NEQ, TokenType.LT, TokenType.LTE, TokenType.GT, TokenType.GTE,
        TokenType.DASH,
    }
)  # fmt: skip
_OPERATOR_TEXTS = frozenset({"=", "!=", "<>", "<", "<=", ">", ">="})


def invalid(message: str) -> AWSError:
    return AWSError(INVALID_EXPRESSION, message)


def syntax_error(expression: str, offset: int) -> AWSError:
    offset = max(0, min(offset, len(expression)))
    line = expression.count("\n", 0, offset) + 1
    column = offset - (expression.rfind("\n", 0, offset) + 1)  # 0-based (plausible)
    return invalid(f"syntax error at line {line}, column {column}")


# --------------------------------------------------------------------------------------------
# Parsing


@dataclass(frozen=True)
class Aggregate:
    function: str
    path: str | None  # None for COUNT(*)

    @property
    def name(self) -> str:
        return f"{self.function}({self.path or '*'})"


@dataclass(frozen=True)
class Star:
    pass


Field = str | Aggregate | Star


@dataclass
class Query:
    fields: list[Field]
    where: exp.Expression | None
    group_by: list[str]
    order_by: list[tuple[str | Aggregate, bool]]  # (key, descending)

    @property
    def aggregates(self) -> list[Aggregate]:
        found: list[Aggregate] = []
        for key in [*self.fields, *(key for key, _ in self.order_by)]:
            if isinstance(key, Aggregate) and key not in found:
                found.append(key)
        return found

    @property
    def is_aggregation(self) -> bool:
        return bool(self.group_by or self.aggregates)

    @property
    def orders_by_aggregate(self) -> bool:
        return any(isinstance(key, Aggregate) for key, _ in self.order_by)

    @property
    def select_names(self) -> list[str]:
        names: list[str] = []
        for f in self.fields:
            if isinstance(f, Star):
                names.extend(SELECT_STAR_PROPERTIES)
            elif isinstance(f, Aggregate):
                names.append(f.name)
            else:
                names.append(f)
        return names


def _tokens(expression: str) -> list[Token]:
    try:
        tokens = Tokenizer().tokenize(expression)
    except sqlglot.errors.TokenError:
        # An unterminated string or quoted name: the parser meets the end of the input.
        raise syntax_error(expression, len(expression)) from None
    if not tokens:
        raise syntax_error(expression, len(expression))
    for i, token in enumerate(tokens):
        after_dot = i > 0 and tokens[i - 1].token_type == TokenType.DOT
        before_dot = i + 1 < len(tokens) and tokens[i + 1].token_type == TokenType.DOT
        # Property names such as configuration.state.value or tags.key may be SQL keywords.
        if (after_dot or before_dot) and token.token_type != TokenType.DOT and _is_word(token.text):
            token.token_type = TokenType.VAR
        allowed = token.token_type in _ALLOWED_TOKENS
        if token.token_type in {TokenType.EQ, TokenType.NEQ, TokenType.LT, TokenType.LTE, TokenType.GT, TokenType.GTE}:
            allowed = token.text in _OPERATOR_TEXTS
        if not allowed or (i == 0 and token.token_type != TokenType.SELECT):
            raise syntax_error(expression, token.start)
    return tokens


def _is_word(text: str) -> bool:
    return bool(text) and text.replace("_", "a").isalnum()


def parse(expression: str) -> Query:
    if not isinstance(expression, str) or not expression:
        raise AWSError(
            "ValidationException",
            "1 validation error detected: Value at 'expression' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        )
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise AWSError(
            "ValidationException",
            "1 validation error detected: Value at 'expression' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_EXPRESSION_LENGTH}",
        )
    tokens = _tokens(expression)
    try:
        statements = Parser(error_level=sqlglot.errors.ErrorLevel.IMMEDIATE).parse(tokens, expression)
    except sqlglot.errors.ParseError as error:
        detail = error.errors[0] if error.errors else {}
        highlight = str(detail.get("highlight") or "")
        line, col = int(detail.get("line") or 1), int(detail.get("col") or 0)
        line_start = 0
        for _ in range(line - 1):
            line_start = expression.find("\n", line_start) + 1
        raise syntax_error(expression, line_start + col - len(highlight)) from None
    except RecursionError:
        raise invalid("The expression is too deeply nested") from None
    statements = [s for s in statements if s is not None]
    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        raise syntax_error(expression, 0)
    select = statements[0]
    unexpected = {k for k, v in select.args.items() if v and k not in {"expressions", "where", "group", "order"}}
    if unexpected or not select.expressions:
        raise syntax_error(expression, len(expression) if not select.expressions else 0)
    return _check(_query_of(select, expression))


def _position(node: exp.Expression) -> int:
    for child in node.walk():
        meta = getattr(child, "meta", None) or {}
        if "start" in meta:
            return int(meta["start"])
    return 0


def property_path(node: exp.Expression) -> str | None:
    """The dotted property path a column reference names, or None if it is not one."""
    if isinstance(node, exp.Column):
        if isinstance(node.this, exp.Star):
            return None
        parts = node.parts
        if not parts or any(not isinstance(p, exp.Identifier) or p.quoted for p in parts):
            return None
        return ".".join(p.name for p in parts)
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Identifier) and not node.expression.quoted:
        left = property_path(node.this)
        return None if left is None else f"{left}.{node.expression.name}"
    return None


def function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).upper()
    return node.sql_name() if isinstance(node, exp.Func) else node.key.upper()


def _aggregate(node: exp.Expression) -> Aggregate:
    function = AGGREGATES[type(node)]
    argument = node.this
    if node.args.get("expressions") or argument is None:
        raise invalid("Aggregate functions can accept only a single argument or property")
    if isinstance(argument, exp.Star):
        if function != "COUNT":
            raise invalid("Aggregate functions can accept only a single argument or property")
        return Aggregate(function, None)
    if isinstance(argument, exp.Func) or type(argument) in AGGREGATES:
        raise invalid("Aggregate functions cannot take other functions as arguments")
    path = property_path(argument)
    if path is None:
        raise invalid("Aggregate functions can accept only a single argument or property")
    return Aggregate(function, path)


def _key(node: exp.Expression, expression: str, clause: str) -> str | Aggregate:
    if type(node) in AGGREGATES:
        return _aggregate(node)
    path = property_path(node)
    if path is not None:
        return path
    if isinstance(node, exp.Alias):
        raise syntax_error(expression, _position(node.args["alias"]))
    if isinstance(node, exp.Func):
        raise invalid(f"Unsupported function: {function_name(node)}")
    if isinstance(node, exp.Null):
        raise invalid("NULL value queries are not supported")
    raise invalid(f"Invalid {clause} item: {node.sql()}")


def _query_of(select: exp.Select, expression: str) -> Query:
    fields: list[Field] = []
    for node in select.expressions:
        if isinstance(node, exp.Star):
            fields.append(Star())
        else:
            fields.append(_key(node, expression, "SELECT"))
    group_by: list[str] = []
    group = select.args.get("group")
    if group is not None:
        if any(v for k, v in group.args.items() if k != "expressions"):
            raise syntax_error(expression, _position(group))
        for node in group.expressions:
            key = _key(node, expression, "GROUP BY")
            if not isinstance(key, str):
                raise invalid("GROUP BY clauses may contain only properties")
            group_by.append(key)
    order_by: list[tuple[str | Aggregate, bool]] = []
    order = select.args.get("order")
    if order is not None:
        for ordered in order.expressions:
            node = ordered.this if isinstance(ordered, exp.Ordered) else ordered
            order_by.append((_key(node, expression, "ORDER BY"), bool(ordered.args.get("desc"))))
    where = select.args.get("where")
    return Query(fields, where.this if where is not None else None, group_by, order_by)


def _check(query: Query) -> Query:
    """The aggregation limits of querying-AWS-resources.html."""
    if len(query.group_by) > MAX_GROUP_BY_PROPERTIES:
        raise invalid("GROUP BY clauses may contain up to three properties")
    if query.orders_by_aggregate and len(query.group_by) > 1:
        raise invalid(
            "GROUP BY with an ORDER BY clause referencing aggregate functions may contain only a single property"
        )
    if query.is_aggregation:
        if any(isinstance(f, Star) for f in query.fields):
            raise invalid("SELECT * cannot be used with aggregate functions or GROUP BY")
        for key in [*query.fields, *(key for key, _ in query.order_by)]:
            if isinstance(key, str) and key not in query.group_by:
                raise invalid(f"Property {key} must appear in the GROUP BY clause or be used in an aggregate function")
    return query



@dataclass(frozen=True)
class Value:
    kind: str  # "string" | "number" | "boolean"
    value: str | float | bool


def value_of(node: exp.Expression) -> Value:
    if isinstance(node, exp.Null):
        raise invalid("NULL value queries are not supported")
    if isinstance(node, exp.Boolean):
        return Value("boolean", bool(node.this))
    if isinstance(node, exp.Literal):
        if node.is_string:
            return Value("string", str(node.this))
        return Value("number", float(node.this))
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return Value("number", -float(node.this.this))
    if isinstance(node, exp.Paren):
        return value_of(node.this)
    if property_path(node) is not None:
        raise invalid("Conditions must compare a property with a value")
    if isinstance(node, exp.Func):
        raise invalid(f"Unsupported function: {function_name(node)}")
    raise invalid(f"Invalid value: {node.sql()}")


def check_like(pattern: str) -> None:
    wildcard = next((i for i, ch in enumerate(pattern) if ch in "%_"), None)
    if wildcard is None:
        return
    if any(ch not in "%_" for ch in pattern[wildcard:]):
        raise invalid(f"Only suffix wildcards are supported in LIKE patterns: '{pattern}'")
    if wildcard < 3:
        raise invalid(f"Wildcard matches must be at least three characters long: '{pattern}'")
