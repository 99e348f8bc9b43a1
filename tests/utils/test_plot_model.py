"""plot_model: box labels identical to Keras 3's for the same model, the edges of the graph,
nested models expanded, and Keras's errors when pydot or Graphviz are missing. Drawing an image
needs the optional `pydot` package and Graphviz's `dot` (skipped otherwise)."""

import importlib.util
import re
import shutil
import sys

import keras
import pytest
from guide_models import multi_input_multi_output_model

import jeras
from jeras.utils.plot_model import layer_graph, layer_label, plot_model

HAS_PYDOT = importlib.util.find_spec("pydot") is not None
HAS_DOT = shutil.which("dot") is not None


def _model(lib):
    a = lib.Input(shape=(4,), name="a")
    b = lib.Input(shape=(3,), name="b")
    da = lib.layers.Dense(5, activation="relu", name="da")(a)
    db = lib.layers.Dense(5, name="db")(b)
    joined = lib.layers.Concatenate(name="cat")([da + db, da])
    sub = lib.Sequential(
        [lib.Input((10,)), lib.layers.Dense(3, name="s1"), lib.layers.Dense(2, name="s2")],
        name="sub",
    )
    return lib.Model([a, b], sub(joined), name="m")


def _names(graph):
    # Operators on symbolic tensors are named in call order across all models (`add_3`).
    names = {box["id"]: re.sub(r"^add(_\d+)?$", "add", box["layer"].name) for box in graph.boxes}
    for cluster in graph.clusters:
        names.update(_names(cluster))
    return names


@pytest.mark.parametrize(
    "options",
    [
        dict(),
        dict(show_shapes=True),
        dict(
            show_shapes=True,
            show_dtype=True,
            show_layer_names=True,
            show_layer_activations=True,
            show_trainable=True,
        ),
    ],
)
def test_labels_match_keras(options):
    from keras.src.utils.model_visualization import make_layer_label

    k_model, j_model = _model(keras), _model(jeras)
    boxes = layer_graph(j_model).boxes
    assert [type(box["layer"]).__name__ for box in boxes][:4] == [
        type(op).__name__ for op in k_model._operations
    ][:4]
    for box, operation in zip(boxes, k_model._operations):
        expected = make_layer_label(
            operation,
            **{
                "show_shapes": False,
                "show_dtype": False,
                "show_layer_names": False,
                "show_layer_activations": False,
                "show_trainable": False,
                **options,
            },
        )
        got = layer_label(box, **options)
        # Operator names count calls across all models (`add_3`): compare them unnumbered.
        unnumbered = [
            re.sub(r"<b>add(_\d+)?</b>", "<b>add</b>", label) for label in (got, expected)
        ]
        assert unnumbered[0] == unnumbered[1], operation.name


def test_edges_follow_the_layer_calls():
    graph = layer_graph(_model(jeras))
    names = _names(graph)
    assert [(names[s], names[d]) for s, d in graph.edges] == [
        ("a", "da"),
        ("b", "db"),
        ("da", "add"),
        ("db", "add"),
        ("add", "cat"),
        ("da", "cat"),
        ("cat", "sub"),
    ]


def test_expand_nested_draws_the_inner_layers_in_a_cluster():
    graph = layer_graph(_model(jeras), expand_nested=True)
    names = _names(graph)
    assert [cluster.name for cluster in graph.clusters] == ["sub"]
    assert [(names[s], names[d]) for s, d in graph.clusters[0].edges] == [("s1", "s2")]
    assert ("cat", "s1") in [(names[s], names[d]) for s, d in graph.edges]


def test_sequential_is_a_chain():
    model = jeras.Sequential(
        [
            jeras.Input((4,)),
            jeras.layers.Dense(3, name="x"),
            jeras.layers.Dense(2, name="y"),
            jeras.layers.Dense(1, name="z"),
        ]
    )
    graph = layer_graph(model)
    names = _names(graph)
    assert [box["layer"].name for box in graph.boxes] == ["x", "y", "z"]
    assert [(names[s], names[d]) for s, d in graph.edges] == [("x", "y"), ("y", "z")]
    assert "Input shape: <b>(None, 4)</b>" in layer_label(graph.boxes[0], show_shapes=True)


def test_unbuilt_model_is_refused_as_keras(tmp_path):
    with pytest.raises(ValueError) as k_info:
        keras.utils.plot_model(keras.Sequential([keras.layers.Dense(2)]), str(tmp_path / "k.png"))
    with pytest.raises(ValueError) as j_info:
        plot_model(jeras.Sequential([jeras.layers.Dense(2)]), str(tmp_path / "j.png"))
    assert str(j_info.value) == str(k_info.value)


@pytest.mark.skipif(HAS_PYDOT, reason="pydot is installed")
def test_missing_pydot_is_reported_as_keras(tmp_path, capsys):
    # Keras raises ImportError, or prints the message when IPython's namespace magics are
    # loaded (a notebook): whichever happens here, jeras must do the same.
    def outcome(draw):
        try:
            draw()
        except ImportError as error:
            return "raised", str(error)
        return "printed", capsys.readouterr().out

    expected = outcome(lambda: keras.utils.plot_model(_model(keras), str(tmp_path / "k.png")))
    got = outcome(lambda: plot_model(_model(jeras), str(tmp_path / "j.png")))
    assert got == expected
    assert "You must install pydot (`pip install pydot`) for `plot_model` to work." in got[1]


@pytest.mark.skipif(not (HAS_PYDOT and HAS_DOT), reason="needs pydot and Graphviz's `dot`")
def test_plot_writes_an_image(tmp_path):
    path = tmp_path / "model.png"
    plot_model(_model(jeras), str(path), show_shapes=True, expand_nested=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- the guide's multi-input, multi-output model ------------------------------------------------
def _guide_model(lib):
    return multi_input_multi_output_model(lib)


def _unnumbered(name):
    # Counters (`conv2d_3`) depend on what the session built before.
    return re.sub(r"_\d+$", "", name)


def _dot_layers_and_edges(dot):
    """Layer names of a pydot graph's boxes (read from their labels) and its edges as pairs of
    layer names."""
    names = {}
    for node in dot.get_nodes():
        match = re.search(r"<b>([^<]+)</b> \(", node.get("label") or "")
        if match:
            names[node.get_name()] = _unnumbered(match.group(1))
    edges = {(names[edge.get_source()], names[edge.get_destination()]) for edge in dot.get_edges()}
    return sorted(names.values()), edges


@pytest.mark.skipif(not HAS_PYDOT, reason="needs pydot")
def test_guide_model_graph_has_every_layer_and_keras_edges():
    from jeras.utils import model_to_dot

    j_model = _guide_model(jeras)
    j_names, j_edges = _dot_layers_and_edges(model_to_dot(j_model, show_layer_names=True))
    k_names, k_edges = _dot_layers_and_edges(
        keras.utils.model_to_dot(_guide_model(keras), show_layer_names=True)
    )
    assert j_names == sorted(_unnumbered(layer.name) for layer in j_model.layers)
    assert j_names == k_names
    assert j_edges == k_edges
    assert {
        ("img_input", "conv2d"),
        ("conv2d", "global_max_pooling2d"),
        ("global_max_pooling2d", "concatenate"),
        ("global_max_pooling1d", "concatenate"),
        ("concatenate", "score_output"),
        ("concatenate", "class_output"),
    } <= j_edges


def _png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.skipif(not (HAS_PYDOT and HAS_DOT), reason="needs pydot and Graphviz's `dot`")
def test_guide_model_plot_is_a_png_drawn_by_dot(tmp_path):
    model = _guide_model(jeras)
    plot_model(model, tmp_path / "multi_input_and_output_model.png", show_shapes=True)
    width, height = _png_size((tmp_path / "multi_input_and_output_model.png").read_bytes())
    # An extension-less name is drawn as PNG too; the resolution follows `dpi`.
    plot_model(model, tmp_path / "half_resolution", show_shapes=True, dpi=100)
    half_width, half_height = _png_size((tmp_path / "half_resolution").read_bytes())
    assert half_width < width and half_height < height
    shown = plot_model(model, tmp_path / "model.svg", show_layer_names=True, rankdir="LR")
    svg = (tmp_path / "model.svg").read_text()
    if importlib.util.find_spec("IPython") is not None:  # what a notebook cell displays
        assert type(shown).__name__ == "SVG"
    assert "<svg" in svg
    for layer in model.layers:
        assert f">{layer.name}<" in svg or f">{layer.name} " in svg, layer.name


def test_missing_pydot_is_a_clear_import_error(tmp_path, monkeypatch):
    for name in ("pydot", "pydot_ng", "pydotplus"):
        monkeypatch.setitem(sys.modules, name, None)  # `import` raises ImportError
    monkeypatch.delitem(sys.modules, "IPython.core.magics.namespace", raising=False)
    with pytest.raises(
        ImportError,
        match=re.escape("You must install pydot (`pip install pydot`) for `plot_model` to work."),
    ):
        plot_model(_guide_model(jeras), tmp_path / "model.png")


@pytest.mark.skipif(not HAS_PYDOT, reason="needs pydot")
def test_missing_graphviz_is_the_import_error_keras_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` to run
    monkeypatch.delitem(sys.modules, "IPython.core.magics.namespace", raising=False)
    with pytest.raises(ImportError) as k_info:
        keras.utils.plot_model(_guide_model(keras), str(tmp_path / "k.png"))
    with pytest.raises(ImportError) as j_info:
        plot_model(_guide_model(jeras), tmp_path / "j.png")
    assert str(j_info.value) == str(k_info.value)
    assert "You must install graphviz" in str(j_info.value)
    assert not (tmp_path / "j.png").exists()


def _summary_lines(model):
    lines = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.extend(line.splitlines()))
    return lines


def _param_totals(lines):
    return [
        line.strip()
        for line in lines
        if re.match(r"\s*(Total|Trainable|Non-trainable) params:", line)
    ]


def test_guide_model_summary_lists_every_layer_with_keras_totals():
    j_model = _guide_model(jeras)
    lines = _summary_lines(j_model)
    table = "\n".join(lines)
    for layer in j_model.layers:
        # Narrow tables wrap a layer's type and cut long names with "…", as Keras's do
        # (tests/models/test_summary.py compares whole tables with Keras).
        assert re.search(rf"│ {layer.name[:12]}", table), layer.name
    totals = _param_totals(lines)
    assert totals == _param_totals(_summary_lines(_guide_model(keras)))
    assert totals[0] == "Total params: 219 (876.00 B)"
