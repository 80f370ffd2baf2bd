// The OpenID provider the single sign-on tests sign in at: panva's certified oidc-provider,
// configured here, with a small login page of its own (the provider's UI, not its protocol).
//
//   node tests/oidc/provider.js CONFIG.json
//
// CONFIG.json (written by tests/e2e/oidc.py; in a file, not the command line, so that the
// client secret and passwords never show in `ps`):
//   {"port": 43123,
//    "client": {"client_id": "...", "client_secret": "...", "redirect_uris": ["http://..."]},
//    "accounts": [{"sub": "...", "email": "...", "email_verified": true, "password": "...",
//                  "given_name": "...", "family_name": "..."}],
//    "claims_in_id_token": false}
// With claims_in_id_token the ID token carries the e-mail and names itself; without (the
// library's default, as many providers do) they come from the userinfo endpoint only.
//
// The issuer is http://127.0.0.1:<port>. Prints one line, "ready <issuer>", and nothing secret;
// exits on SIGTERM or SIGINT, or when its parent closes its standard input.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = new Map(config.accounts.map((account) => [account.sub, account]));

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "test-key", use: "sig", alg: "RS256" };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.client.client_id,
      client_secret: config.client.client_secret,
      redirect_uris: config.client.redirect_uris,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        const { password, ...claims } = account; // never handed out
        return claims;
      },
    };
  },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["given_name", "family_name"],
  },
  scopes: ["openid", "email", "profile"],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString("base64url")] },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true }, // the client must send an S256 challenge
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  clientBasedCORS: () => false, // no browser calls the provider's API from another origin
  conformIdTokenClaims: !config.claims_in_id_token,
});

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

function loginPage(uid, { email = "", problem = "" } = {}) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Test ID: sign in</title></head>
<body><main>
<h1>Test ID</h1>
${problem ? `<p role="alert">${escape(problem)}</p>` : ""}
<form method="post" action="/interaction/${escape(uid)}/login">
  <p><label for="email">E-mail address</label> <input id="email" name="email" type="email" value="${escape(email)}"></p>
  <p><label for="password">Password</label> <input id="password" name="password" type="password"></p>
  <p><button type="submit">Sign in at Test ID</button></p>
</form>
<p><a href="/interaction/${escape(uid)}/abort">Cancel and go back</a></p>
</main></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function send(res, status, html) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(html);
}

// The first-party test client needs no consent screen: grant what it asked for.
async function consent(req, res, details) {
  const { prompt, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(" "));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  const result = { consent: { grantId: await grant.save() } };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (action === "abort") {
    const result = { error: "access_denied", error_description: "The person cancelled" };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  if (details.prompt.name === "consent") return consent(req, res, details);
  if (action === "login" && req.method === "POST") {
    const form = await readForm(req);
    const email = form.get("email") || "";
    const account = [...accounts.values()].find((a) => a.email === email && a.password === form.get("password"));
    if (!account) return send(res, 200, loginPage(uid, { email, problem: "Wrong e-mail address or password." }));
    const result = { login: { accountId: account.sub } };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  return send(res, 200, loginPage(uid));
}

const handle = provider.callback();
const server = createServer((req, res) => {
  const match = /^\/interaction\/([^/?]+)(?:\/(login|abort))?(?:\?|$)/.exec(req.url);
  if (!match) return handle(req, res);
  interaction(req, res, match[1], match[2]).catch((error) => {
    console.error(`interaction failed: ${error.name}`); // its message may carry the session's details
    if (!res.headersSent) send(res, 400, "<!doctype html><title>Error</title><p>The sign-in could not go on.</p>");
  });
});

const stop = () => process.exit(0); // nothing to save: every grant and session lives in memory
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop); // the test process went away without a signal
process.stdin.resume();

server.listen(config.port, "127.0.0.1", () => console.log(`ready ${issuer}`));
