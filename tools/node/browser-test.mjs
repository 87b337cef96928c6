// Frontends in a real browser: Debian's Chromium driven by playwright-core (scripts/browser-test.sh
// starts the services and serves clients/browser on another origin).
//   1. Swagger UI "Try it out" on both services: list, sign-up, Authorize, /users/me (crud-api);
//      Authorize with an API key, the model list (dl-api).
//   2. A page on another origin signs up, lists a sofa with a canvas-drawn photo and shows it
//      from the absolute thumbnail URL, reads real Resource Timing (a 304 told from a 200),
//      opens the notification stream with a ticket and sees a second user's order arrive.
// Env: API, DL_API, DL_KEY, PAGE, CHROMIUM.
import { chromium } from "playwright-core";

const { API, DL_API, DL_KEY, PAGE, CHROMIUM } = process.env;
let failures = 0;
const ok = (cond, what, detail = "") => {
  console.log(`${cond ? "ok  " : "FAIL"} ${what}${cond ? "" : ` — ${detail}`}`);
  if (!cond) failures += 1;
  return cond;
};
const step = async (what, fn) => {
  try {
    return await fn();
  } catch (e) {
    ok(false, what, e.message.split("\n")[0]);
    return undefined;
  }
};

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
const context = await browser.newContext();
const stamp = Date.now().toString(36);

/** Expands an operation, "Try it out", optional body, "Execute": the live status and body. */
async function tryItOut(page, id, body) {
  const op = page.locator(`#${id}`);
  await op.waitFor({ timeout: 20000 });
  if (!(await op.locator(".try-out__btn").isVisible())) await op.locator(".opblock-summary").first().click();
  await op.locator(".try-out__btn").click();
  if (body !== undefined) await op.locator("textarea.body-param__text").fill(JSON.stringify(body));
  await op.locator("button.execute").click();
  const status = op.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor({ timeout: 20000 });
  const text = await op.locator(".live-responses-table .response .response-col_description pre").first().textContent();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: Number((await status.textContent()).trim()), json, text };
}

/** The Authorize dialog: `value` into the scheme whose section names `scheme`. */
async function authorize(page, scheme, value) {
  await page.locator(".auth-wrapper button.authorize").click();
  const section = page.locator(".modal-ux .auth-container").filter({ hasText: scheme }).first();
  await section.locator("input").first().fill(value);
  await section.locator("button.authorize").click();
  await page.locator(".modal-ux button.btn-done").first().click();
}

// 1. Swagger UI, crud-api.
await step("crud-api Swagger UI", async () => {
  const page = await context.newPage();
  await page.goto(`${API}/docs/`);
  const list = await tryItOut(page, "operations-catalogue-list_products");
  ok(list.status === 200 && Array.isArray(list.json?.items), "crud-api docs: Try it out lists products", list.text);
  const email = `swagger-${stamp}@example.com`;
  const signup = await tryItOut(page, "operations-auth-signup", { email, password: "correct-horse-1", name: "스웨거" });
  ok(signup.status === 201 && signup.json?.tokens?.access_token, "crud-api docs: Try it out signs up", signup.text);
  await authorize(page, "bearer", signup.json.tokens.access_token);
  const me = await tryItOut(page, "operations-users-get_me");
  ok(me.status === 200 && me.json?.email === email, "crud-api docs: Authorize, then /users/me is you", me.text);
  await page.close();
});

// 1b. Swagger UI, dl-api.
await step("dl-api Swagger UI", async () => {
  const page = await context.newPage();
  await page.goto(`${DL_API}/docs/`);
  await authorize(page, "X-API-Key", DL_KEY);
  const models = await tryItOut(page, "operations-models-list_models");
  ok(models.status === 200 && JSON.stringify(models.json).includes("efficientnet-lite0"), "dl-api docs: Authorize with an API key, list the models", models.text);
  await page.close();
});

// 2. A page on another origin.
await step("the marketplace page on another origin", async () => {
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  await page.goto(`${PAGE}/index.html?api=${encodeURIComponent(API)}`);
  ok(new URL(PAGE).origin !== new URL(API).origin, "the page and the API are different origins");
  await page.waitForFunction(() => window.market);
  const seller = (await page.evaluate((e) => market.signUp(e, "김판매"), `seller-${stamp}@example.com`)).tokens;
  ok(seller?.access_token, "signs up from the page (CORS)");
  await page.evaluate((t) => market.becomeSeller(t), seller.access_token);
  const product = await page.evaluate((t) => market.listSofa(t, "브라우저 소파"), seller.access_token);
  const stored = await page.evaluate(([t, id]) => market.uploadPhoto(t, id), [seller.access_token, product.id]);
  ok(stored?.thumbnail_url?.startsWith(`${API}/api/v1/images/`), "the upload answers absolute image URLs", JSON.stringify(stored));
  const shown = await page.evaluate((id) => market.showListing(id), product.id);
  ok(shown.width > 0 && shown.src.startsWith(API), "the card's thumbnail shows in an <img> on the page's origin", JSON.stringify(shown));
  const timing = await page.evaluate((src) => market.timing(src), shown.src);
  ok(timing && timing.responseStart > 0 && timing.transferSize > 0, "Resource Timing of the photo is real (Timing-Allow-Origin)", JSON.stringify(timing));
  const twice = await page.evaluate(() => market.revalidated("/api/v1/categories"));
  const [full, again] = [twice[0], twice[twice.length - 1]];
  ok(twice.length >= 2 && again.transferSize > 0 && again.transferSize < full.transferSize,
    "a revalidated answer (304) is told from the first (200) by its size", JSON.stringify(twice));
  const streamUrl = await page.evaluate((t) => market.openStream(t), seller.access_token);
  ok(streamUrl.startsWith(`${API}/api/v1/notifications/stream?ticket=`), "the stream opens from the ticket's stream_url as given", streamUrl);
  const buyer = (await page.evaluate((e) => market.signUp(e, "이구매"), `buyer-${stamp}@example.com`)).tokens;
  const placed = await page.evaluate(([t, id]) => market.buy(t, id), [buyer.access_token, product.id]);
  ok(placed?.orders?.length === 1, "a second user checks out the sofa", JSON.stringify(placed));
  await page.waitForFunction(() => market.events.some((e) => e.kind === "order_placed"), null, { timeout: 15000 });
  const note = await page.evaluate(() => market.events.find((e) => e.kind === "order_placed"));
  ok(note.thumbnail_url === shown.src, "the seller's page sees the order arrive, with the photo", JSON.stringify(note));
  ok((await page.locator("#events li").count()) >= 1, "and shows it");
  ok(consoleErrors.length === 0, "no errors in the page's console", consoleErrors.join(" | "));
  await page.close();
});

await browser.close();
console.log(failures ? `browser-test: ${failures} failed` : "browser-test: all passed");
process.exit(failures ? 1 : 0);
