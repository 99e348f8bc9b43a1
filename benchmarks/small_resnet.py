"""A small ResNet-style CNN for CIFAR-shaped images, with the augmentation inside the model.

Both Keras-API contestants build it from `build_small_resnet(keras)`:

    Input(32, 32, 3) raw pixel values 0..255
    -> RandomFlip("horizontal") -> RandomTranslation(0.1, 0.1) -> Rescaling(1 / 255)
    -> Conv2D(32, 3) -> BatchNormalization -> ReLU
    -> three residual blocks (32, 64 with stride 2, 128 with stride 2), each
       Conv-BN-ReLU-Conv-BN plus a shortcut (a 1x1 Conv-BN where the shape changes), add, ReLU
    -> GlobalAveragePooling2D -> Dense(10, softmax)
    Adam, sparse categorical cross-entropy, accuracy

The floor (the `jax` contestant) is the same network written with jax.numpy and lax: the
same augmentation (a per-image horizontal flip, a per-image translation by a fraction of the
image drawn uniformly in [-0.1, 0.1] of each side, bilinear sampling with reflected borders),
BatchNormalization with batch statistics in training and moving averages (momentum 0.99,
epsilon 1e-3, as Keras's defaults) at inference, carried as non-trainable state.

Only the standard library is imported at module level (see bench_harness.py).
"""

# (filters, stride) of each residual block.
BLOCKS = ((32, 1), (64, 2), (128, 2))
STEM_FILTERS = 32
NUM_CLASSES = 10
BN_MOMENTUM = 0.99
BN_EPSILON = 1e-3
TRANSLATION_FACTOR = 0.1


def build_small_resnet(keras):
    layers = keras.layers

    def conv_bn(x, filters, kernel_size, strides=1):
        x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False)(x)
        return layers.BatchNormalization()(x)

    def residual_block(x, filters, stride):
        shortcut = x
        y = layers.ReLU()(conv_bn(x, filters, 3, stride))
        y = conv_bn(y, filters, 3)
        if stride != 1 or x.shape[-1] != filters:
            shortcut = conv_bn(x, filters, 1, stride)
        return layers.ReLU()(layers.add([y, shortcut]))

    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.RandomFlip("horizontal")(inputs)
    x = layers.RandomTranslation(TRANSLATION_FACTOR, TRANSLATION_FACTOR)(x)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.ReLU()(conv_bn(x, STEM_FILTERS, 3))
    for filters, stride in BLOCKS:
        x = residual_block(x, filters, stride)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# --------------------------------------------------------------------------
# The hand-written JAX floor
# --------------------------------------------------------------------------


def _conv_kernel(rng, size, in_channels, out_channels):
    import numpy as np

    # Glorot uniform over the receptive field, as Keras's Conv2D default.
    fan_in, fan_out = size * size * in_channels, size * size * out_channels
    limit = (6.0 / (fan_in + fan_out)) ** 0.5
    return rng.uniform(-limit, limit, (size, size, in_channels, out_channels)).astype(np.float32)


def _layout():
    """The convolutions in order: (name, kernel size, in channels, out channels, stride)."""
    convs = [("stem", 3, 3, STEM_FILTERS, 1)]
    channels = STEM_FILTERS
    for i, (filters, stride) in enumerate(BLOCKS):
        convs.append((f"block{i}_a", 3, channels, filters, stride))
        convs.append((f"block{i}_b", 3, filters, filters, 1))
        if stride != 1 or channels != filters:
            convs.append((f"block{i}_shortcut", 1, channels, filters, stride))
        channels = filters
    return convs, channels


def init_params(rng):
    """Trainable parameters: per convolution a kernel, BN gamma and beta; then the head."""
    import numpy as np

    convs, channels = _layout()
    params = {}
    for name, size, c_in, c_out, _ in convs:
        params[name] = {
            "kernel": _conv_kernel(rng, size, c_in, c_out),
            "gamma": np.ones(c_out, np.float32),
            "beta": np.zeros(c_out, np.float32),
        }
    limit = (6.0 / (channels + NUM_CLASSES)) ** 0.5
    params["head"] = {
        "kernel": rng.uniform(-limit, limit, (channels, NUM_CLASSES)).astype(np.float32),
        "bias": np.zeros(NUM_CLASSES, np.float32),
    }
    return params


def init_state():
    """Non-trainable state: BN moving mean and variance per convolution."""
    import numpy as np

    convs, _ = _layout()
    return {
        name: {"mean": np.zeros(c_out, np.float32), "variance": np.ones(c_out, np.float32)}
        for name, _, _, c_out, _ in convs
    }


def _augment(x, key):
    """Per image: a horizontal flip with probability 1/2, then a translation by up to 10% of
    each side, sampled bilinearly with reflected borders. A translation moves whole rows and
    whole columns, so the bilinear sampling is one small interpolation matrix per image and
    axis, applied with two batched matrix products (cheaper on every backend than a general
    2-D resampler or a gather)."""
    import jax
    import jax.numpy as jnp

    batch, height, width, _ = x.shape
    flip_key, shift_key = jax.random.split(key)
    flip = jax.random.bernoulli(flip_key, 0.5, (batch, 1, 1, 1))
    x = jnp.where(flip, x[:, :, ::-1, :], x)
    fractions = jax.random.uniform(
        shift_key, (batch, 2), minval=-TRANSLATION_FACTOR, maxval=TRANSLATION_FACTOR
    )
    rows = _shift_matrices(fractions[:, 0] * height, height)
    columns = _shift_matrices(fractions[:, 1] * width, width)
    x = jnp.einsum("bij,bjwc->biwc", rows, x)
    return jnp.einsum("bij,bhjc->bhic", columns, x)


def _shift_matrices(shifts, size):
    """One (size, size) matrix per image: row i holds the linear-interpolation weights of the
    source positions i - shift, indices reflected at the borders (d c b a | a b c d | d c b a)."""
    import jax
    import jax.numpy as jnp

    source = jnp.arange(size, dtype=jnp.float32)[None, :] - shifts[:, None]
    below = jnp.floor(source)
    weight = (source - below)[..., None]
    below = below.astype(jnp.int32)

    def reflect(index):
        index = jnp.mod(index, 2 * size)
        return jnp.where(index >= size, 2 * size - 1 - index, index)

    lower = jax.nn.one_hot(reflect(below), size, dtype=jnp.float32)
    upper = jax.nn.one_hot(reflect(below + 1), size, dtype=jnp.float32)
    return lower * (1 - weight) + upper * weight


def forward(params, state, x, training, key):
    """Class probabilities and the new BN state."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    new_state = {}

    def conv_bn(h, name, stride):
        h = lax.conv_general_dilated(
            h,
            params[name]["kernel"],
            (stride, stride),
            "SAME",
            dimension_numbers=("NHWC", "HWIO", "NHWC"),
        )
        moving = state[name]
        if training:
            mean = jnp.mean(h, axis=(0, 1, 2))
            variance = jnp.var(h, axis=(0, 1, 2))
            new_state[name] = {
                "mean": BN_MOMENTUM * moving["mean"] + (1 - BN_MOMENTUM) * mean,
                "variance": BN_MOMENTUM * moving["variance"] + (1 - BN_MOMENTUM) * variance,
            }
        else:
            mean, variance = moving["mean"], moving["variance"]
            new_state[name] = moving
        scale = params[name]["gamma"] * lax.rsqrt(variance + BN_EPSILON)
        return (h - mean) * scale + params[name]["beta"]

    h = _augment(x, key) if training else x
    h = h / 255.0
    h = jax.nn.relu(conv_bn(h, "stem", 1))
    channels = STEM_FILTERS
    for i, (filters, stride) in enumerate(BLOCKS):
        y = jax.nn.relu(conv_bn(h, f"block{i}_a", stride))
        y = conv_bn(y, f"block{i}_b", 1)
        if stride != 1 or channels != filters:
            h = conv_bn(h, f"block{i}_shortcut", stride)
        h = jax.nn.relu(y + h)
        channels = filters
    h = jnp.mean(h, axis=(1, 2))
    logits = h @ params["head"]["kernel"] + params["head"]["bias"]
    return jax.nn.softmax(logits, axis=-1), new_state
