"""Method configs: defaults, a stable digest, errors naming field, value and what is allowed."""

from __future__ import annotations

import json
import typing
from hashlib import sha256

import pytest
from hypothesis import given
from hypothesis import strategies as st

from w2s.errors import ConfigError
from w2s.methods import FIELDS, describe_fields, parse_method_config
from w2s.methods.adapters import ADAPTER_FIELDS, TRAINING_FIELDS
from w2s.methods.config import MethodConfig
from w2s.methods.field import FieldValue


def test_empty_config_is_vanilla_xent_with_every_default_filled() -> None:
    config = parse_method_config({})
    assert config.method == "vanilla" and config.loss == "xent"
    assert set(config.to_dict()) == {f.name for f in FIELDS}


def test_every_field_is_an_attribute_of_the_type_its_table_row_gives() -> None:
    attributes = {k: v for k, v in vars(MethodConfig).items() if isinstance(v, FieldValue)}
    assert set(attributes) == {f.name for f in FIELDS}
    config = parse_method_config({})
    for f in FIELDS:
        # typing records the subscripted class of `FieldValue[float]()` on the instance.
        (declared,) = typing.get_args(vars(attributes[f.name])["__orig_class__"])
        expected = f.type | None if f.nullable else f.type
        assert declared == expected, f.name
        assert getattr(config, f.name) == config.values[f.name]


@given(st.permutations([("loss", "logconf"), ("epochs", 3), ("lr", 0.01), ("seed", 4)]))
def test_digest_ignores_key_order(items: list[tuple[str, object]]) -> None:
    reference = parse_method_config({"loss": "logconf", "epochs": 3, "lr": 0.01, "seed": 4})
    assert parse_method_config(dict(items)).digest() == reference.digest()


def test_digest_ignores_spelled_out_defaults_but_not_changes() -> None:
    plain = parse_method_config({"loss": "logconf"})
    spelled = parse_method_config({"loss": "logconf", "epochs": 2, "aux_coef": 0.5, "seed": 0})
    assert plain.digest() == spelled.digest()
    assert plain.digest() != parse_method_config({"loss": "logconf", "seed": 1}).digest()
    assert parse_method_config(json.loads(json.dumps(plain.to_dict()))).digest() == plain.digest()


def test_integral_floats_count_as_integers() -> None:
    assert parse_method_config({"epochs": 3.0}).epochs == 3


@pytest.mark.parametrize(
    ("obj", "needles"),
    [
        ({"loss": "mse"}, ["'loss'", '"mse"', "xent", "logconf", "product"]),
        ({"epochs": 0}, ["'epochs'", "0", "[1, 200]"]),
        ({"epochs": 1.5}, ["'epochs'", "1.5", "integer"]),
        ({"lr": -1}, ["'lr'", "-1", "(0, 1]"]),
        ({"lr": float("nan")}, ["'lr'", "NaN"]),
        ({"lr": "fast"}, ["'lr'", '"fast"', "number"]),
        ({"early_stopping": "yes"}, ["'early_stopping'", "true or false"]),
        ({"ensemble": True}, ["'ensemble'", "true", "integer"]),
        ({"label_smoothing": 0.5}, ["'label_smoothing'", "0.5", "[0, 0.5)"]),
        ({"method": None}, ["'method'", "null", "vanilla"]),
        ({"epoch": 3}, ["unknown", "'epoch'", "epochs"]),
        ({"rounds": 3}, ["'rounds'", "self_training", "'vanilla'"]),
        ({"aux_coef": 0.9}, ["'aux_coef'", "logconf", "'xent'"]),
        (
            {"method": "confident", "confidence_threshold": 0.8, "confident_fraction": 0.5},
            ["confidence_threshold", "confident_fraction", "at most one"],
        ),
        ([1, 2], ["JSON object", "list"]),
    ],
)
def test_bad_configs_name_field_value_and_what_is_allowed(obj: object, needles: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_method_config(obj)
    for needle in needles:
        assert needle in str(info.value)


def test_task_defaults_fill_before_global_defaults() -> None:
    config = parse_method_config({"epochs": 4}, defaults={"lr": 0.01, "epochs": 9})
    assert (config.lr, config.epochs) == (0.01, 4)


def test_describe_fields_documents_every_field() -> None:
    rows = describe_fields()
    assert [r["name"] for r in rows] == [f.name for f in FIELDS]
    for row in rows:
        assert row["doc"] and row["allowed"] and row["type"] in {"bool", "int", "float", "str"}
        json.dumps(row)


def test_fields_added_later_leave_earlier_digests_alone() -> None:
    # The digest of a config that sets no later field is what it was before they existed.
    before = parse_method_config({"loss": "logconf"}).to_dict()
    later = [f.name for f in (*TRAINING_FIELDS, *ADAPTER_FIELDS)] + ["data_seed", "data_fraction"]
    for name in later:
        del before[name]
    blob = json.dumps(before, sort_keys=True, separators=(",", ":"))
    assert (
        parse_method_config({"loss": "logconf"}).digest() == sha256(blob.encode()).hexdigest()[:16]
    )
    assert parse_method_config({"data_seed": 1}).digest() != parse_method_config({}).digest()
