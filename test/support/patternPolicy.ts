/**
 * policies.yml as people write it, for the attack suites of both engines: a group of analysts of
 * *@patterns.example that may read everything but the tables `denied` names (patterns), without
 * the columns `hidden` names (patterns), and only German customers and what they ordered — with
 * the customers' filter keyed by a name quoted as SQL quotes it, and one filter for every table
 * whose name starts with "order".
 */
export function patternPolicyText(denied: readonly string[], hidden: readonly string[]): string {
  return `version: 1
default: deny
groups:
  analysts:
    members: ["*@patterns.example"]
    tables: { allow: ["*"], deny: [${denied.map((d) => JSON.stringify(d)).join(', ')}] }
    columns: { deny: [${hidden.map((h) => JSON.stringify(h)).join(', ')}] }
row_policies:
  - name: german_customers
    applies_to: { groups: [analysts] }
    filters:
      '"Customers"': "country = 'DE'"
      "order*": "customer_id in (select customer_id from customers where country = 'DE')"
`;
}

export const PATTERN_ASKER = 'ana@patterns.example';
