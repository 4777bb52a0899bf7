import schema from '../../schema/plugin.json';
import {
  DEFAULT_SETTINGS,
  MIN_POLL_INTERVAL,
  SettingsModel,
  readSettings
} from '../settings';

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

describe('SettingsModel', () => {
  it('holds the settings and emits only when a value really changed', () => {
    const model = new SettingsModel();
    const seen: number[] = [];
    model.changed.connect((_, settings) => seen.push(settings.pollInterval));
    model.load({});
    model.load({ pollInterval: 2000 });
    expect(seen).toEqual([]);
    model.load({ pollInterval: 5000, defaultScope: 'all' });
    expect(seen).toEqual([5000]);
    expect(model.state.defaultScope).toBe('all');
    model.update({ ...model.state });
    expect(seen).toEqual([5000]);
    model.dispose();
  });
});
