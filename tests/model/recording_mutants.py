"""Seeded mutants of a valid recording: values, structure and bytes, for the fuzz tests."""

from __future__ import annotations

import copy
import gzip
import json
import random
from collections.abc import Iterator
from typing import Any

#: Values a hostile or damaged file may hold where a recording holds something else.
HOSTILE = [
    None, True, False, 0, -1, 1, 2, 255, 65_536, 2**31, 2**31 - 1, -(2**31) - 1, 2**62,
    2**62 + 1, 2**63, 2**64, -(2**63), 10**30, 10**400, 1e29, -1e29, 1e300, -1e300, 1e-300,
    0.5, -0.0, 3.7, "", "x", "\x1b[2J", "9", "finished", "worker", [], [1], [[1, 2]], {},
    {"a": 1}, [None], ["x"], [1e29], [-1], [2**63],
]  # fmt: skip


def _paths(node: Any, path: tuple = ()) -> Iterator[tuple]:
    """Every place in the document: each container and each value."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:6]):  # a few of each list are enough
            yield from _paths(value, (*path, index))


def _parent(document: Any, path: tuple) -> tuple[Any, Any]:
    node = document
    for key in path[:-1]:
        node = node[key]
    return node, path[-1]


def mutate_value(document: dict, rng: random.Random) -> dict:
    """One to three changes: a value replaced, a key removed, a list cut or grown."""
    mutant = copy.deepcopy(document)
    for _ in range(rng.randint(1, 3)):
        paths = [p for p in _paths(mutant) if p]
        parent, key = _parent(mutant, rng.choice(paths))
        action = rng.random()
        target = parent[key]
        if action < 0.55:
            parent[key] = copy.deepcopy(rng.choice(HOSTILE))
        elif action < 0.65 and isinstance(parent, dict):
            del parent[key]
        elif action < 0.8 and isinstance(target, list) and target:
            del target[rng.randrange(len(target)) :]
        elif action < 0.9 and isinstance(target, list) and target:
            target.append(copy.deepcopy(rng.choice(target)))
        elif isinstance(target, int | float) and not isinstance(target, bool):
            parent[key] = rng.choice([-target, target + 1, target * 10 ** rng.randint(1, 30)])
        else:
            parent[key] = copy.deepcopy(rng.choice(HOSTILE))
    return mutant


_SNIPPETS = [b'"', b"[", b"]", b"{", b"}", b",", b":", b"9" * 40, b"-", b"e999", b"null",
             b"\\u0000", b"\xff", b"NaN", b"Infinity", b"1e29", b'"\\ud800"']  # fmt: skip


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """One to four byte-level changes: a byte replaced, a range cut, a snippet put in."""
    mutant = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not mutant:
            mutant = bytearray(b"{")
        at = rng.randrange(len(mutant))
        action = rng.random()
        if action < 0.35:
            mutant[at] = rng.randrange(256)
        elif action < 0.6:
            del mutant[at : at + rng.randint(1, 64)]
        elif action < 0.9:
            mutant[at:at] = rng.choice(_SNIPPETS)
        else:
            del mutant[at:]  # truncated
    return bytes(mutant or b"{")


def mutants(document: dict, seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    """``count`` mutant files (name, bytes): values and bytes, some of them gzipped."""
    rng = random.Random(seed)
    text = json.dumps(document, separators=(",", ":")).encode()
    for number in range(count):
        kind = rng.random()
        if kind < 0.6:
            data = json.dumps(mutate_value(document, rng), separators=(",", ":")).encode()
            name = f"value-{number}"
        else:
            data = mutate_bytes(text, rng)
            name = f"bytes-{number}"
        if rng.random() < 0.2:
            data = gzip.compress(data, compresslevel=1, mtime=0)
            if rng.random() < 0.5:
                data = mutate_bytes(data, rng)  # damaged compressed data
            name += ".gz"
        yield name, data
