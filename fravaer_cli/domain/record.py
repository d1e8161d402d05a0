"""Record: equality, repr and replace for a small class of named fields.

These are what @dataclass would generate. @dataclass writes each class's methods as
source text and compiles them when the module is imported, which every call of fravaer
would pay for (the README's speed section says how much), so they are plain classes
with their own __init__, and this base gives them the rest from the tuple of their fields.
"""

from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar, Self


class Record:
    __slots__ = ()
    FIELDS: tuple[str, ...] = ()  # compared, shown and copied, in order
    _get_values: ClassVar[Callable[[Any], tuple[Any, ...]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The fields in one C call (attrgetter of one name gives the value itself, not a tuple).
        get: Callable[[Any], Any] = attrgetter(*cls.FIELDS) if cls.FIELDS else (lambda self: ())
        if len(cls.FIELDS) == 1:
            one = get
            get = lambda self: (one(self),)  # noqa: E731
        cls._get_values = get

    def _values(self) -> tuple[Any, ...]:
        return type(self)._get_values(self)

    def values(self) -> tuple[Any, ...]:
        """The fields, in FIELDS' order."""
        return self._values()

    def __eq__(self, other: object) -> bool:
        # The same object first: a store compares 100,000 fravær with themselves after an import.
        return other is self or (type(other) is type(self) and self._values() == other._values())

    __hash__ = None  # type: ignore[assignment]  # equal records may be changed; a frozen one defines its own

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__name__}({shown})"

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed, as dataclasses.replace makes."""
        return type(self)(**{name: getattr(self, name) for name in self.FIELDS} | changes)
