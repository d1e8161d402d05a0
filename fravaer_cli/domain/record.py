"""Record: equality, repr and replace for a small class of named fields.

These are what @dataclass would generate. @dataclass writes each class's methods as
source text and compiles them when the module is imported, which every call of fravaer
would pay for, so they are plain classes with their own __init__, and this base gives
them the rest from the tuple of their fields. FrozenRecord is one that cannot be changed.
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

    def values(self) -> tuple[Any, ...]:
        """The fields, in FIELDS' order."""
        return type(self)._get_values(self)

    def __eq__(self, other: object) -> bool:
        # The same object first: a store compares 100,000 fravær with themselves after an import.
        return other is self or (type(other) is type(self) and self.values() == other.values())

    __hash__ = None  # type: ignore[assignment]  # equal records may be changed; a frozen one defines its own

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__name__}({shown})"

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed, as dataclasses.replace makes."""
        return type(self)(**{name: getattr(self, name) for name in self.FIELDS} | changes)


class FrozenRecord(Record):
    """A record that cannot be changed once made: its __init__ sets each field with
    object.__setattr__, and a change is replace(). A store reuses the bytes a frozen record was
    read from for as long as it is the same object."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a {type(self).__name__} is not changed once made: use replace(), not .{name} =")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a {type(self).__name__} is not changed once made: {name} stays")
