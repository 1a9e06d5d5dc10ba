"""A lesson's "What to notice" lines against this run's measurement: shown, or not shown
this time (with the likely reason) — never asserted when the numbers say otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from coreography.lessons.registry import Check, Lesson
from coreography.model.series import PointSummary, Spread

#: A step up counts as growth when the median grows by more than this share.
GROWTH = 0.05
#: Past the cores, a median this much above the one at the core count is "still growing".
FLAT = 0.10


@dataclass(frozen=True)
class Verdict:
    """What this run's measurement says of one caption."""

    caption: int  # 1-based
    text: str  # the caption
    shown: bool | None  # None: this run could not tell (a run missing or failed)
    measured: str  # the figures that decided, in plain words
    reason: str = ""  # when not shown: the likely reason
    busy_share: float | None = None  # other programs' largest share, when the machine was busy

    def sentence(self) -> str:
        if self.shown and self.busy_share is not None:
            return (
                f"Shown this time: {self.measured} (but other programs used up to "
                f"{self.busy_share:.0%} of the machine: the figures are not reliable)."
            )
        if self.shown:
            return f"Shown this time: {self.measured}."
        if self.shown is None:
            return f"Not measured this time: {self.measured}."
        return f"Not shown this time: {self.measured}. Likely reason: {self.reason}"


def judge(lesson: Lesson, points: Sequence[PointSummary], cores: int) -> list[Verdict]:
    """One verdict per caption that has checks (captions without any are not judged).

    Parameters
    ----------
    lesson
        Its ``checks`` say what each caption claims of the measurement.
    points
        The lesson's runs, summarised (:func:`coreography.model.series.summarize`).
    cores
        The machine's cores.
    """
    by_caption: dict[int, list[Check]] = {}
    for check in lesson.checks:
        by_caption.setdefault(check.caption, []).append(check)
    verdicts = []
    for caption, checks in sorted(by_caption.items()):
        results = [_test(check, points, cores) for check in checks]
        shown: bool | None = True
        if any(r[0] is None for r in results):
            shown = None
        elif not all(r[0] for r in results):
            shown = False
        measured = "; ".join(r[1] for r in results)
        involved = [p for check in checks for p in _involved(check, points)]
        reason = _reason(involved, results, cores) if shown is False else ""
        busy = [p.others_share for p in involved if p.machine_busy and p.others_share is not None]
        verdicts.append(
            Verdict(
                caption,
                lesson.captions[caption - 1],
                shown,
                measured,
                reason,
                max(busy) if busy else None,
            )
        )
    return verdicts


def _involved(check: Check, points: Sequence[PointSummary]) -> list[PointSummary]:
    if check.runs:
        return [p for p in points if p.label in check.runs]
    return list(points)


def _point(points: Sequence[PointSummary], label: str) -> PointSummary | None:
    return next((p for p in points if p.label == label), None)


def _test(
    check: Check, points: Sequence[PointSummary], cores: int
) -> tuple[bool | None, str, bool]:
    """(holds, what was measured, the repeats' ranges overlap)."""
    kind = check.kind
    if kind in ("faster", "starts-sooner"):
        first, second = (_point(points, label) for label in check.runs)
        spreads = [_spread(p, kind) for p in (first, second)]
        if None in spreads:
            return None, f"{' or '.join(check.runs)} did not finish", False
        a, b = spreads
        what = "wall time" if kind == "faster" else "worker start-up"
        measured = f"{what} {check.runs[0]} {_s(a)}, {check.runs[1]} {_s(b)}"
        return a.median < b.median, measured, a.high >= b.low and b.high >= a.low
    if kind in ("speedup-above", "speedup-below"):
        texts, holds = [], True
        for label in check.runs:
            point = _point(points, label)
            if point is None or point.speedup is None:
                return None, f"{label} has no speedup", False
            value = point.speedup.median
            holds &= value > check.value if kind == "speedup-above" else value < check.value
            texts.append(f"speedup {label} {point.speedup.text(_x)}")
        return holds, ", ".join(texts), False
    medians = _by_workers(points)
    if not medians:
        return None, "no point of the sweep finished", False
    shown = ", ".join(f"{n}: {s:.2f}×" for n, s in sorted(medians.items()))
    if kind == "scales-to-cores":
        steps = [n for n in sorted(medians) if 1 < n <= cores and n - 1 in medians]
        if not steps:
            return None, f"speedup {shown} (no step up to {cores} cores)", False
        grows = all(medians[n] > medians[n - 1] * (1 + GROWTH) for n in steps)
        return grows, f"speedup by workers {shown}", False
    at_cores = medians.get(cores)
    past = [n for n in medians if n > cores]
    if at_cores is None or not past:
        return None, f"speedup {shown} (no point past {cores} cores)", False
    flat = all(medians[n] <= at_cores * (1 + FLAT) for n in past)
    return flat, f"speedup by workers {shown}", False


def _spread(point: PointSummary | None, kind: str) -> Spread | None:
    if point is None:
        return None
    if kind == "faster":
        return point.wall
    startups = [m.startup_mean_s for m in point.metrics if m.startup_mean_s is not None]
    return Spread.of(startups)


def _by_workers(points: Sequence[PointSummary]) -> dict[int, float]:
    return {p.experiment.workers: p.speedup.median for p in points if p.speedup is not None}


def _reason(involved: list[PointSummary], results: list, cores: int) -> str:
    busy = [p.others_share for p in involved if p.machine_busy and p.others_share is not None]
    if busy:
        return (
            f"the machine was busy: other programs used up to {max(busy):.0%} of it during "
            "these runs, so the runs competed with them for the cores. Run the lesson again "
            "when the machine is quieter."
        )
    if any(overlap for _holds, _text, overlap in results):
        return (
            "the repeats varied more than the difference between the runs (their ranges "
            "overlap): the difference is within this machine's noise. More repeats, or "
            "larger tasks, would tell them apart."
        )
    if cores < 2:
        return "this machine has one core: nothing can run at the same time."
    walls = [p.wall.median for p in involved if p.wall is not None]
    if walls and float(np.min(walls)) < 0.2:
        return (
            "the runs were short (under 0.2 s), so starting workers and handing out tasks "
            "weighed as much as the work itself."
        )
    return (
        "not clear from the measurement: no other programs were noticed. Look at the "
        "timelines, or run the lesson again."
    )


def _s(spread: Spread) -> str:
    return spread.text(lambda v: f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s")


def _x(value: float) -> str:
    return f"{value:.2f}×"
