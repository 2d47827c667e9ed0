/**
 * The portal's page frame: skip link, navigation for what this person may use, one stylesheet,
 * one deferred script. Every page is server-rendered and complete without JavaScript.
 */
import { assetPaths } from './static';
import { html, type HtmlValue, type SafeHtml } from './html';
import type { Session } from './session';

/** Who is looking at which page. */
export interface PageContext {
  session: Session | null;
  /** CSRF token for the forms on this page (sign-out included). */
  csrf: string;
  /** The embedded default has an outbox page. */
  hasOutbox: boolean;
  /** Path of the current page, to mark the current navigation item. */
  path: string;
}

/** One page's title and body. */
export interface PageOptions {
  title: string;
  body: HtmlValue;
}

/** Sections with their own navigation item inside another's path (not marked as the parent too). */
const subsections = ['/console/experience'];

function navItem(ctx: PageContext, href: string, label: string): SafeHtml {
  const within = (base: string): boolean => ctx.path === base || (base !== '/' && ctx.path.startsWith(`${base}/`));
  const current = within(href) && !subsections.some((sub) => sub !== href && sub.startsWith(`${href}/`) && within(sub));
  return html`<li><a href="${href}"${current ? html` aria-current="page"` : null}>${label}</a></li>`;
}

/** A whole HTML document around `options.body`. */
export function page(ctx: PageContext, options: PageOptions): string {
  const s = ctx.session;
  const nav = s
    ? html`<nav aria-label="Main"><ul>
${navItem(ctx, '/', 'Home')}${navItem(ctx, '/catalog', 'Service catalog')}${navItem(ctx, '/requests', 'My requests')}${navItem(ctx, '/access', 'My access')}
${s.roles.includes('approver') ? navItem(ctx, '/approvals', 'Approvals') : null}
${s.roles.includes('it-staff') ? [navItem(ctx, '/console', 'IT console'), navItem(ctx, '/access/console', 'Access ending soon'), navItem(ctx, '/console/experience', 'Experience')] : null}
${ctx.hasOutbox ? navItem(ctx, '/outbox', 'Outbox') : null}
</ul></nav>
<form method="post" action="/signout"><input type="hidden" name="_csrf" value="${ctx.csrf}"><span class="muted">${s.displayName}</span> <button type="submit" class="secondary">Sign out</button></form>`
    : html`<nav aria-label="Main"><ul>${ctx.hasOutbox ? navItem(ctx, '/outbox', 'Outbox') : null}</ul></nav>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Eagle5 IT</title>
<link rel="stylesheet" href="${assetPaths.css}"><script src="${assetPaths.js}" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><a class="brand" href="/">Eagle5 IT service portal</a>${nav}</header>
<main id="main" tabindex="-1">${options.body}</main>
</body></html>`.value;
}
