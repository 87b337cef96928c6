"""{{name}}: a recommendation strategy in Python. Items near the buyer first: within the
tenant's `max_km` (default 10) by distance, then everything else by how similar it looks."""

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
    def rank(self, ctx: r.Context, candidates: List[r.Candidate]) -> List[r.Ranked]:
        try:
            return rank(ctx, candidates)
        except Err:
            raise
        except Exception as e:
            report(e)
            raise


def rank(ctx: r.Context, candidates: List[r.Candidate]) -> List[r.Ranked]:
    """The strategy: candidates in the order to show them."""
    max_km = float(host.config("max_km") or "10")
    ranked = []
    for c in candidates:
        if c.distance_km is not None and c.distance_km <= max_km:
            score = 1.0 + 1.0 / (1.0 + c.distance_km)
            ranked.append(r.Ranked(id=c.id, score=score, reason=f"{c.distance_km:.1f} km away"))
        else:
            score = min(max(c.similarity or 0.0, 0.0), 1.0)
            ranked.append(r.Ranked(id=c.id, score=score, reason="looks alike"))
    ranked.sort(key=lambda x: -x.score)
    return ranked[: ctx.limit]
