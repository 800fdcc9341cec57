"""A parser's state as plain JSON, so the store holds data only: nothing read back is executed.

The indexer keeps each source's parser between passes in ``sources.state``. Pickle would run
whatever a row names, and anyone who can write one row of a team's store could run code on
every machine that indexes it. This encoding is declared instead: JSON (orjson) in which
every value that JSON lacks is an explicit one-key object —

    ``{"$tuple": [...]}``, ``{"$set": [...]}``, ``{"$frozenset": [...]}``, ``{"$dict": [[k, v], ...]}``,
    ``{"$deque": [...], "maxlen": n}``, ``{"$bytes": base64}``, ``{"$bytearray": base64}``,
    ``{"$float": "nan" | "inf" | "-inf"}``, ``{"$int": "digits"}`` (beyond 64 bits),
    ``{"$array": [dtype, shape, base64]}``, ``{"$scalar": [dtype, base64]}`` (numbers only),
    ``{"$pyarray": [typecode, base64]}`` (an `array.array` of numbers),
    ``{"$object": "module:Class", "state": ...}``, ``{"$namedtuple": "module:Class", "fields": [...]}``,
    ``{"$function": "module:name"}``, ``{"$partial": [function, args, keywords]}``,
    ``{"$pattern": "module:name"}``, ``{"$match": [pattern, string, start, end, endpos]}``,
    ``{"$shared": n, "value": ...}`` and later ``{"$ref": n}`` for one object two fields share

— and a class, function or compiled pattern may appear only if it is on the allow-list: the
classes, functions and module-level regular expressions of the parser modules of the formats in
`lossboard.sources.formats.FORMATS` and of the helper modules they import from that package,
and the classes they take from other lossboard modules (`lossboard.model` records,
`lossboard.eventfile.Decoder`). A regex match a parser holds is saved as its pattern's name and
its text and span, and rebuilt by matching again at that span (refused if it does not match). An object is rebuilt without its
``__init__``: ``__setstate__`` where the class defines one (its ``__getstate__`` gave the
state), else its attributes are set. One generic encoder covers every parser, so a format
module needs no code of its own; a field it cannot encode is a `StateError` and the source
is simply read again from its start.

    >>> from lossboard.sources.formats import FORMATS
    >>> parser = FORMATS["keyvalue"].Parser()
    >>> _ = parser.feed("epoch=1 loss=0.5\\nepoch=2 lo")
    >>> saved = load(dump(Saved("keyvalue", parser, None, False, False, b"")), "keyvalue")
    >>> [type(item).__name__ for item in saved.parser.feed("ss=0.25\\n")]
    ['Point']
"""

from __future__ import annotations

import array
import base64
import collections
import dataclasses
import functools
import hashlib
import inspect
import math
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np
import orjson

VERSION = 1
MAX_BYTES = 64 << 20  # a larger saved state is refused unread: the file is read again instead
_INT64 = (-(2**63), 2**64 - 1)  # the integers orjson writes as JSON numbers
_NUMERIC_KINDS = "biuf"  # numpy dtypes a saved array may have: no objects, no structured records
_ARRAY_TYPECODES = frozenset("bBhHiIlLqQfd")  # array.array of numbers, not of characters
_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class StateError(ValueError):
    """A saved state that cannot be written or must not be read back: the file is read again."""


class OtherParsers(StateError):
    """A state saved by parsers whose code has changed since (lossboard was upgraded): its
    fields may not be the ones today's parsers hold, so the file is read again, which is no
    problem of the file's."""


class Saved(NamedTuple):
    """Everything the indexer needs to continue one file where the last pass stopped."""

    format: str
    parser: Any
    decoder: tuple[bytes, int] | None  # the UTF-8 decoder's getstate(), None for binary formats
    needs_resume: bool
    closed: bool
    check: bytes  # the bytes before the offset, to see the file was not replaced


def dump(saved: Saved) -> bytes:
    """``saved`` as versioned JSON; a `StateError` if the parser holds something not allowed."""
    fields = (saved.parser, saved.decoder, saved.check)
    counting = _Memo(None)  # a first pass finds the objects held in two places
    for value in fields:
        _encode(value, counting)
    memo = _Memo(counting)
    parser, decoder, check = (_encode(value, memo) for value in fields)
    document = {
        "version": VERSION,
        "parsers": parsers_fingerprint(),
        "format": saved.format,
        "parser": parser,
        "decoder": decoder,
        "needs_resume": saved.needs_resume,
        "closed": saved.closed,
        "check": check,
    }
    return orjson.dumps(document)


class _Memo:
    """Which objects the parser holds in more than one place (a bar both current and in a
    table), so they are saved once and are one object again after loading.

    The counting pass (``counted`` None) counts every mutable object by id and refuses a cycle;
    the encoding pass numbers those counted twice or more. Every object seen is kept alive until
    the dump ends, so no id is reused by another object meanwhile.
    """

    def __init__(self, counted: _Memo | None) -> None:
        self.counted = counted
        self.seen: dict[int, int] = {}  # id -> times seen (counting) or its number (encoding)
        self.alive: list[Any] = []
        self.open: set[int] = set()  # being encoded: meeting one again is a cycle


def load(blob: bytes, format: str) -> Saved:
    """The state `dump` wrote for a parser of ``format``; a `StateError` for anything else."""
    if len(blob) > MAX_BYTES:
        raise StateError(f"saved state of {len(blob):,} bytes, over the {MAX_BYTES:,} byte limit")
    try:
        document = orjson.loads(blob)
    except orjson.JSONDecodeError as error:
        raise StateError(f"saved state is not JSON ({error})") from None
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise StateError(f"saved state is not version {VERSION} of lossboard's parser state")
    if document.get("format") != format:
        raise StateError(f"saved state is for format {document.get('format')!r}, not {format!r}")
    if document.get("parsers") != parsers_fingerprint():
        raise OtherParsers("saved state was written by other versions of lossboard's parsers")
    try:
        shared: dict[int, Any] = {}
        saved = Saved(
            format,
            _decode(document["parser"], shared),
            _decode(document["decoder"], shared),
            document["needs_resume"],
            document["closed"],
            _decode(document["check"], shared),
        )
    except StateError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as error:
        raise StateError(f"saved state is malformed ({type(error).__name__}: {error})") from None
    _check_types(saved)
    return saved


@functools.cache
def parsers_fingerprint() -> str:
    """A digest of the source of the format modules: a saved parser is only read back by the
    code that saved it, since an attribute renamed or added in between would break it later."""
    from lossboard.sources import formats

    digest = hashlib.blake2b(digest_size=12)
    package = Path(formats.__file__).parent
    for path in sorted(package.rglob("*.py")):  # the sniffers too: parsers import from them
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _check_types(saved: Saved) -> None:
    from lossboard.sources.formats import FORMATS

    if type(saved.parser) is not FORMATS[saved.format].Parser:
        raise StateError(f"saved state holds a {type(saved.parser).__name__}, not the {saved.format} parser")
    decoder = saved.decoder
    if decoder is not None and not (
        isinstance(decoder, tuple)
        and len(decoder) == 2
        and isinstance(decoder[0], bytes)
        and type(decoder[1]) is int
    ):
        raise StateError("saved state has a malformed text decoder state")
    if not (type(saved.needs_resume) is bool and type(saved.closed) is bool and isinstance(saved.check, bytes)):
        raise StateError("saved state has fields of the wrong type")


# -- the allow-list -----------------------------------------------------------------------------
@functools.cache
def _allowed() -> dict[str, Any]:
    """``"module:name"`` -> class or function, for everything a saved state may name."""
    from lossboard.sources import formats

    allowed: dict[str, Any] = {}
    visited: set[str] = set()

    def visit(module: ModuleType) -> None:
        if module.__name__ in visited:
            return
        visited.add(module.__name__)
        for value in vars(module).values():
            home = getattr(value, "__module__", None) if not isinstance(value, ModuleType) else value.__name__
            if not isinstance(home, str) or not home.startswith("lossboard."):
                continue
            if home.startswith(formats.__name__ + ".") and home != module.__name__:
                visit(sys.modules[home])  # a helper of the formats: all its classes and functions
            elif isinstance(value, ModuleType):
                _add_classes(allowed, value)  # another lossboard module: its classes only
            elif inspect.isclass(value):
                allowed[_name_of(value)] = value
            elif inspect.isfunction(value) and home == module.__name__:
                allowed[_name_of(value)] = value
        for attribute, value in vars(module).items():
            if isinstance(value, re.Pattern):
                allowed[f"{module.__name__}:{attribute}"] = value

    for format in formats.FORMATS.values():
        visit(format.module)
    return allowed


def _add_classes(allowed: dict[str, Any], module: ModuleType) -> None:
    for value in vars(module).values():
        if inspect.isclass(value) and value.__module__ == module.__name__:
            allowed[_name_of(value)] = value


def _name_of(value: Any) -> str:
    return f"{value.__module__}:{value.__qualname__}"


def _named(name: Any) -> Any:
    found = _allowed().get(name) if isinstance(name, str) else None
    if found is None:
        raise StateError(f"saved state names {str(name)[:200]!r}, which is not a lossboard parser class")
    return found


# -- encoding -----------------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


_MUTABLE = (list, dict, set, bytearray, collections.deque, np.ndarray)


def _encode(value: Any, memo: _Memo) -> Any:
    """``value`` as JSON; an object held in several places as ``$shared`` once, then ``$ref``."""
    kind = type(value)
    if not (kind in _MUTABLE or _is_object(value)):
        return _encode_value(value, memo)
    key = id(value)
    if key in memo.open:
        raise StateError(f"the parser holds a {kind.__name__} that contains itself, which a saved state cannot")
    if memo.counted is None:  # counting
        memo.alive.append(value)
        memo.seen[key] = memo.seen.get(key, 0) + 1
        if memo.seen[key] > 1:
            return None
    elif memo.counted.seen.get(key, 0) > 1:
        if key in memo.seen:
            return {"$ref": memo.seen[key]}
        memo.seen[key] = len(memo.seen)
    memo.open.add(key)
    try:
        encoded = _encode_value(value, memo)
    finally:
        memo.open.discard(key)
    if memo.counted is not None and key in memo.seen:
        return {"$shared": memo.seen[key], "value": encoded}
    return encoded


def _is_object(value: Any) -> bool:
    """An instance of a lossboard class saved by its attributes (not a named tuple)."""
    kind = type(value)
    return kind.__module__.startswith("lossboard.") and not issubclass(kind, tuple) and not inspect.isfunction(value)


def _encode_value(value: Any, memo: _Memo) -> Any:
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return value if _INT64[0] <= value <= _INT64[1] else {"$int": str(value)}
    if kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if kind is list:
        return [_encode(item, memo) for item in value]
    if kind is dict:
        if all(type(key) is str for key in value) and not any(key.startswith("$") for key in value):
            return {key: _encode(item, memo) for key, item in value.items()}
        return {"$dict": [[_encode(key, memo), _encode(item, memo)] for key, item in value.items()]}
    if kind in (tuple, set, frozenset):
        return {f"${kind.__name__}": [_encode(item, memo) for item in value]}
    if kind is collections.deque:
        return {"$deque": [_encode(item, memo) for item in value], "maxlen": value.maxlen}
    if kind in (bytes, bytearray):
        return {f"${kind.__name__}": _b64(value)}
    if kind is array.array:
        if value.typecode not in _ARRAY_TYPECODES:
            raise StateError(f"an array.array of {value.typecode!r} cannot be saved; only numbers can")
        return {"$pyarray": [value.typecode, _b64(value.tobytes())]}
    if kind is np.ndarray:
        return {"$array": [_dtype_of(value), list(value.shape), _b64(np.ascontiguousarray(value).tobytes())]}
    if isinstance(value, np.generic):
        return {"$scalar": [_dtype_of(value), _b64(value.tobytes())]}
    if kind is re.Pattern:
        return {"$pattern": _pattern_name(value)}
    if kind is re.Match:
        return {"$match": [_pattern_name(value.re), value.string, value.start(), value.end(), value.endpos]}
    if kind is functools.partial:
        return {"$partial": [_encode(value.func, memo), _encode(list(value.args), memo), _encode(value.keywords, memo)]}
    name = _name_of(value) if inspect.isfunction(value) else _name_of(kind)
    if _allowed().get(name) is not (value if inspect.isfunction(value) else kind):
        raise StateError(f"the parser holds a {name}, which a saved state cannot name")
    if inspect.isfunction(value):
        return {"$function": name}
    if isinstance(value, tuple) and hasattr(kind, "_fields"):
        return {"$namedtuple": name, "fields": [_encode(item, memo) for item in value]}
    return {"$object": name, "state": _encode(_state_of(value), memo)}


def _pattern_name(pattern: re.Pattern) -> str:
    for name, value in _allowed().items():
        if value is pattern:
            return name
    raise StateError(f"the parser holds the regex {pattern.pattern[:60]!r}, not one of a format module's own")


def _dtype_of(value: np.ndarray | np.generic) -> str:
    if value.dtype.kind not in _NUMERIC_KINDS:
        raise StateError(f"a numpy {value.dtype} cannot be saved; only numbers can")
    return value.dtype.str


def _state_of(value: Any) -> dict:
    """An object's attributes: its own ``__getstate__`` if it defines one, else ``__dict__``
    and ``__slots__``."""
    getstate = getattr(type(value), "__getstate__", None)
    if getstate is not None and getstate is not getattr(object, "__getstate__", None):
        state = value.__getstate__()
        if type(state) is not dict:
            raise StateError(f"{_name_of(type(value))}.__getstate__ gives a {type(state).__name__}, not a dict")
        return state
    state = dict(getattr(value, "__dict__", {}))
    for cls in type(value).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if hasattr(value, slot):
                state[slot] = getattr(value, slot)
    return state


# -- decoding -----------------------------------------------------------------------------------
def _decode(value: Any, shared: dict[int, Any]) -> Any:
    if type(value) is list:
        return [_decode(item, shared) for item in value]
    if type(value) is not dict:
        return value  # str, int, float, bool, None: orjson gives nothing else
    if not any(key.startswith("$") for key in value):
        return {key: _decode(item, shared) for key, item in value.items()}
    (tag, payload), *rest = value.items()
    if tag == "$ref":
        if type(payload) is not int or payload not in shared:
            raise StateError(f"saved state refers to an object {str(payload)[:20]} it never defined")
        return shared[payload]
    if tag == "$shared":
        if type(payload) is not int or payload in shared:
            raise StateError("saved state defines a shared object twice")
        shared[payload] = _decode(value["value"], shared)
        return shared[payload]
    if tag == "$dict":
        return {_hashable(_decode(key, shared)): _decode(item, shared) for key, item in payload}
    if tag in ("$tuple", "$set", "$frozenset"):
        items = [_decode(item, shared) for item in payload]
        return tuple(items) if tag == "$tuple" else {"$set": set, "$frozenset": frozenset}[tag](map(_hashable, items))
    if tag == "$deque":
        return collections.deque((_decode(item, shared) for item in payload), maxlen=value["maxlen"])
    if tag in ("$bytes", "$bytearray"):
        data = base64.b64decode(payload, validate=True)
        return data if tag == "$bytes" else bytearray(data)
    if tag == "$float":
        return _SPECIAL_FLOATS[payload]
    if tag == "$int":
        return int(payload)
    if tag in ("$array", "$scalar"):
        return _decode_number(tag, payload)
    if tag == "$pyarray":
        typecode, data = payload
        if typecode not in _ARRAY_TYPECODES:
            raise StateError(f"saved state has an array.array of {str(typecode)[:10]!r}; only numbers are allowed")
        numbers = array.array(typecode)
        numbers.frombytes(base64.b64decode(data, validate=True))  # a ValueError if not whole items
        return numbers
    if tag == "$function":
        return _function(payload)
    if tag == "$pattern":
        return _pattern(payload)
    if tag == "$match":
        name, string, start, end, endpos = payload
        match = _pattern(name).match(string, start, endpos)
        if match is None or match.end() != end:
            raise StateError(f"a saved match of {name} does not match its text again")
        return match
    if tag == "$partial":
        function, args, keywords = payload
        return functools.partial(_function(function["$function"]), *_decode(args, shared), **_decode(keywords, shared))
    if tag == "$namedtuple":
        cls = _named(payload)
        if not (issubclass(cls, tuple) and hasattr(cls, "_fields")):
            raise StateError(f"{payload} is not a named tuple")
        return cls._make(_decode(item, shared) for item in value["fields"])
    if tag == "$object":
        return _rebuild(_named(payload), _decode(value["state"], shared))
    raise StateError(f"saved state has an unknown tag {tag[:50]!r}")


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, dict, set, bytearray, np.ndarray)):
        raise StateError(f"saved state uses a {type(value).__name__} as a key or set member")
    return value


def _pattern(name: Any) -> re.Pattern:
    found = _named(name)
    if not isinstance(found, re.Pattern):
        raise StateError(f"{name} is not a regular expression")
    return found


def _function(name: Any) -> Any:
    found = _named(name)
    if not inspect.isfunction(found):
        raise StateError(f"{name} is not a function")
    return found


def _decode_number(tag: str, payload: Any) -> np.ndarray | np.generic:
    if tag == "$array":
        dtype_name, shape, data = payload
    else:
        (dtype_name, data), shape = payload, []
    dtype = np.dtype(dtype_name)
    if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise StateError(f"saved state has a numpy {dtype_name!r}; only numbers are allowed")
    if not all(type(size) is int and size >= 0 for size in shape):
        raise StateError(f"saved state has a bad array shape {shape!r}")
    raw = base64.b64decode(data, validate=True)
    if len(raw) != dtype.itemsize * math.prod(shape):
        raise StateError(f"saved array of {len(raw)} bytes does not fit shape {shape} of {dtype_name}")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()  # copy: writable, as it was
    return array if tag == "$array" else array[()]


def _rebuild(cls: type, state: Any) -> Any:
    if not inspect.isclass(cls) or (issubclass(cls, tuple) and hasattr(cls, "_fields")):
        raise StateError(f"{_name_of(cls)} is not saved as an object")
    if type(state) is not dict or not all(type(key) is str and not key.startswith("__") for key in state):
        raise StateError(f"saved state of {_name_of(cls)} is not a dict of attributes")
    value = cls.__new__(cls)
    if _defines(cls, "__setstate__"):
        value.__setstate__(state)
    elif dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen:
        for key, item in state.items():
            object.__setattr__(value, key, item)
    else:
        for key, item in state.items():
            setattr(value, key, item)
    return value


def _defines(cls: type, method: str) -> bool:
    """Whether a lossboard class (not ``object``) defines ``method`` somewhere in its MRO."""
    return any(method in vars(base) for base in cls.__mro__ if base is not object)
