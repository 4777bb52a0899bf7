import schema from '../../schema/plugin.json';
import { DEFAULT_SETTINGS, MIN_POLL_INTERVAL, readSettings } from '../settings';

describe('readSettings', () => {
  it('returns the defaults for empty settings', () => {
    expect(readSettings(null)).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({})).toEqual({
      pollInterval: 2000,
      defaultScope: 'notebook',
      defaultKernelspec: ''
    });
  });

  it('reads valid values and rejects bad ones', () => {
    expect(
      readSettings({
        pollInterval: 5000,
        defaultScope: 'all',
        defaultKernelspec: ' gpu '
      })
    ).toEqual({
      pollInterval: 5000,
      defaultScope: 'all',
      defaultKernelspec: 'gpu'
    });
    expect(
      readSettings({ pollInterval: -1, defaultScope: 'everything' })
    ).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({ pollInterval: 10 }).pollInterval).toBe(
      MIN_POLL_INTERVAL
    );
    expect(readSettings({ pollInterval: 0 }).pollInterval).toBe(0);
  });

  it('agrees with the settings schema defaults', () => {
    const props = schema.properties;
    expect(props.pollInterval.default).toBe(DEFAULT_SETTINGS.pollInterval);
    expect(props.defaultScope.default).toBe(DEFAULT_SETTINGS.defaultScope);
    expect(props.defaultScope.enum).toEqual(['notebook', 'experiment', 'all']);
    expect(props.defaultKernelspec.default).toBe(
      DEFAULT_SETTINGS.defaultKernelspec
    );
  });
});
