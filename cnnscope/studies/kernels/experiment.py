"""The kernel experiment: train every way of reaching one receptive field, over several seeds, and say
from the numbers which one is better.

Each variant (``kernel_study.KINDS`` plus any user spec block) sits in the same small classifier
(``training_runs.KernelClassifier``: a 1×1 stem to C channels, the variant, global average pooling,
a linear head), and every (variant, seed) run gets the same budget: the same data set and input size,
epochs, batch size, optimizer (Adam) and learning rate.  A seed fixes three things at once: the
weight initialisation, the train/validation split and the shuffling, and each variant sees the same
seeds, so seed k of every variant starts from the same split and batch order.

Nothing here prints or draws: ``run_experiment`` returns an :class:`Experiment` (plain data), and
``verdict`` / ``converged`` are pure functions of numbers, tested on synthetic values.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

from cnnscope.errors import UsageError

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

    def check(self) -> None:
        """Bad input is one line (``UsageError``)."""
        from cnnscope.studies.kernel_study import check_target

        check_target(self.rf)
        if self.channels < 1:
            raise UsageError(f"--channels {self.channels}: must be at least 1")
        if not self.seeds:
            raise UsageError("--seeds 0: the experiment needs at least one seed (3 or more to judge the spread)")
        if len(set(self.seeds)) != len(self.seeds):
            raise UsageError(f"seeds {list(self.seeds)}: each seed once")
        if self.epochs < 1:
            raise UsageError(f"--epochs {self.epochs}: must be at least 1")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise UsageError(f"--lr {self.lr}: must be a positive number")
        if self.batch_size < 1:
            raise UsageError(f"--batch-size {self.batch_size}: must be at least 1")
        if self.threads is not None and self.threads < 1:
            raise UsageError(f"--threads {self.threads}: must be at least 1")
        if self.input_size < self.rf:
            raise UsageError(f"--input-size {self.input_size} is smaller than the {self.rf}×{self.rf} field: "
                             f"the field would not fit in the input (use --input-size {self.rf} or more)")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["seeds"] = list(self.seeds)
        return data


@dataclass
class SeedRun:
    seed: int
    final_val_acc: float | None
    best_val_acc: float | None
    final_train_loss: float
    final_train_acc: float
    seconds: float
    converged: bool
    status: str
    train_loss: list[float]          # per epoch
    val_loss: list[float | None]
    val_acc: list[float | None]
    erf: dict | None = None          # {"50%": side, "90%": side, "99%": side} on the trained weights

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class VariantResult:
    kind: str
    runs: list[SeedRun] = field(default_factory=list)
    erf_map: list[list[float]] | None = None  # |∂unit/∂input| of the first seed's trained model (for the chart)

    def values(self, name: str) -> list:
        return [getattr(r, name) for r in self.runs]

    def mean_sd(self, name: str) -> tuple[float | None, float | None]:
        return mean_sd([v for v in self.values(name) if v is not None])

    def erf_mean(self) -> dict | None:
        squares = [r.erf for r in self.runs if r.erf]
        if not squares:
            return None
        return {k: statistics.fmean(s[k] for s in squares) for k in squares[0]}

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
    variants: list            # kernel_study.Variant, one per kind (geometry, weights, MACs)
    results: dict[str, VariantResult]
    verdict: dict
    seconds: float
    device: str

    def to_dict(self) -> dict:
        """The ``training`` object of ``cnnscope kernels --train --format json`` (keys documented in the issue)."""
        s = self.settings
        return {"seeds": list(s.seeds), "epochs": s.epochs, "lr": s.lr, "input_size": [s.input_size, s.input_size],
                "dataset": s.dataset, "channels": s.channels, "rf": s.rf, "batch_size": s.batch_size,
                "optimizer": "adam", "device": self.device, "seconds": self.seconds,
                "max_steps": s.max_steps, "threads": s.threads,
                "variants": {kind: result.to_dict() for kind, result in self.results.items()},
                "verdict": self.verdict}


# -- pure functions of numbers ------------------------------------------------------------------------

def mean_sd(values: list[float]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (0 for a single value; None for none)."""
    if not values:
        return None, None
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


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


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _points(value: float) -> str:
    return f"{100 * value:.1f} points"


def verdict(stats: dict[str, dict], baseline: str = "single", rf: int | None = None,
            budget: str = "") -> dict:
    """Which variant is better at equal receptive field, by how much, and whether it is resolved.

    ``stats``: kind -> {"val_acc": [per seed], "train_loss": [per seed], "converged": [per seed],
    "params": int, "macs": int}.  Every variant reaches the same field, so every one is compared with
    ``baseline`` (the single k×k).  A difference is *resolved* when it exceeds the seed spread: the
    means differ by more than the two standard deviations added (the mean ± sd intervals do not
    overlap), with at least 2 seeds on each side.  "Generalises better" is validation accuracy;
    "fits the training data better" is the final training loss.
    """
    def label(kind: str) -> str:
        return f"single {rf}×{rf}" if kind == "single" and rf else _label(kind)

    names = list(stats)
    summary = {}
    for name in names:
        acc_mean, acc_sd = mean_sd([v for v in stats[name]["val_acc"] if v is not None])
        loss_mean, loss_sd = mean_sd([v for v in stats[name]["train_loss"] if v is not None and math.isfinite(v)])
        summary[name] = {"val_acc_mean": acc_mean, "val_acc_sd": acc_sd, "train_loss_mean": loss_mean,
                         "train_loss_sd": loss_sd,
                         "n": len(stats[name]["val_acc"]),
                         "not_converged": sum(not c for c in stats[name]["converged"])}
    scored = [n for n in names if summary[n]["val_acc_mean"] is not None]
    if not scored:
        return {"text": "No variant has a validation accuracy; nothing to judge.", "resolved": False,
                "best": None, "baseline": baseline, "comparisons": [], "not_converged": []}
    best = max(scored, key=lambda n: summary[n]["val_acc_mean"])
    base = baseline if baseline in scored else min(scored, key=lambda n: summary[n]["val_acc_mean"])
    fitted = [n for n in names if summary[n]["train_loss_mean"] is not None]
    fits_best = min(fitted, key=lambda n: summary[n]["train_loss_mean"]) if fitted else None

    comparisons = []
    for name in scored:
        if name == base:
            continue
        a, b = summary[name], summary[base]
        difference = a["val_acc_mean"] - b["val_acc_mean"]
        spread = a["val_acc_sd"] + b["val_acc_sd"]
        enough = min(a["n"], b["n"]) >= 2
        comparisons.append({
            "variant": name, "against": base, "difference": difference, "spread": spread,
            "resolved": bool(enough and abs(difference) > spread),
            "params_ratio": stats[name]["params"] / stats[base]["params"] if stats[base].get("params") else None,
            "macs_ratio": stats[name]["macs"] / stats[base]["macs"] if stats[base].get("macs") else None,
            "train_loss_difference": (None if a["train_loss_mean"] is None or b["train_loss_mean"] is None
                                      else a["train_loss_mean"] - b["train_loss_mean"])})

    field_text = f"At a {rf}×{rf} field" if rf else "At the same field"
    head = f"{field_text}{f' ({budget})' if budget else ''}"
    sentences = []
    if best == base:
        top = max(comparisons, key=lambda c: c["difference"], default=None)
        resolved = bool(top and all(c["resolved"] for c in comparisons))
        lead = f"the {label(base)} is the best: {_pct(summary[base]['val_acc_mean'])} ± " \
               f"{_points(summary[base]['val_acc_sd'])}"
        if top is None:
            sentences.append(f"{head}, {lead}; there is nothing to compare it with.")
        elif resolved:
            sentences.append(f"{head}, {lead} of validation accuracy, ahead of every other variant by more than "
                             f"the seed spread (the closest, {top['variant']}, by {_points(-top['difference'])}).")
        else:
            sentences.append(f"{head}: not resolved at this budget. The {label(base)} has the best mean "
                             f"({_pct(summary[base]['val_acc_mean'])}), but {top['variant']} is only "
                             f"{_points(-top['difference'])} behind, within the seed spread of "
                             f"{_points(top['spread'])}.")
        main = top
    else:
        main = next(c for c in comparisons if c["variant"] == best)
        resolved = main["resolved"]
        numbers = (f"{_pct(summary[best]['val_acc_mean'])} ± {_points(summary[best]['val_acc_sd'])} of validation "
                   f"accuracy against {_pct(summary[base]['val_acc_mean'])} ± "
                   f"{_points(summary[base]['val_acc_sd'])} for the {label(base)}")
        if resolved:
            sentences.append(f"{head}, {best} generalises better than the {label(base)}: {numbers}, "
                             f"+{_points(main['difference'])}, more than the seed spread of "
                             f"{_points(main['spread'])}.")
        else:
            why = "only one seed, so no spread to compare against" if min(summary[best]["n"], summary[base]["n"]) < 2 \
                else f"+{_points(main['difference'])} is within the seed spread of {_points(main['spread'])}"
            sentences.append(f"{head}: not resolved at this budget. {best} has the best mean, {numbers}, but {why}.")
    if main is not None and main.get("params_ratio") is not None:
        sentences.append(f"Price: {main['variant']} has {main['params_ratio']:.2f}× the weights and "
                         f"{main['macs_ratio']:.2f}× the MACs of the {label(main['against'])}.")
    question = next((c for c in comparisons if c["variant"] == "stack3x3"), None)
    if question is not None and question is not main and base == baseline:
        state = (f"more than the seed spread of {_points(question['spread'])}" if question["resolved"] else
                 f"within the seed spread of {_points(question['spread'])}: not resolved at this budget")
        sentences.append(f"The question itself, the 3×3 stack against the single {rf or 'k'}×{rf or 'k'}: "
                         f"{'+' if question['difference'] >= 0 else '−'}{_points(abs(question['difference']))}, "
                         f"{state}.")
    others = [c for c in comparisons if c is not main and c is not question]
    if others:
        parts = []
        for c in others:
            state = "resolved" if c["resolved"] else "within the spread"
            parts.append(f"{c['variant']} {'+' if c['difference'] >= 0 else '−'}{_points(abs(c['difference']))} "
                         f"({state}; {c['params_ratio']:.2f}× the weights)" if c["params_ratio"] is not None else
                         f"{c['variant']} {100 * c['difference']:+.1f} points ({state})")
        sentences.append(f"Against the {label(base)}, the others: " + "; ".join(parts) + ".")
    if fits_best is not None and summary[base]["train_loss_mean"] is not None and best != base:
        a, b = summary[best], summary[base]
        gap = b["train_loss_mean"] - a["train_loss_mean"]
        loss_text = f"final training loss {a['train_loss_mean']:.3f} against {b['train_loss_mean']:.3f}"
        if gap > a["train_loss_sd"] + b["train_loss_sd"]:
            sentences.append(f"Fitting against generalising: {best} also fits the training data better "
                             f"({loss_text} for the {label(base)}), so the {label(base)}'s lower accuracy goes with "
                             "underfitting at this budget, not with a generalisation gap.")
        else:
            sentences.append(f"Fitting against generalising: {best} does not fit the training data better by more "
                             f"than the seed spread ({loss_text} for the {label(base)}), but it generalises better.")
    if fits_best is not None and fits_best != best:
        a, b = summary[fits_best], summary[best]
        if b["train_loss_mean"] - a["train_loss_mean"] > a["train_loss_sd"] + b["train_loss_sd"]:
            sentences.append(f"{fits_best} fits the training data best (final training loss "
                             f"{a['train_loss_mean']:.3f} against {b['train_loss_mean']:.3f}), but {best} generalises "
                             "best.")
    stuck = [n for n in names if summary[n]["not_converged"]]
    if stuck:
        sentences.append("Not converged (training loss still falling at the end) in "
                         + ", ".join(f"{n} ({summary[n]['not_converged']} of {summary[n]['n']} seeds)" for n in stuck)
                         + ": more epochs may change these numbers.")
    return {"text": " ".join(sentences), "resolved": resolved, "best": best, "baseline": base,
            "fits_best": fits_best, "generalises_best": best, "comparisons": comparisons,
            "not_converged": stuck, "question": question,
            "rule": "resolved when |mean difference| > sd(a) + sd(b), with ≥ 2 seeds each"}


def _label(kind: str) -> str:
    return "single k×k" if kind == "single" else kind


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
    from cnnscope.studies.kernel_study import study

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
    stats = {v.kind: {"val_acc": results[v.kind].values("final_val_acc"),
                      "train_loss": results[v.kind].values("final_train_loss"),
                      "converged": results[v.kind].values("converged"), "params": v.params, "macs": v.macs}
             for v in variants}
    budget = (f"{settings.dataset} at {settings.input_size}×{settings.input_size}, C={settings.channels}, "
              f"{settings.epochs} epochs, lr {settings.lr:g}, {len(settings.seeds)} seed"
              f"{'s' if len(settings.seeds) > 1 else ''}")
    judged = verdict(stats, "single", settings.rf, budget)
    return Experiment(settings, variants, results, judged, time.perf_counter() - started, device_text)


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
    from cnnscope.studies.training_runs import kernel_classifier
    from cnnscope.train import quick_train

    images, data = _data(seed, settings, cache)
    model = kernel_classifier(kind, settings.rf, settings.channels, settings.dataset, settings.data_root, seed=seed,
                              size=settings.input_size, spec=user_variants.get(kind), images=images)

    def epoch_done(record, history) -> None:
        if on_progress is not None:
            on_progress(Progress(kind, seed, count, total, record.epoch, settings.epochs, record))

    steps = {"n": 0}

    def on_step(event) -> None:
        steps["n"] = event.step

    stop = (lambda: steps["n"] >= settings.max_steps) if settings.max_steps else None
    started = time.perf_counter()
    history = quick_train(model, data, epochs=settings.epochs, batch_size=settings.batch_size, lr=settings.lr,
                          optimizer="adam", device=settings.device, seed=seed, on_epoch=epoch_done,
                          on_step=on_step if stop else None, stop=stop,
                          config={"model": f"kernel:{kind}", "dataset": settings.dataset})
    seconds = time.perf_counter() - started
    epochs = history.epochs
    train_loss = [e.train_loss for e in epochs]
    run = SeedRun(seed=seed, final_val_acc=epochs[-1].val_acc, best_val_acc=history.best_val_acc,
                  final_train_loss=epochs[-1].train_loss, final_train_acc=epochs[-1].train_acc, seconds=seconds,
                  converged=converged(train_loss), status=history.status, train_loss=train_loss,
                  val_loss=[e.val_loss for e in epochs], val_acc=[e.val_acc for e in epochs])
    erf_map = None
    if erf:
        run.erf, erf_map = effective_field(model, data, settings)
    return run, erf_map, history.device


def effective_field(model, data, settings: Settings, samples: int = 128) -> tuple[dict, list[list[float]]]:
    """50/90/99 % squares of the centre unit of the variant's output (row ``2`` of the classifier), from
    |∂unit/∂input| averaged over validation images, on the trained weights (``probes/empirical_rf``)."""
    from cnnscope.probes.empirical_rf import input_gradient, mass_squares

    x = (data.x_val if data.has_val else data.x)[:samples].detach().float().cpu()
    gradient, unit, _ = input_gradient(model.cpu(), x, "2")
    squares = mass_squares(gradient, tuple(float(u) for u in unit))  # 'same' padding: the field is centred on the unit
    return squares, [[float(v) for v in row] for row in gradient]
