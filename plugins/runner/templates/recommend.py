"""{{name}}: a recommendation strategy in Python. Items near the buyer first: within the
tenant's `max_km` (default 10) by distance, then everything else by how similar it looks."""

from typing import List

from wit_world import exports
from wit_world.exports import recommend as r
from wit_world.imports import host


class Recommend(exports.Recommend):
    def rank(self, ctx: r.Context, candidates: List[r.Candidate]) -> List[r.Ranked]:
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
