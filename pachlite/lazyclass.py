"""`dataclass`, generated when a class is first instantiated instead of when it is defined.

`dataclasses.dataclass` writes and compiles each class's `__init__`, `__repr__`, `__eq__`...
at import: ~1 ms a class, which every CLI start paid for records it never made (a verb uses one
or two of the forty). `from pachlite.lazyclass import dataclass` is a drop-in for the classes on
the start-up path: until its first instance a class is a plain class (so `dataclasses.fields`
of the class itself fails, and `is_dataclass` of it is false); from its first instance on it
behaves as the class `dataclasses.dataclass(...)` makes, with the same methods, errors and
`dataclasses.replace`/`asdict`. Type checkers see the real decorator.

`dataclasses` itself imports `inspect` (~10 ms a start on our interpreter, with ast, dis and
tokenize), so it is not imported for the common case either: a frozen or plain class of
annotated fields, with defaults or `field(default=..., default_factory=...)` (this module's
`field`, a note of its arguments), gets the same methods written here (`_generate`). The first
read of its `__dataclass_fields__` (`dataclasses.fields`, `replace`, `asdict`, `is_dataclass`
all read it) makes it the real dataclass in place. Once `dataclasses` is loaded, or for
anything else (other options, ClassVar, an own `__eq__`...), dataclasses makes the class.

Not for `slots=True` (that makes a new class, which cannot be swapped in later), nor for a
class whose first instance in a process could come from `pickle` or `copy` (they bypass
`__init__`); pachlite pickles none of these records.
"""

from __future__ import annotations

import sys
import threading
from types import GenericAlias, UnionType

# mypy takes any module-level `TYPE_CHECKING` as true; at run time `typing` stays unimported.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import asdict as asdict
    from dataclasses import dataclass as dataclass
    from dataclasses import field as field
    from typing import Any
else:

    def dataclass(cls: type | None = None, /, **options: Any) -> Any:
        if options.get("slots"):
            raise TypeError("pachlite.lazyclass.dataclass cannot make slots classes")
        if cls is None:
            return lambda cls: _defer(cls, options)
        return _defer(cls, options)

    def field(**settings: Any) -> Any:
        return _Field(settings)

    def asdict(value: Any) -> dict[str, Any]:
        import dataclasses  # loaded already: `value` is an instance, so its class materialized

        return dataclasses.asdict(value)


class _Field:
    """`field(...)`'s arguments, until the class is materialized and it becomes the real one."""

    __slots__ = ("settings",)

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings


_OPTIONS = "__pachlite_lazy_dataclass__"
_lock = threading.RLock()  # re-entrant: upgrading a class upgrades its bases inside


_deferred: list[type] = []


def _defer(cls: type, options: dict[str, Any]) -> type:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        materialize(cls)
        cls.__init__(self, *args, **kwargs)  # type: ignore[misc]  # the generated one now

    setattr(cls, _OPTIONS, options)
    cls.__init__ = __init__  # type: ignore[misc]
    _deferred.append(cls)
    return cls


def materialize_all() -> None:
    """Make every class deferred so far the real dataclass, for a process about to use them
    from several threads: materializing swaps a class's methods, and a thread making an
    instance meanwhile could find its other methods gone. (Its __init__ is swapped in one
    step, so classes deferred later are safe to make from any thread.)"""
    import dataclasses

    with _lock:
        for cls in list(_deferred):
            materialize(cls)
            dataclasses.fields(cls)  # a generated class becomes the real one on this read
        _deferred.clear()


def materialize(cls: type) -> None:
    """Make `cls` (and any deferred dataclass it inherits from) the dataclass it declares."""
    with _lock:
        for klass in reversed(cls.__mro__):  # bases first: a dataclass collects their fields
            options = klass.__dict__.get(_OPTIONS)
            if options is not None:
                delattr(klass, _OPTIONS)
                # The deferring __init__ stays until the new one replaces it in one step: a
                # thread making an instance meanwhile waits in it on the lock, and never
                # finds the class without an __init__ ("takes no arguments").
                if "dataclasses" in sys.modules or not _generate(klass, options):
                    _real(klass, options)


def _real(klass: type, options: dict[str, Any]) -> None:
    import dataclasses

    for name, value in list(vars(klass).items()):
        if isinstance(value, _Field):
            setattr(klass, name, dataclasses.field(**value.settings))
    if "__init__" not in klass.__dict__ or not options.get("init", True):
        dataclasses.dataclass(klass, **options)
        return
    # dataclasses adds an __init__ only to a class without one: it writes it for a copy of
    # the class, and the class gets the rest of its methods around the deferring __init__.
    skip = {"__dict__", "__weakref__", "__init__"}
    copy = type(klass.__name__, klass.__bases__,
                {k: v for k, v in vars(klass).items() if k not in skip})  # fmt: skip
    copy.__qualname__ = klass.__qualname__
    init = dataclasses.dataclass(copy, **options).__dict__["__init__"]
    dataclasses.dataclass(klass, **{**options, "init": False})
    klass.__init__ = init  # type: ignore[misc]


# A light stand-in for the commonest case, so that a start which makes a record or two does not
# import dataclasses (and inspect): a frozen or plain class of annotated fields with defaults or
# default factories. It writes the methods dataclasses writes for it (__init__, __repr__,
# __eq__, __hash__, frozen __setattr__/__delattr__, __match_args__). The first use of
# dataclasses' own functions on it (`fields`, `replace`, `asdict`, `is_dataclass` all read
# `__dataclass_fields__`) turns it into the real dataclass in place. Anything else declared
# (other options, ClassVar, an own __hash__ or __eq__...) goes to dataclasses at once.
_GENERATED = "__pachlite_generated__"
_WRITTEN = (
    "__init__",
    "__repr__",
    "__eq__",
    "__hash__",
    "__setattr__",
    "__delattr__",
    "__match_args__",
    "__dataclass_fields__",
    _GENERATED,
)


class _Missing:
    __slots__ = ()


_MISSING = _Missing()


def _fields(klass: type) -> list[tuple[str, Any, Any]] | None:
    """(name, default, factory) of each field, bases' first; None where dataclasses must do it."""
    found: dict[str, tuple[str, Any, Any]] = {}
    for base in reversed(klass.__mro__[1:]):
        if "__dataclass_fields__" in base.__dict__ and _GENERATED not in base.__dict__:
            return None  # a real dataclass base
        for field_ in base.__dict__.get(_GENERATED, ()):
            found[field_[0]] = field_
    own = klass.__dict__.get("__annotations__", {})  # noqa: RUF063  # inspect's is what we avoid
    for name, annotation in own.items():
        if isinstance(annotation, str):  # under `from __future__ import annotations`
            if "ClassVar" in annotation or "InitVar" in annotation or "KW_ONLY" in annotation:
                return None
        elif not isinstance(annotation, type | GenericAlias | UnionType):
            return None  # typing's forms (ClassVar...): dataclasses knows them
        value = klass.__dict__.get(name, _MISSING)
        default, factory = value, _MISSING
        if isinstance(value, _Field):
            if set(value.settings) - {"default", "default_factory"}:
                return None
            default = value.settings.get("default", _MISSING)
            factory = value.settings.get("default_factory", _MISSING)
        elif value is not _MISSING and type(value).__hash__ is None:
            return None  # a mutable default: dataclasses' ValueError
        found[name] = (name, default, factory)
    fields = list(found.values())
    defaulted = [d is not _MISSING or f is not _MISSING for _, d, f in fields]
    if defaulted != sorted(defaulted):
        return None  # a field without a default after one with: dataclasses' TypeError
    return fields


def _generate(klass: type, options: dict[str, Any]) -> bool:
    frozen = options.get("frozen", False)
    if set(options) - {"frozen"} or any(n in klass.__dict__ for n in _WRITTEN[1:6]):
        return False
    fields = _fields(klass)
    if fields is None:
        return False
    names = [name for name, _, _ in fields]
    scope: dict[str, Any] = {"_MISSING": _MISSING, "_setattr": object.__setattr__}
    params, body = [], []
    for name, default, factory in fields:
        if factory is not _MISSING:
            scope[f"_factory_{name}"] = factory
            params.append(f"{name}=_MISSING")
            value = f"_factory_{name}() if {name} is _MISSING else {name}"
        elif default is not _MISSING:
            scope[f"_default_{name}"] = default
            params.append(f"{name}=_default_{name}")
            value = name
        else:
            params.append(name)
            value = name
        body.append(f"_setattr(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")
    own = ", ".join(f"self.{n}" for n in names)
    other = ", ".join(f"other.{n}" for n in names)
    items = ", ".join(f"{n}={{self.{n}!r}}" for n in names)
    source = [
        f"def __init__(self, {', '.join(params)}):",
        *(f"    {line}" for line in body or ["pass"]),
        "def __repr__(self):",
        f'    return f"{{self.__class__.__qualname__}}({items})"',
        "def __eq__(self, other):",
        "    if other.__class__ is self.__class__:",
        f"        return ({own},) == ({other},)",
        "    return NotImplemented",
        "def __hash__(self):",
        f"    return hash(({own},))",
    ]
    exec("\n".join(source).replace("(,)", "()"), scope)
    for name in ("__init__", "__repr__", "__eq__", "__hash__"):
        scope[name].__qualname__ = f"{klass.__qualname__}.{name}"
        setattr(klass, name, scope[name])
    if frozen:
        setattr(klass, "__setattr__", _frozen_setattr(klass, names))  # noqa: B010
        setattr(klass, "__delattr__", _frozen_delattr(klass, names))  # noqa: B010
    else:
        setattr(klass, "__hash__", None)  # noqa: B010  # eq without frozen: unhashable
    for name, default, factory in fields:
        if factory is not _MISSING or isinstance(klass.__dict__.get(name), _Field):
            if name in klass.__dict__:
                delattr(klass, name)
            if default is not _MISSING:
                setattr(klass, name, default)
    setattr(klass, "__match_args__", tuple(names))  # noqa: B010
    setattr(klass, _GENERATED, tuple(fields))
    setattr(klass, "__dataclass_fields__", _Upgrade(klass, options))  # noqa: B010
    return True


def _frozen_setattr(klass: type, names: list[str]) -> Any:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is klass or name in names:
            from dataclasses import FrozenInstanceError

            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(klass, self).__setattr__(name, value)  # type: ignore[arg-type]

    return __setattr__


def _frozen_delattr(klass: type, names: list[str]) -> Any:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is klass or name in names:
            from dataclasses import FrozenInstanceError

            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(klass, self).__delattr__(name)  # type: ignore[arg-type]

    return __delattr__


class _Upgrade:
    """`__dataclass_fields__` of a generated class: reading it makes the class the real one."""

    def __init__(self, klass: type, options: dict[str, Any]) -> None:
        self.klass, self.options = klass, options

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        klass = self.klass
        with _lock:
            if _GENERATED in klass.__dict__:
                fields = klass.__dict__[_GENERATED]
                for name in _WRITTEN:
                    if name in klass.__dict__:
                        delattr(klass, name)
                import dataclasses

                for name, _, factory in fields:
                    if factory is not _MISSING:
                        setattr(klass, name, dataclasses.field(default_factory=factory))
                dataclasses.dataclass(klass, **self.options)
        return klass.__dict__["__dataclass_fields__"]
