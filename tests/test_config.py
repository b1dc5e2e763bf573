from __future__ import annotations

import pytest

from fpgagan.config import (
    LayerPrecision,
    PhotoSrConfig,
    Precision,
    TrainQatConfig,
    from_dict,
    load_yaml,
    to_dict,
)
from fpgagan.errors import ConfigError


def test_unknown_key_is_named_with_its_path():
    with pytest.raises(ConfigError, match=r"config\.qat\.precision: unknown key 'weigth_bits'"):
        from_dict(TrainQatConfig, {"qat": {"precision": {"weigth_bits": 4}}})


@pytest.mark.parametrize(
    "data, pattern",
    [
        ({"batch_size": "64"}, r"batch_size: expected an integer"),
        ({"batch_size": True}, r"batch_size: expected an integer"),
        ({"qat": {"precision": {"weight_bits": 9}}}, r"weight_bits must be in \[1, 8\]"),
        ({"qat": {"precision": {"act_bits": 1}}}, r"act_bits must be in \[2, 8\]"),
        ({"qat": {"precision": {"input_range": 3.0}}}, r"input_range must be a power of two"),
        ({"data": {"dataset": "mnist"}}, r"must be one of \['fashion-mnist', 'digits'\]"),
        ({"teacher": {"min_epochs": 5, "max_epochs": 2}}, r"min_epochs must be in \[1, 2\]"),
        ({"qat": []}, r"config\.qat: expected a mapping"),
    ],
)
def test_bad_values_are_refused(data, pattern):
    with pytest.raises(ConfigError, match=pattern):
        from_dict(TrainQatConfig, data)


def test_round_trip_and_per_layer_overrides():
    cfg = from_dict(
        TrainQatConfig,
        {"qat": {"precision": {"weight_bits": 4, "layers": {"fc": {"weight_bits": 8}}}}},
    )
    p = cfg.qat.precision
    assert (p.weight_bits_of("fc"), p.weight_bits_of("deconv1"), p.act_bits_of("fc")) == (8, 4, 8)
    assert to_dict(from_dict(TrainQatConfig, to_dict(cfg))) == to_dict(cfg)


def test_float_accepts_yaml_scientific_strings():
    cfg = from_dict(TrainQatConfig, {"teacher": {"optim": {"lr_g": "2e-4"}}})
    assert cfg.teacher.optim.lr_g == pytest.approx(2e-4)


def test_every_shipped_config_loads(repo):
    paths = sorted((repo / "configs").glob("*.yaml"))
    assert paths
    for path in paths:
        # photo super-resolution recipes (fpgagan.workflows.photo_sr) have a config of their own
        cls = PhotoSrConfig if path.name.endswith("photo_sr2x.yaml") else TrainQatConfig
        assert isinstance(load_yaml(cls, path), cls)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_yaml(TrainQatConfig, tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_yaml(TrainQatConfig, bad)


def test_precision_tag():
    assert Precision(weight_bits=2, act_bits=4).tag == "TA4"
    assert Precision(weight_bits=2, act_bits=4, weight_range="full").tag == "W2A4"
    assert Precision(weight_range="full").tag == "W4fA8"
    assert (
        Precision(weight_scaling="per-channel", layers={"fc": LayerPrecision(8)}).tag == "W4A8pc+"
    )


def test_tri_state_takes_yaml_booleans_and_any_spelling(tmp_path):
    """``sparse: true`` in a YAML file is the TRUE of the three-way choice, not a refusal."""
    from fpgagan.config import TriState, load_yaml
    from fpgagan.workflows.hls_flow import HlsFlowConfig

    assert TriState(True) is TriState.TRUE and TriState(False) is TriState.FALSE
    assert TriState(" Auto ") is TriState.AUTO and TriState.AUTO == "auto"
    with pytest.raises(ValueError):
        TriState("maybe")
    for text, expected in (
        ("true", TriState.TRUE),
        ("no", TriState.FALSE),
        ('"auto"', TriState.AUTO),
    ):
        path = tmp_path / f"flow-{expected.value}.yaml"
        path.write_text(f"sparse: {text}\n")
        assert load_yaml(HlsFlowConfig, path).sparse is expected
    bad = tmp_path / "bad.yaml"
    bad.write_text("sparse: sometimes\n")
    with pytest.raises(ConfigError, match="sparse"):
        load_yaml(HlsFlowConfig, bad)
