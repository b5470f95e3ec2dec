"""The projection itself: a tree of the document keys the policies read, and a compiled
function per tree that copies a document down to them.

Split from the analysis (``_projection_analysis``) because this half runs on every event and
the other only when policies load; see ``_projection``'s docstring for what the tree means.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["STAR", "PathTree", "Projection"]

#: Every element of an array / every value of an object.
STAR = "*"


@dataclass(slots=True)
class PathTree:
    whole: bool = False
    children: dict[str, PathTree] = field(default_factory=dict)

    def child(self, key: str) -> PathTree:
        node = self.children.get(key)
        if node is None:
            node = self.children[key] = PathTree()
        return node

    def add(self, path: Sequence[str], whole: bool) -> bool:
        """Register ``path``; returns whether the tree changed."""
        node, changed = self, False
        for key in path:
            if node.whole:
                return changed
            if key not in node.children:
                changed = True
            node = node.child(key)
        if whole and not node.whole:
            node.whole, changed = True, True
            node.children.clear()
        return changed

    def normalized(self) -> PathTree:
        """The same projection, simpler: a node whose every element is kept whole is whole."""
        if self.whole:
            return PathTree(True)
        children = {k: v.normalized() for k, v in self.children.items()}
        star = children.get(STAR)
        if star is not None and star.whole:
            return PathTree(True)
        return PathTree(False, children)

    def copy(self) -> PathTree:
        return PathTree(self.whole, {k: v.copy() for k, v in self.children.items()})

    def merged(self, other: PathTree) -> PathTree:
        if self.whole or other.whole:
            return PathTree(True)
        out = self.copy()
        for key, node in other.children.items():
            out.children[key] = out.children[key].merged(node) if key in out.children else node
        return out

    def paths(self, prefix: str = "") -> Iterator[str]:
        if self.whole or not self.children:
            yield prefix + ("" if self.whole else " (presence)")
            return
        for key in sorted(self.children):
            yield from self.children[key].paths(f"{prefix}.{key}" if prefix else key)


class _CodeGen:
    """Generates one straight-line function per projection: a few dict lookups per kept key,
    no recursion or per-node calls (a recursive walk cost ~20 µs per real document).

    Keys are embedded with ``repr`` (they are plain ``str`` from the parsed policies)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.functions: list[str] = []
        self._n = 0

    def var(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def node(self, node: PathTree, src: str, dst_assign: str, indent: str) -> None:
        """Emit code that assigns the projection of ``src`` through ``dst_assign``."""
        if node.whole:
            self.lines.append(f"{indent}{dst_assign}{src}")
            return
        star = node.children.get(STAR)
        named = [(k, c) for k, c in node.children.items() if k != STAR]
        out = self.var("o")
        self.lines.append(f"{indent}if type({src}) is dict:")
        inner = indent + "    "
        if star is not None:
            element = self.element_function(star)
            self.lines.append(f"{inner}{out} = {{k: {element}(v) for k, v in {src}.items()}}")
            for key, child in named:
                self._named(key, child.merged(star), src, out, inner)
        else:
            self.lines.append(f"{inner}{out} = {{}}")
            for key, child in named:
                self._named(key, child, src, out, inner)
        self.lines.append(f"{inner}{dst_assign}{out}")
        if star is not None and not named:
            self.lines.append(f"{indent}elif type({src}) is list:")
            self.lines.append(f"{inner}{dst_assign}{self._list(star, src)}")
        self.lines.append(f"{indent}else:")  # not the expected shape: keep it
        self.lines.append(f"{inner}{dst_assign}{src}")

    def _named(self, key: str, child: PathTree, src: str, out: str, indent: str) -> None:
        if child.whole:
            # The schema's keys are nearly always present: one lookup, and a try block costs
            # nothing until it catches.
            self.lines.append(f"{indent}try:")
            self.lines.append(f"{indent}    {out}[{key!r}] = {src}[{key!r}]")
            self.lines.append(f"{indent}except KeyError:")
            self.lines.append(f"{indent}    pass")
            return
        self.lines.append(f"{indent}if {key!r} in {src}:")
        value = self.var("v")
        self.lines.append(f"{indent}    {value} = {src}[{key!r}]")
        self.node(child, value, f"{out}[{key!r}] = ", indent + "    ")

    def _list(self, star: PathTree, src: str) -> str:
        """The projected elements of list ``src``."""
        keys = list(star.children)
        if len(keys) == 1 and star.children[keys[0]].whole and keys[0] != STAR:
            # One kept key per element (process.ancestors.*.name): inline, no call per element.
            k = repr(keys[0])
            element = f"({{{k}: e[{k}]}} if {k} in e else {{}})"
            return f"[({element} if type(e) is dict else e) for e in {src}]"
        return f"[{self.element_function(star)}(v) for v in {src}]"

    def element_function(self, node: PathTree) -> str:
        name = self.var("_element")
        if node.whole:
            self.functions.append(f"def {name}(x):\n    return x\n")
            return name
        saved, self.lines = self.lines, []
        self.node(node, "x", "return ", "    ")
        body = "\n".join(self.lines)
        self.lines = saved
        self.functions.append(f"def {name}(x):\n{body}\n")
        return name


def _compile_or_none(tree: PathTree) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    return None if tree.whole else _compile(tree)


def _compile(tree: PathTree) -> Callable[[dict[str, Any]], dict[str, Any]]:
    gen = _CodeGen()
    gen.node(tree, "doc", "return ", "    ")
    source = "\n".join([*gen.functions, "def project(doc):", *gen.lines, ""])
    namespace: dict[str, Any] = {}
    exec(compile(source, "<bpfopa projection>", "exec"), namespace)
    project: Callable[[dict[str, Any]], dict[str, Any]] = namespace["project"]
    return project


class Projection:
    """Copies of documents with only the fields the policies read (see the module doc)."""

    def __init__(
        self, common: PathTree | None, by_name: Mapping[str, PathTree] | None = None
    ) -> None:
        # common: what every document keeps (None: everything); by_name: event.name -> what
        # documents of that syscall keep (a superset of common).
        self._common = common.normalized() if common is not None else PathTree(True)
        self._by_name = {k: v.normalized() for k, v in (by_name or {}).items()}
        self._project_common = _compile_or_none(self._common)
        self._project_by_name = {k: _compile_or_none(v) for k, v in self._by_name.items()}

    @property
    def keeps_everything(self) -> bool:
        return self._project_common is None and all(
            f is None for f in self._project_by_name.values()
        )

    def paths(self, syscall: str | None = None) -> list[str]:
        """Kept paths, dotted (``*`` = every element; ``(presence)``: only the key), for the
        documents of ``syscall``, or (None) for every document."""
        tree = self._by_name.get(syscall, self._common) if syscall else self._common
        return [""] if tree.whole else list(tree.paths())

    @property
    def syscalls(self) -> list[str]:
        """The syscalls whose documents keep more than the common paths."""
        return sorted(self._by_name)

    def apply(self, doc: Any) -> Any:
        """A new document with only the projected fields; the original is not modified."""
        if type(doc) is not dict:
            return doc
        project = self._project_common
        event = doc.get("event")
        if type(event) is dict:
            name = event.get("name")
            if type(name) is str and name in self._project_by_name:
                project = self._project_by_name[name]
        return doc if project is None else project(doc)
