"""Training runs of the app, in a background thread keyed to the visitor's session.

Streamlit reruns the page script on every click and stops it when the visitor switches page;
a run inside the script would die with it.  A :class:`TrainingJob` runs ``prepare`` and
``quick_train`` in its own thread, which never calls Streamlit: it only fills the job's fields
(steps, epochs, status), which the page reads on each rerun (and a fragment every second while
the run goes on).  The job lives in ``st.session_state`` (``JOB_KEY``), so it belongs to that
visitor's session; the Stop button sets its ``threading.Event``.  Finished runs are kept in
``st.session_state[RUNS_KEY]`` to be overlaid.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Literal

import streamlit as st

from cnnscope.app.plain_text import plain

JOB_KEY, RUNS_KEY = "train_job", "train_runs"
MAX_RUNS = 20  # finished runs kept per session (the oldest are dropped)


@dataclass
class TrainingJob:
    label: str
    choice: object                       # the sidebar's Choice the run belongs to
    prepare: Callable                    # () -> (model, data, config, notes)
    options: dict                        # quick_train keyword arguments
    stop: threading.Event = field(default_factory=threading.Event)
    status: str = "preparing"            # preparing | running | completed | interrupted | diverged | failed
    message: str = ""
    notes: list = field(default_factory=list)
    steps: list = field(default_factory=list)     # StepRecord
    epochs: list = field(default_factory=list)    # EpochRecord
    config: dict = field(default_factory=dict)
    device: str = ""
    last_event: object = None
    model: object = None
    history: object = None               # the final TrainHistory
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    collected: bool = False
    thread: threading.Thread | None = None

    @property
    def done(self) -> bool:
        return self.finished is not None

    def start(self) -> "TrainingJob":
        self.thread = threading.Thread(target=self._run, name=f"cnnscope-train-{self.label}", daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        from cnnscope.errors import CnnscopeError
        from cnnscope.train import TrainingDiverged, TrainingFailed, TrainingInterrupted, quick_train
        from cnnscope.train.history import StepRecord

        def on_step(event) -> None:
            self.last_event = event
            self.config.setdefault("steps_per_epoch", event.steps_per_epoch)
            self.steps.append(StepRecord(event.step, event.epoch, event.loss))

        def on_epoch(record, history) -> None:
            self.config.update(history.config)
            self.device = history.device
            self.epochs.append(record)

        try:
            model, data, config, notes = self.prepare()
            self.model, self.notes = model, list(notes)
            self.config.update(config)
            self.status = "running"
            try:
                self.history = quick_train(model, data, **self.options, on_step=on_step, on_epoch=on_epoch,
                                           stop=self.stop, config=config)
            except (TrainingDiverged, TrainingFailed) as error:
                self.history = error.history
            except CnnscopeError as error:
                self.history = getattr(error, "history", None)
                if self.history is None:
                    raise
            self.status, self.message = self.history.status, self.history.message
            model.cpu().eval()
        except TrainingInterrupted as error:  # pragma: no cover - only from a signal in this thread
            self.history = error.history
            self.status, self.message = "interrupted", error.history.message
        except CnnscopeError as error:
            self.status, self.message = "failed", str(error)
        except Exception as error:  # noqa: BLE001 - shown on the page, never lost silently
            from cnnscope.errors import user_error

            known = user_error(error)  # out of memory, a full disk ...: the CLI's one line
            self.status, self.message = "failed", (str(known) if known is not None
                                                   else f"internal error: {type(error).__name__}: {error}")
        finally:
            self.finished = time.monotonic()

    def live_history(self):
        """A :class:`TrainHistory` of what the run recorded so far (the final one once done)."""
        from cnnscope.train.history import TrainHistory

        if self.history is not None:
            return self.history
        return TrainHistory(list(self.epochs), list(self.steps), dict(self.config), self.device,
                            status="running" if self.status != "failed" else "failed", message=self.message)

    def progress(self) -> tuple[float, str]:
        event = self.last_event
        if event is None:
            return 0.0, "preparing the data and the model" if self.status == "preparing" else self.status
        return (event.step / event.total_steps,
                f"epoch {event.epoch}/{event.epochs} · step {event.step}/{event.total_steps} · "
                f"loss {event.loss:.4f} · {event.images_per_s:,.0f} images/s")


@dataclass(frozen=True)
class TrainedWeights:
    """One set of weights a finished run of this session left: its last epoch's ("final") or its
    best validation epoch's ("best").  ``model()`` gives the module (eval mode, CPU), built once."""

    label: str                           # for a selectbox: "run 2 · best epoch 4 (val acc 96.1 %)"
    key: tuple                           # hashable and unique: (run id, which)
    which: Literal["final", "best"]
    dataset: str                         # "digits", "mnist", ...
    num_classes: int
    classes: tuple = ()                  # the data set's class names, in output order
    epoch: int = 0                       # the epoch whose end state these weights are
    _load: Callable = field(default=None, repr=False, compare=False)

    def model(self):
        return self._load()


def trained_weights(choice) -> list[TrainedWeights]:
    """The weights of this session's finished runs of ``choice`` (same model, same input), newest
    run first; per run its "final" weights, then its "best" epoch's when that is not the last epoch
    (the same weights would be offered twice otherwise: the final entry then says it is the best)."""
    found = []
    for number, run in reversed(list(enumerate(finished_runs(), start=1))):
        if run.get("choice") != choice or run.get("model") is None or not run["history"].epochs:
            continue
        found += _weights_of(run, number)
    return found


def _weights_of(run: dict, number: int) -> list[TrainedWeights]:
    history = run["history"]
    last, best = history.last, history.best_epoch
    config = history.config
    common = {"dataset": str(config.get("dataset", "")), "num_classes": int(config.get("num_classes") or 0),
              "classes": tuple(str(c) for c in config.get("classes") or ())}
    ident = run.get("id", number)
    best_is_last = best is None or best.epoch == last.epoch or history.best_state is None
    final = TrainedWeights(f"run {number} · final epoch {last.epoch}{_acc(last)}"
                           + (" = best" if best_is_last and best is not None else ""),
                           (ident, "final"), "final", epoch=last.epoch, _load=lambda: run["model"], **common)
    if best_is_last:
        return [final]
    return [final, TrainedWeights(f"run {number} · best epoch {best.epoch}{_acc(best)}", (ident, "best"), "best",
                                  epoch=best.epoch, _load=lambda: _best_model(run), **common)]


def _acc(record) -> str:
    return f" (val acc {record.val_acc * 100:.1f} %)" if record.val_acc is not None else ""


def _best_model(run: dict):
    """The run's model with its best epoch's weights: a copy, made once and kept with the run."""
    if run.get("best_model") is None:
        import copy

        model = copy.deepcopy(run["model"])
        model.load_state_dict(run["history"].best_state)
        run["best_model"] = model.cpu().eval()
    return run["best_model"]


def job() -> TrainingJob | None:
    return st.session_state.get(JOB_KEY)


def finished_runs() -> list[dict]:
    """The session's finished runs, oldest first: ``{"label", "history", "choice"}``."""
    return st.session_state.setdefault(RUNS_KEY, [])


def start(job_: TrainingJob) -> TrainingJob:
    current = job()
    if current is not None and not current.done:
        raise RuntimeError("a training run is still going on")
    st.session_state[JOB_KEY] = job_.start()
    return job_


def collect() -> TrainingJob | None:
    """Keep a finished job's run (once): in the session's runs, and its model for the other pages."""
    current = job()
    if current is None or not current.done or current.collected:
        return current
    current.collected = True
    if current.history is not None and current.history.steps:
        runs = finished_runs()
        trained = current.model if current.history.epochs else None
        runs.append({"label": current.label, "history": current.history, "choice": current.choice,
                     "model": trained})
        del runs[:-MAX_RUNS]
    if current.model is not None and current.history is not None and current.history.epochs:
        st.session_state.trained_model = (current.choice, current.model)
    return current


def sidebar_status() -> None:
    """On every page: a run going on, or one that ended while the visitor was elsewhere."""
    current = collect()
    if current is None:
        return
    if not current.done:
        fraction, text = current.progress()
        st.sidebar.info(f"Training {plain(current.label)} in the background: {fraction:.0%} ({text}). "
                        "The Train page shows it live and can stop it.")
