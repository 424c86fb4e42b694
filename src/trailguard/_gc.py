"""Pausing the cyclic garbage collector while a trail file is parsed and matched."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off, then restore it as it was.

    Parsed records are JSON trees, freed by reference counting; the cyclic collector would only
    rescan the tens of thousands of objects of each file, about a quarter of the parse time.
    https://docs.python.org/3/library/gc.html
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
