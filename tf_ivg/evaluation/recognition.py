"""Recognition rank among candidates (Grant et al. 2016, section 4.6).

Shape key: R repeats, N candidates (150 in the paper), Z code size.
"""

import numpy as np


def recognition_ranks(queries, candidates, target_index):
    """Rank of the target among the candidates by Euclidean distance of codes to the query.

    Rank 1 means the target is the closest candidate; ties count in the target's favour
    (rank = 1 + number of candidates strictly closer than the target).

    Args:
        queries: `[R, Z]` codes of the query images.
        candidates: `[R, N, Z]` codes of the candidates, the target among them.
        target_index: `[R]` position of the target in each candidate list.
    Returns:
        `[R]` int64 ranks in [1, N].
    """
    queries = np.asarray(queries, dtype=np.float64)
    candidates = np.asarray(candidates, dtype=np.float64)
    target_index = np.asarray(target_index, dtype=np.int64).reshape(-1)
    if queries.ndim != 2 or candidates.ndim != 3:
        raise ValueError(
            f"expected queries [R, Z] and candidates [R, N, Z], got {queries.shape} and {candidates.shape}"
        )
    if candidates.shape[0] != queries.shape[0] or candidates.shape[2] != queries.shape[1]:
        raise ValueError(f"candidates {candidates.shape} do not match queries {queries.shape}")
    if target_index.shape[0] != queries.shape[0]:
        raise ValueError(f"target_index must have {queries.shape[0]} entries, got {target_index.shape[0]}")
    if np.any(target_index < 0) or np.any(target_index >= candidates.shape[1]):
        raise ValueError(f"target_index must lie in [0, {candidates.shape[1]})")
    distances = np.linalg.norm(candidates - queries[:, None, :], axis=2)
    target_distance = distances[np.arange(len(distances)), target_index]
    return 1 + (distances < target_distance[:, None]).sum(axis=1)


def recognition_trials(codes, identities, query_rows, target_rows, num_candidates=150, seed=0):
    """Builds recognition trials from a pool of codes and returns the target's rank in each.

    Each trial takes a query row and a target row (the same identity in another pose or light),
    adds `num_candidates - 1` distractors drawn without replacement from rows of other identities,
    shuffles, and ranks the target by code distance to the query.

    Args:
        codes: `[P, Z]` codes of a pool of P images.
        identities: `[P]` identity of each pool image.
        query_rows, target_rows: `[R]` pool rows forming the query/target pairs.
        num_candidates: candidates per trial including the target.
    Returns:
        `[R]` int64 ranks in [1, num_candidates].
    """
    codes = np.asarray(codes, dtype=np.float64)
    identities = np.asarray(identities).reshape(-1)
    query_rows = np.asarray(query_rows, dtype=np.int64).reshape(-1)
    target_rows = np.asarray(target_rows, dtype=np.int64).reshape(-1)
    if len(identities) != len(codes):
        raise ValueError(f"identities has {len(identities)} entries for {len(codes)} codes")
    rng = np.random.default_rng(seed)
    queries, candidate_sets, targets = [], [], []
    for query, target in zip(query_rows, target_rows):
        if identities[query] != identities[target]:
            raise ValueError(f"query row {query} and target row {target} show different identities")
        pool = np.flatnonzero(identities != identities[query])
        if len(pool) < num_candidates - 1:
            raise ValueError(f"need {num_candidates - 1} distractors of other identities, the pool has {len(pool)}")
        rows = np.concatenate([[target], rng.choice(pool, size=num_candidates - 1, replace=False)])
        order = rng.permutation(num_candidates)
        candidate_sets.append(codes[rows[order]])
        targets.append(int(np.flatnonzero(order == 0)[0]))
        queries.append(codes[query])
    return recognition_ranks(np.stack(queries), np.stack(candidate_sets), np.asarray(targets))
