"""Keeping the review service's memory flat under glibc's allocator (no-ops elsewhere).

glibc gives every thread that allocates its own heap ("arena") and returns freed memory to
the system only from the top of a heap. The service's request threads and each suggest
call's temporary arrays grew the process by tens of MB under load; two arenas and a trim
after each suggest (under a millisecond) keep it near its warm-up size.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from functools import cache
from typing import Any

M_ARENA_MAX = -8  # glibc's mallopt parameter number


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    with contextlib.suppress(OSError):
        return ctypes.CDLL(name)
    return None


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """At most ``arenas`` heaps; call before worker threads start. False where not glibc."""
    libc = _libc()
    if libc is not None:
        with contextlib.suppress(AttributeError):
            return bool(libc.mallopt(M_ARENA_MAX, arenas))
    return False


def trim_malloc() -> bool:
    """Give freed heap memory back to the system; False where not glibc."""
    libc = _libc()
    if libc is not None:
        with contextlib.suppress(AttributeError):
            libc.malloc_trim(0)
            return True
    return False
