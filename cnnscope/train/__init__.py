"""Quick training runs: data sets as tensors, input/class adaptation, a fast loop that reports
through callbacks (it never prints), its history, checkpoints and run folders (pictures live in vis/).

    from cnnscope.train import prepare_run, quick_train
    run = prepare_run("lenet5", "digits", seed=0)
    history = quick_train(run.model, run.data, epochs=10, config=run.config,
                          on_step=lambda e: ..., on_epoch=lambda record, history: ...)
"""

from cnnscope.train.data import TrainData
from cnnscope.train.errors import (DatasetError, DeviceError, ModelDataMismatch, TrainingDiverged, TrainingFailed,
                                   TrainingInterrupted)
from cnnscope.train.history import EpochRecord, StepEvent, StepRecord, TrainHistory
from cnnscope.train.loop import quick_train, resolve_device
from cnnscope.train.prepare import PreparedRun, prepare_run

__all__ = ["DatasetError", "DeviceError", "EpochRecord", "ModelDataMismatch", "PreparedRun", "StepEvent",
           "StepRecord", "TrainData", "TrainHistory", "TrainingDiverged", "TrainingFailed", "TrainingInterrupted", "prepare_run",
           "quick_train", "resolve_device"]
