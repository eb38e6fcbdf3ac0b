"""The tutorial nets' shapes, parameters and MACs, computed by hand from the textbook layers."""

import pytest

import cnnscope


def shapes(report, names):
    return {n: tuple(report.layer(n).output_shape) for n in names}


def test_lenet5_by_hand():
    r = cnnscope.analyze("lenet5")
    assert r.input_shape == [1, 1, 28, 28]
    assert shapes(r, ["0", "2", "3", "5", "6", "8", "9", "11"]) == {
        "0": (1, 6, 28, 28), "2": (1, 6, 14, 14), "3": (1, 16, 10, 10), "5": (1, 16, 5, 5),
        "6": (1, 120, 1, 1), "8": (1, 120), "9": (1, 84), "11": (1, 10)}
    # 6·25+6, 16·6·25+16, 120·16·25+120, 120·84+84, 84·10+10
    assert r.totals.params == 156 + 2416 + 48120 + 10164 + 850 == 61706
    # 6·28·28·25 + 16·10·10·150 + 120·400 + 120·84 + 84·10
    assert r.totals.macs == 117600 + 240000 + 48000 + 10080 + 840


def test_alexnet_mnist_flattens_to_6400():
    r = cnnscope.analyze("alexnet_mnist")
    assert r.input_shape == [1, 1, 224, 224]
    # conv1: floor((224 + 2 - 11) / 4) + 1 = 54; pool: floor((54 - 3) / 2) + 1 = 26; ... 12; ... 5
    assert shapes(r, ["0", "2", "3", "5", "12", "13"]) == {
        "0": (1, 96, 54, 54), "2": (1, 96, 26, 26), "3": (1, 256, 26, 26), "5": (1, 256, 12, 12),
        "12": (1, 256, 5, 5), "13": (1, 6400)}
    assert r.layer("14").params == 6400 * 4096 + 4096
    assert r.output_shape == [1, 10]


def test_inception_mini_concatenates_88_channels():
    r = cnnscope.analyze("inception_mini")
    assert tuple(r.layer("3").output_shape) == (1, 88, 12, 12)
    assert tuple(r.layer("7").output_shape) == (1, 88, 4, 4)
    cat = r.layer("3.cat")
    assert cat.kind == "function" and len(cat.input_shapes) == 4
    assert [s[1] for s in cat.input_shapes] == [16, 24, 24, 24]
    # The cat row consumes the four branch outputs, not hook order.
    assert sorted(r.layers[i].name for i in cat.inputs) == ["3.branch1x1", "3.branch3x3.2", "3.branch5x5.1", "3.branch_pool"]
    assert tuple(r.layer("8").output_shape) == (1, 1408)


def test_resnet_mini_residual_add_joins_both_paths():
    r = cnnscope.analyze("resnet_mini")
    add = r.layer("3.add")
    assert add.type == "add" and add.input_shapes == [[1, 16, 12, 12], [1, 16, 12, 12]]
    assert sorted(r.layers[i].name for i in add.inputs) == ["2", "3.conv2"]
    assert tuple(r.layer("8").output_shape) == (1, 512)


def test_nin_shapes():
    r = cnnscope.analyze("nin")
    assert shapes(r, ["0", "1", "2", "3", "4", "5", "7", "8", "9"]) == {
        "0": (1, 96, 54, 54), "1": (1, 96, 26, 26), "2": (1, 256, 26, 26), "3": (1, 256, 12, 12),
        "4": (1, 384, 12, 12), "5": (1, 384, 5, 5), "7": (1, 10, 5, 5), "8": (1, 10, 1, 1), "9": (1, 10)}


def test_tutorial_cnn_shows_functional_rows():
    r = cnnscope.analyze("tutorial_cnn")
    names = [row.name for row in r.layers]
    assert names == ["", "conv1", "relu", "max_pool2d", "conv2", "relu_1", "view", "fc1", "relu_2", "fc2", "log_softmax"]
    pool = r.layer("max_pool2d")
    assert pool.kind == "function" and pool.parent == ""
    assert pool.output_shape == [1, 10, 12, 12] and pool.kernel_size == [2, 2] and pool.stride == [2, 2]
    assert r.layer("view").output_shape == [1, 2000]
    assert r.output_shape == [1, 11]


@pytest.mark.parametrize("name", ["lenet5", "alexnet_mnist", "inception_mini", "resnet_mini", "nin", "tutorial_cnn"])
def test_tutorial_nets_trace_on_meta_and_leaf_costs_add_up(name):
    r = cnnscope.analyze(name)
    assert r.traced_on == "meta"
    assert sum(row.macs for row in r.leaves()) == r.totals.macs
    assert sum(row.params for row in r.leaves()) == r.totals.params
