"""Matching rounds: one global assignment of waiting requests to mentors, maximising the total.

A dense score matrix at European scale (100,000 requests by 20,000 mentors) has 2·10⁹ pairs.
The rules of ``mentorship.rules.matching`` are computed here on arrays, a block of requests at a
time with matrix products; each request keeps its top-K feasible mentors, plus every edge the
greedy baseline uses, and that sparse graph is solved exactly as a min-cost flow with mentor
capacities and company caps. Small problems are not pruned at all, so they are solved to the
true optimum.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from mentorship.rules.matching import (
    DEFAULT_WEIGHTS,
    MAX_PROFICIENCY,
    Candidate,
    Need,
    Weights,
    conflict_tokens,
    division,
    exclusion,
    time_zone,
)

SCALE = 100_000_000  # scores become integer costs for the flow solver, to 1e-8


@dataclass(frozen=True)
class Problem:
    """Waiting requests, the mentor pool, and each company's remaining cap (absent: none)."""

    needs: list[Need]
    candidates: list[Candidate]
    company_caps: Mapping[int, int] = field(default_factory=dict)
    weights: Weights = DEFAULT_WEIGHTS


@dataclass(frozen=True)
class Assignment:
    pairs: list[tuple[int, int]]  # (index into needs, index into candidates)
    total_score: float
    edges: int = 0  # size of the candidate graph the solver saw
    scores: list[float] = field(default_factory=list)  # of each pair, in order

    @property
    def matched(self) -> int:
        return len(self.pairs)


def _index(values: set[str]) -> dict[str, int]:
    return {v: i for i, v in enumerate(sorted(values))}


def _rows(sets: list[frozenset[str]], vocab: dict[str, int], weights: bool = False) -> NDArray:
    """One row per set, a one in each column its members name (divided by its size)."""
    out = np.zeros((len(sets), len(vocab)), dtype=np.float32)
    for i, members in enumerate(sets):
        cols = [vocab[v] for v in members if v in vocab]
        if cols:
            out[i, cols] = 1.0 / len(members) if weights else 1.0
    return out


PENALTY = np.float32(1e4)  # folded into the score product: any conflict makes a pair negative


class Scorer:
    """The hard rules and the score of ``mentorship.rules.matching``, on arrays.

    The score is linear in one-hot descriptions of the requests, so a block of scores is one
    matrix product; the company conflicts and full mentors enter the same product as a large
    penalty. The rules that need "at least one" (a shared language, some expertise, a usable
    format) are three more products. A pair is feasible exactly when its score is >= 0.
    """

    def __init__(self, problem: Problem) -> None:
        needs, mentors = problem.needs, problem.candidates
        self.n, self.m = len(needs), len(mentors)
        w = problem.weights.normalised()

        areas = _index(
            {a for n in needs for a in n.challenge_areas}
            | {a for c in mentors for a in (c.expertise | set(c.proficiency))}
        )
        need_areas = _rows([n.challenge_areas for n in needs], areas, weights=True)
        levels = np.zeros((len(areas), self.m), dtype=np.float32)
        for j, c in enumerate(mentors):
            for area, col in areas.items():
                levels[col, j] = c.level(area) / MAX_PROFICIENCY

        countries = _index({n.country for n in needs} | {x for c in mentors for x in c.countries})
        need_country = _rows([frozenset({n.country}) for n in needs], countries)
        mentor_country = _rows([c.countries for c in mentors], countries).T
        proximity = np.zeros((len(countries), self.m), dtype=np.float32)
        for country, row in countries.items():
            for j, c in enumerate(mentors):
                if country in c.countries:
                    proximity[row, j] = 1.0
                else:
                    distance = abs(time_zone(country) - time_zone(c.home_country))
                    proximity[row, j] = max(0.0, 1 - distance / 2) * 0.5

        divisions = _index({division(n.sector) for n in needs})
        need_div = _rows([frozenset({division(n.sector)}) for n in needs], divisions)
        mentor_div = _rows(
            [frozenset(division(s) for s in c.sectors) for c in mentors], divisions
        ).T

        lines = [
            frozenset(x.upper() for x in c.company_product_lines | c.company_competitors)
            for c in mentors
        ]
        tokens = _index({t for ls in lines for t in ls})
        need_tokens = _rows([conflict_tokens(n) for n in needs], tokens)
        mentor_tokens = _rows(lines, tokens).T

        load = np.array(
            [
                ((1 - c.active_mentorships / c.capacity) + (1 - c.company_load)) / 2
                if c.capacity
                else 0.0
                for c in mentors
            ],
            dtype=np.float32,
        )
        self.company_ids = sorted({c.company_id for c in mentors})
        company_col = {cid: k for k, cid in enumerate(self.company_ids)}
        self.company_of = np.array([company_col[c.company_id] for c in mentors], dtype=np.int64)
        self.mentor_room = np.array(
            [max(0, c.capacity - c.active_mentorships) for c in mentors], dtype=np.int64
        )
        unlimited = np.bincount(
            self.company_of, weights=self.mentor_room, minlength=len(self.company_ids)
        ).astype(np.int64)
        self.company_room = np.array(
            [
                problem.company_caps.get(cid, int(unlimited[k]))
                for k, cid in enumerate(self.company_ids)
            ],
            dtype=np.int64,
        )
        full = (self.mentor_room == 0) | (self.company_room[self.company_of] <= 0)

        # score = [areas | division | country | 1 | conflict tokens], weighted, @
        #         [levels; divisions; proximity; load or -penalty if full; -penalty * tokens]
        ones = np.ones((self.n, 1), dtype=np.float32)
        self.score_left = np.hstack(
            [
                need_areas * w["expertise"],
                need_div * w["sector"],
                need_country * w["proximity"],
                ones,
                need_tokens,
            ]
        ).astype(np.float32)
        self.score_right = np.vstack(
            [
                levels,
                mentor_div,
                proximity,
                (w["load"] * load - PENALTY * full)[None, :],
                -PENALTY * mentor_tokens,
            ]
        ).astype(np.float32)

        languages = _index({x for n in needs for x in n.languages})
        self.need_lang = _rows([n.languages for n in needs], languages)
        self.mentor_lang = np.ascontiguousarray(_rows([c.languages for c in mentors], languages).T)
        self.need_areas_any = (need_areas > 0).astype(np.float32)
        self.levels_any = (levels > 0).astype(np.float32)

        # Usable format: remote when both accept it, or on site in the SME's country.
        remote_need = np.array([n.wanted_format != "on_site" for n in needs], dtype=np.float32)
        on_site_need = np.array([n.wanted_format != "remote" for n in needs], dtype=np.float32)
        remote_ok = np.array(["remote" in c.formats for c in mentors], dtype=np.float32)
        on_site_ok = np.array(["on_site" in c.formats for c in mentors], dtype=np.float32)
        self.format_left = np.hstack([need_country * on_site_need[:, None], remote_need[:, None]])
        self.format_right = np.vstack([mentor_country * on_site_ok[None, :], remote_ok[None, :]])

        mentor_index = {c.mentor_id: j for j, c in enumerate(mentors)}
        self.excluded = {
            i: [mentor_index[x] for x in n.excluded_mentor_ids if x in mentor_index]
            for i, n in enumerate(needs)
            if n.excluded_mentor_ids
        }

    def block(self, start: int, stop: int) -> NDArray:
        """Scores of requests ``start:stop`` against every mentor; negative where infeasible."""
        rows = slice(start, stop)
        scores = self.score_left[rows] @ self.score_right
        missing = (self.need_lang[rows] @ self.mentor_lang) < 0.5
        missing |= (self.need_areas_any[rows] @ self.levels_any) < 0.5
        missing |= (self.format_left[rows] @ self.format_right) < 0.5
        np.putmask(scores, missing, -np.inf)
        for i in range(start, stop):
            if i in self.excluded:
                scores[i - start, self.excluded[i]] = -np.inf
        return scores

    def blocks(self, size: int) -> Iterator[tuple[int, NDArray]]:
        for start in range(0, self.n, size):
            yield start, self.block(start, min(start + size, self.n))


@dataclass
class Scan:
    """One pass over every block: the candidate graph and the greedy baseline together."""

    rows: NDArray
    cols: NDArray
    scores: NDArray
    greedy: Assignment


def scan(scorer: Scorer, top_k: int, prune: bool, block_size: int = 512) -> Scan:
    """Score each block once; keep its candidate edges, then let greedy pick from it.

    Candidate edges are every feasible pair, or each request's ``top_k`` best when pruning.
    Greedy takes, in arrival order, the best mentor still available to each request.
    """
    rows, cols, vals = [], [], []
    mentor_room, company_room = scorer.mentor_room.copy(), scorer.company_room.copy()
    available = (mentor_room > 0) & (company_room[scorer.company_of] > 0)
    pairs: list[tuple[int, int]] = []
    chosen: list[float] = []
    for start, scores in scorer.blocks(block_size):
        if prune and top_k < scorer.m:
            best = np.argpartition(-scores, top_k - 1, axis=1)[:, :top_k]
            picked = np.take_along_axis(scores, best, axis=1)
            r, k = np.nonzero(picked >= 0)
            c = best[r, k]
        else:
            r, c = np.nonzero(scores >= 0)
        rows.append(r + start)
        cols.append(c)
        vals.append(scores[r, c])

        scores[:, ~available] = -np.inf
        for offset, row in enumerate(scores):
            while True:
                j = int(row.argmax())
                if row[j] < 0:
                    break  # nobody feasible is left for this request
                if not available[j]:  # filled by an earlier request of this block
                    row[j] = -np.inf
                    continue
                pairs.append((start + offset, j))
                chosen.append(float(row[j]))
                mentor_room[j] -= 1
                company = scorer.company_of[j]
                company_room[company] -= 1
                if mentor_room[j] == 0:
                    available[j] = False
                if company_room[company] == 0:
                    available[scorer.company_of == company] = False
                break
    baseline = Assignment(pairs, float(np.sum(chosen, dtype=np.float64)), scores=chosen)
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return Scan(empty, empty, np.zeros(0, dtype=np.float32), baseline)
    return Scan(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), baseline)


def greedy(problem: Problem) -> Assignment:
    """The baseline a matching round must beat: first come, best available mentor."""
    return scan(Scorer(problem), top_k=1, prune=True).greedy


def solve(problem: Problem, top_k: int = 20, prune_above: int = 5_000_000) -> Assignment:
    """The assignment of greatest total score that breaks no hard rule and no capacity.

    Problems of more than ``prune_above`` pairs keep each request's ``top_k`` mentors and
    the greedy baseline's edges, so the result is never below greedy.
    """
    # lazy: OR-Tools is a large native library; only the worker's matching rounds solve.
    from ortools.graph.python import min_cost_flow

    scorer = Scorer(problem)
    n, m, c = scorer.n, scorer.m, len(scorer.company_ids)
    if n == 0 or m == 0:
        return Assignment([], 0.0)
    prune = n * m > prune_above
    found = scan(scorer, top_k, prune)
    rows, cols, vals = found.rows, found.cols, found.scores
    if prune and found.greedy.pairs:  # greedy's edges too, so the result is never below it
        g = np.array(found.greedy.pairs, dtype=np.int64)
        rows, cols = np.concatenate([rows, g[:, 0]]), np.concatenate([cols, g[:, 1]])
        vals = np.concatenate([vals, np.array(found.greedy.scores, dtype=np.float32)])
        unique = np.unique(rows * m + cols, return_index=True)[1]
        rows, cols, vals = rows[unique], cols[unique], vals[unique]

    source, sink = 0, n + m + c + 1
    request_node = 1 + np.arange(n)
    mentor_node = 1 + n + np.arange(m)
    company_node = 1 + n + m + np.arange(c)
    costs = -np.rint(vals.astype(np.float64) * SCALE).astype(np.int64)
    tails = np.concatenate(
        [np.full(n, source), request_node, request_node[rows], mentor_node, company_node]
    )
    heads = np.concatenate(
        [
            request_node,
            np.full(n, sink),
            mentor_node[cols],
            company_node[scorer.company_of],
            np.full(c, sink),
        ]
    )
    capacities = np.concatenate(
        [
            np.ones(n, np.int64),
            np.ones(n, np.int64),
            np.ones(len(rows), np.int64),
            scorer.mentor_room,
            scorer.company_room,
        ]
    )
    unit_costs = np.concatenate([np.zeros(2 * n, np.int64), costs, np.zeros(m + c, np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, unit_costs)
    flow.set_nodes_supplies(np.array([source, sink]), np.array([n, -n]))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow did not solve: status {status}")
    edge_arcs = arcs[2 * n : 2 * n + len(rows)]
    used = flow.flows(edge_arcs) > 0
    order = np.argsort(rows[used], kind="stable")
    pairs = list(zip(rows[used][order].tolist(), cols[used][order].tolist(), strict=True))
    chosen = vals[used][order].astype(np.float64)
    return Assignment(pairs, float(chosen.sum()), edges=len(rows), scores=chosen.tolist())


def violations(problem: Problem, assignment: Assignment) -> list[str]:
    """Every way an assignment breaks a hard rule or a capacity; empty when it is valid."""
    found = []
    per_request: dict[int, int] = {}
    per_mentor: dict[int, int] = {}
    per_company: dict[int, int] = {}
    for i, j in assignment.pairs:
        need, mentor = problem.needs[i], problem.candidates[j]
        reason = exclusion(need, mentor)
        if reason:
            found.append(f"request {i} with mentor {j}: {reason}")
        per_request[i] = per_request.get(i, 0) + 1
        per_mentor[j] = per_mentor.get(j, 0) + 1
        per_company[mentor.company_id] = per_company.get(mentor.company_id, 0) + 1
    found += [f"request {i} matched {k} times" for i, k in per_request.items() if k > 1]
    for j, k in per_mentor.items():
        mentor = problem.candidates[j]
        if k > mentor.capacity - mentor.active_mentorships:
            found.append(f"mentor {j} over capacity")
    for company, k in per_company.items():
        cap = problem.company_caps.get(company)
        if cap is not None and k > cap:
            found.append(f"company {company} over its cap")
    return found
