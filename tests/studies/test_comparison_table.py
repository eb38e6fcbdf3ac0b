"""The one comparison table: rows from studies/compare.py, laid out once for every view."""

import cnnscope
from cnnscope.export.comparison_document import comparison_table
from cnnscope.export.kernels import kernel_table
from cnnscope.studies.compare import compare_reports, measure_latencies
from cnnscope.studies.kernels.variants import study


def test_rows_carry_the_last_feature_map_and_the_table_shows_it():
    comparison = compare_reports([cnnscope.analyze("resnet18"), cnnscope.analyze("lenet5")])
    resnet = comparison.rows[0]
    assert (resnet.rf_layer, resnet.rf_size, resnet.rf_jump) == ("layer4", [435, 435], [32, 32])
    columns, rows = comparison_table(comparison)
    assert columns == ["", "resnet18", "lenet5"]
    table = {row[0]: row[1:] for row in rows}
    assert table["last feature map"][0] == "layer4" and table["RF"][0] == "435" and table["jump"][0] == "32"
    assert "latency ms" not in table and "val acc" not in table  # nothing measured: no empty rows


def test_latency_and_training_fill_their_rows():
    comparison = compare_reports([cnnscope.analyze("lenet5"), cnnscope.analyze("resnet_mini")])
    comparison.set_latency(0, 1.5, 1, "cpu")
    from cnnscope.train.history import EpochRecord, TrainHistory

    trained = TrainHistory([EpochRecord(1, 1.0, 0.4, 0.9, 0.5, 1.0, 1e-3),
                            EpochRecord(2, 0.5, 0.8, 0.4, 0.875, 1.0, 1e-3)])
    comparison.set_training([("lenet5", trained), ("resnet_mini", TrainHistory())])
    assert [r.final_val_acc for r in comparison.rows] == [0.875, None]
    table = {row[0]: row[1:] for row in comparison_table(comparison)[1]}
    assert table["latency ms"] == ["1.50 (batch 1, cpu)", "—"] and table["val acc"] == ["87.5%", "—"]


def test_the_kernel_table_has_one_row_per_variant():
    columns, rows = kernel_table(study(5, 4, 16))
    assert columns[:5] == ["variant", "layers", "weights", "MACs", "RF"] and "latency ms" not in columns
    assert [row[0] for row in rows] == ["single", "stack3x3", "factorized", "dilated"]
    assert {row[4] for row in rows} == {"5"}


def test_measure_latencies_times_each_model_at_its_input():
    comparison = compare_reports([cnnscope.analyze("lenet5"), cnnscope.analyze("lenet5", (2, 1, 28, 28))])
    measure_latencies(comparison, ["lenet5", "lenet5"], "cpu")
    rows = comparison.rows
    assert [r.latency_batch for r in rows] == [1, 2] and {r.latency_device for r in rows} == {"cpu"}
    assert all(0 < r.latency_ms < 1000 for r in rows)
