/**
 * Expensatron, the mobile expenses app (Steve asks for it and has it on his phone within a couple of minutes): what the journey does. Plain data:
 * it is copied into each journey's input, so editing it changes new requests only.
 */
import type { ServicePlan } from '../../types';

export const expensatronPlan: ServicePlan = {
  serviceId: 'expensatron',
  title: 'Expensatron',
  version: 1,
  eligibility: {
    anyOfGroups: ['Sales'],
    requireEnabled: true,
    howToGetAccess:
      'Expensatron is for the sales team, who travel and claim expenses. If you need it too, ask your manager to request that the service desk adds you to the Sales group, then ask again on the portal.',
  },
  steps: [
    { kind: 'acknowledge' },
    { kind: 'check-eligibility' },
    { kind: 'verify-device', maxCorrections: 2 },
    {
      kind: 'send-download-link',
      links: {
        ios: 'https://apps.apple.example/app/expensatron/id1042',
        android: 'https://play.google.example/store/apps/details?id=example.eagle5.expensatron',
      },
    },
    { kind: 'provision-account', applicationId: 'expensatron' },
    { kind: 'send-quick-start' },
  ],
  durations: {
    // The promise is "within a couple of minutes": say so when it will not be.
    takingLongerAfterSeconds: 120,
    approvalWaitSeconds: 3 * 24 * 3600,
    correctionWaitSeconds: 2 * 24 * 3600,
    taskReminderSeconds: 0,
  },
};
