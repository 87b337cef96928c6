// {{name}}: a payment strategy in JavaScript. Delivery costs ₩5,000 plus ₩500 per km, free when
// the goods come to at least the tenant's `free_delivery_over` (KRW, default 300,000) and on
// orders placed on a weekend — on the tenant's clock (`placedAt`), so Friday 23:30 in Seoul is
// not a weekend though it is Saturday in UTC an hour later. The platform keeps 10% commission;
// each seller is paid the rest of their lines.
//
// Money is KRW as BigInt (WIT `s64`). The host checks the plan adds up. Throw a string to refuse.
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

/** The strategy: the plan for one checkout. */
function quote(input) {
  if (input.lines.length === 0) throw 'an order needs at least one line';
  const bySeller = new Map();
  for (const line of input.lines) {
    const gross = line.unitPrice * BigInt(line.quantity);
    bySeller.set(line.sellerId, (bySeller.get(line.sellerId) ?? 0n) + gross);
  }
  const goods = [...bySeller.values()].reduce((a, b) => a + b, 0n);
  let fee = 5000n + BigInt(Math.round(500 * (input.distanceKm ?? 0)));
  const threshold = BigInt(config('free_delivery_over') ?? '300000');
  const weekend = ['saturday', 'sunday'].includes(input.placedAt.weekday);
  const notes = [];
  if (goods >= threshold || weekend) {
    fee = 0n;
    notes.push(weekend ? '주말 무료 배송' : `${threshold}원 이상 무료 배송`);
    log('info', 'delivery fee waived');
  }
  const payouts = [...bySeller]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([sellerId, amount]) => ({ sellerId, amount: amount - amount / 10n }));
  return {
    adjustments: [],
    deliveryFee: fee,
    commission: goods - payouts.reduce((a, p) => a + p.amount, 0n),
    payouts,
    methods: ['card', 'kakaopay', 'transfer'],
    gateway: 'sandbox',
    total: goods + fee,
    notes,
  };
}

export const payment = { quote: reporting(quote) };
