"""{{name}}: a payment strategy in Python. Delivery costs ₩5,000 plus ₩500 per km, free when the
goods come to at least the tenant's `free_delivery_over` (KRW, default 300,000) and on orders
placed on a weekend — on the tenant's clock (`placed_at`), so Friday 23:30 in Seoul is not a
weekend though it is Saturday in UTC an hour later. The platform keeps 10% commission; each
seller is paid the rest of their lines.

The host checks the plan adds up (total = goods + adjustments + delivery fee; commission +
payouts = total − delivery fee). Raise `Err("why")` to refuse an order.
"""

import os
import traceback

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import payment as p
from wit_world.imports import host


def report(e: BaseException) -> None:
    """Logs an unexpected exception as the host shows a trap's cause (`panicked at file:line:
    …`): there is no stderr in the sandbox, so Python could not print its traceback, and the
    call would end as a bare trap. (Source lines are not looked up: there are no files.)"""
    frames = traceback.StackSummary.extract(traceback.walk_tb(e.__traceback__), lookup_lines=False)
    where = f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else "app.py"
    host.log(host.Level.ERROR, f"panicked at {where}: {type(e).__name__}: {e}")


class Payment(exports.Payment):
    def quote(self, input: p.Checkout) -> p.Plan:
        try:
            return quote(input)
        except Err:
            raise
        except Exception as e:
            report(e)
            raise


def quote(input: p.Checkout) -> p.Plan:
    """The strategy: the plan for one checkout."""
    if not input.lines:
        raise Err("an order needs at least one line")
    by_seller: dict[str, int] = {}
    for line in input.lines:
        by_seller[line.seller_id] = by_seller.get(line.seller_id, 0) + line.unit_price * line.quantity
    goods = sum(by_seller.values())
    fee = 5000 + round(500 * (input.distance_km or 0.0))
    threshold = int(host.config("free_delivery_over") or "300000")
    weekend = input.placed_at.weekday in (host.Weekday.SATURDAY, host.Weekday.SUNDAY)
    notes = []
    if goods >= threshold or weekend:
        fee = 0
        notes.append("주말 무료 배송" if weekend else f"{threshold}원 이상 무료 배송")
        host.log(host.Level.INFO, "delivery fee waived")
    payouts = [p.Payout(seller_id=s, amount=a - a // 10) for s, a in sorted(by_seller.items())]
    return p.Plan(
        adjustments=[],
        delivery_fee=fee,
        commission=goods - sum(x.amount for x in payouts),
        payouts=payouts,
        methods=["card", "kakaopay", "transfer"],
        gateway="sandbox",
        total=goods + fee,
        notes=notes,
    )
