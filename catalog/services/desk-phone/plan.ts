/**
 * A desk phone: needs a manager's approval and a person to deliver it. The service that proves
 * the exception path (a step that cannot be automated) and that adding a service touches no core.
 */
import type { ServicePlan } from '../../types';

export const deskPhonePlan: ServicePlan = {
  serviceId: 'desk-phone',
  title: 'Desk phone',
  version: 1,
  eligibility: {
    anyOfGroups: [],
    requireEnabled: true,
    howToGetAccess: 'Your company account must be active. The service desk can help if it is not.',
  },
  steps: [
    { kind: 'acknowledge' },
    { kind: 'check-eligibility' },
    { kind: 'approval', approverGroup: 'Managers', approverField: 'manager' },
    {
      kind: 'manual-task',
      task: 'Deliver and connect a desk phone',
      doneMessage: 'Your desk phone is on your desk and connected',
    },
  ],
  durations: {
    takingLongerAfterSeconds: 120,
    approvalWaitSeconds: 3 * 24 * 3600,
    correctionWaitSeconds: 2 * 24 * 3600,
    taskReminderSeconds: 2 * 24 * 3600,
  },
};
