"""Reads of the disk done ahead by a pool of threads and handed over in order: Create Models writes
one run at a time in its own thread (the one database session) while the next runs' folders are
read. Filesystem only."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


@contextmanager
def read_ahead(read: Callable[[T], R], items: Iterable[T], threads: int) -> Iterator[Iterator[Callable[[], R]]]:
    """For each item in order, a function that returns read(item) (raising what it raised), called
    when the caller wants it. With threads above 1 the reads run in a pool, up to 4 reads per thread
    ahead of the caller (memory stays bounded); with 1, each read runs when it is asked for."""
    if threads <= 1:
        yield (partial(read, item) for item in items)
        return
    pool = ThreadPoolExecutor(threads, thread_name_prefix="seqscan-read")
    try:
        yield _in_order(pool, read, iter(items), 4 * threads)
    finally:  # a scan stopped between runs does not wait for reads it will not use
        pool.shutdown(wait=True, cancel_futures=True)


def _in_order(pool: ThreadPoolExecutor, read: Callable[[T], R], items: Iterator[T], window: int):
    futures = deque(pool.submit(read, item) for item in islice(items, window))
    while futures:
        future = futures.popleft()
        futures.extend(pool.submit(read, item) for item in islice(items, 1))
        yield future.result
