// The client a frontend would write: openapi-fetch over the types openapi-typescript generates
// from api/crud-api.openapi.json, with the access token attached and refreshed once on a 401.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths, components } from "./generated/schema.js";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

export interface Session {
  access: string;
  refresh: string;
}

/** A client for `baseUrl`; `session` is read on every request and replaced on refresh. */
export function api(baseUrl: string, holder: { session?: Session } = {}) {
  const client = createClient<paths>({ baseUrl });
  const auth: Middleware = {
    async onRequest({ request }) {
      if (holder.session && !request.headers.has("authorization")) {
        request.headers.set("authorization", `Bearer ${holder.session.access}`);
      }
      return request;
    },
    async onResponse({ request, response }) {
      // Access tokens are short-lived: one refresh, then the request again.
      // The retry below is a plain fetch, outside this middleware: it can't loop.
      if (response.status !== 401 || !holder.session) return response;
      const refreshed = await createClient<paths>({ baseUrl }).POST("/api/v1/auth/refresh", {
        body: { refresh_token: holder.session.refresh },
      });
      if (!refreshed.data) return response;
      holder.session = { access: refreshed.data.access_token, refresh: refreshed.data.refresh_token };
      const again = new Request(request, { headers: new Headers(request.headers) });
      again.headers.set("authorization", `Bearer ${holder.session.access}`);
      return fetch(again);
    },
  };
  client.use(auth);
  return { client, holder };
}
