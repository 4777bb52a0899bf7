/**
 * Identifiers shared by the plugin, its commands and its settings.
 */

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
