"""jupyter_exp.capture.cell: the configuration of a cell (literals, namespace reads, config objects)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os

import pytest

from jupyter_exp.capture.cell import (
    MASK,
    ConfigValue,
    capture_config,
    cell_sha256,
    config_document,
    config_to_params,
    flatten,
    key_values,
    literal_assignments,
    namespace_reads,
    object_to_mapping,
    parse_key_value,
    parse_python,
    split_key_value,
    to_plain,
)


def literals(source: str) -> dict:
    return literal_assignments(parse_python(source))


# -- literal_assignments ------------------------------------------------------------------------


def test_literal_numbers_including_negative_and_scientific():
    found = literals("epochs = 10\nlr = 3e-4\nmomentum = 0.9\nshift = -2\nscale = -0.5\nflag = True\n")
    assert found == {"epochs": 10, "lr": 3e-4, "momentum": 0.9, "shift": -2, "scale": -0.5, "flag": True}
    assert isinstance(found["epochs"], int) and isinstance(found["lr"], float)


def test_literal_collections_and_strings():
    found = literals(
        "layers = [64, 128, 256]\n"
        "opt = {'name': 'adam', 'betas': (0.9, 0.999), 'lr': 1e-3}\n"
        "model: str = 'resnet18'\n"
        "nothing = None\n"
    )
    assert found["layers"] == [64, 128, 256]
    assert found["opt"] == {"name": "adam", "betas": (0.9, 0.999), "lr": 1e-3}
    assert found["model"] == "resnet18"  # annotated assignment
    assert "nothing" in found and found["nothing"] is None


def test_literal_tuple_unpacking_and_chained_targets():
    found = literals("a, b = 1, -2\n[c, d] = ['x', 'y']\ne = f = 7\n")
    assert found == {"a": 1, "b": -2, "c": "x", "d": "y", "e": 7, "f": 7}


def test_literal_last_assignment_wins():
    assert literals("lr = 0.1\nlr = 0.01\n") == {"lr": 0.01}


def test_non_literal_rebinding_removes_earlier_literal():
    found = literals("lr = 0.1\nbs = 32\nlr = schedule(bs)\nseed = 1\n")
    assert "lr" not in found
    assert found == {"bs": 32, "seed": 1}


def test_non_literal_tuple_rebinding_removes_every_target():
    found = literals("a = 1\nb = 2\na, b = make_pair()\n")
    assert found == {}


def test_augmented_assignment_rebinds_a_literal():
    # The cell runs with epochs == 20; recording epochs=10 would be a wrong param.
    found = literals("epochs = 10\nepochs *= 2\nlr = 0.1\n")
    assert found.get("epochs") != 10
    assert found["lr"] == 0.1


def test_nested_and_non_top_level_assignments_are_not_config():
    found = literals("if True:\n    hidden = 5\ndef f():\n    inner = 3\nx = 1\n")
    assert found == {"x": 1}


def test_ipython_syntax_still_parses():
    source = "lr = 0.1\n!ls -la\n%time y = compute()\nfiles = !ls\nbs = 32\n%matplotlib inline\n"
    tree = parse_python(source)
    assert tree is not None
    found = literal_assignments(tree)
    assert found["lr"] == 0.1 and found["bs"] == 32
    assert "files" not in found and "y" not in found


def test_unparseable_cell_gives_no_literals():
    assert parse_python("lr = = 0.1\n") is None
    assert literal_assignments(None) == {}


def test_cell_sha256_is_of_exact_source():
    assert cell_sha256("x = 1\n") != cell_sha256("x = 1")
    assert len(cell_sha256("x")) == 64 and cell_sha256("x") == cell_sha256("x")


# -- namespace_reads ----------------------------------------------------------------------------


def _helper(x):
    return x


def test_namespace_reads_plain_values_only():
    source = "model = build(width, depth, names, opts)\nprint(os.sep, _private, big, weird, tup)\n"
    namespace = {
        "build": _helper,
        "width": 128,
        "depth": 4,
        "names": ["a", "b"],
        "opts": {"dropout": 0.1, "act": "relu"},
        "os": os,
        "_private": 3,
        "big": list(range(1000)),
        "weird": object(),
        "tup": (1, 2.5, "z"),
        "unused": 99,
    }
    found = namespace_reads(parse_python(source), namespace)
    assert found == {
        "width": 128,
        "depth": 4,
        "names": ["a", "b"],
        "opts": {"dropout": 0.1, "act": "relu"},
        "tup": (1, 2.5, "z"),
    }


def test_namespace_reads_ignores_names_not_in_namespace_and_ipython_builtins():
    source = "print(In, Out, missing, width)\n"
    found = namespace_reads(parse_python(source), {"In": [""], "Out": {}, "width": 3})
    assert found == {"width": 3}


def test_namespace_reads_skip():
    source = "lr = 0.5\ntrain(lr, bs)\n"
    namespace = {"lr": 0.1, "bs": 16, "train": _helper}
    tree = parse_python(source)
    assert namespace_reads(tree, namespace, skip=literal_assignments(tree)) == {"bs": 16}


def test_capture_config_skips_cell_literals_from_namespace():
    config = capture_config("lr = 0.5\ntrain(lr, bs)\n", {"lr": 0.1, "bs": 16, "train": _helper})
    assert config["lr"] == ConfigValue(0.5, "cell")
    assert config["bs"] == ConfigValue(16, "namespace")


def test_capture_config_ignores_stale_namespace_values_of_names_the_cell_defines():
    # A training cell re-run: the first run left `epoch` and `acc` in the namespace. They are not
    # configuration of the second run (the cell defines them itself), and capturing them makes the
    # second run's params differ from the first run's.
    source = "for epoch in range(epochs):\n    acc = train(epoch)\nprint(epoch, acc)\n"
    namespace = {"epochs": 3, "train": _helper, "epoch": 2, "acc": 0.93}
    config = capture_config(source, namespace)
    assert config["epochs"] == ConfigValue(3, "namespace")
    assert "epoch" not in config
    assert "acc" not in config


# -- config objects -----------------------------------------------------------------------------


@dataclasses.dataclass
class Optimizer:
    name: str = "adam"
    lr: float = 3e-4


@dataclasses.dataclass
class TrainConfig:
    epochs: int = 5
    optimizer: Optimizer = dataclasses.field(default_factory=Optimizer)
    tags: tuple = ("a", "b")


def test_object_to_mapping_dict_dataclass_namespace():
    assert object_to_mapping({"a": 1}) == {"a": 1}
    mapping = object_to_mapping(TrainConfig())
    assert mapping is not None
    assert mapping["epochs"] == 5 and mapping["optimizer"] == Optimizer()
    assert object_to_mapping(argparse.Namespace(lr=0.1, name="x")) == {"lr": 0.1, "name": "x"}
    assert object_to_mapping(TrainConfig) is None  # the class itself is not a config
    assert object_to_mapping(42) is None
    assert object_to_mapping([1, 2]) is None


def test_object_to_mapping_pydantic():
    import pydantic  # a dependency of mlflow

    class Model(pydantic.BaseModel):
        lr: float = 0.1
        layers: list[int] = [1, 2]

    assert object_to_mapping(Model(lr=0.5)) == {"lr": 0.5, "layers": [1, 2]}
    assert object_to_mapping(Model) is None


def test_to_plain_and_flatten_nested():
    plain = to_plain(TrainConfig())
    assert plain == {"epochs": 5, "optimizer": {"name": "adam", "lr": 3e-4}, "tags": ["a", "b"]}
    assert json.loads(json.dumps(plain)) == plain
    assert flatten({"optimizer": {"lr": 0.1, "betas": {"b1": 0.9}}, "epochs": 3, "layers": [1, 2]}) == {
        "optimizer.lr": 0.1,
        "optimizer.betas.b1": 0.9,
        "epochs": 3,
        "layers": [1, 2],
    }
    assert to_plain({3, 1, 2}) == [1, 2, 3]
    assert to_plain(object).startswith("<class")


def test_config_objects_flatten_to_dotted_params():
    namespace = {"cfg": TrainConfig(), "args": argparse.Namespace(seed=7, device="cpu")}
    config = capture_config("train(cfg, args)\n", namespace)
    assert config["cfg"].source == "object" and config["args"].source == "object"
    params = config_to_params(config)
    assert params["cfg.optimizer.lr"] == str(3e-4)
    assert params["cfg.optimizer.name"] == "adam"
    assert params["cfg.epochs"] == "5"
    assert params["args.seed"] == "7"
    assert "cfg" not in params


def test_capture_config_named_object_and_all_sources():
    namespace = {"settings": {"optimizer": {"lr": 0.1}}, "width": 64, "train": _helper}
    config = capture_config(
        "bs = 32\ntrain(settings, width, bs)\n",
        namespace,
        config_names=["settings"],
        extra_params={"bs": 64, "note": "from-cli"},
    )
    sources = {name: entry.source for name, entry in config.items()}
    assert sources == {"settings": "object", "width": "namespace", "bs": "--param", "note": "--param"}
    assert config["bs"].value == 64  # --param overrides the cell literal
    params = config_to_params(config)
    assert params["settings.optimizer.lr"] == "0.1"
    document = config_document(config)
    assert document["width"] == {"value": 64, "source": "namespace"}
    assert document["settings"]["value"] == {"optimizer": {"lr": 0.1}}


def test_capture_config_cell_source():
    config = capture_config("lr = 0.01\nlayers = [1, 2]\n", {})
    assert config == {"lr": ConfigValue(0.01, "cell"), "layers": ConfigValue([1, 2], "cell")}


# -- secrets ------------------------------------------------------------------------------------


SECRET_NAMES = ["password", "DB_PASSWORD", "hf_token", "Secret", "api_key", "OPENAI_APIKEY", "credential"]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_names_masked_in_params_and_document(name):
    config = {name: ConfigValue("hunter2", "cell"), "lr": ConfigValue(0.1, "cell")}
    params = config_to_params(config)
    assert params[name] == MASK
    assert params["lr"] == "0.1"
    document = config_document(config)
    assert document[name] == {"value": MASK, "source": "cell"}
    assert "hunter2" not in json.dumps(document) and "hunter2" not in json.dumps(params)


def test_nested_secret_masked():
    config = capture_config(
        "connect(db)\n",
        {"db": {"host": "localhost", "password": "hunter2", "auth": {"Token": "abc123"}}, "connect": _helper},
    )
    params = config_to_params(config)
    assert params["db.password"] == MASK
    assert params["db.auth.Token"] == MASK
    assert params["db.host"] == "localhost"
    document = config_document(config)
    assert document["db"]["value"] == {"host": "localhost", "password": MASK, "auth": {"Token": MASK}}
    assert document["db"]["source"] == "namespace"
    assert "hunter2" not in json.dumps(document) and "abc123" not in json.dumps(params)


def test_secret_object_name_masks_whole_value():
    config = {"credentials": ConfigValue({"user": "me", "key": "hunter2"}, "object")}
    assert config_to_params(config) == {"credentials": MASK}
    assert config_document(config)["credentials"]["value"] == MASK


def test_secret_passed_as_param_masked():
    key, value = parse_key_value("api_key=sk-12345", "--param")
    config = capture_config("x = 1\n", {}, extra_params={key: value})
    assert config_to_params(config)["api_key"] == MASK
    assert config_document(config)["api_key"] == {"value": MASK, "source": "--param"}


def test_secret_inside_list_of_dicts_masked():
    config = {"servers": ConfigValue([{"host": "a", "password": "hunter2"}], "cell")}
    assert "hunter2" not in json.dumps(config_to_params(config))
    assert "hunter2" not in json.dumps(config_document(config))


# -- parse_key_value ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lr=3e-4", ("lr", 3e-4)),
        ("epochs=10", ("epochs", 10)),
        ("shift=-1", ("shift", -1)),
        ("layers=[64, 128]", ("layers", [64, 128])),
        ("opt={'lr': 0.1}", ("opt", {"lr": 0.1})),
        ("flag=True", ("flag", True)),
        ("name=resnet", ("name", "resnet")),
        ("name='quoted'", ("name", "quoted")),
        ("optimizer.lr=0.5", ("optimizer.lr", 0.5)),
        ("expr=a=b", ("expr", "a=b")),
        ("empty=", ("empty", "")),
    ],
)
def test_parse_key_value(text, expected):
    key, value = parse_key_value(text, "--param")
    assert (key, value) == expected
    assert type(value) is type(expected[1])


@pytest.mark.parametrize("text", ["lr", "=0.1", "1lr=2", "my-key=3", " lr=1", ""])
def test_parse_key_value_malformed(text):
    with pytest.raises(ValueError, match="--param must look like key=value"):
        parse_key_value(text, "--param")


def test_one_key_value_reading_for_tags_params_and_query_arguments():
    """Tag filters (%runs --tag, the REST's ?tag=) take any key, as written; --param/--set a name and a
    literal: the same split, the same one-line error."""
    assert split_key_value(" team/owner = a=b", "tag") == ("team/owner", " a=b")
    assert split_key_value("my-key=3", "tag") == ("my-key", "3")
    assert key_values(["a=1", "b=x", "a=2"], "--tag") == {"a": "2", "b": "x"}
    assert key_values(["lr=0.1", "n=3"], "--param", literal=True) == {"lr": 0.1, "n": 3}
    for bad in ["novalue", "=3", " =3"]:
        with pytest.raises(ValueError, match=f"^tag must look like key=value, got {bad!r}$"):
            key_values([bad], "tag")
