// {{name}}: a recommendation strategy in JavaScript. Items near the buyer first: within the
// tenant's `max_km` (default 10) by distance, then everything else by how similar it looks.
import { config, log } from 'gajyeogagu:plugins/host@0.3.0';

// An exception other than a refusal (a thrown string) would end the call as a bare
// `unreachable` trap: log it first as the host shows a trap's cause (`panicked at file:line:
// …`; there is no console in the sandbox).
function reporting(strategy) {
  return (...args) => {
    try {
      return strategy(...args);
    } catch (e) {
      if (typeof e !== 'string') {
        const at = String(e?.stack ?? '').split('\n')[0].split('@')[1] ?? 'strategy.js';
        log('error', `panicked at ${at}: ${e}`);
      }
      throw e;
    }
  };
}

/**
 * The strategy: candidates in the order to show them. `candidates` are columns — candidate
 * `i` is `candidates.price[i]`, `candidates.distanceKm[i]` (NaN when unknown), … (typed
 * arrays) — and the answer names candidates by position (`index`).
 */
function rank(ctx, candidates) {
  const maxKm = Number(config('max_km') ?? '10');
  const ranked = [];
  for (let i = 0; i < candidates.price.length; i++) {
    const km = candidates.distanceKm[i];
    const similarity = candidates.similarity[i];
    // NaN (unknown distance) compares false.
    ranked.push(
      km <= maxKm
        ? { index: i, score: 1 + 1 / (1 + km), reason: `${km.toFixed(1)} km away` }
        : { index: i, score: Number.isNaN(similarity) ? 0 : Math.min(Math.max(similarity, 0), 1), reason: 'looks alike' },
    );
  }
  return ranked.sort((a, b) => b.score - a.score).slice(0, ctx.limit);
}

export const recommend = { rank: reporting(rank) };
