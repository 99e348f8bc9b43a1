"""TensorBoard without TensorFlow. Event files need the optional `tensorboard` package (skipped
when it is not installed); the parts that do not need it (argument checks, the PNG encoder,
histogram buckets, the error when the package is missing) are checked always."""

import importlib.util
import struct
import zlib

import numpy as np
import pytest

import jeras
from callback_models import binary_data, compiled_pair
from jeras.callbacks import tensorboard as tensorboard_module

HAS_TENSORBOARD = importlib.util.find_spec("tensorboard") is not None


@pytest.mark.parametrize("profile_batch,expected", [(0, (0, 0)), (3, (3, 3)), ("2,5", (2, 5)),
                                                    ((1, 4), (1, 4))])
def test_profile_batch_forms(profile_batch, expected):
    assert tensorboard_module._parse_profile_batch(profile_batch) == expected


@pytest.mark.parametrize("profile_batch", [-1, (5, 2), "a,b", (1, 2, 3)])
def test_invalid_profile_batch_is_refused(profile_batch):
    with pytest.raises(ValueError, match="profile_batch must be a non-negative integer"):
        jeras.callbacks.TensorBoard(profile_batch=profile_batch)


def test_epoch_logging_keeps_fit_fused_and_batch_logging_does_not(tmp_path):
    def per_batch(**kwargs):
        callback = jeras.callbacks.TensorBoard(str(tmp_path), **kwargs)
        return jeras.callbacks.CallbackList([callback]).needs_batch_logs("train")

    assert not per_batch()
    assert per_batch(update_freq="batch")
    assert per_batch(update_freq=10)


def test_png_encoder_writes_a_decodable_image():
    rng = np.random.default_rng(0)
    image = rng.random(size=(3, 4, 1))
    data = tensorboard_module._encode_png(image)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = {}, 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = body
        offset += 12 + length
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    assert (width, height) == (4, 3)
    raw = zlib.decompress(chunks[b"IDAT"])
    rows = [raw[r * 5 + 1:(r + 1) * 5] for r in range(3)]
    expected = np.round(image[..., 0] * 255).astype(np.uint8)
    np.testing.assert_array_equal(np.frombuffer(b"".join(rows), np.uint8).reshape(3, 4),
                                  expected)


def test_histogram_buckets_count_every_value():
    class Proto:
        def __init__(self, **fields):
            self.__dict__.update(fields)

    values = np.random.default_rng(1).normal(size=1000)
    histogram = tensorboard_module._histogram_proto(Proto, values)
    assert sum(histogram.bucket) == 1000
    assert histogram.min == values.min() and histogram.max == values.max()
    assert histogram.bucket_limit[-1] == pytest.approx(values.max())
    assert histogram.sum_squares == pytest.approx(float(np.sum(values ** 2)))
    constant = tensorboard_module._histogram_proto(Proto, np.full(5, 2.0))
    assert constant.bucket == [5.0]


@pytest.mark.skipif(HAS_TENSORBOARD, reason="the `tensorboard` package is installed")
def test_missing_tensorboard_package_is_a_clear_error_at_train_begin(tmp_path):
    callback = jeras.callbacks.TensorBoard(str(tmp_path / "logs"))
    with pytest.raises(ImportError, match="needs the `tensorboard` package"):
        callback.on_train_begin()


@pytest.mark.skipif(not HAS_TENSORBOARD, reason="needs the optional `tensorboard` package")
def test_event_files_hold_keras_tags(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    x, y = binary_data(64)
    model = compiled_pair()[1]
    log_dir = tmp_path / "logs"
    history = model.fit(x, y, batch_size=16, epochs=2, validation_split=0.25, verbose=0,
                        callbacks=[jeras.callbacks.TensorBoard(str(log_dir), histogram_freq=1)])
    train = EventAccumulator(str(log_dir / "train"), size_guidance={"scalars": 0}).Reload()
    validation = EventAccumulator(str(log_dir / "validation")).Reload()
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= set(
        train.Tags()["scalars"])
    assert {"epoch_loss", "epoch_accuracy"} <= set(validation.Tags()["scalars"])
    losses = [event.value for event in train.Scalars("epoch_loss")]
    np.testing.assert_allclose(losses, history.history["loss"], rtol=1e-6)
    val_losses = [event.value for event in validation.Scalars("epoch_loss")]
    np.testing.assert_allclose(val_losses, history.history["val_loss"], rtol=1e-6)
    assert any(tag.endswith("/histogram") for tag in train.Tags()["histograms"])
