/**
 * Reading the plugin's settings (labextension/schema/plugin.json) into a typed object.
 */
import { StateModel } from './statemodel';
import type { IExpSettings, RunScope } from './types';

/** Defaults; must agree with labextension/schema/plugin.json. */
export const DEFAULT_SETTINGS: Readonly<IExpSettings> = Object.freeze({
  pollInterval: 2000,
  defaultScope: 'notebook',
  defaultKernelspec: ''
});

/** Polling faster than this would load the server for nothing. */
export const MIN_POLL_INTERVAL = 250;

const SCOPES: readonly RunScope[] = ['notebook', 'experiment', 'all'];

/**
 * Typed settings from a composite settings object; bad values fall back to the defaults.
 * A positive `pollInterval` below `MIN_POLL_INTERVAL` is raised to it; 0 disables polling.
 */
export function readSettings(
  composite: Record<string, unknown> | null | undefined
): IExpSettings {
  const source = composite ?? {};
  let pollInterval = DEFAULT_SETTINGS.pollInterval;
  const rawInterval = source.pollInterval;
  if (
    typeof rawInterval === 'number' &&
    Number.isFinite(rawInterval) &&
    rawInterval >= 0
  ) {
    pollInterval =
      rawInterval === 0
        ? 0
        : Math.max(MIN_POLL_INTERVAL, Math.round(rawInterval));
  }
  const rawScope = source.defaultScope;
  const defaultScope = SCOPES.includes(rawScope as RunScope)
    ? (rawScope as RunScope)
    : DEFAULT_SETTINGS.defaultScope;
  const rawKernel = source.defaultKernelspec;
  const defaultKernelspec =
    typeof rawKernel === 'string' ? rawKernel.trim() : '';
  return { pollInterval, defaultScope, defaultKernelspec };
}

/**
 * The plugin's settings, held in this one place: the plugin sets them from the setting
 * registry, the models and actions read them and follow `changed`.
 */
export class SettingsModel extends StateModel<IExpSettings> {
  constructor(initial: IExpSettings = DEFAULT_SETTINGS) {
    super({ ...initial });
  }

  /** Apply a composite settings object (bad values fall back to the defaults). */
  load(composite: Record<string, unknown> | null | undefined): void {
    this.setState(readSettings(composite));
  }

  update(settings: IExpSettings): void {
    this.setState({ ...settings });
  }
}
