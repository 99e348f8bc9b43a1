"""`TensorBoard`: writes training logs for TensorBoard, without TensorFlow.

Event files are written with the `tensorboard` package's own record writer and protocol
buffers, imported only when training starts; install it with `pip install tensorboard` (jeras's
optional `tensorboard` extra). TensorFlow is never imported, even when it is installed.
"""

import itertools
import json
import os
import socket
import struct
import time
import warnings
import zlib

import numpy as np

from jeras import layers as layers_module
from jeras.callbacks.callback import Callback
from jeras.callbacks.learning_rate_scheduler import current_learning_rate
from jeras.callbacks.model_checkpoint import check_writable_directory


class TensorBoard(Callback):
    """Log scalars (losses, metrics, learning rate), weight histograms and the model's
    configuration for TensorBoard.

    Layout as Keras: `<log_dir>/train` and `<log_dir>/validation`. At each epoch end (step =
    epoch) the training run gets `epoch_<key>` and `epoch_learning_rate`, the validation run
    `epoch_<key>` for every `val_<key>`; `evaluate` adds `evaluation_<key>_vs_iterations` (step
    = optimizer iterations); with `update_freq` "batch" or N, `batch_<key>` every N batches.

    Args:
        log_dir: the root directory of the logs.
        histogram_freq: every that many epochs, a histogram of every layer weight (0: never).
        write_graph: write the model's JSON configuration at step 0 (the "keras" tag, which
            TensorBoard's Graphs tab draws as the conceptual graph).
        write_images: also write weights as images, with the histograms.
        write_steps_per_second: log training steps per second.
        update_freq: `"epoch"`, `"batch"` or an integer N (every N batches). Batch-level
            logging makes `fit` report every batch, which is slower.
        profile_batch: profile one batch (an int) or a range `(start, stop)` with the JAX
            profiler, into `<log_dir>/train`; 0 disables it.
        embeddings_freq: every that many epochs, save the weights for the embedding projector.
        embeddings_metadata: a metadata file path, or a dict from `Embedding` layer name to its
            metadata file.
    """

    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq=0,
        embeddings_metadata=None,
    ):
        super().__init__()
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _parse_profile_batch(profile_batch)
        self._should_trace = not (self._start_batch == 0 and self._stop_batch == 0)
        self._is_tracing = False
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers = {}
        self._global_train_batch = 0
        self._epoch_start_time = 0.0
        self._batch_start_time = 0.0
        self._previous_epoch_iterations = 0
        if self.update_freq != "epoch" or self._should_trace:
            # Only these settings need per-batch logs; otherwise `fit` keeps its fused steps.
            self.on_train_batch_begin = self._train_batch_begin
            self.on_train_batch_end = self._train_batch_end

    # -- writers -------------------------------------------------------------------------------
    def _writer(self, run):
        writer = self._writers.get(run)
        if writer is None:
            writer = _EventFile(self._train_dir if run == "train" else self._val_dir)
            self._writers[run] = writer
        return writer

    def _scalar(self, run, tag, value, step):
        protos = _tensorboard_modules()
        value = float(np.asarray(value).mean())
        summary = protos["Summary"](value=[protos["Summary"].Value(tag=tag, simple_value=value)])
        self._writer(run).add_event(
            protos["Event"](wall_time=time.time(), step=int(step), summary=summary)
        )

    def _histogram(self, run, tag, values, step):
        protos = _tensorboard_modules()
        values = np.asarray(values, dtype="float64").ravel()
        histogram = _histogram_proto(protos["HistogramProto"], values)
        summary = protos["Summary"](value=[protos["Summary"].Value(tag=tag, histo=histogram)])
        self._writer(run).add_event(
            protos["Event"](wall_time=time.time(), step=int(step), summary=summary)
        )

    def _image(self, run, tag, images, step):
        protos = _tensorboard_modules()
        values = []
        for index, image in enumerate(images):
            height, width = image.shape[:2]
            encoded = _encode_png(image)
            name = tag if len(images) == 1 else f"{tag}/image/{index}"
            values.append(
                protos["Summary"].Value(
                    tag=name,
                    image=protos["Summary"].Image(
                        height=height,
                        width=width,
                        colorspace=image.shape[2],
                        encoded_image_string=encoded,
                    ),
                )
            )
        summary = protos["Summary"](value=values)
        self._writer(run).add_event(
            protos["Event"](wall_time=time.time(), step=int(step), summary=summary)
        )

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # -- hooks ---------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        _tensorboard_modules()
        # The train run's file is opened now (as Keras does), so a log directory that cannot
        # be written fails here, before any step, not after the first epoch.
        self._writer("train")
        check_writable_directory(os.path.abspath(self._val_dir), type(self).__name__, self._val_dir)
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        if self.write_graph:
            self._write_model_config()
        if self.embeddings_freq:
            self._configure_embeddings()

    def on_train_end(self, logs=None):
        if self._is_tracing:
            self._stop_trace()
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._previous_epoch_iterations = _iterations(self.model)
            self._epoch_start_time = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings(epoch)

    def on_test_end(self, logs=None):
        model = self.model
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "iterations"):
            step = _iterations(model)
            for name, value in (logs or {}).items():
                self._scalar("val", f"evaluation_{name}_vs_iterations", value, step)
            self._writer("val").flush()

    def _train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()
        if self._should_trace and self._global_train_batch == self._start_batch:
            self._start_trace()

    def _train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self.update_freq != "epoch" and step % self.update_freq == 0:
            if self.write_steps_per_second:
                elapsed = max(time.time() - self._batch_start_time, 1e-12)
                self._scalar("train", "batch_steps_per_second", 1.0 / elapsed, step)
            for name, value in (logs or {}).items():
                self._scalar("train", f"batch_{name}", value, step)
        if self._is_tracing and step >= self._stop_batch:
            self._stop_trace()

    # -- what is written -----------------------------------------------------------------------
    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[len("val_") :]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self._model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train_logs["learning_rate"] = current_learning_rate(self.model.optimizer)
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-12)
            train_logs["steps_per_second"] = (
                _iterations(self.model) - self._previous_epoch_iterations
            ) / elapsed
        for name, value in train_logs.items():
            self._scalar("train", f"epoch_{name}", value, epoch)
        for name, value in val_logs.items():
            self._scalar("val", f"epoch_{name}", value, epoch)
        for writer in self._writers.values():
            writer.flush()

    def _log_weights(self, epoch):
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                values = np.asarray(weight.value)
                self._histogram("train", f"{name}/histogram", values, epoch)
                if self.write_images:
                    image = _weight_as_images(values)
                    if image is not None:
                        self._image("train", f"{name}/image", image, epoch)
        self._writer("train").flush()

    def _write_model_config(self):
        # The configuration needs no variable values: no sync from the running engine.
        model = self._model
        if type(model).__name__ not in ("Functional", "Sequential"):
            return
        try:
            config = (
                model.to_json()
                if hasattr(model, "to_json")
                else json.dumps({"class_name": type(model).__name__, "config": model.get_config()})
            )
        except Exception as error:  # a user layer whose config cannot be serialized
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {error}")
            return
        protos = _tensorboard_modules()
        metadata = protos["SummaryMetadata"](
            plugin_data=protos["SummaryMetadata"].PluginData(
                plugin_name="graph_keras_model", content=b"1"
            )
        )
        tensor = protos["TensorProto"](
            dtype=protos["DT_STRING"],
            string_val=[config.encode("utf-8")],
            tensor_shape=protos["TensorShapeProto"](),
        )
        summary = protos["Summary"](
            value=[protos["Summary"].Value(tag="keras", metadata=metadata, tensor=tensor)]
        )
        writer = self._writer("train")
        writer.add_event(protos["Event"](wall_time=time.time(), step=0, summary=summary))
        writer.flush()

    def _configure_embeddings(self):
        embedding_cls = getattr(layers_module, "Embedding", None)
        metadata = self.embeddings_metadata
        remaining = dict(metadata) if isinstance(metadata, dict) else None
        entries = []
        for layer in self._model.layers:
            if embedding_cls is None or not isinstance(layer, embedding_cls):
                continue
            entry = ['  tensor_name: "layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE"']
            if isinstance(metadata, str):
                entry.append(f"  metadata_path: {json.dumps(metadata)}")
            elif remaining and layer.name in remaining:
                entry.append(f"  metadata_path: {json.dumps(remaining.pop(layer.name))}")
            entries.append("embeddings {\n" + "\n".join(entry) + "\n}\n")
        if remaining:
            raise ValueError(
                "Unrecognized `Embedding` layer names passed to `keras.callbacks.TensorBoard` "
                f"`embeddings_metadata` argument: {remaining.keys()}"
            )
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, "projector_config.pbtxt"), "w") as f:
            f.write("".join(entries))

    def _log_embeddings(self, epoch):
        path = os.path.join(self.log_dir, "train", f"keras_embedding.ckpt-{epoch}.weights.h5")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.model.save_weights(path)

    # -- profiling -----------------------------------------------------------------------------
    def _start_trace(self):
        import jax

        os.makedirs(self._train_dir, exist_ok=True)
        jax.profiler.start_trace(self._train_dir)
        self._is_tracing = True

    def _stop_trace(self):
        import jax

        jax.profiler.stop_trace()
        self._is_tracing = False


class _EventFile:
    """One run's event file, written synchronously: TensorBoard's record framing
    (`RecordWriter`, with its CRCs) over a plain binary file.

    `tensorboard.summary.writer.EventFileWriter` is not used: it creates its file through
    `tensorboard.compat.tf`, which imports TensorFlow whenever TensorFlow is installed.
    """

    _unique = itertools.count()

    def __init__(self, directory):
        modules = _tensorboard_modules()
        self._event = modules["Event"]
        name = "events.out.tfevents.%010d.%s.%s.%s" % (
            time.time(),
            socket.gethostname(),
            os.getpid(),
            next(self._unique),
        )
        path = os.path.join(directory, name)
        try:
            os.makedirs(directory, exist_ok=True)
            file = open(path, "wb")
        except OSError as error:
            # The same class (PermissionError, NotADirectoryError, ...), with the path named.
            raise type(error)(
                f"TensorBoard cannot write its logs to {directory!r}: {error.strerror or error}. "
                "Choose a `log_dir` in a writable directory."
            ) from error
        self.path = path
        self._records = modules["RecordWriter"](file)
        self.add_event(self._event(wall_time=time.time(), file_version="brain.Event:2"))
        self.flush()

    def add_event(self, event):
        self._records.write(event.SerializeToString())

    def flush(self):
        self._records.flush()

    def close(self):
        if not self._records.closed:
            self._records.close()


_MODULES = {}


def _tensorboard_modules():
    """The writer and protocol buffers of the `tensorboard` package, imported on first use."""
    if _MODULES:
        return _MODULES
    try:
        from tensorboard.compat.proto import (
            event_pb2,
            summary_pb2,
            tensor_pb2,
            tensor_shape_pb2,
            types_pb2,
        )
        from tensorboard.summary.writer.record_writer import RecordWriter
    except ImportError as error:
        raise ImportError(
            "The TensorBoard callback needs the `tensorboard` package (TensorFlow is not "
            "needed): `pip install tensorboard`, or install jeras with its `tensorboard` "
            f"extra. ({error})"
        ) from error
    _MODULES.update(
        RecordWriter=RecordWriter,
        Event=event_pb2.Event,
        Summary=summary_pb2.Summary,
        SummaryMetadata=summary_pb2.SummaryMetadata,
        HistogramProto=summary_pb2.HistogramProto,
        TensorProto=tensor_pb2.TensorProto,
        TensorShapeProto=tensor_shape_pb2.TensorShapeProto,
        DT_STRING=types_pb2.DT_STRING,
    )
    return _MODULES


def _iterations(model):
    return int(np.asarray(getattr(model.optimizer.iterations, "value", model.optimizer.iterations)))


def _parse_profile_batch(profile_batch):
    message = (
        "profile_batch must be a non-negative integer or 2-tuple of positive integers. "
        "A pair of positive integers signifies a range of batches to profile. Found: "
        f"{profile_batch}"
    )
    if isinstance(profile_batch, str):
        try:
            profile_batch = [int(part) for part in profile_batch.split(",")]
        except ValueError:
            raise ValueError(message) from None
    if isinstance(profile_batch, int) and not isinstance(profile_batch, bool):
        start = stop = profile_batch
    elif isinstance(profile_batch, (tuple, list)) and len(profile_batch) == 2:
        start, stop = profile_batch
    else:
        raise ValueError(message)
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


def _histogram_proto(proto_cls, values, bucket_count=30):
    """A histogram of `values` in TensorBoard's `HistogramProto` (right bucket edges)."""
    if values.size == 0:
        return proto_cls(
            min=0.0, max=0.0, num=0, sum=0.0, sum_squares=0.0, bucket_limit=[], bucket=[]
        )
    low, high = float(values.min()), float(values.max())
    if low == high:
        edges = np.array([low - 0.5, high + 0.5])
    else:
        edges = np.linspace(low, high, bucket_count + 1)
    counts, edges = np.histogram(values, bins=edges)
    return proto_cls(
        min=low,
        max=high,
        num=int(values.size),
        sum=float(values.sum()),
        sum_squares=float(np.dot(values, values)),
        bucket_limit=[float(e) for e in edges[1:]],
        bucket=[float(c) for c in counts],
    )


def _weight_as_images(weight):
    """A weight as a batch of images `(n, h, w, 1)`, as Keras lays them out, or None."""
    w = np.squeeze(weight)
    if w.ndim == 1:
        w = w.reshape(1, w.shape[0], 1, 1)
    elif w.ndim == 2:
        if w.shape[0] > w.shape[1]:
            w = w.T
        w = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif w.ndim == 3:
        w = np.transpose(w, (2, 0, 1))[..., None]
    if w.ndim != 4 or w.shape[-1] not in (1, 3, 4):
        return None
    return list(w)


def _encode_png(image):
    """Encode an `(h, w, c)` float image (values clipped to [0, 1]) as 8-bit PNG bytes."""
    pixels = (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    height, width, channels = pixels.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    rows = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
