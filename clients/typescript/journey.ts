// A buyer's and a seller's journey through the generated client, against a live crud-api:
// every call is type-checked against api/crud-api.openapi.json by tsc before it runs. Run by
// scripts/ts-client.sh (part of `make test`); any failed expectation exits non-zero.
import { deflateSync } from "node:zlib";
import { api, type Session, type Schemas } from "./client.js";

const base: string = process.argv[2] ?? "";
if (!base) throw new Error("usage: node dist/journey.js http://127.0.0.1:PORT");

function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`journey: ${what}`);
  console.log(`  ok  ${what}`);
}

/** A real PNG (the server decodes every upload): a w×h gradient. */
function png(w: number, h: number): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) raw.set([(x * 3) & 255, (y * 5) & 255, 120], y * (1 + 3 * w) + 1 + 3 * x);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

async function signUp(email: string, name: string): Promise<{ session: Session; user: Schemas["UserView"] }> {
  const { client } = api(base);
  const { data, error } = await client.POST("/api/v1/auth/signup", {
    body: { email, password: "journey-password-1", name },
  });
  check(data, `${email} signs up (${error?.code ?? "201"})`);
  return { session: { access: data.tokens.access_token, refresh: data.tokens.refresh_token }, user: data.user };
}

const run = Date.now().toString(36);
const address: Schemas["Address"] = {
  label: "집",
  recipient: "김민수",
  phone: "010-1234-5678",
  line1: "서울특별시 강남구 테헤란로 1",
  postal_code: "06236",
  area: "강남구",
  is_default: true,
};

// The seller lists a sofa with a photo.
const sellerUp = await signUp(`ts-seller-${run}@example.com`, "타입 판매자");
const seller = api(base, { session: sellerUp.session });
check((await seller.client.PATCH("/api/v1/users/me", { body: { is_seller: true } })).data?.is_seller, "becomes a seller");
const tree = (await seller.client.GET("/api/v1/categories")).data ?? [];
const sofa = tree.find((c) => c.slug === "sofa");
check(sofa, "the category tree has 소파");
const listed = await seller.client.POST("/api/v1/products", {
  body: {
    title: "타입스크립트 가죽소파",
    price: 120000,
    category_id: sofa.id,
    condition: "good",
    area: "마포구",
    dimensions: { width_cm: 200, depth_cm: 90, height_cm: 80 },
    style_tags: ["modern"],
  },
});
check(listed.data, `lists a sofa (${listed.error?.code ?? "201"})`);
const product = listed.data;
const uploaded = await seller.client.POST("/api/v1/products/{id}/images", {
  params: { path: { id: product.id } },
  body: { files: [] },
  bodySerializer() {
    const form = new FormData();
    form.append("files", new Blob([new Uint8Array(png(320, 240))], { type: "image/png" }), "sofa.png");
    return form;
  },
});
check(uploaded.data?.[0]?.display_url, `uploads a photo with 400 and 1200 px renditions (${uploaded.error?.code ?? "201"})`);

// A visitor browses: names and thumbnails on the card, a 304 for an unchanged page.
const visitor = api(base).client;
const page = await visitor.GET("/api/v1/products", { params: { query: { q: "가죽소파", limit: 10 } } });
const card = page.data?.items.find((p) => p.id === product.id);
check(card?.seller_name === "타입 판매자" && card.category_name === "소파", "the card names its seller and category");
check(card.thumbnail_url, "the card has a thumbnail");
const etag = page.response.headers.get("etag");
check(etag, "the page has an ETag");
const again = await visitor.GET("/api/v1/products", {
  params: { query: { q: "가죽소파", limit: 10 }, header: { "If-None-Match": etag } },
});
check(again.response.status === 304, "the same page again is a 304");
const profile = await visitor.GET("/api/v1/sellers/{id}", { params: { path: { id: card.seller_id } } });
check(profile.data?.active_listings === 1, "the seller's public profile counts the listing");

// A buyer: cart, checkout with an idempotency key, the fee known before paying, then pay.
const buyerUp = await signUp(`ts-buyer-${run}@example.com`, "타입 구매자");
const buyer = api(base, { session: buyerUp.session });
const added = await buyer.client.POST("/api/v1/cart/items", { body: { product_id: product.id, quantity: 1 } });
const line = added.data?.lines.find((l) => l.product_id === product.id);
check(line, `adds the sofa to the cart (${added.error?.code ?? "201"})`);
const tooMany = await buyer.client.PATCH("/api/v1/cart/items/{id}", {
  params: { path: { id: line.id } },
  body: { quantity: 2 },
});
check(tooMany.error?.code === "validation_failed" && tooMany.error.errors?.[0]?.field === "quantity", "a second unit of a one-off is refused, naming the field");
const cart = await buyer.client.GET("/api/v1/cart");
check(cart.data?.lines[0]?.thumbnail_url === card.thumbnail_url, "the cart line shows the photo");
const key = `journey-${run}`;
const placed = await buyer.client.POST("/api/v1/orders", {
  params: { header: { "Idempotency-Key": key } },
  body: { delivery_address: address },
});
check(placed.data, `checks out (${placed.error?.code ?? "201"})`);
const order = placed.data.orders[0];
check(order && order.delivery_fee > 0 && placed.data.total === order.total, "the delivery fee and the total are known at checkout");
const replay = await buyer.client.POST("/api/v1/orders", {
  params: { header: { "Idempotency-Key": key } },
  body: { delivery_address: address },
});
check(replay.data?.checkout_id === placed.data.checkout_id, "a retried checkout answers the same orders");
const quote = await buyer.client.POST("/api/v1/orders/{id}/payments/quote", {
  params: { path: { id: order.id } },
  body: {},
});
check(quote.data?.plan.total === order.total, "the quote asks for the total shown at checkout");
const paid = await buyer.client.POST("/api/v1/payments/confirm", {
  body: { order_id: order.id, payment_key: `pk_${run}`, amount: quote.data.plan.total },
});
check(paid.data?.status === "confirmed", `pays (${paid.error?.code ?? "200"})`);
const mine = await buyer.client.GET("/api/v1/orders/{id}", { params: { path: { id: order.id } } });
check(mine.data?.status === "paid" && mine.data.items[0]?.thumbnail_url, "the order is paid and shows the photo");

// The seller's live notifications, as a browser opens them: a ticket, no header.
const ticket = await seller.client.POST("/api/v1/notifications/stream-ticket");
check(ticket.data, "gets a stream ticket");
const stream = await fetch(new URL(ticket.data.stream_url, base), { headers: { accept: "text/event-stream" } });
check(stream.ok && stream.body, "opens the stream with the ticket");
const reader = stream.body.getReader();
let text = "";
while (!text.includes("\n\n")) {
  const { value, done } = await reader.read();
  if (done) break;
  text += new TextDecoder().decode(value);
}
await reader.cancel();
check(/event: ?order_(placed|paid)/.test(text), "the first event is about the order");
const spent = await fetch(new URL(ticket.data.stream_url, base));
check(spent.status === 401, "the ticket opens one stream only");

// Sessions: an expired-looking token is refreshed once by the client's middleware.
buyer.holder.session = { access: "not-a-token", refresh: buyerUp.session.refresh };
const me = await buyer.client.GET("/api/v1/users/me");
check(me.data?.email === `ts-buyer-${run}@example.com` && buyer.holder.session.access !== "not-a-token", "a 401 refreshes the session and retries");
const reused = await api(base).client.POST("/api/v1/auth/refresh", { body: { refresh_token: buyerUp.session.refresh } });
check(reused.response.status === 401, "a refresh token works once (reuse is refused)");
console.log("journey: every step passed");
