// A real OpenID Connect provider (npm `oidc-provider`) for crud-api's social-login tests.
// One process plays one provider ("google" or "kakao"): the Rust test harness starts it on
// loopback with a free port and drives the authorization-code flow through devInteractions.
//
// Environment:
//   IDP_PORT            port to listen on (127.0.0.1 only)
//   IDP_CLIENT_ID       the one registered client
//   IDP_CLIENT_SECRET   its secret (client_secret_post)
//   IDP_REDIRECT_URI    the client's registered redirect URI
//   IDP_CLOCK_OFFSET_SECS  shifts this provider's clock, so the id_tokens it issues are
//                          already expired for a relying party on the real clock
// Accounts: any login works. A login starting with "unverified" gets email_verified=false;
// the email is `<login>@example.com` unless the login already contains an "@".
import Provider from 'oidc-provider';

const port = Number(process.env.IDP_PORT);
const offset = Number(process.env.IDP_CLOCK_OFFSET_SECS || 0) * 1000;
if (offset !== 0) {
  const realNow = Date.now;
  Date.now = () => realNow() + offset;
}

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.IDP_CLIENT_ID,
    client_secret: process.env.IDP_CLIENT_SECRET,
    redirect_uris: [process.env.IDP_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Put the scope's claims into the id_token, as Google and Kakao do.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    const email = id.includes('@') ? id : `${id}@example.com`;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email, email_verified: !id.startsWith('unverified'), name: `Test ${id}` };
      },
    };
  },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  console.log(`idp listening on ${issuer}`);
});
