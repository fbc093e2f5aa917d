"""Parser and evaluator for expressions inside `@(...)` and `@path` references.

Expressions are compiled once into nested Python closures (cached by source text) because flows
re-evaluate the same handful of operands and messages for every contact; a closure tree avoids
re-walking an AST on each visit.

Precedence, loosest first: = !=, < <= > >=, &, + -, * /, ^, unary -, then postfix call/./[].
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from typing import Any

from .values import (
    MISSING,
    NUMBER_MAX,
    XError,
    XFunction,
    XObject,
    deref,
    to_integer,
    to_number,
    to_text,
)

Evaluator = Callable[["Scope"], Any]


class Scope:
    """What an expression can see: the context object, lambda locals and the environment."""

    __slots__ = ("context", "locals", "env", "functions")

    def __init__(self, context: XObject, env: Any, functions: dict[str, XFunction], locals_=None) -> None:
        self.context = context
        self.env = env
        self.functions = functions
        self.locals: dict[str, Any] | None = locals_

    def child(self, locals_: dict[str, Any]) -> Scope:
        merged = dict(self.locals or {})
        merged.update(locals_)
        return Scope(self.context, self.env, self.functions, merged)


class ParseError(Exception):
    pass


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<name>[^\W\d]\w*)
  | (?P<op><=|>=|!=|=>|[-+*/^&=<>(),.\[\]])
    """,
    re.VERBOSE,
)


def tokenize(src: str) -> list[tuple[str, str]]:
    tokens = []
    pos = 0
    while pos < len(src):
        m = _TOKEN_RE.match(src, pos)
        if not m:
            raise ParseError(f"syntax error at {src[pos:]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws":
            continue
        tokens.append((kind or "", m.group()))
    tokens.append(("eof", ""))
    return tokens


def _unquote(lit: str) -> str:
    # quotes, backslashes and \n \t \r are escapes; anything else (e.g. \d in a regex) stays as typed
    body = lit[1:-1]
    if "\\" not in body:
        return body
    return re.sub(r'\\(["\\ntr])', lambda m: _ESCAPES[m.group(1)], body)


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


class _Parser:
    def __init__(self, src: str) -> None:
        self.toks = tokenize(src)
        self.i = 0

    def peek(self, off: int = 0) -> tuple[str, str]:
        return self.toks[min(self.i + off, len(self.toks) - 1)]

    def next(self) -> tuple[str, str]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, val: str) -> None:
        kind, v = self.next()
        if v != val:
            raise ParseError(f"expected {val!r} but found {v or 'end of expression'!r}")

    def parse(self) -> Evaluator:
        ev = self.expr()
        if self.peek()[0] != "eof":
            raise ParseError(f"unexpected {self.peek()[1]!r}")
        return ev

    # precedence climbing, one method per level
    def expr(self) -> Evaluator:
        if self._is_lambda():
            return self.lambda_()
        return self.equality()

    def _binary(self, sub: Callable[[], Evaluator], ops: dict[str, Callable[[Any, Any], Any]]) -> Evaluator:
        left = sub()
        while self.peek()[0] == "op" and self.peek()[1] in ops:
            fn = ops[self.next()[1]]
            right = sub()
            left = _make_binary(fn, left, right)
        return left

    def equality(self) -> Evaluator:
        return self._binary(self.comparison, {"=": _op_eq, "!=": _op_neq})

    def comparison(self) -> Evaluator:
        return self._binary(self.concat, {"<": _op_lt, "<=": _op_lte, ">": _op_gt, ">=": _op_gte})

    def concat(self) -> Evaluator:
        return self._binary(self.additive, {"&": _op_concat})

    def additive(self) -> Evaluator:
        return self._binary(self.multiplicative, {"+": _op_add, "-": _op_sub})

    def multiplicative(self) -> Evaluator:
        return self._binary(self.exponent, {"*": _op_mul, "/": _op_div})

    def exponent(self) -> Evaluator:
        return self._binary(self.unary, {"^": _op_pow})

    def unary(self) -> Evaluator:
        if self.peek() == ("op", "-"):
            self.next()
            inner = self.unary()

            def neg(s: Scope) -> Any:
                n = to_number(inner(s))
                return n if isinstance(n, XError) else -n

            return neg
        return self.postfix()

    def postfix(self) -> Evaluator:
        ev = self.atom()
        while True:
            kind, val = self.peek()
            if val == "(" and kind == "op":
                self.next()
                args = self.arguments()
                ev = _make_call(ev, args)
            elif val == "." and kind == "op":
                self.next()
                k2, key = self.next()
                if k2 not in ("name", "number"):
                    raise ParseError(f"expected property name after '.' but found {key!r}")
                # names like 2factor lex as number+name, so glue adjacent tokens back together
                while self.peek()[0] in ("name", "number") and k2 == "number":
                    key += self.next()[1]
                ev = _make_property(ev, key)
            elif val == "[" and kind == "op":
                self.next()
                idx = self.expr()
                self.expect("]")
                ev = _make_lookup(ev, idx)
            else:
                return ev

    def arguments(self) -> list[Evaluator]:
        args: list[Evaluator] = []
        if self.peek() == ("op", ")"):
            self.next()
            return args
        while True:
            args.append(self.expr())
            kind, val = self.next()
            if val == ")":
                return args
            if val != ",":
                raise ParseError(f"expected ',' or ')' but found {val!r}")

    def atom(self) -> Evaluator:
        kind, val = self.next()
        if kind == "number":
            return _const(Decimal(val))
        if kind == "string":
            return _const(_unquote(val))
        if kind == "name":
            low = val.lower()
            if low == "true":
                return _const(True)
            if low == "false":
                return _const(False)
            if low == "null":
                return _const(None)
            return _make_name(val)
        if val == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        raise ParseError(f"unexpected {val or 'end of expression'!r}")

    def _is_lambda(self) -> bool:
        if self.peek() != ("op", "("):
            return False
        j = 1
        while True:
            kind, val = self.peek(j)
            if kind != "name":
                return False
            kind, val = self.peek(j + 1)
            if val == ")":
                return self.peek(j + 2) == ("op", "=>")
            if val != ",":
                return False
            j += 2

    def lambda_(self) -> Evaluator:
        self.expect("(")
        names = []
        while True:
            names.append(self.next()[1])
            if self.next()[1] == ")":
                break
        self.expect("=>")
        body = self.expr()

        def make(s: Scope) -> XFunction:
            def call(*args: Any) -> Any:
                if len(args) != len(names):
                    return XError(f"lambda takes {len(names)} arguments but got {len(args)}")
                return body(s.child({n.lower(): a for n, a in zip(names, args, strict=True)}))

            return XFunction("lambda", call)

        return make


def _const(v: Any) -> Evaluator:
    return lambda s: v


def _make_name(name: str) -> Evaluator:
    low = name.lower()

    def resolve(s: Scope) -> Any:
        if s.locals and low in s.locals:
            return s.locals[low]
        v = s.context.get(name)
        if v is not MISSING:
            return v
        fn = s.functions.get(low)
        if fn is not None:
            return fn
        return XError(f"context has no property '{name}'")

    return resolve


def lookup(container: Any, key: Any) -> Any:
    """Property or index access, shared by `.key` and `[expr]`."""
    if isinstance(container, XError):
        return container
    if isinstance(key, XError):
        return key
    if isinstance(container, list):
        idx = to_integer(key)
        if isinstance(idx, XError):
            return XError(f"{to_text(key)} is not a valid array index")
        if -len(container) <= idx < len(container):
            return container[idx]
        return XError(f"index {idx} out of range for {len(container)} items")
    if isinstance(container, XObject):
        k = to_text(key)
        if isinstance(k, XError):
            return k
        v = container.get(k)
        if v is MISSING:
            return XError(f"object has no property '{k}'")
        return v
    if container is None:
        return XError("null doesn't support lookups")
    return XError(f"{to_text(container)} has no property '{to_text(key)}'")


def _make_property(container: Evaluator, name: str) -> Evaluator:
    """`.name` access: a fast path for objects, the general lookup for everything else."""
    key = _const(name)

    def prop(s: Scope) -> Any:
        c = container(s)
        if c.__class__ is XObject:
            v = c.get(name)
            return XError(f"object has no property '{name}'") if v is MISSING else v
        return lookup(c, key(s))

    return prop


def _make_lookup(container: Evaluator, key: Evaluator) -> Evaluator:
    return lambda s: lookup(container(s), key(s))


def _make_call(target: Evaluator, args: list[Evaluator]) -> Evaluator:
    def call(s: Scope) -> Any:
        fn = target(s)
        if isinstance(fn, XError):
            return fn
        if not isinstance(fn, XFunction):
            return XError(f"{to_text(fn)} is not a function")
        return call_function(fn, [a(s) for a in args], s)

    return call


def call_function(fn: XFunction, args: list[Any], s: Scope) -> Any:
    try:
        result = fn.fn(s, *args) if fn.name != "lambda" else fn.fn(*args)
    except ArithmeticError:
        # Decimal precision (28 digits) or date range exceeded by a huge argument: an error
        # value like any other, not a crash of the whole session (found by fuzzing).
        result = XError("number value out of range")
    if isinstance(result, XError) and fn.name != "lambda" and not result.message.startswith("error calling"):
        return XError(f"error calling {fn.name}(...): {result.message}")
    return result


def _make_binary(fn: Callable[[Any, Any], Any], left: Evaluator, right: Evaluator) -> Evaluator:
    return lambda s: fn(left(s), right(s))


# ----------------------------------------------------------------------------------- operators


def _numbers(a: Any, b: Any) -> tuple[Decimal, Decimal] | XError:
    x = to_number(a)
    if isinstance(x, XError):
        return x
    y = to_number(b)
    if isinstance(y, XError):
        return y
    return x, y


def _arith(a: Any, b: Any, op: Callable[[Decimal, Decimal], Decimal]) -> Any:
    nums = _numbers(a, b)
    if isinstance(nums, XError):
        return nums
    try:
        r = op(*nums)
    except (DivisionByZero, InvalidOperation, Overflow, ZeroDivisionError):
        return XError("division by zero" if nums[1] == 0 else "invalid arithmetic")
    if not r.is_finite() or abs(r) >= NUMBER_MAX:
        return XError("number value out of range")
    return r


def _div(x: Decimal, y: Decimal) -> Decimal:
    if y == 0:
        raise ZeroDivisionError
    # 16 decimal places, like goflow's division, however large the whole part: in a context wide
    # enough for NUMBER_MAX's 64 digits and those 16 (at the default 28 digits, quantize failed
    # for every quotient from 10^12 up: "invalid arithmetic")
    with localcontext() as wide:
        wide.prec = 96
        q = x / y
        return q.quantize(Decimal("1e-16")) if abs(q) < NUMBER_MAX else q


def _pow(x: Decimal, y: Decimal) -> Decimal:
    if y == y.to_integral_value() and abs(y) > 1000:
        raise Overflow
    return x**y


def _op_add(a: Any, b: Any) -> Any:
    return _arith(a, b, lambda x, y: x + y)


def _op_sub(a: Any, b: Any) -> Any:
    return _arith(a, b, lambda x, y: x - y)


def _op_mul(a: Any, b: Any) -> Any:
    return _arith(a, b, lambda x, y: x * y)


def _op_div(a: Any, b: Any) -> Any:
    return _arith(a, b, _div)


def _op_pow(a: Any, b: Any) -> Any:
    return _arith(a, b, _pow)


def _op_concat(a: Any, b: Any) -> Any:
    x = to_text(a)
    if isinstance(x, XError):
        return x
    y = to_text(b)
    if isinstance(y, XError):
        return y
    return x + y


def _op_eq(a: Any, b: Any) -> Any:
    # equality is textual, so 1 = "1" holds
    x, y = to_text(deref(a)), to_text(deref(b))
    if isinstance(x, XError):
        return x
    if isinstance(y, XError):
        return y
    return x == y


def _op_neq(a: Any, b: Any) -> Any:
    r = _op_eq(a, b)
    return r if isinstance(r, XError) else not r


def _compare(a: Any, b: Any, test: Callable[[Decimal, Decimal], bool]) -> Any:
    nums = _numbers(a, b)
    if isinstance(nums, XError):
        return nums
    return test(*nums)


def _op_lt(a: Any, b: Any) -> Any:
    return _compare(a, b, lambda x, y: x < y)


def _op_lte(a: Any, b: Any) -> Any:
    return _compare(a, b, lambda x, y: x <= y)


def _op_gt(a: Any, b: Any) -> Any:
    return _compare(a, b, lambda x, y: x > y)


def _op_gte(a: Any, b: Any) -> Any:
    return _compare(a, b, lambda x, y: x >= y)


# ----------------------------------------------------------------------------------- compile cache

_CACHE: dict[str, Evaluator | ParseError] = {}


def compile_expression(src: str) -> Evaluator | ParseError:
    cached = _CACHE.get(src)
    if cached is None:
        try:
            cached = _Parser(src).parse()
        except ParseError as e:
            cached = e
        except RecursionError:
            cached = ParseError("expression too deeply nested")
        if len(_CACHE) > 10_000:
            _CACHE.clear()
        _CACHE[src] = cached
    return cached


def evaluate_expression(src: str, scope: Scope) -> Any:
    ev = compile_expression(src)
    if isinstance(ev, ParseError):
        return XError(f"syntax error: {ev}")
    try:
        return ev(scope)
    except RecursionError:
        return XError("expression recursion too deep")
