"""The kernel experiment: train every way of reaching one receptive field, over several seeds, and say
from the numbers which one is better.

Each variant (``variants.KINDS`` plus any user spec block) sits in the same small classifier
(``variants.KernelClassifier``: a 1×1 stem to C channels, the variant, global average pooling,
a linear head), and every (variant, seed) run gets the same budget: the same data set and input size,
epochs, batch size, optimizer (Adam) and learning rate.  A seed fixes three things at once: the
weight initialisation, the train/validation split and the shuffling, and each variant sees the same
seeds, so seed k of every variant starts from the same split and batch order.

Nothing here prints or draws: ``run_experiment`` returns an :class:`Experiment` (plain data), with
its verdict as data (``verdict.judge``); ``converged`` is a pure function of numbers, tested on
synthetic values.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Callable

from cnnscope.errors import UsageError
from cnnscope.studies.kernels.verdict import Verdict, judge, mean_sd
from cnnscope.i18n import _

if TYPE_CHECKING:
    from cnnscope.train.history import TrainHistory

# Defaults chosen by measurement on the 2-core development CPU (docs/kernels.md): the digits at their
# native 8×8, C=32, Adam at 3e-3, 30 epochs of batch 32, 3 seeds.  Every variant learns under them.
DEFAULT_CHANNELS = 32
DEFAULT_INPUT_SIZE = 8
DEFAULT_EPOCHS = 30
DEFAULT_LR = 3e-3
DEFAULT_SEEDS = 3
DEFAULT_BATCH = 32

# "Still falling": over the last window of epochs (a fifth of the run, at least 2) the mean training loss fell
# by more than FALLING_RELATIVE of the window before's and by more than FALLING_ABSOLUTE of the first epoch's
# loss.  Calibrated on real curves (docs/kernels.md): the single 7×7 at 30 epochs falls 15–20 % a window
# (0.43 → 0.37), a fitted factorised variant 40 % but only 0.02 in absolute terms (0.042 → 0.024).
FALLING_RELATIVE = 0.1
FALLING_ABSOLUTE = 0.02
FITTED_LOSS = 0.01  # below this the training data is fitted; a further relative fall does not matter


@dataclass(frozen=True)
class Settings:
    rf: int = 7
    channels: int = DEFAULT_CHANNELS
    input_size: int = DEFAULT_INPUT_SIZE
    epochs: int = DEFAULT_EPOCHS
    lr: float = DEFAULT_LR
    seeds: tuple[int, ...] = tuple(range(DEFAULT_SEEDS))
    batch_size: int = DEFAULT_BATCH
    dataset: str = "digits"
    data_root: str | None = None
    device: str = "cpu"
    max_steps: int | None = None  # a cap per run, for quick checks only
    # CPU threads while training (None: PyTorch's own).  One by default: these nets are tiny (8×8, C=32), and
    # on the shared 2-core machine one thread ran 8 epochs in 2.4–2.8 s against 7.8–9.1 s for two (load 3.3–3.5).
    threads: int | None = 1

    @property
    def length(self) -> str:
        """How long each run trains: ``30 epochs``, or ``30 epochs, at most 5 steps`` under a cap."""
        steps = f", at most {self.max_steps} step{'s' * (self.max_steps > 1)}" if self.max_steps else ""
        return f"{self.epochs} epoch{'s' * (self.epochs != 1)}{steps}"

    def check(self) -> None:
        """Bad input is one line (``UsageError``)."""
        from cnnscope.studies.kernels.variants import check_target

        check_target(self.rf)
        if self.channels < 1:
            raise UsageError(_("--channels {channels}: must be at least 1").format(channels=self.channels))
        if not self.seeds:
            raise UsageError(_("--seeds 0: the experiment needs at least one seed (3 or more to judge the spread)"))
        if len(set(self.seeds)) != len(self.seeds):
            raise UsageError(_("seeds {seeds}: each seed once").format(seeds=list(self.seeds)))
        if self.epochs < 1:
            raise UsageError(_("--epochs {epochs}: must be at least 1").format(epochs=self.epochs))
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise UsageError(_("--lr {lr}: must be a positive number").format(lr=self.lr))
        if self.batch_size < 1:
            raise UsageError(_("--batch-size {batch_size}: must be at least 1").format(batch_size=self.batch_size))
        if self.threads is not None and self.threads < 1:
            raise UsageError(_("--threads {threads}: must be at least 1").format(threads=self.threads))
        if self.input_size < self.rf:
            raise UsageError(_("--input-size {input_size} is smaller than the {rf}×{rf} field: the field would not "
                               "fit in the input (use --input-size {rf} or more)").format(
                                 input_size=self.input_size, rf=self.rf))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["seeds"] = list(self.seeds)
        return data


@dataclass
class SeedRun:
    """One (variant, seed) run: its training history, and what the experiment measured around it."""

    seed: int
    history: TrainHistory
    seconds: float                   # the run's wall time (training and validation)
    majority_rate: float | None = None  # accuracy of always guessing the majority class of this seed's split
    n_val: int = 0                   # validation images of this seed's split
    erf: dict | None = None          # {"50%": side, "90%": side, "99%": side} on the trained weights

    @property
    def final_val_acc(self) -> float | None:
        return self.history.final_val_acc

    @property
    def best_val_acc(self) -> float | None:
        return self.history.best_val_acc

    @property
    def final_train_loss(self) -> float:
        return self.history.last.train_loss if self.history.last else math.nan

    @property
    def final_train_acc(self) -> float | None:
        return self.history.last.train_acc if self.history.last else None

    @property
    def status(self) -> str:
        return self.history.status

    @property
    def converged(self) -> bool:
        return converged(self.train_loss)

    @property
    def train_loss(self) -> list[float]:          # per epoch
        return [e.train_loss for e in self.history.epochs]

    @property
    def val_loss(self) -> list[float | None]:
        return [e.val_loss for e in self.history.epochs]

    @property
    def val_acc(self) -> list[float | None]:
        return [e.val_acc for e in self.history.epochs]


@dataclass
class VariantResult:
    kind: str
    runs: list[SeedRun] = field(default_factory=list)
    erf_map: list[list[float]] | None = None  # |∂unit/∂input| of the first seed's trained model (for the chart)

    def values(self, name: str) -> list:
        return [getattr(r, name) for r in self.runs]

    def mean_sd(self, name: str) -> tuple[float | None, float | None]:
        return mean_sd(self.values(name))

    def erf_mean(self) -> dict | None:
        squares = [r.erf for r in self.runs if r.erf]
        if not squares:
            return None
        return {k: mean_sd(s[k] for s in squares)[0] for k in squares[0]}

    def stats(self, params: int, macs: int) -> dict:
        """What ``verdict.judge`` reads of this variant: per-seed finals, the chance level, the price."""
        rates = [r.majority_rate for r in self.runs if r.majority_rate is not None]
        return {"val_acc": self.values("final_val_acc"), "train_loss": self.values("final_train_loss"),
                "converged": self.values("converged"), "params": params, "macs": macs,
                # every variant sees the same seeds, hence the same splits: the same rate for each
                "majority_rate": mean_sd(rates)[0], "n_val": min((r.n_val for r in self.runs), default=0)}

    def to_dict(self) -> dict:
        acc_mean, acc_sd = self.mean_sd("final_val_acc")
        best_mean, best_sd = self.mean_sd("best_val_acc")
        loss_mean, loss_sd = self.mean_sd("final_train_loss")
        seconds_mean, seconds_sd = self.mean_sd("seconds")
        return {
            "seeds": self.values("seed"),
            "val_acc": self.values("final_val_acc"), "val_acc_mean": acc_mean, "val_acc_sd": acc_sd,
            "best_val_acc": self.values("best_val_acc"), "best_val_acc_mean": best_mean,
            "best_val_acc_sd": best_sd,
            "train_loss": self.values("final_train_loss"), "train_loss_mean": loss_mean, "train_loss_sd": loss_sd,
            "train_acc": self.values("final_train_acc"),
            "converged": self.values("converged"), "status": self.values("status"),
            "seconds": self.values("seconds"), "seconds_mean": seconds_mean, "seconds_sd": seconds_sd,
            "erf_squares": self.values("erf"), "erf_squares_mean": self.erf_mean(),
            "curves": {"train_loss": self.values("train_loss"), "val_loss": self.values("val_loss"),
                       "val_acc": self.values("val_acc")},
        }


@dataclass
class Experiment:
    settings: Settings
    variants: list            # variants.Variant, one per kind (geometry, weights, MACs)
    results: dict[str, VariantResult]
    verdict: Verdict
    seconds: float
    device: str

    def to_dict(self) -> dict:
        """The ``training`` object of ``cnnscope kernels --train --format json`` (keys documented in docs/cli.md);
        ``export.kernels.experiment_data`` adds the verdict's prose."""
        s = self.settings
        return {"seeds": list(s.seeds), "epochs": s.epochs, "lr": s.lr, "input_size": [s.input_size, s.input_size],
                "dataset": s.dataset, "channels": s.channels, "rf": s.rf, "batch_size": s.batch_size,
                "optimizer": "adam", "device": self.device, "seconds": self.seconds,
                "max_steps": s.max_steps, "threads": s.threads,
                "variants": {kind: dict(result.to_dict(), **_chance(self.verdict.stats(kind)))
                             for kind, result in self.results.items()},
                "verdict": self.verdict.to_dict()}


def _chance(stats) -> dict:
    return {"learned": stats.learned, "majority_rate": stats.majority_rate, "chance_margin": stats.chance_margin,
            "n_val": stats.n_val}


# -- pure functions of numbers ------------------------------------------------------------------------

def converged(train_loss: list[float], relative: float = FALLING_RELATIVE, absolute: float = FALLING_ABSOLUTE) -> bool:
    """False when the training loss is still falling at the end: the mean of the last window (a fifth of
    the epochs, at least 2) is below the window before's by more than ``relative`` of it *and* by more
    than ``absolute`` × the first epoch's loss.  A loss under ``FITTED_LOSS`` counts as converged; a run
    too short for two windows, or with a non-finite loss, as not converged."""
    losses = [v for v in train_loss if v is not None and math.isfinite(v)]
    if len(losses) != len(train_loss) or not losses:
        return False
    if losses[-1] < FITTED_LOSS:
        return True
    window = max(2, len(losses) // 5)
    if len(losses) < 2 * window:
        return False
    last = statistics.fmean(losses[-window:])
    before = statistics.fmean(losses[-2 * window:-window])
    fall = before - last
    return not (fall > relative * before and fall > absolute * losses[0])


# -- running it -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Progress:
    """What ``on_progress`` receives: after every epoch of every run."""

    kind: str
    seed: int
    run: int          # 1-based, over all (variant, seed) runs
    runs: int
    epoch: int
    epochs: int
    record: object    # train.history.EpochRecord


def run_experiment(settings: Settings, user_variants: dict[str, str] | None = None,
                   on_progress: Callable[[Progress], None] | None = None,
                   on_run: Callable[[str, int, SeedRun], None] | None = None, erf: bool = True) -> Experiment:
    """Train every variant on every seed with the same budget; return the numbers and the verdict.

    ``user_variants``: name -> a spec block (one-line spec or spec file) mapping C channels to C at
    the same size, whose field must equal ``settings.rf``."""
    import torch

    settings.check()
    threads = torch.get_num_threads()
    if settings.threads is not None:
        torch.set_num_threads(settings.threads)
    try:
        return _run(settings, user_variants, on_progress, on_run, erf)
    finally:
        torch.set_num_threads(threads)


def _run(settings: Settings, user_variants, on_progress, on_run, erf) -> Experiment:
    from cnnscope.studies.kernels.variants import study

    started = time.perf_counter()
    variants = study(settings.rf, settings.channels, settings.input_size, extra=user_variants)
    results = {v.kind: VariantResult(v.kind) for v in variants}
    data_cache: dict[int, object] = {}
    total = len(variants) * len(settings.seeds)
    count = 0
    device_text = settings.device
    for seed in settings.seeds:          # seed-major: a partial run has every variant at the first seeds
        for v in variants:
            count += 1
            run, erf_map, device_text = _train_one(v.kind, seed, settings, user_variants or {}, data_cache,
                                                   on_progress, count, total, erf)
            results[v.kind].runs.append(run)
            if erf_map is not None and results[v.kind].erf_map is None:
                results[v.kind].erf_map = erf_map
            if on_run is not None:
                on_run(v.kind, seed, run)
    stats = {v.kind: results[v.kind].stats(v.params, v.macs) for v in variants}
    budget = (f"{settings.dataset} at {settings.input_size}×{settings.input_size}, C={settings.channels}, "
              f"{settings.length}, lr {settings.lr:g}, {len(settings.seeds)} seed"
              f"{'s' if len(settings.seeds) > 1 else ''}")
    judged = judge(stats, "single", settings.rf, budget)
    return Experiment(settings, variants, results, judged, time.perf_counter() - started, device_text)


@dataclass(frozen=True)
class Estimate:
    """How long ``run_experiment(settings)`` should take, from a short measured run of each variant."""

    seconds: float                   # the whole experiment at the measured pace
    steps: int                       # optimiser steps of the whole experiment
    step_seconds: dict[str, float]   # measured seconds per training step, per variant
    probe_seconds: float             # what measuring took


def estimate(settings: Settings, user_variants: dict[str, str] | None = None, probe_steps: int = 6) -> Estimate:
    """Train each variant for ``probe_steps`` steps (the first seed, the experiment's threads) and time its parts:
    the median time between steps after the first, the start (model, first step), the validation pass after the
    last step, and the effective field; then add them up for every (variant, seed) run of ``settings``.
    Measured with the machine's current load, so an estimate."""
    import torch

    from cnnscope.studies.kernels.variants import kernel_classifier, study
    from cnnscope.train import quick_train

    settings.check()
    started = time.perf_counter()
    threads = torch.get_num_threads()
    if settings.threads is not None:
        torch.set_num_threads(settings.threads)
    seed, cache, step_seconds, steps, seconds = settings.seeds[0], {}, {}, 0, 0.0
    try:
        for v in study(settings.rf, settings.channels, settings.input_size, extra=user_variants):
            images, data = _data(seed, settings, cache)
            begin = time.perf_counter()
            model = kernel_classifier(v.kind, settings.rf, settings.channels, settings.dataset, settings.data_root,
                                      seed=seed, size=settings.input_size, spec=(user_variants or {}).get(v.kind),
                                      images=images)
            times, per_epoch = [], []

            def on_step(event, times=times, per_epoch=per_epoch) -> None:
                times.append(time.perf_counter())
                per_epoch.append(event.steps_per_epoch)

            quick_train(model, data, epochs=1, batch_size=settings.batch_size, lr=settings.lr, optimizer="adam",
                        device=settings.device, seed=seed, on_step=on_step, stop=lambda: len(times) >= probe_steps)
            validated = time.perf_counter()
            effective_field(model, data, settings)
            erf = time.perf_counter() - validated
            if not times:  # no step ran (an empty split): count the whole probe as one step
                times, per_epoch = [validated], [1]
            step = statistics.median([b - a for a, b in zip(times, times[1:])] or [times[0] - begin])
            run_steps = settings.epochs * per_epoch[0]
            if settings.max_steps:
                run_steps = min(run_steps, settings.max_steps)
            epochs_run = math.ceil(run_steps / per_epoch[0])
            run = (times[0] - begin) + step * (run_steps - 1) + (validated - times[-1]) * epochs_run + erf
            step_seconds[v.kind] = step
            steps += run_steps * len(settings.seeds)
            seconds += run * len(settings.seeds)
    finally:
        torch.set_num_threads(threads)
    return Estimate(seconds, steps, step_seconds, time.perf_counter() - started)


def _data(seed: int, settings: Settings, cache: dict):
    from cnnscope.train.adapt import prepare_data
    from cnnscope.train.datasets import load_dataset

    if "images" not in cache:
        cache["images"] = load_dataset(settings.dataset, settings.data_root)
    images = cache["images"]
    if seed not in cache:
        shape = (images.shape[0], settings.input_size, settings.input_size)
        cache[seed] = prepare_data(images, shape, seed=seed)  # the seed picks the split
    return images, cache[seed]


def _train_one(kind, seed, settings: Settings, user_variants, cache, on_progress, count, total, erf):
    from cnnscope.studies.kernels.variants import kernel_classifier
    from cnnscope.train import quick_train
    from cnnscope.train.loop import step_budget
    from cnnscope.train.chance import majority_rate

    images, data = _data(seed, settings, cache)
    model = kernel_classifier(kind, settings.rf, settings.channels, settings.dataset, settings.data_root, seed=seed,
                              size=settings.input_size, spec=user_variants.get(kind), images=images)

    def epoch_done(record, history) -> None:
        if on_progress is not None:
            on_progress(Progress(kind, seed, count, total, record.epoch, settings.epochs, record))

    on_step, stop = step_budget(settings.max_steps)
    started = time.perf_counter()
    history = quick_train(model, data, epochs=settings.epochs, batch_size=settings.batch_size, lr=settings.lr,
                          optimizer="adam", device=settings.device, seed=seed, on_epoch=epoch_done,
                          on_step=on_step, stop=stop,
                          config={"model": f"kernel:{kind}", "dataset": settings.dataset})
    seconds = time.perf_counter() - started
    labels = data.y_val if data.has_val else None
    run = SeedRun(seed, history, seconds, None if labels is None else majority_rate(labels),
                  0 if labels is None else len(labels))
    erf_map = None
    if erf:
        run.erf, erf_map = effective_field(model, data, settings)
    return run, erf_map, history.device


def effective_field(model, data, settings: Settings, samples: int = 128) -> tuple[dict, list[list[float]]]:
    """50/90/99 % squares of the centre unit of the variant's output (row ``2`` of the classifier), from
    |∂unit/∂input| averaged over validation images, on the trained weights (``probes/empirical_rf``)."""
    from cnnscope.probes.empirical_rf import input_gradient, mass_squares

    x = (data.x_val if data.has_val else data.x)[:samples].detach().float().cpu()
    gradient, unit, _unused = input_gradient(model.cpu(), x, "2")
    squares = mass_squares(gradient, tuple(float(u) for u in unit))  # 'same' padding: the field is centred on the unit
    return squares, [[float(v) for v in row] for row in gradient]
