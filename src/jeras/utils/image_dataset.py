"""`image_dataset_from_directory`: batches of images read from a class-per-folder directory,
as `keras.utils.image_dataset_from_directory`."""

import numpy as np

from jeras.backend.config import image_data_format
from jeras.utils import dataset_utils, image_utils
from jeras.utils.sample_dataset import SampleDataset

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode="rgb",
    batch_size=32,
    image_size=(256, 256),
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    interpolation="bilinear",
    follow_links=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format=None,
    format="tf",
    verbose=True,
):
    """Batches of `(images, labels)` from image files, one subfolder per class.

    Files are listed and split as Keras does (classes in sorted order, files sorted within
    each, then shuffled by `np.random.RandomState(seed)`; the validation subset is the last
    `validation_split` of them), so a seed gives the same training and validation files as in
    Keras. Images are decoded with Pillow and resized with TensorFlow's rules, so a file gives
    Keras's pixel values. Keras returns a `tf.data.Dataset`; jeras returns a `PyDataset`
    (`SampleDataset`) that `fit` takes and that answers `take`, `map`, `prefetch`, `batch`,
    `unbatch`, `shuffle`, `skip` and `cardinality`. With `shuffle`, each epoch after the
    first serves the samples in a new order (Keras shuffles inside a buffer of 8 batches with
    TensorFlow's generator, which jeras does not reproduce).

    Args:
        directory: the folder; with `labels="inferred"` it holds one subfolder per class.
        labels: "inferred" (from the subfolders), None (images only), or a list/tuple of
            integer labels, one per file in the sorted order of the file paths.
        label_mode: "int" (int32 labels), "categorical" (float32 one-hot), "binary" (float32,
            shape `(n, 1)`; exactly two classes) or None (no labels).
        class_names: with inferred labels, the subfolders to use, in this order (default: all,
            sorted).
        color_mode: "rgb" (default), "rgba" or "grayscale": 3, 4 or 1 channels.
        batch_size: images per batch (default 32); None for single images.
        image_size: `(height, width)` (or one int) the images are resized to (default
            (256, 256)).
        shuffle: whether to shuffle the files (default True).
        seed: the shuffling seed (required with `shuffle` and `validation_split`).
        validation_split: the fraction of files kept for validation.
        subset: "training", "validation" or "both" (returns the two datasets).
        interpolation: "bilinear" (default), "nearest", "bicubic", "lanczos3" or "lanczos5".
        follow_links: whether to follow symbolic links to subfolders.
        crop_to_aspect_ratio: crop a centred window of the target's aspect ratio before
            resizing, instead of stretching.
        pad_to_aspect_ratio: resize to fit, keeping the aspect ratio, and pad with zeros.
        data_format: "channels_last" or "channels_first" (default: the global setting).
        format: "tf" or "grain", accepted for Keras's signature; both give the jeras dataset.
        verbose: print how many files and classes were found.

    Returns:
        A `SampleDataset` with `class_names` and `file_paths` attributes, or a list of two
        (training, validation) with `subset="both"`.
    """
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size "
                "as the number of image files in the target directory. If you wish to infer "
                'the labels from the subdirectory names in the target directory, pass `labels="'
                'inferred"`. If you wish to get a dataset that only contains images (no '
                f"labels), pass `labels=None`. Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. Received: '
                f"labels={labels}, and class_names={class_names}"
            )
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError(
            '`color_mode` must be one of {"rgb", "rgba", "grayscale"}. Received: '
            f"color_mode={color_mode}"
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(
            "Invalid `image_size` value. Expected a tuple of 2 integers. Received: "
            f"image_size={image_size}"
        )
    interpolation = image_utils.check_resize_method(interpolation)
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`."
        )
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory,
        labels,
        formats=ALLOWLIST_FORMATS,
        class_names=class_names,
        shuffle=shuffle,
        seed=seed,
        follow_links=follow_links,
        verbose=verbose,
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )
    data_format = image_data_format() if data_format is None else data_format
    decode = _ImageDecoder(
        image_size,
        channels,
        interpolation,
        data_format,
        crop_to_aspect_ratio,
        pad_to_aspect_ratio,
    )

    def build(subset_paths, subset_labels, subset_shuffle, what):
        if not subset_paths:
            raise ValueError(
                f"No {what}images found in directory {directory}. Allowed formats: "
                f"{ALLOWLIST_FORMATS}"
            )
        dataset = _image_dataset(
            subset_paths,
            subset_labels,
            label_mode,
            len(class_names or ()),
            decode,
            batch_size,
            subset_shuffle,
            seed,
        )
        dataset.class_names = class_names
        dataset.file_paths = subset_paths
        return dataset

    if subset == "both":
        train = dataset_utils.training_or_validation_split(
            paths, labels, validation_split, "training"
        )
        val = dataset_utils.training_or_validation_split(
            paths, labels, validation_split, "validation"
        )
        return [
            build(*train, shuffle, "training "),
            build(*val, False, "validation "),
        ]
    paths, labels = dataset_utils.training_or_validation_split(
        paths, labels, validation_split, subset
    )
    return build(paths, labels, shuffle, "")


class _ImageDecoder:
    """Reads one file into the dataset's image layout and size."""

    def __init__(self, size, channels, method, data_format, crop, pad):
        self.size, self.channels, self.method = tuple(size), channels, method
        self.data_format, self.crop, self.pad = data_format, crop, pad

    def __call__(self, path):
        image = _decode(path, self.channels)
        if self.crop:
            image = image_utils.smart_resize_image(image, self.size, self.method)
        elif self.pad:
            image = image_utils.pad_resize_image(image, self.size, self.method)
        else:
            image = image_utils.resize_image(image, self.size, self.method)
        if self.data_format == "channels_first":
            image = image.transpose(2, 0, 1)
        return image


def _decode(path, channels):
    """The file's pixels as a uint8 `(height, width, channels)` array (the first frame of an
    animation), converted as TensorFlow's `decode_image(channels=...)` does."""
    image_module = image_utils._pil()
    with image_module.open(path) as image:
        image.seek(0)
        if channels == 1:
            image = image.convert("L")
        elif channels == 3:
            image = image.convert("RGB")
        else:
            image = image.convert("RGBA")
        array = np.asarray(image, dtype="uint8")
    return array.reshape(array.shape[:2] + (channels,))


def _image_dataset(paths, labels, label_mode, num_classes, decode, batch_size, shuffle, seed):
    paths = list(paths)
    encoded = None
    if label_mode is not None:
        encoded = dataset_utils.encode_labels(labels, label_mode, num_classes)

    def load(indices):
        images = np.stack([decode(paths[i]) for i in indices])
        if encoded is None:
            return images
        return images, encoded[np.asarray(indices)]

    return SampleDataset(load, len(paths), batch_size, shuffle, seed)
