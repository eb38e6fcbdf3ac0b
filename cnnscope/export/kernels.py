"""The kernel study in words: the variants' table, findings and report; the experiment's verdict in
prose, its tables, terminal summary (with text charts) and report.

Renderers only: every number comes from ``studies.kernels`` (the variants, ``Experiment``, ``Verdict``).
"""

from __future__ import annotations

from cnnscope import units
from cnnscope.export.document import Document, Table, provenance
from cnnscope.i18n import N_, _, ngettext
from cnnscope.studies.kernels.variants import covered, dilations, omitted
from cnnscope.studies.kernels.verdict import curve_mean_sd

# -- the variants, without training ---------------------------------------------------------------------

# headers as data (the app matches them by name): shown, they go through _()
KERNEL_COLUMNS = [N_("variant"), N_("layers"), N_("weights"), "MACs", "RF", N_("nonlinearities"), N_("activation MB"),
                  N_("latency ms")]


def kernel_table(variants) -> tuple[list[str], list[list[str]]]:
    """(columns, rows) of the kernel-study table, one row per variant, empty columns left out."""
    rows = []
    for v in variants:
        rows.append([v.kind, " → ".join(v.layers), units.count(v.params), units.si(v.macs), units.per_axis(v.rf, "—"),
                     str(v.nonlinearities), f"{v.activation_bytes / 2**20:.2f}",
                     "—" if v.latency_ms is None else f"{v.latency_ms:.2f}"])
    return _drop_empty(KERNEL_COLUMNS, rows)


def kernel_report(variants, lines: list[str], rf: int, channels: int, size: int, device: str,
                  figures: list | None = None) -> Document:
    """The report of ``cnnscope kernels`` without ``--train``; ``lines``: its ``findings``."""
    columns, rows = kernel_table(variants)
    data = {"target_rf": rf, "channels": channels, "size": size,
            "variants": [v.to_dict() for v in variants], "findings": lines}
    return Document(
        title=f"Reaching a {rf}×{rf} receptive field with {channels} channels at {size}×{size}",
        provenance=provenance(device, f"1×{channels}×{size}×{size}"),
        tables=[Table("Variants", columns, rows)], findings=lines, figures=figures or [], data=data,
        # val_acc: a column the CSV has always had, empty (the experiment's report has the accuracies)
        csv_rows=[dict(v.to_dict(), val_acc=None) for v in variants],
    )


def report_text(report: Document) -> str:
    """A report's title, its first table in padded columns, and its findings, as plain text
    (``cnnscope kernels`` without ``-o``)."""
    table, data = report.tables[0], report.data
    # the terminal's text in the reader's language (the report's own title and columns stay the export's)
    title = _("Reaching a {rf}×{rf} receptive field with {channels} channels at {size}×{size}").format(
        rf=data["target_rf"], channels=data["channels"], size=data["size"])
    lines = [title, "", *_padded([_(c) for c in table.columns], table.rows)]
    lines += ["", *[f"- {line}" for line in report.findings]]
    return "\n".join(lines) + "\n"


def _drop_empty(columns, rows):
    keep = [k for k in range(len(columns)) if any(row[k] != "—" for row in rows)]
    return [columns[k] for k in keep], [[row[k] for k in keep] for row in rows]


def findings(variants, rf: int, channels: int) -> list[str]:
    """Plain sentences computed from the numbers (weights in units of C², as the VGG paper does), and one
    for each built-in variant omitted at ``rf``."""
    single = next(v for v in variants if v.kind == "single")
    c2 = channels * channels
    lines = []
    for v in variants:
        if v.kind == "single":
            continue
        ratio = v.params / single.params
        change = (_("the same count") if ratio == 1 else
                  _("{percent}% fewer").format(percent=f"{(1 - ratio) * 100:.0f}") if ratio < 1 else
                  _("{percent}% more").format(percent=f"{(ratio - 1) * 100:.0f}"))
        count = len(v.layers)
        what = {"stack3x3": ngettext("{count} 3×3 layer", "{count} 3×3 layers", count).format(count=_number(count)),
                "factorized": _("1×{rf} then {rf}×1").format(rf=rf)}.get(v.kind)
        gaps = ""
        if v.kind == "dilated":
            used = dilations(rf)
            what = ngettext("{count} dilated 3×3 layer (dilation {dilations})",
                            "{count} dilated 3×3 layers (dilations {dilations})", count).format(
                count=_number(count), dilations=", ".join(str(d) for d in used))
            if covered(used) < rf:
                gaps = _("; with gaps: it reads {read} of the {all} pixels in its field (no dilation-1 layer fills "
                         "them in)").format(read=covered(used) ** 2, all=rf * rf)
        what = what or f"{v.kind} ({' → '.join(v.layers)})"
        lines.append(ngettext(
            "{what}: {weights} weights against {single} — {change} — for the same {rf}×{rf} field, with {n} "
            "nonlinearity instead of {single_n}; MACs {ratio}× the single {rf}×{rf} conv's{gaps}.",
            "{what}: {weights} weights against {single} — {change} — for the same {rf}×{rf} field, with {n} "
            "nonlinearities instead of {single_n}; MACs {ratio}× the single {rf}×{rf} conv's{gaps}.",
            v.nonlinearities).format(what=what, weights=_c2(v.params, c2), single=_c2(single.params, c2),
                                     change=change, rf=rf, n=v.nonlinearities, single_n=single.nonlinearities,
                                     ratio=f"{v.macs / single.macs:.2f}", gaps=gaps))
    return lines + list(omitted(rf).values())


def _c2(params: int, c2: int) -> str:
    return f"{params // c2}·C²" if params % c2 == 0 else f"{params / c2:.2f}·C²"


def _number(n: int) -> str:
    words = {1: N_("one"), 2: N_("two"), 3: N_("three"), 4: N_("four"), 5: N_("five"), 6: N_("six"), 7: N_("seven"),
             8: N_("eight"), 9: N_("nine")}
    return _(words[n]) if n in words else str(n)


# -- the verdict in words -------------------------------------------------------------------------------

def _points(value: float) -> str:
    return _("{value} points").format(value=f"{100 * value:.1f}")


def _signed(value: float) -> str:
    return f"{'+' if value >= 0 else '−'}{_points(abs(value))}"


CLI_LONGER = N_("train longer (--epochs)")


def verdict_text(verdict, longer: str = CLI_LONGER) -> str:
    """The verdict's prose, from a ``studies.kernels.verdict.Verdict``: the winner and its margin, its
    cost or saving, the 3×3 stack's answer, the others, training loss against validation accuracy (underfitting
    told apart from a generalisation gap), what did not converge;
    or, when a variant did not learn, who did not and that no winner is called.  ``longer``: how to train
    longer, in the words of the caller's own controls (the CLI's option, the app's Epochs box)."""
    rf = verdict.rf

    def label(kind: str) -> str:
        if kind == "single":
            return _("single {rf}×{rf}").format(rf=rf) if rf else _("single k×k")
        return kind

    if not verdict.scored:
        return _("No variant has a validation accuracy; nothing to judge.")
    field_text = _("At a {rf}×{rf} field").format(rf=rf) if rf else _("At the same field")
    head = f"{field_text}{f' ({verdict.budget})' if verdict.budget else ''}"
    sentences = [_not_learned(head, verdict, _(longer))] if verdict.not_learned else _judged(head, verdict, label)
    if verdict.not_converged:
        runs = _(", ").join(ngettext("{variant} ({n} of {seeds} seed)", "{variant} ({n} of {seeds} seeds)",
                                     verdict.stats(n).seeds).format(variant=n, n=verdict.stats(n).not_converged,
                                                                    seeds=verdict.stats(n).seeds)
                            for n in verdict.not_converged)
        sentences.append(_("Not converged (training loss still falling at the end) in {runs}: more epochs may change "
                           "these numbers.").format(runs=runs))
    return " ".join(sentences)


def _not_learned(head: str, verdict, longer: str) -> str:
    """Who did not learn, against which chance level; no winner."""
    missed = verdict.not_learned
    first = verdict.stats(missed[0])  # every variant sees the same seeds, hence the same splits and rate
    accuracies = _(", ").join(f"{kind} {units.percent(verdict.stats(kind).val_acc_mean)}" for kind in missed)
    values = dict(head=head, names=_names(missed), accuracies=accuracies, rate=units.percent(first.majority_rate))
    if first.chance_margin is None:
        text = _("{head}: no winner at this budget. {names} did not learn: mean validation accuracy {accuracies}, "
                 "not clearly above the {rate} of always guessing the majority class; a variant has learned when its "
                 "mean beats that.").format(**values)
    else:
        text = _("{head}: no winner at this budget. {names} did not learn: mean validation accuracy {accuracies}, "
                 "not clearly above the {rate} of always guessing the majority class; a variant has learned when its "
                 "mean beats that by more than {margin} (the larger of 5 points and 3 standard errors of an accuracy "
                 "on {n} validation images).").format(margin=_points(first.chance_margin), n=first.n_val, **values)
    learned = [kind for kind in verdict.scored if kind not in missed]
    if learned:
        text += _(" Learned: {learned}; variants are compared only when both learned, so {longer} to compare "
                  "them.").format(learned=_(", ").join(learned), longer=longer)
    return text


def plural(n: int, noun: str) -> str:
    """``1 seed``, ``3 seeds``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _names(kinds) -> str:
    kinds = list(kinds)
    return kinds[0] if len(kinds) == 1 else _("{first} and {last}").format(first=_(", ").join(kinds[:-1]),
                                                                             last=kinds[-1])


def _judged(head: str, verdict, label) -> list[str]:
    """The prose when every scored variant learned, in the order that matters: the lead (who is best, by
    how much), its cost or saving, the 3×3 stack's answer, the others, then training loss against validation
    accuracy."""
    main = verdict.comparison(verdict.headline)
    question = verdict.question
    if question is main or verdict.baseline != verdict.preferred_baseline:
        question_text = []
    else:
        question_text = _question(question, verdict.rf)
    others = [c for c in verdict.comparisons if c is not main and c is not question]
    return [_lead(head, verdict, main, label), *_price(main, label), *question_text,
            *_others(others, verdict.baseline, label), *_fitting(verdict, label)]


def _lead(head: str, verdict, main, label) -> str:
    base, best = verdict.baseline, verdict.best
    b, w = verdict.stats(base), verdict.stats(best)
    if best == base:
        best_values = dict(head=head, base=label(base), mean=units.percent(b.val_acc_mean), sd=_points(b.val_acc_sd))
        if main is None:
            return _("{head}, the {base} is the best: {mean} ± {sd}; there is nothing to compare it with.").format(
                **best_values)
        if verdict.resolved:
            return _("{head}, the {base} is the best: {mean} ± {sd} of validation accuracy, ahead of every other "
                     "variant by more than the seed spread (the closest, {closest}, by {gap}).").format(
                closest=main.variant, gap=_points(-main.difference), **best_values)
        return _("{head}: not resolved at this budget. The {base} has the best mean ({mean}), but {closest} is only "
                 "{gap} behind, within the seed spread of {spread}.").format(
            head=head, base=label(base), mean=units.percent(b.val_acc_mean), closest=main.variant,
            gap=_points(-main.difference), spread=_points(main.spread))
    numbers = _("{mean} ± {sd} of validation accuracy against {base_mean} ± {base_sd} for the {base}").format(
        mean=units.percent(w.val_acc_mean), sd=_points(w.val_acc_sd), base_mean=units.percent(b.val_acc_mean),
        base_sd=_points(b.val_acc_sd), base=label(base))
    if main.resolved:
        return _("{head}, {best} is more accurate on the validation images than the {base}: {numbers}, +{gain}, more "
                 "than the seed spread of {spread}.").format(head=head, best=best, base=label(base), numbers=numbers,
                                                            gain=_points(main.difference), spread=_points(main.spread))
    why = _("only one seed, so no spread to compare against") if min(w.seeds, b.seeds) < 2 \
        else _("+{gain} is within the seed spread of {spread}").format(gain=_points(main.difference),
                                                                      spread=_points(main.spread))
    return _("{head}: not resolved at this budget. {best} has the best mean, {numbers}, but {why}.").format(
        head=head, best=best, numbers=numbers, why=why)


def _price(main, label) -> list[str]:
    """What the lead variant costs next to the baseline: fewer weights is a saving, not a price."""
    if main is None or main.params_ratio is None:
        return []
    ratio = main.params_ratio
    change = (_("the same number of weights") if round(ratio, 2) == 1 else
              _("{ratio}× the weights ({percent}% fewer)").format(ratio=f"{ratio:.2f}",
                                                                  percent=f"{(1 - ratio) * 100:.0f}") if ratio < 1 else
              _("{ratio}× the weights ({percent}% more)").format(ratio=f"{ratio:.2f}",
                                                                 percent=f"{(ratio - 1) * 100:.0f}"))
    text = (_("Cost: {variant} has {change} and {macs}× the MACs of the {base}.")
            if ratio > 1 or (main.macs_ratio or 0) > 1 else
            _("Saving: {variant} has {change} and {macs}× the MACs of the {base}."))
    return [text.format(variant=main.variant, change=change, macs=f"{main.macs_ratio:.2f}", base=label(main.against))]


def _question(question, rf: int | None) -> list[str]:
    """The issue's question, the 3×3 stack against the single k×k, when the lead was about another variant."""
    if question is None:
        return []
    text = (_("The question itself, the 3×3 stack against the single {k}×{k}: {difference}, more than the seed "
              "spread of {spread}.") if question.resolved else
            _("The question itself, the 3×3 stack against the single {k}×{k}: {difference}, within the seed spread "
              "of {spread}: not resolved at this budget."))
    return [text.format(k=rf or "k", difference=_signed(question.difference), spread=_points(question.spread))]


def _others(others, base: str, label) -> list[str]:
    if not others:
        return []
    parts = []
    for c in others:
        state = _("resolved") if c.resolved else _("within the spread")
        parts.append(_("{variant} {difference} ({state}; {ratio}× the weights)").format(
            variant=c.variant, difference=_signed(c.difference), state=state, ratio=f"{c.params_ratio:.2f}")
                     if c.params_ratio is not None else
                     _("{variant} {difference} points ({state})").format(variant=c.variant,
                                                                          difference=f"{100 * c.difference:+.1f}",
                                                                          state=state))
    return [_("Against the {base}, the others: {others}.").format(base=label(base), others=_("; ").join(parts))]


def _fitting(verdict, label) -> list[str]:
    """Training loss against validation accuracy: underfitting told apart from a generalisation gap."""
    base, best, fits_best = verdict.baseline, verdict.best, verdict.fits_best
    sentences = []
    if fits_best is not None and verdict.stats(base).train_loss_mean is not None and best != base:
        a, b = verdict.stats(best), verdict.stats(base)
        gap = b.train_loss_mean - a.train_loss_mean
        values = dict(best=best, base=label(base), loss=f"{a.train_loss_mean:.3f}", base_loss=f"{b.train_loss_mean:.3f}")
        if gap > a.train_loss_sd + b.train_loss_sd:
            sentences.append(_("Training loss against validation accuracy: {best} also fits the training data better "
                               "(final training loss {loss} against {base_loss} for the {base}), so the {base}'s lower "
                               "accuracy goes with underfitting at this budget, not with a generalisation gap.").format(
                **values))
        else:
            sentences.append(_("Training loss against validation accuracy: {best} does not fit the training data "
                               "better by more than the seed spread (final training loss {loss} against {base_loss} "
                               "for the {base}), but it is more accurate on the validation images: a smaller "
                               "generalisation gap.").format(**values))
    if fits_best is not None and fits_best != best:
        a, b = verdict.stats(fits_best), verdict.stats(best)
        if b.train_loss_mean - a.train_loss_mean > a.train_loss_sd + b.train_loss_sd:
            sentences.append(_("{fits} fits the training data best (final training loss {loss} against {best_loss}), "
                               "but {best} is the most accurate on the validation images.").format(
                fits=fits_best, loss=f"{a.train_loss_mean:.3f}", best_loss=f"{b.train_loss_mean:.3f}", best=best))
    return sentences


def verdict_data(verdict) -> dict:
    """``training.verdict`` of the JSON: the prose, then the data."""
    from cnnscope.i18n import use_language

    with use_language("en"):  # the JSON is the same in every language
        text = verdict_text(verdict)
    return {"text": text, **verdict.to_dict()}


# -- the experiment -------------------------------------------------------------------------------------

TRAINING_COLUMNS = ["variant", "weights", "MACs", "RF", "effective RF 50% / 90%", "nonlinearities",
                    "final val acc", "best val acc", "final train loss", "converged", "seconds"]
SEED_COLUMNS = ["variant", "seed", "final val acc", "best val acc", "final train loss", "train acc", "converged",
                "effective RF 50% / 90%", "seconds", "status"]


def _pm(mean, sd, scale: float = 100.0, digits: int = 1, suffix: str = "%") -> str:
    if mean is None:
        return "—"
    return f"{scale * mean:.{digits}f} ± {scale * (sd or 0):.{digits}f}{suffix}"


def _squares(erf: dict | None) -> str:
    if not erf:
        return "—"
    return f"{erf['50%']:.3g} / {erf['90%']:.3g}"


def training_table(experiment) -> tuple[list[str], list[list[str]]]:
    """One row per variant: geometry and mean ± sd over seeds."""
    rows = []
    for v in experiment.variants:
        result = experiment.results[v.kind]
        data = result.to_dict()
        done = sum(data["converged"])
        rows.append([
            v.kind, units.count(v.params), units.si(v.macs), units.per_axis(v.rf, "—"),
            _squares(result.erf_mean()), str(v.nonlinearities),
            _pm(data["val_acc_mean"], data["val_acc_sd"]), _pm(data["best_val_acc_mean"], data["best_val_acc_sd"]),
            _pm(data["train_loss_mean"], data["train_loss_sd"], 1.0, 3, ""),
            f"{done} of {len(data['converged'])}" + ("" if done == len(data["converged"]) else " ⚠"),
            _pm(data["seconds_mean"], data["seconds_sd"], 1.0, 1, " s")])
    return TRAINING_COLUMNS, rows


def seed_table(experiment) -> tuple[list[str], list[list[str]]]:
    rows = []
    for kind, result in experiment.results.items():
        for r in result.runs:
            rows.append([kind, str(r.seed), units.percent(r.final_val_acc), units.percent(r.best_val_acc),
                         f"{r.final_train_loss:.4f}", units.percent(r.final_train_acc),
                         "yes" if r.converged else "no (loss still falling)",
                         _squares(r.erf), f"{r.seconds:.1f}", r.status])
    return SEED_COLUMNS, rows


def settings_line(experiment) -> str:
    s = experiment.settings
    # the count, then which seeds: "1 seed (seed 0)", "3 seeds (seeds 0, 1, 2)"
    which = f"{'seed' if len(s.seeds) == 1 else 'seeds'} {', '.join(map(str, s.seeds))}"
    seeds = f"{plural(len(s.seeds), 'seed')} ({which})"
    return (f"{plural(len(experiment.variants), 'variant')} × {seeds} on "
            f"{s.dataset} at {s.input_size}×{s.input_size}, C={s.channels}, {s.length}, batch {s.batch_size}, "
            f"Adam lr {s.lr:g}, device {experiment.device}; {experiment.seconds:.0f} s in all")


def experiment_data(experiment, lines: list[str]) -> dict:
    """What ``cnnscope kernels --train --format json`` prints: the geometry, the findings (``lines``), and
    ``training`` (the experiment's numbers, and its verdict with its prose)."""
    s = experiment.settings
    training = experiment.to_dict()
    training["verdict"] = verdict_data(experiment.verdict)
    return {"target_rf": s.rf, "channels": s.channels, "size": s.input_size,
            "variants": [v.to_dict() for v in experiment.variants], "findings": lines, "training": training}


def experiment_report(experiment, lines: list[str], figures: list | None = None) -> Document:
    """The report ``cnnscope kernels --train -o FILE`` writes (HTML, Markdown, JSON, CSV); ``lines``: the
    variants' findings."""
    s = experiment.settings
    columns, rows = training_table(experiment)
    seed_columns, seed_rows = seed_table(experiment)
    geometry_columns, geometry_rows = kernel_table(experiment.variants)
    data = experiment_data(experiment, lines)
    csv_rows = []
    for v in experiment.variants:
        result = experiment.results[v.kind].to_dict()
        for k, seed in enumerate(result["seeds"]):
            csv_rows.append({"variant": v.kind, "seed": seed, "params": v.params, "macs": v.macs, "rf": v.rf[0],
                             "nonlinearities": v.nonlinearities, "val_acc": result["val_acc"][k],
                             "best_val_acc": result["best_val_acc"][k], "train_loss": result["train_loss"][k],
                             "train_acc": result["train_acc"][k], "converged": result["converged"][k],
                             "erf_50": (result["erf_squares"][k] or {}).get("50%"),
                             "erf_90": (result["erf_squares"][k] or {}).get("90%"),
                             "seconds": result["seconds"][k], "val_acc_mean": result["val_acc_mean"],
                             "val_acc_sd": result["val_acc_sd"]})
    return Document(
        title=f"Does a stack of 3×3 beat one {s.rf}×{s.rf}? The kernel experiment",
        provenance=provenance(experiment.device, f"1×{s.channels}×{s.input_size}×{s.input_size} (variant); "
                                                 f"{s.dataset} {s.input_size}×{s.input_size}"),
        tables=[Table("Result (mean ± sd over seeds)", columns, rows),
                Table("Per seed", seed_columns, seed_rows),
                Table("Geometry", geometry_columns, geometry_rows)],
        findings=[f"Verdict: {verdict_text(experiment.verdict)}", f"Budget: {settings_line(experiment)}.",
                  "Effective RF: side of the centred square holding 50 % / 90 % of |∂unit/∂input| for the centre "
                  "unit of the variant's output, on the trained weights, averaged over 128 validation images "
                  "(mean over seeds).", *lines],
        figures=figures or [], data=data, csv_rows=csv_rows)


# -- the terminal ---------------------------------------------------------------------------------------

_BLOCKS = "▁▂▃▄▅▆▇█"
_SHADES = " ░▒▓█"


def sparkline(values: list[float], low: float | None = None, high: float | None = None) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return ""
    low = min(values) if low is None else low
    high = max(values) if high is None else high
    span = (high - low) or 1.0
    return "".join(_BLOCKS[min(len(_BLOCKS) - 1, max(0, int((v - low) / span * (len(_BLOCKS) - 1) + 0.5)))]
                   for v in values)


def shade_map(gradient: list[list[float]]) -> list[str]:
    """A gradient map as rows of shade characters (two per pixel, so that it looks square)."""
    peak = max((v for row in gradient for v in row), default=0.0) or 1.0
    return ["".join(_SHADES[min(len(_SHADES) - 1, int(v / peak * (len(_SHADES) - 1) + 0.5))] * 2 for v in row)
            for row in gradient]


def _mean_curve(curves: list[list]) -> list[float]:
    return [point[1] for point in curve_mean_sd(curves)]


def experiment_text(experiment, lines: list[str]) -> str:
    """The terminal summary of ``cnnscope kernels --train``: the table, text charts, the verdict."""
    s = experiment.settings
    columns, rows = training_table(experiment)
    out = [f"Does a stack of 3×3 beat one {s.rf}×{s.rf}? {settings_line(experiment)}", ""]
    out += _padded(columns, rows)
    out += ["", "Curves (mean over seeds, per epoch): validation accuracy 0–100 %, training loss high→low"]
    width = max(len(k) for k in experiment.results)
    top_loss = max((v for r in experiment.results.values() for c in r.values("train_loss") for v in c
                    if v is not None), default=1.0)
    for kind, result in experiment.results.items():
        acc = _mean_curve(result.values("val_acc"))
        loss = _mean_curve(result.values("train_loss"))
        out.append(f"  {kind.ljust(width)}  acc {sparkline(acc, 0.0, 1.0)} {units.percent(acc[-1] if acc else None):>6}"
                   f"   loss {sparkline(loss, 0.0, top_loss)} {loss[-1] if loss else float('nan'):.3f}")
    maps = [(kind, r.erf_map) for kind, r in experiment.results.items() if r.erf_map]
    if maps:
        out += ["", f"Effective fields (|∂unit/∂input| of the centre unit, seed {s.seeds[0]}, trained; "
                    f"the theoretical field is {s.rf}×{s.rf}):"]
        pictures = [shade_map(m) for unused, m in maps]
        captions = [f"50/90%: {_squares(experiment.results[kind].erf_mean())}" for kind, unused in maps]
        # the widest of name, picture and caption, plus a gap, so that neighbouring columns never touch
        cell = max(*(len(kind) for kind, unused in maps), *(len(p[0]) for p in pictures if p), *map(len, captions)) + 3
        out.append("  " + "".join(kind.ljust(cell) for kind, unused in maps).rstrip())
        for k in range(max(len(p) for p in pictures)):
            out.append("  " + "".join((p[k] if k < len(p) else "").ljust(cell) for p in pictures).rstrip())
        out.append("  " + "".join(caption.ljust(cell) for caption in captions).rstrip())
    out += ["", "Verdict: " + verdict_text(experiment.verdict), "", *[f"- {line}" for line in lines]]
    return "\n".join(out) + "\n"


def _padded(columns, rows) -> list[str]:
    """Columns padded by display width: a CJK character takes two terminal columns."""
    widths = [max(_width(str(c)) for c in [col, *[row[k] for row in rows]]) for k, col in enumerate(columns)]

    def line(cells) -> str:
        return "  ".join(str(c) + " " * (w - _width(str(c))) for c, w in zip(cells, widths))

    return [line(columns), *[line(row) for row in rows]]


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
