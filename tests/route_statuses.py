"""Which problem statuses a route can answer, found by reading its code rather than by running it.

From a route's endpoint and each of its dependencies, every function of KIX's own code that the code
names is followed: functions called or passed on, constructors, and methods. A method is resolved by the
class of the object it is called on where that is known (`self`, a type hint of the parameter, of the
class or of its constructor), else taken to be every method of that name in KIX's code. Each problem class
(a `KixError` subclass) that reachable code names counts as raised, except in an `except` clause or a
type hint; an `except` clause that does not re-raise stops what it catches from the calls it guards. A
fixpoint over the call graph then gives what each function can let out, with one chain of calls for each.

This over-approximates on purpose: a status found here that the document lacks is either a real gap or a
name shared by two methods, and either way worth a look. Only KIX's server code is read (`app`, without
the console, the CLI and the SDK, which never run inside a route). Library code is not followed: the
exceptions it raises reach the problem handlers as 500, 503 or, through FastAPI, 422, which every signed
operation documents.
"""

import ast
import builtins
import functools
import importlib
import inspect
import pkgutil
import sys
import textwrap
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

import app
from app.errors import KixError

Function = Callable[..., Any]
Caught = tuple[type[BaseException], ...]
NOT_SERVER_CODE = ("app.console", "app.cli", "app.client")
# A method called on an object of unknown class is looked for in KIX's classes by name, except for the
# names of the built-in types' methods (`.get`, `.decode`, `.items`...): such a call is nearly always on a
# dict, a str or bytes, and following it into every KIX class that shares the name only adds noise.
BUILTIN_METHOD_NAMES = frozenset(
    name for kind in (str, bytes, dict, list, set, tuple, int, float) for name in dir(kind)
)


def _is_server_code(obj: object) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return (module == "app" or module.startswith("app.")) and not module.startswith(NOT_SERVER_CODE)


def _server_modules() -> Iterator[types.ModuleType]:
    for info in pkgutil.walk_packages(app.__path__, prefix="app."):
        if not info.name.startswith(NOT_SERVER_CODE):
            yield importlib.import_module(info.name)


@functools.cache
def methods_by_name() -> dict[str, tuple[tuple[type, Function], ...]]:
    """Every method defined by a class of KIX's server code, with its class, by its name."""
    found: dict[str, list[tuple[type, Function]]] = {}
    seen: set[type] = set()
    for module in _server_modules():
        for value in vars(module).values():
            if isinstance(value, type) and _is_server_code(value) and value not in seen:
                seen.add(value)
                for name, member in vars(value).items():
                    function = _as_function(member)
                    if function is not None:
                        found.setdefault(name, []).append((value, function))
    return {name: tuple(methods) for name, methods in found.items()}


@functools.cache
def _hints(obj: object) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj)
    except Exception:  # a name only imported for type checking: treated as unknown
        return {}


def _class_of(hint: object) -> type | None:
    """The class a type hint names: `X`, `X | None` and `list[X]` (as list) give a class, others none."""
    if isinstance(hint, type):
        return hint
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _class_of(options[0]) if len(options) == 1 else None
    return origin if isinstance(origin, type) else None


def _as_function(member: object) -> Function | None:
    if isinstance(member, (staticmethod, classmethod)):
        member = member.__func__
    if isinstance(member, property):
        member = member.fget
    if isinstance(member, functools.partial):
        member = member.func
    if isinstance(member, types.FunctionType):
        return inspect.unwrap(member)
    return None


@functools.cache
def _function_tree(function: Function) -> ast.AST | None:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return None
    return ast.parse(textwrap.dedent(source))


def _namespace(function: Function) -> dict[str, Any]:
    """The names a function's body can see: its closure's cells, then its module, then builtins."""
    names: dict[str, Any] = dict(vars(builtins))
    names.update(getattr(function, "__globals__", {}))
    code = getattr(function, "__code__", None)
    cells = getattr(function, "__closure__", None) or ()
    for name, cell in zip(code.co_freevars if code else (), cells, strict=True):
        try:
            names[name] = cell.cell_contents
        except ValueError:  # a cell not filled yet
            continue
    return names


def _resolve(node: ast.expr, names: dict[str, Any]) -> object | None:
    """The object a name or a dotted name denotes, when it can be known without running anything:
    only modules and classes are looked into, never instances (a getattr there could run code)."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, names)
        if isinstance(owner, (types.ModuleType, type)):
            return inspect.getattr_static(owner, node.attr, None)
    return None


def _receiver_class(node: ast.expr, function: Function, owner: type | None) -> type | None:
    """The class of `self`, of `self.attribute` (by the class's or its constructor's hints) or of a
    parameter (by the function's hints), when it is known."""
    if isinstance(node, ast.Name):
        if node.id in ("self", "cls"):
            return owner
        return _class_of(_hints(function).get(node.id))
    if owner is not None and isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if node.value.id == "self":
            constructor = inspect.getattr_static(owner, "__init__", None)
            hint = _hints(owner).get(node.attr) or _hints(constructor).get(node.attr)
            return _class_of(hint)
    return None


def _enclosing_class(function: Function) -> type | None:
    owner_path = function.__qualname__.split(".")[:-1]
    owner: object = sys.modules.get(function.__module__)
    for part in owner_path:
        if part == "<locals>" or owner is None:
            return None
        owner = getattr(owner, part, None)
    return owner if isinstance(owner, type) else None


def _name(obj: object) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', obj)}"


def _reraises(handler: ast.ExceptHandler) -> bool:
    return any(isinstance(node, ast.Raise) and node.exc is None for node in ast.walk(handler))


def _references(tree: ast.AST) -> Iterator[tuple[ast.Name | ast.Attribute, tuple[ast.expr | None, ...]]]:
    """Each name and dotted name in `tree`, with the `except` clauses that would catch what it raises
    (None for a bare `except:`). A clause that re-raises catches nothing; its own class names are not
    references (catching a problem is not raising it)."""

    def visit(node: ast.AST, catching: tuple[ast.expr | None, ...]) -> Iterator[Any]:
        if isinstance(node, (ast.Try, ast.TryStar)):
            stops = tuple(handler.type for handler in node.handlers if not _reraises(handler))
            for child in node.body:
                yield from visit(child, catching + stops)
            for handler in node.handlers:
                for child in handler.body:
                    yield from visit(child, catching)
            for child in node.orelse + node.finalbody:
                yield from visit(child, catching)
            return
        if isinstance(node, (ast.Name, ast.Attribute)):
            yield node, catching
        for inner in _evaluated_children(node):
            yield from visit(inner, catching)

    yield from visit(tree, ())


def _evaluated_children(node: ast.AST) -> Iterator[ast.AST]:
    """A node's children, but for type annotations: naming a class in a hint does not raise it."""
    if isinstance(node, ast.arg):
        return iter(())
    if isinstance(node, ast.AnnAssign):
        return iter([node.target] + ([node.value] if node.value is not None else []))
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return iter([*node.decorator_list, node.args, *node.body])
    return ast.iter_child_nodes(node)


@dataclass(frozen=True)
class Edge:
    """`target` (a function or a problem class) named by a function, and what catches it there."""

    target: Any
    caught: tuple[type[BaseException], ...]

    def lets_through(self, problem: type[KixError]) -> bool:
        return not issubclass(problem, self.caught)


class CallGraph:
    """KIX's server functions reachable from the routes, what each names, and so what each can raise.

    Its blind spot is a problem raised only for data the caller has already set aside (a purged record
    where every caller reads with `visible_to`). KIX keeps such checks out of the problem path: code that
    meets data it should never see raises a plain exception (a 500, documented everywhere), so every
    problem the analysis finds is one a client can really be answered."""

    def __init__(self, is_own: Callable[[object], bool] = _is_server_code) -> None:
        self.is_own = is_own
        self.edges: dict[Function, set[Edge]] = {}
        self._pending: list[Function] = []
        self._escaping: dict[Function, set[type[KixError]]] | None = None

    def add(self, obj: object) -> list[Function]:
        """Read `obj` and everything it reaches; the functions it stands for (a class: its constructor)."""
        roots = self._functions_of(obj)
        for function in roots:
            self._queue(function)
        if self._pending:
            self._escaping = None
        while self._pending:
            self._read(self._pending.pop())
        return roots

    def _functions_of(self, obj: object) -> list[Function]:
        if isinstance(obj, functools.partial):
            obj = obj.func
        if isinstance(obj, type):
            if not self.is_own(obj):
                return []
            found = (_as_function(inspect.getattr_static(obj, name, None)) for name in CONSTRUCTION)
            return [function for function in found if function is not None and self.is_own(function)]
        function = _as_function(obj)
        if function is None and self.is_own(type(obj)):  # a callable instance of a KIX class
            function = _as_function(inspect.getattr_static(type(obj), "__call__", None))
        return [function] if function is not None and self.is_own(function) else []

    def _queue(self, function: Function) -> None:
        if function not in self.edges:
            self.edges[function] = set()
            self._pending.append(function)

    def _link(self, caller: Function, target: object, caught: tuple[type[BaseException], ...]) -> None:
        if isinstance(target, type) and issubclass(target, KixError):
            self.edges[caller].add(Edge(target, caught))
            return
        for function in self._functions_of(target):
            self.edges[caller].add(Edge(function, caught))
            self._queue(function)

    def _read(self, function: Function) -> None:
        tree = _function_tree(function)
        if tree is None:
            return
        names = _namespace(function)
        owner = _enclosing_class(function)
        for node, catching in _references(tree):
            caught = _caught(catching, names)
            target = _resolve(node, names)
            if target is not None:
                self._link(function, target, caught)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                for method in _methods(node, function, owner):
                    self._link(function, method, caught)

    def escaping(self, function: Function) -> set[type[KixError]]:
        """The problems `function` can let out, through whatever it calls."""
        if self._escaping is None:
            self._escaping = self._solve()
        return self._escaping.get(function, set())

    def _solve(self) -> dict[Function, set[type[KixError]]]:
        escaping: dict[Function, set[type[KixError]]] = {function: set() for function in self.edges}
        changed = True
        while changed:  # a fixpoint: calls may be recursive
            changed = False
            for caller, edges in self.edges.items():
                found = set(escaping[caller])
                for edge in edges:
                    raised = {edge.target} if isinstance(edge.target, type) else escaping[edge.target]
                    found |= {p for p in raised if edge.lets_through(p)}
                if found != escaping[caller]:
                    escaping[caller] = found
                    changed = True
        return escaping

    def why(self, function: Function, problem: type[KixError]) -> list[str]:
        """One chain of calls by which `function` lets `problem` out, for a failure message."""
        chain = [_name(function)]
        seen = {function}
        while True:
            step = next(
                (
                    edge
                    for edge in self.edges.get(function, ())
                    if edge.lets_through(problem)
                    and (edge.target is problem or problem in self.escaping(edge.target))
                    and edge.target not in seen
                ),
                None,
            )
            if step is None or step.target is problem:
                return chain + [_name(problem)]
            function = step.target
            seen.add(function)
            chain.append(_name(function))


CONSTRUCTION = ("__init__", "__post_init__", "__call__")


def _caught(catching: tuple[ast.expr | None, ...], names: dict[str, Any]) -> tuple[type[BaseException], ...]:
    caught: list[type[BaseException]] = []
    for clause in catching:
        if clause is None:
            caught.append(BaseException)
            continue
        for part in clause.elts if isinstance(clause, ast.Tuple) else [clause]:
            value = _resolve(part, names)
            if isinstance(value, type) and issubclass(value, BaseException):
                caught.append(value)
    return tuple(caught)


def _methods(node: ast.Attribute, function: Function, owner: type | None) -> list[Function]:
    """What `x.name` may call, where x is not a module or a class. When x's class is known (x is `self`,
    or its type hint names it): that class's method and its subclasses' overrides, or nothing for a
    library's class. Otherwise every method of that name in KIX's code."""
    receiver = _receiver_class(node.value, function, owner)
    if receiver is None and node.attr in BUILTIN_METHOD_NAMES:
        return []
    candidates = methods_by_name().get(node.attr, ())
    found: list[Function] = []
    if receiver is not None and not getattr(receiver, "_is_protocol", False):
        inherited = _as_function(inspect.getattr_static(receiver, node.attr, None))
        if inherited is not None:
            found.append(inherited)
        candidates = tuple((cls, method) for cls, method in candidates if issubclass(cls, receiver))
    return found + [method for _cls, method in candidates]


def dependency_calls(dependant: Dependant) -> Iterator[Function]:
    """The callables of a route's dependencies, at every depth."""
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from dependency_calls(dependency)


def route_problems(graph: CallGraph, route: APIRoute) -> dict[type[KixError], list[str]]:
    """The problem classes a route's endpoint and dependencies can let out, each with one call chain."""
    found: dict[type[KixError], list[str]] = {}
    for call in [route.endpoint, *dependency_calls(route.dependant)]:
        for function in graph.add(call):
            for problem in graph.escaping(function):
                found.setdefault(problem, graph.why(function, problem))
    return found
