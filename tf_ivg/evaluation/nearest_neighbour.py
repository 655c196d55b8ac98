"""Pixel-wise Euclidean nearest-neighbour search (Grant et al. 2016, section 4.3).

Shape key: Q queries, N database items, H/W/C image height/width/channels (any trailing shape works).
"""

import numpy as np


def _flat(images, name):
    images = np.asarray(images, dtype=np.float32)
    if images.ndim < 2:
        raise ValueError(f"{name} must be batched [count, ...], got shape {images.shape}")
    return images.reshape(len(images), -1)


def nearest_neighbours(queries, database, chunk_size=1024):
    """Index of, and distance to, each query's nearest database item by pixel-wise Euclidean distance.

    Args:
        queries: `[Q, H, W, C]` (any trailing shape).
        database: `[N, H, W, C]` array with the same trailing shape, or an iterable of such chunks
            (for databases too large for memory, e.g. batches from a tf.data pipeline); indices
            count items across chunks in order.
        chunk_size: database rows compared at once when `database` is an array.
    Returns:
        `(indices [Q] int64, distances [Q] float64)`.
    """
    flat_queries = _flat(queries, "queries").astype(np.float64)
    if isinstance(database, np.ndarray):
        array = database
        database = (array[i : i + chunk_size] for i in range(0, len(array), chunk_size))
    query_norms = np.square(flat_queries).sum(axis=1)
    best_index = np.full(len(flat_queries), -1, dtype=np.int64)
    best_sq = np.full(len(flat_queries), np.inf)
    offset = 0
    for chunk in database:
        chunk = _flat(np.asarray(chunk), "database chunk").astype(np.float64)
        if chunk.shape[1] != flat_queries.shape[1]:
            raise ValueError(
                f"database items have {chunk.shape[1]} values each but queries have {flat_queries.shape[1]}"
            )
        sq = query_norms[:, None] - 2.0 * flat_queries @ chunk.T + np.square(chunk).sum(axis=1)[None, :]
        local = np.argmin(sq, axis=1)
        local_sq = sq[np.arange(len(sq)), local]
        better = local_sq < best_sq
        best_sq = np.where(better, local_sq, best_sq)
        best_index = np.where(better, local + offset, best_index)
        offset += len(chunk)
    if offset == 0:
        raise ValueError("the nearest-neighbour database is empty")
    return best_index, np.sqrt(np.maximum(best_sq, 0.0))
