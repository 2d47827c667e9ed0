/**
 * Markup with the white space Prettier puts into templates folded away, so tests can look for a
 * tag as a person would write it: `<a href="/x" aria-current="page">X</a>`, however the
 * template wraps it. Text keeps single spaces; nothing else changes.
 */
export function flatHtml(markup: string): string {
  return markup
    .replace(/\s+/g, ' ')
    .replace(/\s*(\/?>)\s*/g, '$1')
    .replace(/\s*<\s*/g, '<')
    .replace(/<\/\s*/g, '</');
}
