import {
  OverrideSyntaxError,
  formatBytes,
  formatDuration,
  formatMetricValue,
  formatRelativeTime,
  keyMetrics,
  parseOverrides,
  runDuration,
  shortHash
} from '../format';

describe('formatDuration', () => {
  it.each([
    [850, '850 ms'],
    [12_345, '12 s'],
    [3_210, '3.2 s'],
    [185_000, '3 min 05 s'],
    [3_720_000, '1 h 02 min'],
    [2 * 86_400_000 + 3 * 3_600_000, '2 d 3 h']
  ])('%d ms -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('is empty when unknown', () => {
    expect(formatDuration(null)).toBe('');
    expect(formatDuration(-5)).toBe('');
  });
});

describe('runDuration', () => {
  it('runs until now while RUNNING, and is fixed once ended', () => {
    expect(
      runDuration({ start_time: 1000, end_time: null, status: 'RUNNING' }, 6000)
    ).toBe(5000);
    expect(
      runDuration(
        { start_time: 1000, end_time: 3000, status: 'FINISHED' },
        9000
      )
    ).toBe(2000);
    expect(
      runDuration({ start_time: 1000, end_time: null, status: 'KILLED' }, 9000)
    ).toBeNull();
    expect(runDuration({ start_time: null, end_time: null }, 9000)).toBeNull();
  });
});

describe('formatRelativeTime', () => {
  const now = Date.UTC(2025, 10, 23, 12, 0, 0);
  it.each([
    [now - 2_000, 'just now'],
    [now + 5_000, 'just now'],
    [now - 42_000, '42 s ago'],
    [now - 3 * 60_000 - 5_000, '3 min ago'],
    [now - 5 * 3_600_000, '5 h ago'],
    [now - 2 * 86_400_000, '2 d ago']
  ])('%d -> %s', (time, text) => {
    expect(formatRelativeTime(time, now)).toBe(text);
  });

  it('shows the date after a week', () => {
    expect(formatRelativeTime(now - 30 * 86_400_000, now)).toMatch(
      /^\d{4}-\d{2}-\d{2}$/
    );
    expect(formatRelativeTime(null, now)).toBe('');
  });
});

describe('formatMetricValue', () => {
  it.each([
    [0.123456, '0.1235'],
    [1234, '1234'],
    [0, '0'],
    [0.0000123, '1.23e-5'],
    [25_000_000, '2.5e+7'],
    [12.5, '12.5'],
    [-0.5, '-0.5'],
    [NaN, 'NaN'],
    [Infinity, '∞'],
    [null, '–']
  ])('%p -> %s', (value, text) => {
    expect(formatMetricValue(value)).toBe(text);
  });
});

describe('shortHash and keyMetrics', () => {
  it('shortens a commit to 7 characters with a dirty mark', () => {
    expect(shortHash('0123abcdef456789', true)).toBe('0123abc*');
    expect(shortHash('0123abcdef456789', false)).toBe('0123abc');
    expect(shortHash(null, true)).toBe('');
  });

  it('lists user metrics before system/ metrics, at most 3', () => {
    expect(
      keyMetrics({
        'system/wall_time_s': 1,
        'train/loss': 2,
        acc: 3,
        'system/mem': 4,
        f1: 5
      }).map(([key]) => key)
    ).toEqual(['train/loss', 'acc', 'f1']);
    expect(keyMetrics({ 'system/a': 1, b: 2 }).map(([k]) => k)).toEqual([
      'b',
      'system/a'
    ]);
    expect(keyMetrics(undefined)).toEqual([]);
  });

  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(null)).toBe('');
  });
});

describe('parseOverrides', () => {
  it('parses name=value pairs and keeps values as literals', () => {
    expect(parseOverrides('lr=0.05, epochs=3')).toEqual({
      lr: '0.05',
      epochs: '3'
    });
    expect(parseOverrides('  ')).toEqual({});
  });

  it('takes a dotted path into a config object, as %reproduce --set does', () => {
    expect(parseOverrides('config.epochs=3, cfg.opt.lr=0.1')).toEqual({
      'config.epochs': '3',
      'cfg.opt.lr': '0.1'
    });
  });

  it('does not split inside brackets or quotes', () => {
    expect(
      parseOverrides("layers=[64, 32], name='a,b', kw={'x': (1, 2)}")
    ).toEqual({
      layers: '[64, 32]',
      name: "'a,b'",
      kw: "{'x': (1, 2)}"
    });
  });

  it.each([
    ['lr', /not name=value/],
    ['lr=', /has no value/],
    ['1x=2', /not a valid name/],
    ['config..epochs=2', /not a valid name/],
    ['.epochs=2', /not a valid name/],
    ['lr=1,,b=2', /Empty item/],
    ['lr=1, lr=2', /set twice/],
    ["name='abc", /Unterminated string/],
    ['layers=[1, 2', /Missing "\]"/],
    ['layers=1]', /Unbalanced/]
  ])('rejects %p', (text, message) => {
    expect(() => parseOverrides(text)).toThrow(OverrideSyntaxError);
    expect(() => parseOverrides(text)).toThrow(message);
  });
});
