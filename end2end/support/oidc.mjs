// A real OpenID provider for the browser tests: the certified `oidc-provider` package on
// a free loopback port, with its own (development) login and consent screens. Anyone can
// sign in with any login name; what the provider then says about them (email, whether it
// is verified, groups) comes from `people`, set by the test.

import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

export const CLIENT_ID = 'vigil-e2e';
export const CLIENT_SECRET = 'e2e secret';

/**
 * Starts the provider for a Vigil that will listen at `vigil` (its base URL: the
 * client's redirect and post-logout addresses are registered from it).
 */
export async function startIdp({ vigil }) {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  /** login name -> claims beyond the defaults */
  const people = new Map();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      client_name: 'Vigil',
      redirect_uris: [`${vigil}/auth/oidc/corp/callback`],
      post_logout_redirect_uris: [`${vigil}/login`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'e2e-rsa', use: 'sig', alg: 'RS256' }] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({
        sub: id,
        email: `${id}@example.com`,
        email_verified: true,
        name: 'Grace Hopper',
        groups: ['vigil-responders'],
        ...(people.get(id) ?? {}),
      }),
    }),
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ['vigil-e2e-cookie-key'] },
  });
  // It runs on plain http on loopback; its warnings about that are expected here.
  provider.on('server_error', (_ctx, err) => console.error('oidc-provider:', err));
  server.on('request', provider.callback());
  return {
    issuer,
    people,
    /** The flags that point Vigil at this provider. */
    vigilArgs: [
      '--public-url', vigil,
      '--oidc-issuer', issuer,
      '--oidc-id', 'corp',
      '--oidc-name', 'Acme ID',
      '--oidc-client-id', CLIENT_ID,
      '--oidc-client-secret', CLIENT_SECRET,
      '--oidc-scopes', 'openid email profile groups',
      '--oidc-roles', 'vigil-admins=admin,vigil-responders=responder',
    ],
    close: () => server.close(),
  };
}
