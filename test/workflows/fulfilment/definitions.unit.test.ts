/**
 * The journey's contract without a server: the update validators (what the API relies on to
 * refuse a wrong approver or a wrong correction), phone masking, plan checks.
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  fulfilmentInputProblems,
  fulfilmentWorkflowId,
  planStages,
  validateApproval,
  validateDelivered,
  validateDeviceCorrection,
  type ValidationContext,
} from '../../../workflows/fulfilment/definitions';
import { getService } from '../../../catalog';
import { maskPhone } from '../../../config/mask';

function failureOf(run: () => void): ApplicationFailure {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected a rejection');
}

const approving: ValidationContext = {
  requester: 'steve',
  waitingFor: { kind: 'approval', approver: 'mia', until: '2030-01-01T00:00:00Z' },
};
const correcting: ValidationContext = {
  requester: 'steve',
  waitingFor: { kind: 'device-correction', phone: '+44…0456', reason: 'x', until: '2030-01-01T00:00:00Z', attempt: 1 },
};
const delivering: ValidationContext = {
  requester: 'steve',
  waitingFor: { kind: 'manual-task', task: 'Deliver', since: '2030-01-01T00:00:00Z' },
};

describe('update validators', () => {
  it('approval: only the named approver, never the requester, a reason to say no, only while waiting', () => {
    expect(() => validateApproval(approving, { approver: 'Mia', approve: true, reason: null })).not.toThrow();
    expect(
      failureOf(() => validateApproval(approving, { approver: 'tony', approve: true, reason: null })),
    ).toMatchObject({ type: 'NotAllowed', nonRetryable: true });
    expect(
      failureOf(() =>
        validateApproval(
          { ...approving, waitingFor: { kind: 'approval', approver: 'steve', until: 'x' } },
          { approver: 'steve', approve: true, reason: null },
        ),
      ),
    ).toMatchObject({
      type: 'NotAllowed',
      message: 'You cannot approve your own request',
    });
    expect(
      failureOf(() => validateApproval(approving, { approver: 'mia', approve: false, reason: ' no' })),
    ).toMatchObject({ type: 'InvalidInput' });
    expect(
      failureOf(() => validateApproval(correcting, { approver: 'mia', approve: true, reason: null })),
    ).toMatchObject({ type: 'NotWaiting' });
  });

  it('device correction: only the requester, a phone number, only while waiting', () => {
    expect(() =>
      validateDeviceCorrection(correcting, { accountName: 'Steve', phone: '07700 900123', os: 'android' }),
    ).not.toThrow();
    expect(
      failureOf(() => validateDeviceCorrection(correcting, { accountName: 'tony', phone: '07700 900123' })),
    ).toMatchObject({ type: 'NotAllowed' });
    expect(
      failureOf(() => validateDeviceCorrection(correcting, { accountName: 'steve', phone: 'call me' })),
    ).toMatchObject({ type: 'InvalidInput' });
    expect(
      failureOf(() =>
        validateDeviceCorrection(correcting, { accountName: 'steve', phone: '07700900123', os: 'windows' as 'ios' }),
      ),
    ).toMatchObject({ type: 'InvalidInput' });
    expect(
      failureOf(() => validateDeviceCorrection(approving, { accountName: 'steve', phone: '07700900123' })),
    ).toMatchObject({ type: 'NotWaiting' });
  });

  it('delivered: says who, only while the task is open', () => {
    expect(() => validateDelivered(delivering, { by: 'ivy', note: 'Extension 4711' })).not.toThrow();
    expect(failureOf(() => validateDelivered(delivering, { by: '', note: null }))).toMatchObject({
      type: 'InvalidInput',
    });
    expect(failureOf(() => validateDelivered(approving, { by: 'ivy', note: null }))).toMatchObject({
      type: 'NotWaiting',
    });
  });
});

describe('ids, masking, stages', () => {
  it('builds the business-key workflow id', () => {
    expect(fulfilmentWorkflowId('expensatron', 'r7c1')).toBe('fulfil-expensatron-r7c1');
  });

  it('masks phone numbers to country code and last four digits', () => {
    expect(maskPhone('+447700900123')).toBe('+44…0123');
    expect(maskPhone('+14155550123')).toBe('+1…0123');
    expect(maskPhone('+353861234567')).toBe('+353…4567');
    expect(maskPhone('07700 900123')).toBe('…23');
  });

  it("lists a plan's stages once each, ending with completed", () => {
    expect(planStages(getService('desk-phone')!.plan).map((s) => s.stage)).toEqual([
      'received',
      'eligibility',
      'approval',
      'delivery',
      'completed',
    ]);
  });

  it('checks an input before a journey starts', () => {
    const plan = getService('expensatron')!.plan;
    expect(
      fulfilmentInputProblems({
        requestId: 'r1',
        requester: 'steve',
        plan,
        fields: { phone: '+447700900123', os: 'android' },
      }),
    ).toEqual([]);
    expect(
      fulfilmentInputProblems({ requestId: 'r1', requester: 'Steve Jones', plan, fields: { os: 'windows' } }),
    ).toEqual([
      'requester: a directory account name',
      'fields.phone: needed by the verify-device step',
      'fields.os: ios or android',
    ]);
  });
});
