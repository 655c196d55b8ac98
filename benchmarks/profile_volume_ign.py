"""Where a VolumeIGN training step spends its time on this machine: TensorFlow's profiler over a few steps of
one `fit` at paper scale, the XPlane trace read op by op and summed by kind. Prints JSON: milliseconds per step
of op time by category (ops run one at a time here: `inter_op_parallelism_threads` 1), and the largest ops.

The categories: convolutions (forward and gradient kernels), the optimizers' updates, the STN bilinear samplers,
batch norm, RReLU, max pooling, transposes and pads (mostly those `fast_convolution`'s kernel gradients need, then
the sub-voxel shuffles), and "other" (mostly the volume loss and IoU over the 80^3 voxels, the PReLU before them,
and the dense layers).

Usage: python benchmarks/profile_volume_ign.py [--config faces_volume] [--variant full] [--steps 5] [--top 15]
"""

import argparse
import collections
import glob
import json
import os
import re
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

tf.config.threading.set_inter_op_parallelism_threads(1)

from tensorflow.tsl.profiler.protobuf import xplane_pb2  # noqa: E402
from train_volume_ign import one_batch_repeated  # noqa: E402 (this folder's benchmark)

from tf_ivg.configs import get_config  # noqa: E402
from tf_ivg.training import volume_task  # noqa: E402

CATEGORIES = [  # first match wins
    ("convolutions", r":(Conv[23]D|_FusedConv2D|Conv[23]DBackprop\w+)$"),
    ("optimizer updates", r"(^|/)\w*(adam|sgd|rmsprop)(_\d+)?/|ResourceApply"),
    ("STN samplers", r"sampler|UnsortedSegmentSum|GatherV2"),
    ("batch norm", r"FusedBatchNorm|batch_normalization|/bn\d"),
    ("RReLU", r"rrelu"),
    ("max pooling", r"MaxPool"),
    ("transposes and pads", r":(Transpose|Pad|PadV2|ReverseV2)$"),
]


def op_times(logdir, steps):
    """{op name: ms per step} from the XPlane file under `logdir`."""
    path = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)[0]
    space = xplane_pb2.XSpace()
    with open(path, "rb") as f:
        space.ParseFromString(f.read())
    times = collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                # TF ops are "scope/name:Type"; skip the executor's and the function call's own spans.
                if (
                    ":" in name
                    and not name.startswith(("EagerLocalExecute", "ExecutorState", "KernelAndDevice"))
                    and "Iterator" not in name
                ):
                    times[name.replace("StatefulPartitionedCall/", "")] += event.duration_ps / 1e9 / steps
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="faces_volume")
    parser.add_argument("--variant", default="full")
    parser.add_argument("--steps", type=int, default=5, help="profiled steps (after 4 warm-up steps)")
    parser.add_argument("--top", type=int, default=15, help="how many of the largest ops to list")
    args = parser.parse_args()
    config = get_config(args.config, args.variant)
    model = volume_task.build_model(config)
    batch = config["batch_size"]
    data = one_batch_repeated(model, batch)
    model.fit(data, steps_per_epoch=4, epochs=1, verbose=0)
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        model.fit(data, steps_per_epoch=args.steps, epochs=1, verbose=0)
        tf.profiler.experimental.stop()
        times = op_times(logdir, args.steps)
    by_category = collections.Counter()
    for name, ms in times.items():
        category = next((c for c, pattern in CATEGORIES if re.search(pattern, name)), "other")
        by_category[category] += ms
    total = sum(times.values())
    print(
        json.dumps(
            {
                "benchmark": "profile_volume_ign",
                "config": args.config,
                "variant": args.variant,
                "batch": batch,
                "profiled_steps": args.steps,
                "op_ms_per_step": round(total, 1),
                "categories_ms_per_step": {c: round(ms, 1) for c, ms in by_category.most_common()},
                "categories_share": {c: round(ms / total, 3) for c, ms in by_category.most_common()},
                "largest_ops_ms_per_step": {n: round(ms, 1) for n, ms in times.most_common(args.top)},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
