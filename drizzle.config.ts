import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes SQL migrations from drizzle/schema.ts into migrations/.
// Roles, grants, RLS and triggers are custom migrations (`npx drizzle-kit generate --custom --name <name>`).
export default defineConfig({
  dialect: 'postgresql',
  schema: './drizzle/schema.ts',
  out: './migrations',
  schemaFilter: ['paywire'],
});
