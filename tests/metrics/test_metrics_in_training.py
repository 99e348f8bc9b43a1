"""The new metrics inside jeras's compiled evaluate(), against Keras metric objects fed the same
labels and predictions."""

import warnings

import keras
import numpy as np

import jeras

N = 6  # batches of 4 and 2: the last one is padded inside the compiled step


def _model_and_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 4)).astype("float32")
    y = rng.integers(0, 2, size=(N, 3)).astype("float32")
    model = jeras.Sequential([jeras.Input((4,)), jeras.layers.Dense(3, activation="sigmoid")])
    return model, x, y


def _evaluate_and_compare(metric_specs):
    """`metric_specs`: (class name, kwargs) pairs, each named "m{i}"."""
    model, x, y = _model_and_data()
    model.compile(
        loss="binary_crossentropy",
        metrics=[
            getattr(jeras.metrics, cls)(name=f"m{i}", **kwargs)
            for i, (cls, kwargs) in enumerate(metric_specs)
        ],
    )
    with warnings.catch_warnings():
        # Integer-dtype IoU warns about the float padding mask used as a weight.
        warnings.simplefilter("ignore")
        logs = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    y_pred = np.asarray(model.predict(x, batch_size=N, verbose=0))
    for i, (cls, kwargs) in enumerate(metric_specs):
        k_metric = getattr(keras.metrics, cls)(**kwargs)
        k_metric.update_state(y, y_pred)
        np.testing.assert_allclose(
            logs[f"m{i}"],
            np.asarray(k_metric.result()),
            atol=1e-5,
            rtol=1e-5,
            err_msg=f"{cls}({kwargs})",
        )


def test_metrics_with_state_built_at_construction_in_evaluate():
    _evaluate_and_compare(
        [
            ("AUC", {}),
            ("AUC", {"multi_label": True, "num_labels": 3, "curve": "PR"}),
            ("Precision", {}),
            ("Recall", {"top_k": 1}),
            ("PrecisionAtRecall", {"recall": 0.5}),
            ("TruePositives", {}),
            ("BinaryIoU", {}),
            ("PearsonCorrelation", {}),
        ]
    )


def test_metrics_built_at_first_update_in_evaluate():
    _evaluate_and_compare(
        [
            ("F1Score", {"average": "micro", "threshold": 0.5}),
            ("R2Score", {}),
            ("AUC", {"multi_label": True}),
        ]
    )
