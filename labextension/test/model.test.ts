import { describe, expect, it } from 'vitest';

import { axisEnd, bar, countFlags, KNOWN_VERSION, readTrace, search, visibleRows } from '../src/model';

function span(id: string, kind: string, extra: Record<string, unknown> = {}, children: unknown[] = []) {
  return { id, kind, name: id, status: 'ok', start: 0, duration: 0.1, attrs: {}, children, ...extra };
}

const bundle = {
  version: 1, run_id: 'r1', agent: 'desk', status: 'completed', events: 12, answer: 'done', error: null,
  requirements: [],
  totals: { input_tokens: 120, output_tokens: 30, model_requests: 2, tool_calls: 2, cost: 0.0012, ttft: 0.05,
    duration: 2.0, waited: null },
  root: span('root', 'run', { duration: 2.0 }, [
    span('m1', 'model', { start: 0, duration: 0.5, attrs: { input_tokens: 60, output_tokens: 10 } }),
    span('t1', 'tool', { start: 0.5, duration: 1.0, attrs: { arguments: { city: 'Paris' }, result: '18 degrees' } }, [
      span('member', 'member', { start: 0.6, duration: 0.8, attrs: { input: 'look up Paris' } }, [
        span('t2', 'tool', { start: 0.7, duration: 0.2, status: 'error', attrs: { error: 'timeout' } })
      ])
    ]),
    span('g1', 'guardrail', { start: 1.6, duration: 0, status: 'blocked', attrs: { reason: 'PII in output' } })
  ])
};

describe('readTrace', () => {
  it('reads a current bundle without notes', () => {
    const { trace, notes } = readTrace(bundle);
    expect(notes).toEqual([]);
    expect(trace.agent).toBe('desk');
    expect(trace.totals.input_tokens).toBe(120);
    expect(trace.root?.children.map(s => s.id)).toEqual(['m1', 't1', 'g1']);
  });

  it('says what a newer format has that it does not know, and still draws the rest', () => {
    const newer = { ...bundle, version: KNOWN_VERSION + 1, budget: { max: 3 },
      root: span('root', 'run', {}, [span('x', 'handoff'), span('m', 'model')]) };
    const { trace, notes } = readTrace(newer);
    expect(notes.join(' ')).toContain(`format ${KNOWN_VERSION + 1}`);
    expect(notes.join(' ')).toContain('budget');
    expect(notes.join(' ')).toContain('handoff');
    expect(trace.root?.children).toHaveLength(2);
  });

  it('reads an older bundle without a version, with defaults for what is missing', () => {
    const { trace, notes } = readTrace({ agent: 'old', root: { id: 'r', kind: 'run', children: [{ id: 'a' }] } });
    expect(notes[0]).toContain('no format version');
    expect(trace.status).toBe('pending');
    expect(trace.totals.tool_calls).toBe(0);
    expect(trace.root?.children[0].kind).toBe('span');
  });

  it('never throws on garbage', () => {
    for (const bad of [null, 3, 'text', [], { root: 'x', totals: 5, requirements: 'no' }]) {
      const { trace, notes } = readTrace(bad);
      expect(trace).toBeTruthy();
      expect(Array.isArray(notes)).toBe(true);
    }
    expect(readTrace('text').notes[0]).toContain('not an agno_nb trace');
  });

  it('guards against absurdly deep trees', () => {
    let node: any = { id: 'leaf', kind: 'tool' };
    for (let i = 0; i < 500; i++) {
      node = { id: `n${i}`, kind: 'step', children: [node] };
    }
    expect(() => readTrace({ version: 1, root: node })).not.toThrow();
  });
});

describe('the tree', () => {
  const { trace } = readTrace(bundle);

  it('lists rows depth first with their depth', () => {
    const rows = visibleRows(trace.root, new Set());
    expect(rows.map(r => `${r.span.id}@${r.depth}`)).toEqual(['m1@0', 't1@0', 'member@1', 't2@2', 'g1@0']);
  });

  it('hides what is under a collapsed span', () => {
    const rows = visibleRows(trace.root, new Set(['t1']));
    expect(rows.map(r => r.span.id)).toEqual(['m1', 't1', 'g1']);
  });

  it('puts every bar on one axis that ends with the run', () => {
    const end = axisEnd(trace);
    expect(end).toBe(2.0);
    const t1 = trace.root!.children[1];
    expect(bar(t1, end, null)).toEqual({ left: 25, width: 50 });
  });

  it('draws an open span up to the snapshot time', () => {
    const open = readTrace({ ...bundle, status: 'running', elapsed: 3,
      totals: { ...bundle.totals, duration: null },
      root: span('root', 'run', {}, [span('t', 'tool', { start: 1, duration: null, status: 'running' })]) }).trace;
    expect(axisEnd(open)).toBe(3);
    const b = bar(open.root!.children[0], axisEnd(open), open.elapsed);
    expect(b.left).toBeCloseTo(33.33, 1);
    expect(b.width).toBeCloseTo(66.67, 1);
  });

  it('counts failures and blocks for the header', () => {
    expect(countFlags(trace.root)).toEqual({ error: 1, blocked: 1, paused: 0 });
  });
});

describe('search', () => {
  const { trace } = readTrace(bundle);

  it('finds spans by attribute values and keeps their ancestors', () => {
    const found = search(trace.root, 'timeout');
    expect([...found.matches]).toEqual(['t2']);
    expect([...found.shown].sort()).toEqual(['member', 't1', 't2']);
    const rows = visibleRows(trace.root, new Set(['t1']), found.shown);
    expect(rows.map(r => r.span.id)).toEqual(['t1', 'member', 't2']); // a match is shown even if collapsed
  });

  it('needs every word, in any case', () => {
    expect([...search(trace.root, 'PARIS member').matches]).toEqual(['member']);
    expect(search(trace.root, 'paris nowhere').matches.size).toBe(0);
    expect(search(trace.root, '  ').matches.size).toBe(0);
  });
});
