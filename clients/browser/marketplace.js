// A minimal marketplace frontend: no framework, no build step, only what a browser has —
// fetch, FormData, canvas, EventSource, Resource Timing. Every URL the API answers is absolute,
// so images and the stream are used exactly as given. Exposed as `window.market` so a test (or
// the console) can drive it step by step.

const api = new URL(new URLSearchParams(location.search).get("api") ?? "http://localhost:8001");
document.querySelector("#api").textContent = `API: ${api.origin}`;

/** A JSON call; a problem+json answer throws an Error carrying the problem. */
async function call(path, { method = "GET", token, json, body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (json !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  const res = await fetch(new URL(path, api), init);
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = new Error(`${method} ${path}: ${res.status} ${data?.code ?? ""} ${data?.detail ?? ""}`);
    err.problem = data;
    throw err;
  }
  return data;
}

/** A test photo drawn on a canvas: a brown sofa on a beige wall, as a PNG blob. */
function photo(width = 640, height = 480) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext("2d");
  g.fillStyle = "#e8dcc8";
  g.fillRect(0, 0, width, height);
  g.fillStyle = "#7b4a2a";
  g.fillRect(width * 0.15, height * 0.45, width * 0.7, height * 0.3);
  g.fillRect(width * 0.15, height * 0.3, width * 0.12, height * 0.45);
  g.fillRect(width * 0.73, height * 0.3, width * 0.12, height * 0.45);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

function findCategory(tree, slug) {
  for (const c of tree) {
    if (c.slug === slug) return c;
    const inner = findCategory(c.children ?? [], slug);
    if (inner) return inner;
  }
  return null;
}

const events = [];

window.market = {
  events,

  async signUp(email, name) {
    return call("/api/v1/auth/signup", { method: "POST", json: { email, password: "correct-horse-1", name } });
  },

  async becomeSeller(token) {
    return call("/api/v1/users/me", { method: "PATCH", token, json: { is_seller: true } });
  },

  async listSofa(token, title) {
    const sofa = findCategory(await call("/api/v1/categories"), "sofa");
    return call("/api/v1/products", {
      method: "POST",
      token,
      json: { title, description: "브라우저에서 올린 소파", price: 150000, category_id: sofa.id, condition: "good", area: "마포구" },
    });
  },

  /** Uploads a canvas-drawn photo; the answer is an array, one photo per file. */
  async uploadPhoto(token, productId) {
    const form = new FormData();
    form.append("files", await photo(), "sofa.png");
    const [stored] = await call(`/api/v1/products/${productId}/images`, { method: "POST", token, body: form });
    return stored;
  },

  /** Shows the product as a shop page would: the card's thumbnail in an <img>, as given. */
  async showListing(productId) {
    const product = await call(`/api/v1/products/${productId}`);
    const card = (await call(`/api/v1/products?limit=50`)).items.find((p) => p.id === productId);
    const section = document.querySelector("#listing");
    section.innerHTML = "";
    const title = document.createElement("h2");
    title.textContent = `${product.title} — ${product.price.toLocaleString("ko-KR")}원`;
    const img = document.createElement("img");
    img.alt = product.title;
    const loaded = new Promise((resolve, reject) => {
      img.onload = resolve;
      img.onerror = () => reject(new Error(`the image did not load: ${img.src}`));
    });
    img.src = card.thumbnail_url;
    section.append(title, img);
    await loaded;
    return { src: img.currentSrc, width: img.naturalWidth, height: img.naturalHeight, display: product.images[0].display_url };
  },

  /** What Resource Timing shows of `url`'s last load (all zeros without Timing-Allow-Origin). */
  timing(url) {
    const entries = performance.getEntriesByName(url);
    const e = entries[entries.length - 1];
    return e && { transferSize: e.transferSize, requestStart: e.requestStart, responseStart: e.responseStart, status: e.responseStatus };
  },

  /** A listing fetched twice: the second answer is a 304 the page can tell apart by its size. */
  async revalidated(path) {
    const url = new URL(path, api).href;
    // Bodies read to the end: an entry is recorded when its response is complete.
    await (await fetch(url)).text();
    await (await fetch(url)).text();
    return performance.getEntriesByName(url).map((e) => ({ transferSize: e.transferSize, status: e.responseStatus }));
  },

  /** The live stream: a ticket, then `new EventSource(stream_url)` (absolute, on the API). */
  async openStream(token) {
    const ticket = await call("/api/v1/notifications/stream-ticket", { method: "POST", token, json: {} });
    const source = new EventSource(ticket.stream_url);
    const list = document.querySelector("#events");
    for (const kind of ["order_placed", "order_paid", "order_cancelled"]) {
      source.addEventListener(kind, (m) => {
        const note = JSON.parse(m.data);
        events.push(note);
        const li = document.createElement("li");
        li.textContent = `${note.kind}: ${note.title} — ${note.body}`;
        list.append(li);
      });
    }
    await new Promise((resolve, reject) => {
      source.onopen = resolve;
      source.onerror = () => reject(new Error(`the stream did not open: ${ticket.stream_url}`));
    });
    window.stream = source;
    return ticket.stream_url;
  },

  async buy(token, productId) {
    await call("/api/v1/cart/items", { method: "POST", token, json: { product_id: productId, quantity: 1 } });
    const address = { label: "집", recipient: "김민수", phone: "010-1234-5678", line1: "서울특별시 강남구 테헤란로 1", postal_code: "06236", area: "강남구" };
    return call("/api/v1/orders", { method: "POST", token, json: { delivery_address: address }, headers: { "idempotency-key": crypto.randomUUID() } });
  },
};
