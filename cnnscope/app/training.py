"""Training runs of the app, in a background thread keyed to the visitor's session.

Streamlit reruns the page script on every click and stops it when the visitor switches page;
a run inside the script would die with it.  A :class:`TrainingJob` runs ``prepare`` and
``quick_train`` in its own thread, which never calls Streamlit: it only fills the job's fields
(steps, epochs, status), which the page reads on each rerun (and a fragment every second while
the run goes on).  The job lives in ``st.session_state`` (``JOB_KEY``), so it belongs to that
visitor's session; the Stop button sets its ``threading.Event``.

Finished runs are saved on disk by the job's thread (``app/run_store.py``: one folder per visitor,
named by the ``?runs=`` token in the URL), so that a reload, a new session, lists them again;
``st.session_state[RUNS_KEY]`` holds the session's view of them (read from disk once, then the
runs it finishes).  :func:`trained_weights` offers their final and best-epoch weights to the
other pages.
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

import streamlit as st

from cnnscope.app import run_store
from cnnscope.app.plain_text import plain
from cnnscope.i18n import N_, _, language, use_language

# A run's status as the page says it (TrainHistory.status and the job's own; the JSON keeps the English word).
STATUS_NAMES = {"preparing": N_("preparing"), "running": N_("running"), "completed": N_("completed"),
                "interrupted": N_("interrupted"), "diverged": N_("diverged"), "failed": N_("failed"),
                "unknown": N_("unknown")}


def status_text(status: str) -> str:
    return _(STATUS_NAMES[status]) if status in STATUS_NAMES else status

JOB_KEY, RUNS_KEY, TOKEN_KEY = "train_job", "train_runs", "train_runs_token"
MAX_RUNS = run_store.MAX_RUNS  # finished runs kept per visitor (the oldest are dropped)


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
    number: int = 0                      # the run's number for this visitor (its folder is run-<number>)
    folder: Path | None = None           # where it is saved; None: kept in this session only
    save_error: str = ""                 # why it could not be kept on disk

    @property
    def done(self) -> bool:
        return self.finished is not None

    def start(self) -> "TrainingJob":
        # the run's notes and messages in the visitor's language (only the language: Streamlit's own context
        # variables stay with the script's thread)
        self.thread = threading.Thread(target=self._run_in, args=(language(),), name=f"cnnscope-train-{self.label}",
                                       daemon=True)
        self.thread.start()
        return self

    def _run_in(self, lang: str) -> None:
        with use_language(lang):
            self._run()

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
            self._save()
            self.finished = time.monotonic()

    def _save(self) -> None:
        """The finished run into its folder (before ``finished`` is set: a page that sees the job
        done finds it on disk); a run that recorded no step leaves no folder."""
        if self.folder is None:
            return
        history = self.history
        if history is None or not history.steps or self.model is None:
            run_store.discard(self.folder)
            self.folder = None
            return
        from cnnscope.errors import CnnscopeError

        try:
            run_store.save(self.folder, self.label, self.choice, self.model, history)
        except (CnnscopeError, OSError) as error:
            self.save_error = str(error)
            run_store.discard(self.folder)
            self.folder = None

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
            return 0.0, _("preparing the data and the model") if self.status == "preparing" else status_text(
                self.status)
        return (event.step / event.total_steps,
                _("epoch {epoch}/{epochs} · step {step}/{steps} · loss {loss} · {speed} images/s").format(
                    epoch=event.epoch, epochs=event.epochs, step=event.step, steps=event.total_steps,
                    loss=f"{event.loss:.4f}", speed=f"{event.images_per_s:,.0f}"))


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
    normalization: tuple | None = None   # (mean, std) the run normalised its inputs with
    _load: Callable = field(default=None, repr=False, compare=False)

    def model(self):
        return self._load()


def trained_weights(choice, runs: list[dict] | None = None) -> list[TrainedWeights]:
    """The weights of this visitor's finished runs of ``choice`` (same model, same input), newest
    run first; per run its "final" weights (the last epoch's), then its "best" epoch's when that is
    not the last epoch (otherwise the final entry's label says it is also the best).
    ``runs``: :func:`finished_runs` (the default) or :func:`stored_runs`."""
    found = []
    for run in reversed(finished_runs() if runs is None else runs):
        if run["choice"] == choice and run["history"].epochs and (run.get("model") is not None or run.get("folder")):
            found += _weights_of(run)
    return found


def _weights_of(run: dict) -> list[TrainedWeights]:
    history = run["history"]
    last, best = history.last, history.best_epoch
    config = history.config
    norm = config.get("normalization") or {}
    common = {"dataset": str(config.get("dataset", "")), "num_classes": int(config.get("num_classes") or 0),
              "classes": tuple(str(c) for c in config.get("classes") or ()),
              "normalization": (tuple(norm["mean"]), tuple(norm["std"])) if norm.get("mean") and norm.get("std")
              else None}
    folder = run.get("folder")
    from cnnscope.train.run_folder import BEST_CHECKPOINT, CHECKPOINT

    has_best = best is not None and best.epoch != last.epoch and (
        history.best_state is not None or (folder is not None and (Path(folder) / BEST_CHECKPOINT).is_file()))
    number = run["number"]
    final = TrainedWeights(_("run {n} · final epoch {epoch}").format(n=number, epoch=last.epoch) + _acc(last)
                           + ("" if has_best or best is None or best.val_acc is None else _(", also the best")),
                           (run["id"], "final"), "final", epoch=last.epoch,
                           _load=functools.partial(_final_model, run, CHECKPOINT), **common)
    if not has_best:
        return [final]
    return [final, TrainedWeights(_("run {n} · best epoch {epoch}").format(n=number, epoch=best.epoch) + _acc(best),
                                  (run["id"], "best"), "best",
                                  epoch=best.epoch, _load=functools.partial(_best_model, run, BEST_CHECKPOINT),
                                  **common)]


def _acc(record) -> str:
    return _(" (val acc {percent} %)").format(percent=f"{record.val_acc * 100:.1f}") if record.val_acc is not None else ""


def _final_model(run: dict, name: str):
    """The trained module of this session, or the one rebuilt from the run's ``model.pt``."""
    if run.get("model") is not None:
        return run["model"]
    return _from_disk(run, name)


def _best_model(run: dict, name: str):
    if run.get("folder") is not None and (Path(run["folder"]) / name).is_file():
        return _from_disk(run, name)
    if run.get("best_model") is None:  # not on disk (it could not be written): a copy in memory
        import copy

        model = copy.deepcopy(run["model"])
        model.load_state_dict(run["history"].best_state)
        run["best_model"] = model.cpu().eval()
    return run["best_model"]


def _from_disk(run: dict, name: str):
    path = Path(run["folder"]) / name
    return _rebuilt(str(path), path.stat().st_mtime_ns, run["choice"])


@functools.lru_cache(maxsize=8)
def _rebuilt(path: str, mtime_ns: int, choice):
    """The model of ``choice`` with a run folder's checkpoint loaded (eval mode, CPU); built once per
    file (``mtime_ns`` in the key: a rewritten file is read again)."""
    from cnnscope.train.checkpoint import load_checkpoint
    from cnnscope.weights import apply_state_dict

    checkpoint = load_checkpoint(path)
    model = architecture(choice, checkpoint.config)
    apply_state_dict(model, checkpoint.state_dict, source=f"the trained weights {Path(path).name}")
    return model.cpu().eval()


def architecture(choice, config: dict):
    """A fresh module of ``choice`` shaped as a run trained it (the head resized to the data's classes)."""
    from cnnscope.app import real_models
    from cnnscope.train.adapt import replace_head

    model = real_models.real_model(choice, seed=0).module
    if config.get("replaced_head"):
        replace_head(model, int(config["num_classes"]))
    return model


def job() -> TrainingJob | None:
    return st.session_state.get(JOB_KEY)


def visitor_token(create: bool = False) -> str | None:
    """This visitor's run-store token: from the session, else from the URL (``?runs=``, 32 hex
    digits, anything else ignored), else a new one when ``create``; kept in the URL so that a
    reload finds the runs again."""
    token = st.session_state.get(TOKEN_KEY)
    if token is None:
        token = run_store.valid_token(st.query_params.get(run_store.TOKEN_PARAM))
        if token is None and create:
            token = run_store.new_token()
        if token is not None:
            st.session_state[TOKEN_KEY] = token
    if token is not None and st.query_params.get(run_store.TOKEN_PARAM) != token:
        st.query_params[run_store.TOKEN_PARAM] = token
    return token


def finished_runs() -> list[dict]:
    """This visitor's finished runs, oldest first: ``{"id", "number", "label", "history", "choice",
    "folder", "model"}`` (``folder`` None: not kept on disk; ``model``: the trained module while this
    session holds it).  Read from disk once per session."""
    runs = st.session_state.get(RUNS_KEY)
    if runs is None:
        token = visitor_token()
        runs = st.session_state[RUNS_KEY] = stored_runs(token) if token else []
    return runs


def refresh_runs() -> list[dict]:
    """:func:`finished_runs` plus the runs saved since it was read: a run that finished after a
    reload (its thread belonged to the page before the reload), or one from another tab."""
    runs = finished_runs()
    token = visitor_token()
    if token is None:
        return runs
    known = {run["number"] for run in runs if run.get("folder") is not None}
    if run_store.finished_numbers(token) - known:
        kept_here = [run for run in runs if run.get("folder") is None]  # could not be saved: this tab only
        live = {run["id"]: run for run in runs}
        runs[:] = sorted([live.get(run["id"], run) for run in stored_runs(token)] + kept_here,
                         key=lambda run: run["number"])
        del runs[:-MAX_RUNS]
    return runs


def stored_runs(token: str) -> list[dict]:
    """The runs kept on disk for ``token``, as :func:`finished_runs` lists them."""
    return [{"id": str(stored.folder), "number": stored.number, "label": stored.label, "history": stored.history,
             "choice": stored.choice, "folder": stored.folder, "model": None} for stored in run_store.load(token)]


def start(job_: TrainingJob) -> TrainingJob:
    current = job()
    if current is not None and not current.done:
        raise RuntimeError("a training run is still going on")
    st.session_state[JOB_KEY] = job_.start()
    return job_


def new_job(choice, prepare: Callable, options: dict, describe: Callable[[int], str]) -> TrainingJob:
    """A job with its number and reserved folder (``describe(number)`` is its label); when the disk
    cannot take it, the run is kept in this session only and ``save_error`` says why."""
    runs = finished_runs()
    number, folder, problem = max((run["number"] for run in runs), default=0) + 1, None, ""
    token = visitor_token(create=True)
    from cnnscope.errors import CnnscopeError

    try:
        number, folder = run_store.reserve(token)
    except (CnnscopeError, OSError) as error:
        problem = str(error)
    return TrainingJob(describe(number), choice, prepare, options, number=number, folder=folder, save_error=problem)


def collect() -> TrainingJob | None:
    """Keep a finished job's run (once): in the session's runs, and its model for the other pages."""
    current = job()
    if current is None or not current.done or current.collected:
        return current
    current.collected = True
    if current.history is not None and current.history.steps:
        runs = finished_runs()
        for run in runs:  # memory: earlier runs on disk are read back when asked (_rebuilt keeps a few)
            if run.get("folder") is not None:
                run["model"] = None
        if current.folder is not None:
            current.history.best_state = None  # in best.pt (or the same as the final weights)
        trained = current.model if current.history.epochs else None
        runs.append({"id": str(current.folder) if current.folder else f"session-{uuid.uuid4().hex}",
                     "number": current.number, "label": current.label, "history": current.history,
                     "choice": current.choice, "folder": current.folder, "model": trained})
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
        st.sidebar.info(_("Training {label} in the background: {percent} ({progress}). "
                          "The Train page shows it live and can stop it.").format(
            label=plain(current.label), percent=f"{fraction:.0%}", progress=text))
