"""Dataset configurations of the tfds builders `ivg_faces` and `ivg_chairs` (one spec per config).

A spec fixes everything that decides the examples: kind, sizes, the number of examples per split,
the factor grid or ranges and the seed. Kinds: "volumes" (image + volume), "video" (clip + volume),
"dcign" (one example = one stored single-factor group, faces) and "poses" (one example = one object
at every pose of an azimuth x elevation grid, chairs; `tf_ivg.data.dcign_groups` forms the groups).
Shape key: S image side, D volume side, T frames, G group size, P poses.

`builder(name, data_dir)` returns the tfds builder of a config; the builder classes live in the package
`tf_ivg_datasets` (datasets/), which imports this module, never the other way round (see `builder`).
"""

import dataclasses
import importlib

import numpy as np

from tf_ivg.data import factors as F

SPLITS = ("train", "validation", "test")
BUILDERS_PACKAGE = "tf_ivg_datasets"  # one subpackage per builder: tf_ivg_datasets.ivg_faces, .ivg_chairs
# Identity ids per split never overlap: split i draws from [i * ID_STRIDE, (i + 1) * ID_STRIDE).
ID_STRIDE = 10_000_000


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    family: str
    name: str
    kind: str  # "volumes" | "video" | "dcign" | "poses"
    image_size: int
    splits: tuple  # examples per split, in SPLITS order
    volume_size: int = 0  # volumes and video
    azimuths: tuple = ()  # volumes, poses: the azimuth grid shown of each identity
    ambients: tuple = ()  # volumes: the ambient grid; poses: the one ambient level
    elevations: tuple = ()  # poses: the elevation grid
    frames: int = 0  # video
    group_size: int = 0  # dcign, poses (the pipeline's group size)
    dcign_factors: tuple = ("azimuth", "elevation", "light", "identity")
    identities: tuple = ()  # dcign: identity pool size per split
    light: float = 0.3  # volumes, poses: fixed light azimuth
    seed: int = 0
    description: str = ""

    def __post_init__(self):
        check_spec(self)

    @property
    def poses(self):
        """poses: (azimuth [P], elevation [P], azimuth index [P], elevation index [P]), elevation-major."""
        e, a = np.meshgrid(np.arange(len(self.elevations)), np.arange(len(self.azimuths)), indexing="ij")
        a, e = a.reshape(-1), e.reshape(-1)
        return (np.asarray(self.azimuths, np.float32)[a], np.asarray(self.elevations, np.float32)[e], a, e)

    @property
    def full_name(self):
        return f"ivg_{self.family}/{self.name}"

    def num_examples(self, split):
        return dict(zip(SPLITS, self.splits))[check_split(split)]


def check_split(split):
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    return split


def _positive(name, value):
    if not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def check_spec(spec):
    """ValueError for non-positive sizes, empty splits and impossible factor values or ranges."""
    F.check_family(spec.family)
    _positive("image_size", spec.image_size)
    if spec.kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {spec.kind!r}")
    if len(spec.splits) != len(SPLITS):
        raise ValueError(f"splits must give {len(SPLITS)} sizes ({SPLITS}), got {spec.splits}")
    for split, n in zip(SPLITS, spec.splits):
        _positive(f"number of {split} examples", n)
    if spec.kind in ("volumes", "video"):
        _positive("volume_size", spec.volume_size)
    ranges = F.RANGES[spec.family]
    if spec.kind == "volumes":
        if not spec.azimuths or not spec.ambients:
            raise ValueError("a volumes spec needs non-empty azimuths and ambients grids")
        for a in spec.azimuths:
            F.check_range("azimuth", a, a)
        for a in spec.ambients:
            F.check_range("ambient", a, a)
        F.check_range("light", spec.light, spec.light)
    if spec.kind == "video":
        _positive("frames", spec.frames)
    if spec.kind == "poses":
        _check_poses(spec)
    if spec.kind == "dcign":
        _positive("group_size", spec.group_size)
        if spec.group_size < 2:
            raise ValueError("group_size must be at least 2")
        for name in spec.dcign_factors:
            F.factor_id(name)
        if len(spec.identities) != len(SPLITS):
            raise ValueError("a dcign spec needs an identity pool size per split")
        for n in spec.identities:
            if n < spec.group_size:
                raise ValueError(f"identity pool of {n} cannot fill an identity group of {spec.group_size}")
    for name, (lo, hi) in ranges.items():
        F.check_range(name, lo, hi)


KINDS = ("volumes", "video", "dcign", "poses")
# Groups the pipeline forms from per-object poses (faces' stored groups may also vary the light).
POSE_FACTORS = ("azimuth", "elevation", "identity")


def _check_poses(spec):
    _positive("group_size", spec.group_size)
    if spec.group_size < 2:
        raise ValueError("group_size must be at least 2")
    if not spec.azimuths or not spec.elevations or len(spec.ambients) != 1:
        raise ValueError("a poses spec needs non-empty azimuths and elevations grids and one ambient level")
    for a in spec.azimuths:
        F.check_range("azimuth", a, a)
    for e in spec.elevations:
        F.check_range("elevation", e, e)
    F.check_range("ambient", spec.ambients[0], spec.ambients[0])
    F.check_range("light", spec.light, spec.light)
    if spec.group_size > len(spec.azimuths):
        raise ValueError(
            f"an azimuth group of {spec.group_size} needs as many distinct azimuths; the grid has {len(spec.azimuths)}"
        )
    for split, n in zip(SPLITS, spec.splits):
        if n < spec.group_size:
            raise ValueError(f"{n} {split} objects cannot fill an identity group of {spec.group_size}")
    for name in spec.dcign_factors:
        if name not in POSE_FACTORS:
            raise ValueError(f"groups of a poses config vary one of {POSE_FACTORS}, got {name!r}")


_HALF_PI = float(np.pi / 2)
_FACE_AZIMUTHS = tuple(float(a) for a in np.linspace(-_HALF_PI, _HALF_PI, 5))
_AMBIENTS = (0.2, 0.45, 0.7)


def _faces():
    v = dict(family="faces", kind="volumes", azimuths=_FACE_AZIMUTHS, ambients=_AMBIENTS)
    return [
        DatasetSpec(
            name="volumes_80",
            image_size=80,
            volume_size=80,
            splits=(16000, 800, 200),
            seed=1,
            **v,
            description="Grant et al. 2016, sec. 3.3: 80x80 RGB at 5 azimuths x 3 ambient levels per identity, "
            "each with the identity's 80^3 volume.",
        ),
        DatasetSpec(
            name="volumes_32_small",
            image_size=32,
            volume_size=32,
            splits=(150, 30, 30),
            seed=2,
            **v,
            description="Small volumes config for tests and the demo (32x32, 32^3).",
        ),
        DatasetSpec(
            family="faces",
            name="video_80",
            kind="video",
            image_size=80,
            volume_size=80,
            frames=5,
            splits=(10000, 500, 500),
            seed=3,
            description="Grant et al. 2016, sec. 4.7: 5-frame clips turning from left to right profile, "
            "with the volume.",
        ),
        DatasetSpec(
            family="faces",
            name="video_32_small",
            kind="video",
            image_size=32,
            volume_size=32,
            frames=5,
            splits=(60, 15, 15),
            seed=4,
            description="Small video config (32x32, 32^3).",
        ),
        DatasetSpec(
            family="faces",
            name="dcign_150",
            kind="dcign",
            image_size=150,
            group_size=20,
            splits=(2000, 100, 100),
            identities=(500, 50, 50),
            seed=5,
            description="DC-IGN (Kulkarni et al. 2015), secs. 3-4: 150x150 grayscale groups of 20 in which "
            "one of azimuth, elevation, light or identity varies.",
        ),
        DatasetSpec(
            family="faces",
            name="dcign_64",
            kind="dcign",
            image_size=64,
            group_size=20,
            splits=(2000, 100, 200),
            identities=(1000, 100, 200),
            seed=8,
            description="DC-IGN groups at 64x64 for training to convergence on a CPU (the shipped "
            "dcign_faces_64 model): 2,000 training groups of 1,000 identities, 200 test groups of 200 others.",
        ),
        DatasetSpec(
            family="faces",
            name="dcign_64_small",
            kind="dcign",
            image_size=64,
            group_size=20,
            splits=(400, 40, 40),
            identities=(200, 40, 40),
            seed=6,
            description="DC-IGN groups at 64x64 (a cheaper stand-in for dcign_150).",
        ),
        DatasetSpec(
            family="faces",
            name="dcign_32_small",
            kind="dcign",
            image_size=32,
            group_size=8,
            splits=(24, 8, 8),
            identities=(40, 16, 16),
            seed=7,
            description="Small DC-IGN config for tests and the demo (32x32, groups of 8).",
        ),
    ]


CHAIR_AZIMUTHS = tuple(float(a) for a in np.linspace(-np.pi, np.pi, 30, endpoint=False))
CHAIR_ELEVATIONS = (float(np.radians(20)), float(np.radians(30)))


def _chairs():
    v = dict(
        family="chairs",
        kind="volumes",
        ambients=(0.35,),
        azimuths=tuple(float(a) for a in np.linspace(-np.pi, np.pi, 8, endpoint=False)),
    )
    # As the 3D chairs dataset (DC-IGN sec. 4.2): every chair at 30 azimuths (a full turn) x 2 elevations.
    d = dict(
        family="chairs",
        kind="poses",
        dcign_factors=POSE_FACTORS,
        azimuths=CHAIR_AZIMUTHS,
        elevations=CHAIR_ELEVATIONS,
        ambients=(0.35,),
    )
    volumes_30 = DatasetSpec(
        name="volumes_30",
        image_size=80,
        volume_size=30,
        splits=(5000, 400, 400),
        seed=11,
        **v,
        description="Grant et al. 2016, sec. 4.8: 80x80 RGB chairs at 8 azimuths with 30^3 binary volumes.",
    )
    return [
        volumes_30,
        dataclasses.replace(
            volumes_30,
            name="volumes_30_large",
            splits=(20000, 400, 400),
            description="As volumes_30 with 2,500 training chairs instead of 625 (the same validation and test "
            "chairs, and volumes_30's training chairs among its own).",
        ),
        DatasetSpec(
            name="volumes_32_small",
            image_size=32,
            volume_size=32,
            splits=(96, 16, 16),
            seed=12,
            **v,
            description="Small chairs volumes config (32x32, 32^3).",
        ),
        DatasetSpec(
            name="dcign_150",
            image_size=150,
            group_size=20,
            splits=(1200, 150, 150),
            seed=13,
            **d,
            description="DC-IGN (Kulkarni et al. 2015), sec. 4.2: one example per chair, 150x150 grayscale "
            "at 60 poses (30 azimuths x 2 elevations); dcign_groups forms groups of 20.",
        ),
        DatasetSpec(
            name="dcign_64_small",
            image_size=64,
            group_size=20,
            splits=(160, 20, 20),
            seed=14,
            **d,
            description="As dcign_150 at 64x64 with 160 / 20 / 20 chairs.",
        ),
        DatasetSpec(
            name="dcign_32_small",
            image_size=32,
            group_size=8,
            splits=(16, 8, 8),
            seed=15,
            **d,
            description="Small chairs DC-IGN config (32x32, 16 / 8 / 8 chairs, groups of 8).",
        ),
    ]


SPECS = {s.full_name: s for s in _faces() + _chairs()}


def get_spec(name):
    """Spec for "ivg_faces/volumes_80" etc.; ValueError naming the known configs otherwise."""
    if name not in SPECS:
        raise ValueError(f"unknown dataset config {name!r}; expected one of {sorted(SPECS)}")
    return SPECS[name]


def builder(name, data_dir=None):
    """The tfds builder of config `name` ("ivg_faces/volumes_80", ...) under `data_dir` (prepared or not).

    ValueError for unknown names. tfds finds a builder by name only once the module defining it has been
    imported (importing registers the class). The builders live in `tf_ivg_datasets`, which imports
    tf_ivg.data; so that tf_ivg.data does not import it back, this function imports the builder's module
    by name (importlib, `tf_ivg_datasets.<builder>`) when a builder is asked for, then calls
    `tfds.builder`. Importing either package never imports the other's modules in return, and
    `import tf_ivg_datasets` beforehand (as `tfds.load` users do) changes nothing.
    """
    import tensorflow_datasets as tfds

    dataset = get_spec(name).full_name.split("/")[0]
    importlib.import_module(f"{BUILDERS_PACKAGE}.{dataset}")
    return tfds.builder(name, data_dir=data_dir)
