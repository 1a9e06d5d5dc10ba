"""Interference: how much of the machine other programs used during a run, and whether
that makes its speedup and efficiency unreliable."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coreography.model.run import Run

#: Other programs' share of the whole machine above which a run is flagged. Why 15 %:
#: an experiment that wants every core loses up to that share of them, so its wall time
#: can stretch by up to 1 / (1 - 0.15) ≈ 1.18×: as large as the differences the lessons
#: ask students to read (1.7× against 2.0×, one start method against another). An idle
#: desktop stays well below it (background programs, typically 1-5 %), and so does the
#: measurement's own error (10 ms CPU-time ticks, processes that move between samples).
BUSY_SHARE = 0.15
#: Fewer samples than this measure nothing (a run shorter than two sampler periods).
MIN_SAMPLES = 2


@dataclass(frozen=True)
class Interference:
    """Average shares of the whole machine (all cores) during one run, 0..1."""

    others: float  # programs outside the experiment and the app
    app: float  # Coreography's own process (drawing, sampling): competes, but is not "other"
    experiment: float
    machine: float  # everything that ran
    samples: int

    @property
    def busy(self) -> bool:
        """Other programs used enough of the machine to make speedup/efficiency unreliable."""
        return self.others > BUSY_SHARE

    def statement(self) -> str:
        """One plain English sentence, with the figure."""
        text = f"Other programs used {self.others:.0%} of the machine during this run"
        if self.busy:
            return text + "; speedup and efficiency are not reliable."
        return text + "."


def measure_interference(run: Run) -> Interference | None:
    """What the run's samples say about other programs; None if they do not say (an older
    recording without the split, or too few samples)."""
    n = min(len(run.cpu_t), len(run.cpu_experiment_total), len(run.cpu_app))
    if n < MIN_SAMPLES:
        return None
    t = run.cpu_t.view()[:n].astype(np.float64)
    machine = run.cpu_percore.view()[:n].astype(np.float64).mean(axis=1) / 100.0
    cores = max(run.cpu_percore.view().shape[1], 1)
    experiment = run.cpu_experiment_total.view()[:n].astype(np.float64) / (100.0 * cores)
    app = run.cpu_app.view()[:n].astype(np.float64) / (100.0 * cores)
    known = np.isfinite(experiment) & np.isfinite(app)
    if np.count_nonzero(known) < MIN_SAMPLES:
        return None
    # Each sample covers the time since the one before; the first, a typical period.
    gaps = np.diff(t)
    weights = np.concatenate([[np.median(gaps) if len(gaps) else 1.0], gaps])[known]
    total = float(weights.sum())
    if total <= 0:
        return None

    def mean(values: np.ndarray) -> float:
        return float(np.dot(values[known], weights) / total)

    shares = mean(machine), mean(experiment), mean(app)
    others = max(shares[0] - shares[1] - shares[2], 0.0)
    return Interference(
        others=others,
        app=shares[2],
        experiment=shares[1],
        machine=shares[0],
        samples=int(np.count_nonzero(known)),
    )


def machine_busy(run: Run) -> tuple[float | None, bool]:
    """Other programs' share of the machine during ``run`` (None if not measured) and
    whether that makes its speedup and efficiency unreliable."""
    found = measure_interference(run)
    return (None, False) if found is None else (found.others, found.busy)


def interference_statement(run: Run) -> str:
    """The sentence for the status bar, metrics panel and summary ('' if not measured)."""
    found = measure_interference(run)
    return "" if found is None else found.statement()
