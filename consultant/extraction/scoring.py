"""Scoring extraction against labelled gold: code precision / recall / F1 and modifier-pair F1.

Codes match on (system, code). Modifier pairs match on (system, code, modifier) and units on
(system, code, units) among the codes that carry units in either list. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: set[Any], pred: set[Any]) -> None:
        self.tp += len(gold & pred)
        self.fp += len(pred - gold)
        self.fn += len(gold - pred)

    @property
    def precision(self) -> float:
        d = self.tp + self.fp
        return self.tp / d if d else 1.0

    @property
    def recall(self) -> float:
        d = self.tp + self.fn
        return self.tp / d if d else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Score:
    codes: Counts = field(default_factory=Counts)
    modifiers: Counts = field(default_factory=Counts)
    units: Counts = field(default_factory=Counts)
    mails: int = 0
    errors: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (mail, kind, items)

    def rows(self) -> list[tuple[str, float, float, float, int, int, int]]:
        return [
            (name, c.precision, c.recall, c.f1, c.tp, c.fp, c.fn)
            for name, c in (("codes", self.codes), ("modifier pairs", self.modifiers), ("units", self.units))
        ]

    def table(self) -> str:
        lines = [f"{'metric':16} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}"]
        for name, p, r, f, tp, fp, fn in self.rows():
            lines.append(f"{name:16} {p:6.3f} {r:6.3f} {f:6.3f} {tp:5d} {fp:5d} {fn:5d}")
        lines.append(f"mails: {self.mails}")
        return "\n".join(lines)


def _sets(items: Iterable[Mapping[str, Any]]) -> tuple[set[Any], set[Any], set[Any]]:
    codes: set[tuple[str, str]] = set()
    mods: set[tuple[str, str, str]] = set()
    units: set[tuple[str, str, int]] = set()
    for it in items:
        key = (str(it["system"]), str(it["code"]).upper())
        codes.add(key)
        for m in it.get("modifiers") or []:
            mods.add((*key, str(m).upper()))
        if it.get("units") is not None:
            units.add((*key, int(it["units"])))
    return codes, mods, units


def score_one(score: Score, name: str, gold: list[Mapping[str, Any]], pred: list[Mapping[str, Any]]) -> None:
    gc, gm, gu = _sets(gold)
    pc, pm, pu = _sets(pred)
    score.mails += 1
    score.codes.add(gc, pc)
    score.modifiers.add(gm, pm)
    score.units.add(gu, pu)
    for kind, g, p in (("code", gc, pc), ("modifier", gm, pm), ("units", gu, pu)):
        if p - g:
            score.errors.append((name, f"extra {kind}", sorted(":".join(map(str, x)) for x in p - g)))
        if g - p:
            score.errors.append((name, f"missed {kind}", sorted(":".join(map(str, x)) for x in g - p)))
