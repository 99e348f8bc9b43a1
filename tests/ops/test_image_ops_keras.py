"""The `keras.ops.image` functions jeras added for issue 14 against real Keras on the same
inputs, channels_last and channels_first."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import assert_close, matmul_tolerance

import jeras

RNG = np.random.default_rng(5)
IMAGES = RNG.uniform(size=(2, 9, 8, 3)).astype("float32")
IMAGE = IMAGES[0]
OTHER = np.clip(IMAGES + RNG.normal(scale=0.1, size=IMAGES.shape), 0, 1).astype("float32")
VOLUMES = RNG.uniform(size=(1, 6, 5, 4, 2)).astype("float32")
START = np.array([[0, 0], [7, 0], [0, 8], [7, 8]], "float32")
END = np.array([[1, 0.5], [6, 1], [0, 7], [7.5, 8]], "float32")

# (name, positional arguments, keyword arguments); images are channels_last here and moved to
# channels_first for the second run where the function takes a data_format.
CASES = [
    ("rgb_to_grayscale", (IMAGES,), {}),
    ("rgb_to_grayscale", (IMAGE,), {}),
    ("rgb_to_grayscale", ((IMAGES * 255).astype("uint8"),), {}),
    ("rgb_to_hsv", (IMAGES,), {}),
    ("rgb_to_hsv", (np.array([[[0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0]]], "float32"),), {}),
    ("hsv_to_rgb", (IMAGES,), {}),
    ("gaussian_blur", (IMAGES,), {}),
    ("gaussian_blur", (IMAGE,), {"kernel_size": (5, 3), "sigma": (2.0, 0.7)}),
    ("sobel_edges", (IMAGES,), {}),
    ("ssim", (IMAGES, OTHER), {"filter_size": 7}),
    ("ssim", (IMAGE, OTHER[0]), {"max_val": 2.0, "filter_size": 5, "filter_sigma": 1.0}),
    ("perspective_transform", (IMAGES, np.stack([START] * 2), np.stack([END] * 2)), {}),
    ("perspective_transform", (IMAGE, START, END), {"interpolation": "nearest", "fill_value": 0.5}),
    (
        "perspective_transform",
        (IMAGES, np.stack([START, START]), np.stack([END, START])),
        {},
    ),
    ("extract_patches", (IMAGES, 3), {}),
    ("extract_patches", (IMAGE, (2, 3)), {"strides": (1, 2), "padding": "same"}),
    ("extract_patches", (IMAGES, 2), {"dilation_rate": 2, "strides": 1}),
    ("extract_patches_3d", (VOLUMES, 2), {}),
    ("extract_patches_3d", (VOLUMES, (2, 3, 2)), {"strides": 1, "padding": "same"}),
    ("extract_patches", (VOLUMES, (2, 2, 2)), {}),
    ("elastic_transform", (IMAGES,), {"seed": 3}),
    ("elastic_transform", (IMAGE,), {"alpha": 2.0, "sigma": 1.0, "seed": 7}),
    (
        "elastic_transform",
        (IMAGES,),
        {"interpolation": "nearest", "fill_mode": "constant", "fill_value": 0.3, "seed": 1},
    ),
]


def _first(x):
    if isinstance(x, np.ndarray) and x.ndim == 4 and x.shape[-1] == 3:
        return np.moveaxis(x, -1, 1).copy()
    if isinstance(x, np.ndarray) and x.ndim == 3 and x.shape[-1] == 3:
        return np.moveaxis(x, -1, 0).copy()
    if isinstance(x, np.ndarray) and x.ndim == 5:
        return np.moveaxis(x, -1, 1).copy()
    return x


def _case_id(case):
    name, args, kwargs = case
    return f"{name}-{np.shape(args[0])}-{kwargs}".replace(" ", "")


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_keras(case, data_format):
    name, args, kwargs = case
    if data_format == "channels_first":
        args = tuple(_first(a) for a in args)
        if name == "extract_patches" and np.ndim(args[0]) == 5:
            pytest.skip("Keras's extract_patches reads 3D sizes as channels_last only")
    kwargs = {**kwargs, "data_format": data_format}
    expected = getattr(keras.ops.image, name)(*args, **kwargs)
    actual = getattr(jeras.ops.image, name)(*args, **kwargs)
    assert_close(actual, expected, check_shape=True, **matmul_tolerance(atol=2e-5, rtol=2e-5))
    assert str(actual.dtype) == keras.ops.dtype(expected)


def test_data_format_none_follows_the_global_setting():
    expected = keras.ops.image.gaussian_blur(IMAGES, data_format="channels_last")
    assert_close(jeras.ops.image.gaussian_blur(IMAGES), expected, **matmul_tolerance())


def test_perspective_transform_broadcasts_one_set_of_points_over_a_batch():
    # Keras on JAX refuses this combination; jeras applies the points to every image.
    expected = keras.ops.image.perspective_transform(IMAGE, START, END)
    actual = jeras.ops.image.perspective_transform(IMAGES, START, END)
    assert_close(actual[0], expected)


def test_hsv_round_trip():
    hsv = jeras.ops.image.rgb_to_hsv(IMAGES)
    assert_close(jeras.ops.image.hsv_to_rgb(hsv), IMAGES, atol=1e-5)


@pytest.mark.parametrize("method", ["linear", "cubic", "lanczos3"])
def test_scale_and_translate_matches_keras(method):
    args = (
        IMAGES,
        (2, 13, 11, 3),
        np.array([1.5, 1.3], "float32"),
        np.array([0.5, -1.0], "float32"),
        (1, 2),
        method,
    )
    assert_close(
        jeras.ops.image.scale_and_translate(*args),
        keras.ops.image.scale_and_translate(*args),
        check_shape=True,
    )


@pytest.mark.parametrize(
    "name, args",
    [
        ("gaussian_blur", (IMAGES,)),
        ("sobel_edges", (IMAGES,)),
        ("ssim", (IMAGE, OTHER[0])),
        ("perspective_transform", (IMAGE, START, END)),
        ("extract_patches", (IMAGES, 3)),
        ("rgb_to_grayscale", (IMAGES,)),
    ],
)
def test_gradients_match_keras(name, args):
    def loss(module, images):
        kwargs = {"filter_size": 5} if name == "ssim" else {}
        out = getattr(module.ops.image, name)(
            images, *args[1:], data_format="channels_last", **kwargs
        )
        return jnp.sum(out * jnp.cos(jnp.arange(out.size).reshape(out.shape)))

    assert_close(
        jax.grad(loss, argnums=1)(jeras, args[0]),
        jax.grad(loss, argnums=1)(keras, args[0]),
        **matmul_tolerance(atol=2e-5, rtol=2e-5),
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: jeras.ops.image.rgb_to_grayscale(IMAGES[..., :2]), "rgb_to_grayscale: expected 3"),
        (
            lambda: jeras.ops.image.rgb_to_hsv((IMAGES * 255).astype("uint8")),
            "rgb_to_hsv: images must have a float",
        ),
        (
            lambda: jeras.ops.image.ssim(IMAGES, IMAGE),
            "ssim: image1 and image2 must have the same shape",
        ),
        (
            lambda: jeras.ops.image.perspective_transform(IMAGES, START[:3], END),
            "perspective_transform: `start_points`",
        ),
        (
            lambda: jeras.ops.image.elastic_transform(IMAGES, fill_mode="edge"),
            "elastic_transform: `fill_mode`",
        ),
        (
            lambda: jeras.ops.image.scale_and_translate(
                IMAGES, (2, 4, 4, 3), [1, 1], [0, 0], (1, 2), "area"
            ),
            "scale_and_translate: `method`",
        ),
        (lambda: jeras.ops.image.sobel_edges(IMAGES[0, 0]), "sobel_edges: expected a 3D image"),
    ],
)
def test_bad_input_errors_name_the_function(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_keras_ops_image_names_are_all_present():
    names = {n for n in dir(keras.ops.image) if not n.startswith("_")}
    assert not sorted(n for n in names if not hasattr(jeras.ops.image, n))
