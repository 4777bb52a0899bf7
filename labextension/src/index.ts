import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { runsIcon } from './icons';
import { StoreModel } from './model';
import { requestAPI } from './request';
import { readSettings } from './settings';
import { CommandIDs, PALETTE_CATEGORY, PLUGIN_ID, SIDEBAR_ID } from './tokens';
import { RunsSidebar } from './widgets/sidebar';

/**
 * jupyter-exp frontend: the "Runs" panel in the left area, backed by the server extension.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Experiment runs sidebar for jupyter-exp (notebook experiment tracking on MLflow).',
  autoStart: true,
  requires: [],
  optional: [ICommandPalette, ISettingRegistry, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const model = new StoreModel({
      fetchStore: () => requestAPI<unknown>('store')
    });
    const sidebar = new RunsSidebar(model);
    app.shell.add(sidebar, 'left', { rank: 850 });
    if (restorer) {
      restorer.add(sidebar, SIDEBAR_ID);
    }

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Show Experiment Runs',
      caption: 'Show the jupyter-exp runs panel',
      icon: runsIcon,
      execute: () => {
        app.shell.activateById(SIDEBAR_ID);
      }
    });
    if (palette) {
      palette.addItem({
        command: CommandIDs.openSidebar,
        category: PALETTE_CATEGORY
      });
    }

    void model.refresh();

    if (!settingRegistry) {
      model.startPolling();
      return;
    }
    settingRegistry
      .load(PLUGIN_ID)
      .then(settings => {
        const apply = (): void => {
          model.updateSettings(readSettings(settings.composite));
        };
        apply();
        settings.changed.connect(apply);
        model.startPolling();
      })
      .catch(reason => {
        console.error(
          `jupyter-exp: failed to load settings for ${PLUGIN_ID}.`,
          reason
        );
        model.startPolling();
      });
  }
};

export default plugin;
export { requestAPI, JupyterExpRequestError } from './request';
export { formatStoreLabel, parseStoreInfo } from './format';
export { StoreModel } from './model';
export type { IStoreInfo, IExpSettings } from './types';
