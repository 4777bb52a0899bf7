/**
 * Identifiers shared by the plugin, its commands and its settings, and the token through which
 * other plugins get the extension's models.
 */
import { Token } from '@lumino/coreutils';

import type { DetailModel } from './detailmodel';
import type { JobsModel } from './jobsmodel';
import type { StoreModel } from './model';
import type { RunsModel } from './runsmodel';
import type { SettingsModel } from './settings';

/** The plugin id; also the key of its settings schema (labextension/schema/plugin.json). */
export const PLUGIN_ID = 'jupyter-exp:plugin';

/** URL namespace of the server extension: `<baseUrl>/jupyter-exp/<endpoint>`. */
export const API_NAMESPACE = 'jupyter-exp';

/** DOM id of the left-area runs panel. */
export const SIDEBAR_ID = 'jupyter-exp-sidebar';

/** Command ids. */
export namespace CommandIDs {
  export const openSidebar = 'jupyter-exp:open-sidebar';
  export const refreshRuns = 'jupyter-exp:refresh-runs';
  export const compareRuns = 'jupyter-exp:compare-runs';
  export const reproduceRun = 'jupyter-exp:reproduce-run';
  export const openRun = 'jupyter-exp:open-run';
}

/** Palette category of the extension's commands. */
export const PALETTE_CATEGORY = 'Experiment Tracking';

/** The models behind the Runs panel, for plugins that show or act on runs too. */
export interface IExpModels {
  /** The tracking store the server uses. */
  readonly store: StoreModel;
  /** The listed runs: scope, filters, sort, selection. */
  readonly runs: RunsModel;
  /** The run shown in detail. */
  readonly detail: DetailModel;
  /** Reproduction jobs. */
  readonly jobs: JobsModel;
  /** The plugin's settings. */
  readonly settings: SettingsModel;
}

/** Provided by `jupyter-exp:plugin`. */
export const IExpModels = new Token<IExpModels>(
  'jupyter-exp:IExpModels',
  'The models of the jupyter-exp Runs panel (store, runs, detail, jobs, settings).'
);
