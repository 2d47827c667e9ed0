import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLinkToken } from '../../activities/links';
import { apiKeys, demoPassword, startAppEnv, type AppEnv } from './support/app-env';
import { PortalSession, csrfTokenOf, textOf, signedInSession } from './support/portal-session';
import { waitFor } from './support/wait';

let t: AppEnv;
beforeAll(async () => {
  t = await startAppEnv({
    worker: true,
    config: {
      incidentDefaults: {
        timings: {
          followUpAfterSeconds: 4,
          finalDeadlineSeconds: 8,
          reportIntervalSeconds: 1,
          linkValidSeconds: 3600,
          lingerAfterCloseSeconds: 300,
        },
        scale: { shardCount: 2 },
        reopen: { stillBrokenAbove: 100, stillBrokenShareAbove: 1 },
        retryInitialIntervalMs: 100,
      },
    },
  });
});
afterAll(async () => {
  await t?.close();
});

const signedIn = (account: string): Promise<PortalSession> => signedInSession(t.app, account, demoPassword);

/** The confirmation link of the resolution email a person received. */
async function confirmationLink(email: string, incidentId: string): Promise<string> {
  const mail = await waitFor(
    () => t.outbox.list({ channel: 'email', to: email }),
    (list) => list.some((e) => e.text.includes(`/incidents/${incidentId}/confirm?token=`)),
    20_000,
  );
  const text = mail.find((e) => e.text.includes(`/incidents/${incidentId}/confirm?token=`))!.text;
  const url = new URL(/https?:\/\/\S+\/incidents\/\S+\/confirm\?token=\S+/.exec(text)![0]);
  return `${url.pathname}${url.search}`;
}

describe('an incident, as Steve and IT see it on the portal', () => {
  it('IT declares; subscribers see the banner; "This affects me"; workaround SMS; resolve; confirm; NPS', async () => {
    const ivy = await signedIn('ivy');
    const consolePage = await ivy.get('/console');
    expect(consolePage.statusCode).toBe(200);
    const token = csrfTokenOf(consolePage.body);
    const submissionId = /name="submissionId"\s+value="([^"]+)"/.exec(consolePage.body)![1]!;

    const invalid = await ivy.post('/console/incidents', {
      _csrf: token,
      submissionId,
      serviceId: 'teleporter',
      title: 'x',
      message: '',
    });
    expect(invalid.statusCode).toBe(400);
    expect(textOf(invalid.body)).toContain('Give the incident a short title');

    const declare = {
      _csrf: token,
      submissionId,
      serviceId: 'crm',
      title: 'CRM web app unavailable',
      message: 'Some CRM users are experiencing issues with the web app, but the mobile app is fully operational.',
      workaround: 'The mobile CRM app works',
      iosLink: 'https://apps.example/crm-ios',
      androidLink: 'https://apps.example/crm-android',
    };
    const declared = await ivy.post('/console/incidents', declare);
    expect(declared.statusCode).toBe(303);
    const incidentPath = declared.headers.location as string;
    const id = incidentPath.split('/').at(-1)!;
    // Declaring the same form twice is one incident.
    expect((await ivy.post('/console/incidents', declare)).headers.location).toBe(incidentPath);

    // Steve subscribes to CRM: the banner is on his home page, with "This affects me".
    const steve = await signedIn('steve');
    const home = await waitFor(
      () => steve.get('/'),
      (r) => r.body.includes(`data-incident="${id}"`),
      20_000,
    );
    const banner = textOf(home.body);
    expect(banner).toContain('CRM: CRM web app unavailable');
    expect(banner).toContain('but the mobile app is fully operational');
    expect(home.body).toContain(`action="/incidents/${id}/affected"`);
    // Dana does not use the CRM: no banner for her.
    const dana = await signedIn('dana');
    expect((await dana.get('/')).body).not.toContain(`data-incident="${id}"`);

    const affected = await steve.post(`/incidents/${id}/affected`, { _csrf: csrfTokenOf(home.body) });
    expect(affected.statusCode).toBe(200);
    expect(textOf(affected.body)).toContain('IT now know this affects you');
    expect(textOf(affected.body)).toContain('Text me the download link (to +44…0123)');
    const again = await steve.post(`/incidents/${id}/affected`, { _csrf: csrfTokenOf(home.body) });
    expect(textOf(again.body)).toContain('You were already on the list');

    const sms = await steve.post(`/incidents/${id}/workaround`, { _csrf: csrfTokenOf(affected.body) });
    expect(textOf(sms.body)).toMatch(/texted you the link to \+44…0123/);
    const texts = await t.outbox.list({ channel: 'sms', to: '+447700900123' });
    expect(texts.filter((e) => e.text.includes('https://apps.example/crm-android'))).toHaveLength(1);

    const after = await waitFor(
      () => steve.get('/'),
      (r) => textOf(r.body).includes('You told us this affects you'),
      15_000,
    );
    expect(after.body).not.toContain(`action="/incidents/${id}/affected"`);

    // IT: progress on the banner, counts on the console.
    const incidentPage = await waitFor(
      () => ivy.get(incidentPath),
      (r) => /data-count="Affected">1</.test(r.body),
      15_000,
    );
    const progress = await ivy.post(`${incidentPath}/progress`, {
      _csrf: csrfTokenOf(incidentPage.body),
      text: 'We found the cause and are fixing it',
    });
    expect(progress.statusCode).toBe(303);
    await waitFor(
      () => steve.get('/'),
      (r) => textOf(r.body).includes('We found the cause and are fixing it'),
      15_000,
    );

    const resolved = await ivy.post(`${incidentPath}/resolve`, {
      _csrf: csrfTokenOf(incidentPage.body),
      note: 'The web server was restarted; the CRM web app is back',
    });
    expect(resolved.statusCode).toBe(303);
    const resolveAgain = await ivy.post(`${incidentPath}/resolve`, {
      _csrf: csrfTokenOf(incidentPage.body),
      note: 'again and again',
    });
    expect(resolveAgain.statusCode).toBe(409);

    // The resolution email carries Steve's confirmation link.
    const link = await confirmationLink('steve@eagle5.example', id);
    const anonymous = new PortalSession(t.app);
    const confirmPage = await anonymous.get(link);
    expect(confirmPage.statusCode).toBe(200);
    expect(textOf(confirmPage.body)).toContain('Is CRM working for you again?');

    // Forged, tampered, other-incident and expired tokens get a clear 403 page.
    const tokenParam = new URL(`http://x${link}`).searchParams.get('token')!;
    const tampered = `${tokenParam.slice(0, -3)}AAA`;
    expect((await anonymous.get(`/incidents/${id}/confirm?token=${tampered}`)).statusCode).toBe(403);
    expect((await anonymous.get(`/incidents/${id}/confirm?token=forged.token`)).statusCode).toBe(403);
    const forOther = signLinkToken(t.linkSecret, {
      incidentId: 'another-incident',
      accountName: 'steve',
      action: 'confirm',
      expiresAt: Date.now() + 60_000,
    });
    expect((await anonymous.get(`/incidents/${id}/confirm?token=${forOther}`)).statusCode).toBe(403);
    const expired = signLinkToken(t.linkSecret, {
      incidentId: id,
      accountName: 'steve',
      action: 'confirm',
      expiresAt: Date.now() - 1000,
    });
    const expiredPage = await anonymous.get(`/incidents/${id}/confirm?token=${expired}`);
    expect(expiredPage.statusCode).toBe(403);
    expect(textOf(expiredPage.body)).toContain('The link has expired.');
    const wrongSecret = signLinkToken('x'.repeat(32), {
      incidentId: id,
      accountName: 'steve',
      action: 'confirm',
      expiresAt: Date.now() + 60_000,
    });
    expect((await anonymous.get(`/incidents/${id}/confirm?token=${wrongSecret}`)).statusCode).toBe(403);

    // The "fixed" page asks the NPS question too; both go in one answer.
    expect(textOf(confirmPage.body)).toContain('how satisfied are you with the support IT provided?');
    const badScore = await anonymous.post(`/incidents/${id}/confirm`, {
      _csrf: csrfTokenOf(confirmPage.body),
      token: tokenParam,
      answer: 'fixed',
      score: '11',
    });
    expect(badScore.statusCode).toBe(400);
    expect(textOf(badScore.body)).toContain('Choose a number from 0 to 10');
    const confirmed = await anonymous.post(`/incidents/${id}/confirm`, {
      _csrf: csrfTokenOf(confirmPage.body),
      token: tokenParam,
      answer: 'fixed',
      score: '9',
      comment: 'Fixed before my call',
    });
    expect(confirmed.statusCode).toBe(200);
    expect(textOf(confirmed.body)).toContain('You gave IT 9 out of 10');

    const counts = await waitFor(
      () => ivy.get(`${incidentPath}/live`),
      (r) => /data-count="Confirmed fixed">1</.test(r.body),
      15_000,
    );
    expect(counts.statusCode).toBe(200);
    const nps = await t.app.inject({
      method: 'GET',
      url: `/api/v1/incidents/${id}`,
      headers: { authorization: `Bearer ${apiKeys.readOnly}` },
    });
    expect(nps.json()).toMatchObject({ nps: { responses: 1, average: 9 } });

    // Once closed, the link still works and says so clearly.
    await waitFor(
      () => anonymous.get(link),
      (r) => r.statusCode === 410,
      40_000,
      500,
    );
    const closedPage = await anonymous.get(link);
    expect(textOf(closedPage.body)).toContain('This incident is already closed');
    const late = await anonymous.post(`/incidents/${id}/confirm`, {
      _csrf: csrfTokenOf(confirmPage.body),
      token: tokenParam,
      answer: 'still-broken',
    });
    expect(late.statusCode).toBe(410);
    expect((await steve.get('/')).body).not.toContain(`data-incident="${id}"`);
  });

  it('keeps the console to IT staff and its forms to valid input', async () => {
    const steve = await signedIn('steve');
    const home = await steve.get('/');
    expect(
      (
        await steve.post('/console/incidents', {
          _csrf: csrfTokenOf(home.body),
          serviceId: 'crm',
          title: 'x',
          message: 'y',
        })
      ).statusCode,
    ).toBe(403);
    const ivy = await signedIn('ivy');
    expect((await ivy.get('/console/incidents/no-such-incident')).statusCode).toBe(404);
    expect(
      (await steve.post('/incidents/no-such-incident/affected', { _csrf: csrfTokenOf(home.body) })).statusCode,
    ).toBe(404);
  });
});
