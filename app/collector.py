"""Keeping Python's cyclic garbage collector off what a worker holds for its whole life.

A full collection walks every object the collector tracks. A worker holds some 210,000 from its imports,
and another 280,000 once the Japanese name dictionary is loaded (matching/japanese.py): a full collection
then takes 100-150 ms, a pause that falls on whichever request is running. Such objects never become
garbage, so they are moved out of the collector's sight (gc.freeze) once they are loaded, after one
collection clears what the loading left behind; later full collections walk only what came after.
Frozen objects are still freed by reference counting; only a cycle among them would never be reclaimed.
"""

import gc


def settle() -> None:
    """Collect once, then exempt every object alive now from later collections."""
    gc.collect()
    gc.freeze()
