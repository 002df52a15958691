import type { NextConfig } from 'next';

const config: NextConfig = {
  // @tenantry/db and the engine under it, @tenantry/prisma, ship TypeScript source (their package
  // exports point at .ts files): Next compiles them.
  transpilePackages: ['@tenantry/db', '@tenantry/prisma'],
  // Loaded by Node at runtime, never bundled. `pg` above all: adapter-pg accepts our TenantPool through
  // an `instanceof pg.Pool` check, and a bundled second copy of pg would make it build its own,
  // unscoped pool silently. Prisma's runtime loads its query compiler (wasm) from its own files.
  serverExternalPackages: ['pg', '@prisma/client', '@prisma/adapter-pg'],
  // @tenantry/db and @tenantry/prisma import their own modules the NodeNext way (`./client.js` for client.ts). Webpack
  // resolves that with extensionAlias; Turbopack (Next 16's default bundler) cannot yet
  // (vercel/next.js#82945), so the scripts pass --webpack.
  experimental: { extensionAlias: { '.js': ['.ts', '.tsx', '.js'] } },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
