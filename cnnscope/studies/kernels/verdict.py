"""The kernel experiment's verdict as data: statistics over seeds, which variants learned, which
differences are resolved.  Its prose is written from this data in ``export/kernels.py``.

Pure functions of numbers (tested on synthetic values); no torch.

* **Over seeds**: the mean and the sample standard deviation (``mean_sd``), the one place they
  are computed, for the table, the text curves, the pictures' bands and the verdict.
* **Learned**: a variant's mean validation accuracy beats the majority-class rate of the
  validation split by more than ``train.chance.chance_margin`` (5 points, or 3 binomial standard
  errors when that is more).  Two variants are compared only when both learned; when one did not,
  there is no winner and nothing is resolved.
* **Resolved**: the means differ by more than the two standard deviations added (the mean ± sd
  intervals do not overlap), with at least 2 seeds on each side.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass

from cnnscope.train.chance import chance_margin, learned

RULE = "resolved when |mean difference| > sd(a) + sd(b), with ≥ 2 seeds each"
CHANCE_RULE = ("learned when mean val acc > majority-class rate + max(5 points, 3·sqrt(rate·(1 − rate)/n_val)); "
               "variants are compared only when both learned")


# -- over seeds -----------------------------------------------------------------------------------------

def mean_sd(values) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation of the values that are not None (sd 0 for a single value;
    (None, None) for none)."""
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def curve_mean_sd(curves: list[list]) -> list[tuple[int, float, float]]:
    """Per-seed curves (one value per epoch, None where there is none) -> (epoch, mean, sd) for each
    epoch that every curve reached and at least one has a value for."""
    length = min((len(c) for c in curves), default=0)
    points = []
    for k in range(length):
        mean, sd = mean_sd(c[k] for c in curves)
        if mean is not None:
            points.append((k + 1, mean, sd))
    return points


# -- the verdict's data ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class VariantStats:
    kind: str
    seeds: int                        # runs (seeds) of this variant
    val_acc_mean: float | None
    val_acc_sd: float | None
    train_loss_mean: float | None     # over the seeds whose final loss is finite
    train_loss_sd: float | None
    not_converged: int                # seeds whose training loss was still falling at the end
    majority_rate: float | None       # accuracy of always guessing the validation split's majority class
    n_val: int                        # validation images each seed was scored on
    chance_margin: float | None       # how far above majority_rate the mean must be to count as learned
    learned: bool


@dataclass(frozen=True)
class Comparison:
    """``variant`` against ``against`` (the baseline); differences are ``variant`` minus ``against``."""

    variant: str
    against: str
    difference: float                 # of mean validation accuracy
    spread: float                     # sd + sd
    resolved: bool
    params_ratio: float | None
    macs_ratio: float | None
    train_loss_difference: float | None


@dataclass(frozen=True)
class Verdict:
    rf: int | None
    budget: str                       # the budget in words, for the prose
    preferred_baseline: str           # what every variant is compared with when it has a score
    baseline: str | None              # what it was compared with (the worst scored one otherwise)
    best: str | None                  # best mean validation accuracy; None when no winner is called
    fits_best: str | None             # lowest mean final training loss
    resolved: bool
    headline: str | None              # the variant of the comparison the verdict leads with
    variants: tuple[VariantStats, ...]
    comparisons: tuple[Comparison, ...]
    not_converged: tuple[str, ...]
    not_learned: tuple[str, ...]      # scored variants not clearly above chance

    def stats(self, kind: str) -> VariantStats:
        return next(v for v in self.variants if v.kind == kind)

    def comparison(self, kind: str | None) -> Comparison | None:
        return next((c for c in self.comparisons if c.variant == kind), None)

    @property
    def scored(self) -> list[str]:
        return [v.kind for v in self.variants if v.val_acc_mean is not None]

    @property
    def question(self) -> Comparison | None:
        """The issue's question: the 3×3 stack against the baseline."""
        return self.comparison("stack3x3")

    def to_dict(self) -> dict:
        """JSON-safe; the keys of ``training.verdict`` (``export.kernels`` adds ``text``)."""
        question = self.question
        return {"resolved": self.resolved, "best": self.best, "baseline": self.baseline,
                "fits_best": self.fits_best,
                "generalises_best": self.best,  # kept for JSON readers: the best validation accuracy, = best
                "comparisons": [asdict(c) for c in self.comparisons], "not_converged": list(self.not_converged),
                "question": None if question is None else asdict(question), "rule": RULE,
                "headline": self.headline, "not_learned": list(self.not_learned), "chance_rule": CHANCE_RULE,
                "variants": {v.kind: asdict(v) for v in self.variants}}


def judge(stats: dict[str, dict], baseline: str = "single", rf: int | None = None, budget: str = "") -> Verdict:
    """Which variant is better at equal receptive field, by how much, and whether it is resolved.

    ``stats``: kind -> {"val_acc": [per seed], "train_loss": [per seed], "converged": [per seed],
    "params": int, "macs": int, "majority_rate": float or None, "n_val": int}.  Every variant reaches
    the same field, so every one is compared with ``baseline`` (the single k×k).  "More accurate
    on the validation images" is validation accuracy; "fits the training data better" is the final training
    loss.  A higher validation accuracy that goes with a lower training loss is better fitting (the other
    underfits), not better generalisation; the prose in ``export/kernels.py`` says which.
    """
    variants = tuple(_variant_stats(kind, s) for kind, s in stats.items())
    by_kind = {v.kind: v for v in variants}
    scored = [v.kind for v in variants if v.val_acc_mean is not None]
    stuck = tuple(v.kind for v in variants if v.not_converged)
    not_learned = tuple(kind for kind in scored if not by_kind[kind].learned)
    fitted = [v for v in variants if v.train_loss_mean is not None]
    fits_best = min(fitted, key=lambda v: v.train_loss_mean).kind if fitted else None
    if not scored:
        return Verdict(rf, budget, baseline, baseline, None, fits_best, False, None, variants, (), stuck, ())
    base = baseline if baseline in scored else min(scored, key=lambda n: by_kind[n].val_acc_mean)
    comparable = [kind for kind in scored if kind != base and by_kind[kind].learned and by_kind[base].learned]
    comparisons = tuple(_compare(by_kind[kind], by_kind[base], stats[kind], stats[base]) for kind in comparable)
    if not_learned:  # no winner: a variant at chance loses to anything without telling us about kernels
        return Verdict(rf, budget, baseline, base, None, fits_best, False, None, variants, comparisons, stuck,
                       not_learned)
    best = max(scored, key=lambda n: by_kind[n].val_acc_mean)
    if best == base:
        headline = max(comparisons, key=lambda c: c.difference, default=None)
        resolved = bool(headline and all(c.resolved for c in comparisons))
    else:
        headline = next(c for c in comparisons if c.variant == best)
        resolved = headline.resolved
    return Verdict(rf, budget, baseline, base, best, fits_best, resolved, headline and headline.variant, variants,
                   comparisons, stuck, ())


def _variant_stats(kind: str, s: dict) -> VariantStats:
    acc_mean, acc_sd = mean_sd(s["val_acc"])
    loss_mean, loss_sd = mean_sd(v for v in s["train_loss"] if v is not None and math.isfinite(v))
    rate, n_val = s.get("majority_rate"), s.get("n_val", 0)
    margin = None if rate is None else chance_margin(rate, n_val)
    return VariantStats(kind, len(s["val_acc"]), acc_mean, acc_sd, loss_mean, loss_sd,
                        sum(not c for c in s["converged"]), rate, n_val,
                        None if margin is None or math.isinf(margin) else margin,
                        rate is not None and learned(acc_mean, rate, n_val))


def _compare(a: VariantStats, b: VariantStats, sa: dict, sb: dict) -> Comparison:
    difference = a.val_acc_mean - b.val_acc_mean
    spread = a.val_acc_sd + b.val_acc_sd
    enough = min(a.seeds, b.seeds) >= 2
    return Comparison(
        a.kind, b.kind, difference, spread, bool(enough and abs(difference) > spread),
        sa["params"] / sb["params"] if sb.get("params") else None,
        sa["macs"] / sb["macs"] if sb.get("macs") else None,
        None if a.train_loss_mean is None or b.train_loss_mean is None else a.train_loss_mean - b.train_loss_mean)
