"""`dataclass`, generated when a class is first instantiated instead of when it is defined.

`dataclasses.dataclass` writes and compiles each class's `__init__`, `__repr__`, `__eq__`...
at import: ~1 ms a class, which every CLI start paid for records it never made (a verb uses one
or two of the forty). `from pachlite.lazyclass import dataclass` is a drop-in for the classes on
the start-up path: until its first instance a class is a plain class (so `dataclasses.fields`
of the class itself fails, and `is_dataclass` of it is false); from its first instance on it is
exactly the class `dataclasses.dataclass(...)` makes, with the same methods, errors and
`dataclasses.replace`/`asdict`. Type checkers see the real decorator.

Not for `slots=True` (that makes a new class, which cannot be swapped in later), nor for a
class whose first instance in a process could come from `pickle` or `copy` (they bypass
`__init__`); pachlite pickles none of these records.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass
else:

    def dataclass(cls: type | None = None, /, **options: Any) -> Any:
        if options.get("slots"):
            raise TypeError("pachlite.lazyclass.dataclass cannot make slots classes")
        if cls is None:
            return lambda cls: _defer(cls, options)
        return _defer(cls, options)


_OPTIONS = "__pachlite_lazy_dataclass__"
_lock = threading.Lock()


def _defer(cls: type, options: dict[str, Any]) -> type:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        materialize(cls)
        cls.__init__(self, *args, **kwargs)  # type: ignore[misc]  # the generated one now

    setattr(cls, _OPTIONS, options)
    cls.__init__ = __init__  # type: ignore[misc]
    return cls


def materialize(cls: type) -> None:
    """Make `cls` (and any deferred dataclass it inherits from) the dataclass it declares."""
    with _lock:
        for klass in reversed(cls.__mro__):  # bases first: a dataclass collects their fields
            options = klass.__dict__.get(_OPTIONS)
            if options is not None:
                delattr(klass, _OPTIONS)
                delattr(klass, "__init__")  # so that dataclass() adds its own
                dataclasses.dataclass(klass, **options)
