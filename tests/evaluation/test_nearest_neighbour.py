import numpy as np
import pytest

from tf_ivg.evaluation.nearest_neighbour import nearest_neighbours


def test_matches_brute_force_and_chunking():
    rng = np.random.default_rng(0)
    database = rng.uniform(size=(37, 5, 5, 3)).astype(np.float32)
    queries = database[[3, 20, 36]] + 0.01 * rng.normal(size=(3, 5, 5, 3)).astype(np.float32)
    brute = np.linalg.norm(queries.reshape(3, 1, -1) - database.reshape(1, 37, -1), axis=2)
    for chunk_size in (4, 1024):
        index, distance = nearest_neighbours(queries, database, chunk_size=chunk_size)
        np.testing.assert_array_equal(index, [3, 20, 36])
        np.testing.assert_allclose(distance, brute.min(axis=1), rtol=1e-5)


def test_iterable_database_counts_indices_across_chunks():
    database = np.arange(10, dtype=np.float32).reshape(10, 1) * np.ones((10, 4), np.float32)
    index, distance = nearest_neighbours(np.full((1, 4), 7.2, np.float32), iter([database[:4], database[4:]]))
    assert index.tolist() == [7]
    assert distance[0] == pytest.approx(0.4, rel=1e-5)


def test_shape_mismatch():
    with pytest.raises(ValueError, match="values each"):
        nearest_neighbours(np.zeros((1, 4)), np.zeros((3, 5)))
