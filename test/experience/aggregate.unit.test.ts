import { describe, expect, it } from 'vitest';
import {
  distribution,
  nearestRank,
  npsSummary,
  percentileSet,
  roundHalfAwayFromZero,
  utcDay,
} from '../../experience/aggregate';
import { formatDuration, formatNps, formatPercent } from '../../experience/format';

describe('nearest-rank percentile', () => {
  it('is the value at rank ⌈p·n/100⌉ of the sorted values, never interpolated', () => {
    const v = [15, 20, 35, 40, 50]; // the textbook example
    expect(nearestRank(v, 5)).toBe(15);
    expect(nearestRank(v, 30)).toBe(20);
    expect(nearestRank(v, 40)).toBe(20);
    expect(nearestRank(v, 50)).toBe(35);
    expect(nearestRank(v, 100)).toBe(50);
  });

  it('takes the first value for tiny percentiles and is null without values', () => {
    expect(nearestRank([7], 1)).toBe(7);
    expect(nearestRank([7], 99)).toBe(7);
    expect(nearestRank([1, 2], 1)).toBe(1);
    expect(nearestRank([], 50)).toBeNull();
  });

  it('uses exact ranks where floating point would be off by one (p55 of 100 is the 55th value)', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(nearestRank(values, 55)).toBe(55);
    expect(nearestRank(values, 7)).toBe(7);
    expect(nearestRank(values, 28)).toBe(28);
  });

  it('accepts only whole percentiles from 1 to 100', () => {
    expect(() => nearestRank([1], 0)).toThrow(RangeError);
    expect(() => nearestRank([1], 101)).toThrow(RangeError);
    expect(() => nearestRank([1], 99.9)).toThrow(/whole number/);
    expect(percentileSet([80, 95, 1])).toEqual([1, 50, 80, 90, 95, 99]);
  });

  it('summarises a distribution whatever order the values come in', () => {
    expect(distribution([30, 10, 20, 40])).toEqual({
      count: 4,
      min: 10,
      max: 40,
      mean: 25,
      percentiles: [
        { percentile: 50, value: 20 },
        { percentile: 90, value: 40 },
        { percentile: 95, value: 40 },
        { percentile: 99, value: 40 },
      ],
    });
    expect(distribution([0.1, 0.2, 0.3]).mean).toBe(distribution([0.3, 0.1, 0.2]).mean);
  });
});

describe('NPS', () => {
  it('puts 9–10 in promoters, 7–8 in passives, 0–6 in detractors', () => {
    expect(npsSummary([0, 6, 7, 8, 9, 10])).toEqual({
      responses: 6,
      promoters: 2,
      passives: 2,
      detractors: 2,
      score: 0,
    });
  });

  it('scores %promoters − %detractors rounded half away from zero', () => {
    expect(npsSummary([10, 10, 10]).score).toBe(100);
    expect(npsSummary([0, 0]).score).toBe(-100);
    expect(npsSummary([9, 7, 7, 7, 7, 7, 7, 7]).score).toBe(13); // 12.5
    expect(npsSummary([0, 7, 7, 7, 7, 7, 7, 7]).score).toBe(-13); // −12.5
    expect(npsSummary([9, 7, 7]).score).toBe(33); // 33.33
    expect(npsSummary([9, 9, 7]).score).toBe(67); // 66.67
    expect(npsSummary([]).score).toBeNull();
    expect(roundHalfAwayFromZero(-0.4)).toBe(0);
    expect(Object.is(roundHalfAwayFromZero(-0.4), -0)).toBe(false);
  });
});

describe('formatting', () => {
  it('shows durations with their two largest units', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(4500)).toBe('4.5 s');
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(5_400_000)).toBe('1 h 30 min');
    expect(formatDuration(2 * 86_400_000 + 3 * 3_600_000 + 5)).toBe('2 d 3 h');
    expect(formatDuration(null)).toBe('—');
    expect(formatNps(27)).toBe('+27');
    expect(formatNps(-13)).toBe('−13');
    expect(formatPercent(100 / 3)).toBe('33.3%');
    expect(utcDay('2026-03-03T00:30:00+01:00')).toBe('2026-03-02');
  });
});
