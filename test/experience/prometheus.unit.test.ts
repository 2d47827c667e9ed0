import { beforeAll, describe, expect, it } from 'vitest';
import { prometheusContentType, renderPrometheus } from '../../experience/prometheus';
import type { ExperienceReport } from '../../experience/report';
import { fixtureReport } from './fixtures';
import { prometheusSamples as samples } from '../support/prometheus';

describe('Prometheus exposition', () => {
  let report: ExperienceReport;
  let text: string;
  let m: Map<string, number>;

  beforeAll(async () => {
    report = await fixtureReport();
    text = await renderPrometheus(report);
    m = samples(text);
  });

  it('exposes the same figures as the report, durations in seconds', () => {
    const p = 'service_journeys_experience_';
    expect(m.get(`${p}window_seconds`)).toBe(2 * 86_400);
    expect(m.get(`${p}journeys{service="expensatron"}`)).toBe(20);
    expect(m.get(`${p}journeys_by_outcome{service="expensatron",outcome="not-eligible"}`)).toBe(2);
    expect(m.get(`${p}journeys_came_back{service="expensatron"}`)).toBe(3);
    expect(m.get(`${p}time_to_outcome_seconds{service="expensatron",quantile="0.5"}`)).toBe(61);
    expect(m.get(`${p}time_to_outcome_seconds{service="expensatron",quantile="0.95"}`)).toBe(600);
    expect(m.get(`${p}time_to_outcome_seconds{service="expensatron",quantile="0.99"}`)).toBe(3600);
    expect(m.get(`${p}longest_silence_max_seconds{service="expensatron"}`)).toBe(1800);
    expect(m.get(`${p}user_inputs_mean{service="expensatron"}`)).toBe(1.25);
    expect(m.get(`${p}stage_seconds{service="expensatron",stage="provisioning",quantile="0.5"}`)).toBe(68);
    expect(m.get(`${p}nps_score{service="expensatron"}`)).toBe(27);
    expect(m.get(`${p}nps_score{service="vpn"}`)).toBe(-13);
    expect(m.get(`${p}nps_responses{service="mail",category="detractor"}`)).toBe(3);
    expect(m.get(`${p}incidents{service="mail"}`)).toBe(3);
    expect(m.get(`${p}incident_users{service="mail",state="affected"}`)).toBe(45);
    expect(m.get(`${p}incident_settle_seconds{service="mail",quantile="0.5"}`)).toBe(1800);
    expect(m.get(`${p}incident_first_announcement_seconds{service="mail",quantile="0.9"}`)).toBe(300);
    expect(m.get(`${p}incidents_unsettled{service="mail"}`)).toBe(1);
  });

  it('exposes each XLA target’s status as a one-hot gauge with its measured value', () => {
    const p = 'service_journeys_experience_xla_';
    expect(m.get(`${p}status{service="expensatron",xla="time-to-outcome-p95",status="broken"}`)).toBe(1);
    expect(m.get(`${p}status{service="expensatron",xla="time-to-outcome-p95",status="met"}`)).toBe(0);
    expect(m.get(`${p}status{service="expensatron",xla="nps",status="at-risk"}`)).toBe(1);
    expect(m.get(`${p}status{service="laptop",xla="time-to-outcome-p90",status="no-data"}`)).toBe(1);
    expect(m.get(`${p}measured{service="expensatron",xla="time-to-outcome-p95",unit="seconds"}`)).toBe(600);
    expect(m.get(`${p}threshold{service="expensatron",xla="time-to-outcome-p95",unit="seconds"}`)).toBe(120);
    expect(m.get(`${p}measured{service="expensatron",xla="came-back",unit="percent"}`)).toBe(15);
    // no measurement, no sample (absent rather than a misleading 0)
    expect([...m.keys()].some((k) => k.startsWith(`${p}measured{service="laptop"`))).toBe(false);
    expect([...m.keys()].some((k) => k.includes('nps_score{service="laptop"}'))).toBe(false);
  });

  it('writes HELP and TYPE for every metric, and escapes label values', async () => {
    expect(text).toContain('# TYPE service_journeys_experience_time_to_outcome_seconds gauge');
    expect(text).toMatch(/# HELP service_journeys_experience_nps_score .+/);
    expect(prometheusContentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const odd = structuredClone(report);
    odd.services[0]!.figures.journeys.outcomes = { 'said "no"\\': 1 };
    const custom = samples(await renderPrometheus(odd, { prefix: 'x_' }));
    expect(custom.get('x_journeys_by_outcome{service="expensatron",outcome="said \\"no\\"\\\\"}')).toBe(1);
  });
});
