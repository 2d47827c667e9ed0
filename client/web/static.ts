/**
 * The portal's one stylesheet and one small script: real files in assets/ beside this module
 * (portal.css, portal.js; formatted by prettier, the script linted by eslint as browser code),
 * read once at start-up and served from memory with long caching (their URLs carry a content
 * hash). Pages work without the script: it only adds live status updates, as-you-type
 * validation and local times.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Found from this module's own URL: the same under tsx from the source tree, in tests and in the image. */
function asset(name: string): string {
  return readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
}

/** The one stylesheet: readable, visible focus, no framework; the experience charts' styles too. */
export const css = asset('portal.css');

/** The one script: live regions (`data-live`), as-you-type validation (`data-validate`), local times. */
export const js = asset('portal.js');

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** Versioned URLs so browsers may cache them for a year. */
export const assetPaths = {
  css: `/assets/app.${hash(css)}.css`,
  js: `/assets/app.${hash(js)}.js`,
} as const;
