"""The field registry: Falco's field names -> where each value lives in the event document.

One data document, ``policies/fields.json``, holds it. OPA loads it with the policies (rules
see it as ``data.bpfopa.fields``; the Rego tests check every rule's METADATA
``custom.output_fields`` against it) and bpfopa reads the same file to fill an alert's
``output_fields`` and the ``(evt_type=... user=...)`` part of its text from the complete
document. OPA may only see the fields the rules read (the projection), so values for display
are taken where the whole document is: here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bpfopa._paths import POLICIES_DIR
from bpfopa.errors import FieldRegistryError

__all__ = [
    "DEFAULT_REGISTRY_FILE",
    "MASK",
    "FieldRegistry",
    "FieldSpec",
    "mask_env",
    "scrub",
    "secret_values",
]

DEFAULT_REGISTRY_FILE = POLICIES_DIR / "fields.json"
MASK = "***"

#: Environment variable names whose values are credentials by convention (matched anywhere in
#: the upper-cased name): AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, PGPASSWORD, SSH_AUTH_SOCK, ...
_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSW|PASSPHRASE|PWD$|KEY|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|SIGNATURE"
    r"|CERT|SALT|DSN|CONN",
)
#: user:password@ in a URL (DATABASE_URL=postgres://app:hunter2@db/...) under any name.
_URL_PASSWORD = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):[^@\s]*@")
_TRANSFORMS = ("res", "join", "env")


def _mask_value(name: str, value: str) -> str:
    if name != "PWD" and _SECRET_NAME.search(name.upper()):
        return MASK
    return _URL_PASSWORD.sub(rf"\g<scheme>:{MASK}@", value)


def mask_env(env: Any) -> Any:
    """``["NAME=value", ...]`` with the values of secret-looking names (and passwords in URLs)
    replaced by ``***``; anything that is not a list of strings is returned masked whole."""
    if env is None:
        return None
    if not isinstance(env, list):
        return MASK
    masked: list[str] = []
    for item in env:
        if not isinstance(item, str):
            masked.append(MASK)
            continue
        name, sep, value = item.partition("=")
        masked.append(f"{name}={_mask_value(name, value)}" if sep else _mask_value(name, name))
    return masked


#: Shorter secret values are not scrubbed from free text: "1" or "yes" would mangle it.
_MIN_SCRUBBED = 4


def secret_values(doc: Any) -> frozenset[str]:
    """The values :func:`mask_env` hides in the document's environments (the process's and its
    parent's): what must not show anywhere else in an alert either (a rule's message that
    quotes a variable, a command line that expands one)."""
    found: set[str] = set()
    process = doc.get("process") if isinstance(doc, dict) else None
    if not isinstance(process, dict):
        return frozenset()
    parent = process.get("parent")
    envs = [process.get("env"), parent.get("env") if isinstance(parent, dict) else None]
    for env in envs:
        if not isinstance(env, list):
            continue
        for item in env:
            if not isinstance(item, str):
                continue
            name, sep, value = item.partition("=")
            if not sep:
                continue
            if name != "PWD" and _SECRET_NAME.search(name.upper()):
                found.add(value)
            for match in _URL_PASSWORD.finditer(value):
                password = match.group(0)[len(match.group("scheme")) + 1 : -1]
                found.add(password)
    return frozenset(v for v in found if len(v) >= _MIN_SCRUBBED)


def scrub(value: Any, secrets: frozenset[str]) -> Any:
    """``value`` (text, or lists and objects of it) with every secret replaced by ``***``."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One registry entry: a Falco field name and how to read its value from a document."""

    name: str
    path: tuple[str | int, ...]
    fallback: tuple[str | int, ...] | None = None
    default: Any = None
    #: Value when the process is not in a container (``process.container`` is null).
    host: Any = None
    transform: str | None = None
    #: Label in the alert's text (Falco's default rules write ``user=%user.name``).
    label: str | None = None
    sensitive: bool = False

    def value(self, doc: Mapping[str, Any]) -> Any:
        if self.host is not None and _get(doc, ("process", "container"), "absent") is None:
            return self.host
        value = _get(doc, self.path, None)
        if value is None and self.fallback is not None:
            value = _get(doc, self.fallback, None)
        if self.transform == "res":
            ret = _get(doc, ("event", "ret"), None)
            if value is None and isinstance(ret, int):
                value = "SUCCESS" if ret >= 0 else ret
        elif self.transform == "join" and isinstance(value, list):
            value = " ".join(str(v) for v in value)
        elif self.transform == "env":
            value = mask_env(value)
        return self.default if value is None else value


def _get(doc: Any, path: Sequence[str | int], default: Any) -> Any:
    node = doc
    for key in path:
        if isinstance(key, int):
            if not isinstance(node, list) or not -len(node) <= key < len(node):
                return default
        elif not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def _path(raw: Any, where: str) -> tuple[str | int, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(k, str | int) for k in raw):
        raise FieldRegistryError(f"{where}: path must be a non-empty list of keys, not {raw!r}")
    return tuple(raw)


def _spec(name: str, raw: Any, source: Path) -> FieldSpec:
    where = f"{source}: field {name!r}"
    if not isinstance(raw, dict):
        raise FieldRegistryError(f"{where}: must be an object")
    transform = raw.get("transform")
    if transform is not None and transform not in _TRANSFORMS:
        raise FieldRegistryError(f"{where}: unknown transform {transform!r}; one of {_TRANSFORMS}")
    fallback = raw.get("fallback")
    return FieldSpec(
        name=name,
        path=_path(raw.get("path"), where),
        fallback=_path(fallback, where) if fallback is not None else None,
        default=raw.get("default"),
        host=raw.get("host"),
        transform=transform,
        label=raw.get("label") if isinstance(raw.get("label"), str) else None,
        sensitive=bool(raw.get("sensitive", False)),
    )


@dataclass(frozen=True, slots=True)
class FieldRegistry:
    """Field specs by name, the fields every alert carries, and the ones its text shows."""

    specs: Mapping[str, FieldSpec]
    default: tuple[str, ...]
    context: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = DEFAULT_REGISTRY_FILE) -> FieldRegistry:
        """Read ``path`` (``{"bpfopa": {"fields": {...}}}``); the error says what is wrong."""
        try:
            raw = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise FieldRegistryError(f"cannot read the field registry {path}: {exc}") from exc
        fields = raw.get("bpfopa", {}).get("fields") if isinstance(raw, dict) else None
        if not isinstance(fields, dict) or not isinstance(fields.get("registry"), dict):
            raise FieldRegistryError(f"{path}: no bpfopa.fields.registry object")
        specs = {name: _spec(name, spec, path) for name, spec in fields["registry"].items()}
        lists: dict[str, tuple[str, ...]] = {}
        for key in ("default", "context"):
            names = fields.get(key, [])
            where = f"{path}: bpfopa.fields.{key}"
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise FieldRegistryError(f"{where} must be a list of field names")
            unknown = [n for n in names if n not in specs]
            if unknown:
                raise FieldRegistryError(f"{where} names unknown fields {unknown}")
            sensitive = [n for n in names if specs[n].sensitive]
            if sensitive:
                raise FieldRegistryError(f"{where} may not name {sensitive}: rules opt in")
            lists[key] = tuple(names)
        return cls(specs=specs, default=lists["default"], context=lists["context"])

    def output_fields(self, doc: Mapping[str, Any], extra: Iterable[str] = ()) -> dict[str, Any]:
        """The default fields plus ``extra`` (a rule's custom.output_fields), by Falco name.

        A name the registry does not know is kept with a null value, so a rule's typo shows in
        its alerts instead of vanishing."""
        out = {name: self.specs[name].value(doc) for name in self.default}
        for name in extra:
            spec = self.specs.get(name)
            out[name] = spec.value(doc) if spec is not None else None
        return out

    def context_text(self, fields: Mapping[str, Any], extra: Iterable[str] = ()) -> str:
        """``(evt_type=openat user=root ...)``: the registry's context fields then ``extra``."""
        parts = []
        for name in (*self.context, *(n for n in extra if n not in self.context)):
            spec = self.specs.get(name)
            label = spec.label if spec is not None and spec.label else name
            parts.append(f"{label}={_show(fields.get(name))}")
        return "(" + " ".join(parts) + ")"


def _show(value: Any) -> str:
    if value is None:
        return "<NA>"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return str(value)
