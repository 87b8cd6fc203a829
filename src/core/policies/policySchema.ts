import { z } from 'zod';
import { parseYamlWith, type ParsedYaml } from '../yamlFile';

/** `askdata/policies.yml` (ARCHITECTURE.md, "Files in the user's repo"): permission groups and row-level policies, enforced on the SQL. */
const names = z.array(z.string().trim().min(1));
/**
 * Policies name relations as queries do, without schema or database (they match a relation of
 * that name wherever it is): a dotted entry would match no relation and so restrict nothing.
 */
const relationName = z.string().trim().min(1).regex(/^[^.]+$/, 'must name a table or view without its schema or database (orders, not main.orders)').transform(unquoted);
/** `"Orders"` as SQL writes it is the name Orders (which DuckDB and SQLite match ignoring case). */
function unquoted(name: string): string {
  return /^".*"$/s.test(name) ? name.slice(1, -1).replaceAll('""', '"') : name;
}

/**
 * Every mapping is strict: a key Ask Data does not know is an error, never ignored. A misspelt
 * `row_policy:` or `column:` read leniently would drop the restriction it was written to make,
 * and the asker would be shown what the file meant to hide.
 */
export const policyFileSchema = z.strictObject({
  version: z.number().int().positive().max(1, { error: 'this file is for a newer Ask Data; update the extension' }).optional(),
  /** What an asker in no group may read: everything (allow, the default) or nothing (deny). */
  default: z.enum(['allow', 'deny'], { error: 'must be allow or deny' }).optional(),
  groups: z.record(z.string(), z.strictObject({
    description: z.string().optional(),
    /** Emails; `*` matches any run of characters, as in *@marketing.shop.example. */
    members: names,
    tables: z.strictObject({ allow: z.array(relationName).optional(), deny: z.array(relationName).optional() }).optional(),
    /** `table.column` pairs hidden from the group; `*` matches any run of characters in either part. */
    columns: z.strictObject({ deny: z.array(z.string().trim().regex(/^[^.]+\.[^.]+$/, 'must be table.column').transform((c) => c.split('.').map((p) => unquoted(p.trim())).join('.'))).optional() }).optional(),
  })).optional(),
  row_policies: z.array(z.strictObject({
    name: z.string().trim().min(1),
    description: z.string().optional(),
    applies_to: z.strictObject({ members: names.optional(), groups: names.optional() }),
    /** Per table, a SQL condition; {{ asker.<attribute> }} becomes the asker's value as a literal. */
    filters: z.record(z.string(), z.string().trim().min(1)).superRefine((filters, ctx) => {
      for (const key of Object.keys(filters)) {
        const checked = relationName.safeParse(key);
        if (!checked.success) ctx.addIssue({ code: 'custom', path: [key], message: checked.error.issues[0]!.message });
      }
    }).transform((filters) => Object.fromEntries(Object.entries(filters).map(([key, condition]) => [unquoted(key.trim()), condition]))),
  })).optional(),
  /** Attributes of askers by email, used by row policies. */
  askers: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))).optional(),
});
export type PolicyFile = z.infer<typeof policyFileSchema>;

export function parsePolicyFile(text: string): ParsedYaml<PolicyFile> {
  return parseYamlWith(text, policyFileSchema, 'policies.yml');
}
