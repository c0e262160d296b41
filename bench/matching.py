"""Benchmark: matching rounds on synthetic pools, against greedy and the exact optimum.

Prints one JSON object per size (requests x mentors): the engine's wall seconds, peak RSS,
total score and matches; the greedy baseline's; at the smallest size the unpruned optimum
from scipy's linear_sum_assignment over expanded capacity slots; and hard-rule violations.
Each size runs in its own process so its peak memory is its own.

    .venv/bin/python -m bench.matching [--sizes 1000x200,10000x2000,100000x20000] [--top-k 20]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import time
from typing import Any

import numpy as np

from bench import cli
from mentorship import synthetic
from mentorship.rules.assignment import Problem, Scorer, greedy, solve, violations


def optimum(problem: Problem) -> float:
    """The exact best total, unpruned: every mentor repeated once per free slot."""
    from scipy.optimize import linear_sum_assignment

    scorer = Scorer(problem)
    scores = scorer.block(0, scorer.n).astype(np.float64)
    gains = np.where(scores >= 0, scores, 0.0)  # an infeasible pair gains nothing
    slots = np.repeat(np.arange(scorer.m), scorer.mentor_room)
    matrix = gains[:, slots]
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    return float(matrix[rows, cols].sum())


def run(size: str, top_k: int) -> dict[str, Any]:
    requests, mentors = (int(x) for x in size.split("x"))
    problem = Problem(synthetic.needs(requests), synthetic.candidates(mentors))
    began = time.perf_counter()
    result = solve(problem, top_k=top_k)
    seconds = time.perf_counter() - began
    baseline = greedy(problem)
    return {
        "benchmark": "matching",
        "size": size,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "total_score": round(result.total_score, 6),
        "matched": result.matched,
        "edges": result.edges,
        "greedy_total_score": round(baseline.total_score, 6),
        "greedy_matched": baseline.matched,
        "optimal_total_score": round(optimum(problem), 6) if requests * mentors <= 10**6 else None,
        "violations": len(violations(problem, result)),
    }


def _child(size: str, top_k: int, out: Any) -> None:
    out.put(run(size, top_k))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000x200,10000x2000,100000x20000")
    parser.add_argument("--top-k", type=int, default=20)
    args = cli.parse(parser, {"sizes": "200x40"})
    context = multiprocessing.get_context("spawn")
    for size in args.sizes.split(","):
        queue = context.Queue()
        child = context.Process(target=_child, args=(size, args.top_k, queue))
        child.start()
        print(json.dumps(queue.get()), flush=True)
        child.join()
