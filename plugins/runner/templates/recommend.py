"""{{name}}: a recommendation strategy in Python. Items near the buyer first: within the
tenant's `max_km` (default 10) by distance, then everything else by how similar it looks."""

import math
import os
import traceback
from typing import List

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import recommend as r
from wit_world.imports import host


def report(e: BaseException) -> None:
    """Logs an unexpected exception as the host shows a trap's cause (`panicked at file:line:
    …`): there is no stderr in the sandbox, so Python could not print its traceback, and the
    call would end as a bare trap. (Source lines are not looked up: there are no files.)"""
    frames = traceback.StackSummary.extract(traceback.walk_tb(e.__traceback__), lookup_lines=False)
    where = f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else "app.py"
    host.log(host.Level.ERROR, f"panicked at {where}: {type(e).__name__}: {e}")


class Recommend(exports.Recommend):
    def rank(self, ctx: r.Context, candidates: r.Candidates) -> List[r.Ranked]:
        try:
            return rank(ctx, candidates)
        except Err:
            raise
        except Exception as e:
            report(e)
            raise


def rank(ctx: r.Context, candidates: r.Candidates) -> List[r.Ranked]:
    """The strategy: candidates in the order to show them. `candidates` are columns — candidate
    `i` is `candidates.price[i]`, `candidates.distance_km[i]` (NaN when unknown), … — and the
    answer names candidates by position (`index`)."""
    max_km = float(host.config("max_km") or "10")
    ranked = []
    for i, (km, similarity) in enumerate(zip(candidates.distance_km, candidates.similarity)):
        if km <= max_km:  # NaN (unknown distance) compares false
            ranked.append(r.Ranked(index=i, score=1.0 + 1.0 / (1.0 + km), reason=f"{km:.1f} km away"))
        else:
            score = 0.0 if math.isnan(similarity) else min(max(similarity, 0.0), 1.0)
            ranked.append(r.Ranked(index=i, score=score, reason="looks alike"))
    ranked.sort(key=lambda x: -x.score)
    return ranked[: ctx.limit]
