/**
 * Catalog search: the words people type against titles, keywords and descriptions. A title hit
 * outranks everything else (searching "Expensatron" must put the Expensatron page
 * first), then keywords, then the summary and description. Words match whole or by prefix
 * ("expens" finds Expensatron), case- and accent-insensitively.
 */
import type { CatalogService } from './types';

/** Lower-case words without accents. */
export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

const weights = { exactTitle: 1000, title: 100, keyword: 20, text: 3 } as const;

/** A prefix counts for half, so whole words win over fragments. */
function hit(query: string, candidates: readonly string[]): number {
  if (candidates.includes(query)) return 1;
  return query.length >= 3 && candidates.some((c) => c.startsWith(query)) ? 0.5 : 0;
}

/** How well a service matches; 0 = not at all. */
export function scoreService(service: CatalogService, query: string): number {
  const q = words(query);
  if (q.length === 0) return 0;
  const title = words(service.title);
  const keywords = service.keywords.flatMap(words);
  const text = [service.summary, ...service.description].flatMap(words);
  let score = q.join(' ') === title.join(' ') ? weights.exactTitle : 0;
  let matched = 0;
  for (const w of q) {
    const s = weights.title * hit(w, title) + weights.keyword * hit(w, keywords) + weights.text * hit(w, text);
    if (s > 0) matched += 1;
    score += s;
  }
  // Every word of the query found beats some words found, whatever the weights.
  return matched === 0 ? 0 : score * (matched / q.length);
}

/** Services matching `query`, best first (ties by title); every service for an empty query. */
export function search(services: readonly CatalogService[], query: string): CatalogService[] {
  if (words(query).length === 0) return [...services];
  return services
    .map((service) => ({ service, score: scoreService(service, query) }))
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || a.service.title.localeCompare(b.service.title))
    .map((r) => r.service);
}
