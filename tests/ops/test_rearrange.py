"""`ops.rearrange` against Keras 3's on the same arrays (values, shapes, dtypes), and its errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import jeras

IMAGES = np.random.default_rng(0).normal(size=(4, 6, 8, 3)).astype("float32")

CASES = [
    ("b h w c -> b c h w", {}),
    ("b h w c -> (b h) w c", {}),
    ("b h w c -> h (b w) c", {}),
    ("b h w c -> b (c h w)", {}),
    ("b (h1 h) (w1 w) c -> (b h1 w1) h w c", {"h1": 2, "w1": 2}),
    ("b (h h1) (w w1) c -> b h w (c h1 w1)", {"h1": 2, "w1": 2}),
    ("b h w c -> b h w c", {}),
    ("b (h a) w c -> a b h w c", {"a": 3}),
]


@pytest.mark.parametrize("pattern, lengths", CASES)
def test_rearrange_matches_keras(pattern, lengths):
    ours = jeras.ops.rearrange(IMAGES, pattern, **lengths)
    theirs = keras.ops.rearrange(IMAGES, pattern, **lengths)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def test_rearrange_works_on_symbolic_inputs_and_in_a_model():
    inputs = jeras.Input((6, 8, 3))
    outputs = jeras.ops.rearrange(inputs, "b h w c -> b (h w) c")
    assert tuple(outputs.shape) == (None, 48, 3)
    model = jeras.Model(inputs, outputs)
    np.testing.assert_array_equal(model.predict(IMAGES, verbose=0), IMAGES.reshape(4, 48, 3))


@pytest.mark.parametrize(
    "pattern, lengths, message",
    [
        ("b h w -> b w h", {}, "describes 3 input axes.*4 axes"),
        ("b h w c -> b h w", {}, "same axes.*'c'"),
        ("b (h1 h) w c -> b h1 h w c", {}, "pass the lengths"),
        ("b (h1 h) w c -> b h1 h w c", {"h1": 4}, "cannot be split"),
        ("b h w c", {}, "one '->'"),
        ("b h h c -> b h c", {}, "repeats"),
    ],
)
def test_rearrange_errors_name_the_pattern_and_shapes(pattern, lengths, message):
    with pytest.raises(ValueError, match=message):
        jeras.ops.rearrange(IMAGES, pattern, **lengths)
