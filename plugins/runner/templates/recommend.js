// {{name}}: a recommendation strategy in JavaScript. Items near the buyer first: within the
// tenant's `max_km` (default 10) by distance, then everything else by how similar it looks.
import { config } from 'gajyeogagu:plugins/host@0.2.0';

export const recommend = {
  rank(ctx, candidates) {
    const maxKm = Number(config('max_km') ?? '10');
    return candidates
      .map((c) =>
        c.distanceKm !== undefined && c.distanceKm <= maxKm
          ? { id: c.id, score: 1 + 1 / (1 + c.distanceKm), reason: `${c.distanceKm.toFixed(1)} km away` }
          : { id: c.id, score: Math.min(Math.max(c.similarity ?? 0, 0), 1), reason: 'looks alike' },
      )
      .sort((a, b) => b.score - a.score)
      .slice(0, ctx.limit);
  },
};
