/**
 * Where the Runs panel's controls sit: its toolbar (scope, refresh, compare) and the filter
 * panel under it (experiment, filter string, whose runs, status, sort field and direction).
 * The controls themselves are the FilterBar's; this module only lays them out in JupyterLab's
 * toolbars.
 */
import {
  CommandToolbarButton,
  Toolbar,
  ToolbarButton,
  moveDownIcon,
  moveUpIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import { Panel, Widget } from '@lumino/widgets';

import type { IRunsState } from '../runsmodel';
import { parseSort } from '../runsort';
import { CommandIDs } from '../tokens';
import { ExpClass } from './classes';
import type { Trans } from './dom';
import type { FilterBar } from './filterbar';

/** A widget around a plain DOM node (a toolbar item or a section of the panel). */
export function nodeWidget(node: HTMLElement, className = ''): Widget {
  const widget = new Widget({ node });
  if (className) {
    widget.addClass(className);
  }
  return widget;
}

/** The panel's toolbar: scope, refresh, compare (the compare command's own button). */
export function populateRunsToolbar(
  toolbar: Toolbar,
  options: {
    filters: FilterBar;
    commands: CommandRegistry;
    /** The number of runs selected for compare now. */
    selected: () => number;
    onRefresh: () => void;
    trans: Trans;
  }
): void {
  const { trans } = options;
  toolbar.addItem('scope', nodeWidget(options.filters.scope));
  toolbar.addItem(
    'refresh',
    new ToolbarButton({
      icon: refreshIcon,
      className: ExpClass.refresh,
      tooltip: trans.__('Refresh the runs'),
      onClick: options.onRefresh
    })
  );
  toolbar.addItem(
    'compare',
    new CommandToolbarButton({
      commands: options.commands,
      id: CommandIDs.compareRuns,
      label: () => trans.__('Compare (%1)', options.selected())
    })
  );
  toolbar.addItem(
    'runs-table',
    new CommandToolbarButton({
      commands: options.commands,
      id: 'jupyter-exp:open-runs-table', // runmanage.ts
      label: ''
    })
  );
}

/**
 * The filter panel (`.jp-exp-toolbar.jp-exp-filters`): experiment (scope `experiment`), filter
 * string, whose runs (a row shown on a shared store), then status, sort field and direction.
 */
export class FilterPanel extends Panel {
  constructor(filters: FilterBar, trans: Trans) {
    super();
    this._filters = filters;
    this.addClass(ExpClass.toolbar);
    this.addClass('jp-exp-filters');
    this._direction = new ToolbarButton({
      className: ExpClass.sortDirection,
      icon: moveDownIcon,
      tooltip: trans.__('Descending (click for ascending)'),
      pressedIcon: moveUpIcon,
      pressedTooltip: trans.__('Ascending (click for descending)'),
      pressed: filters.direction === 'ASC',
      onClick: () => filters.toggleDirection()
    });
    const user = filters.user;
    this._userRow = new Toolbar();
    this._userRow.addClass('jp-exp-toolbar-row');
    this._userRow.addItem('user', nodeWidget(user.select));
    this._userRow.addItem('user-name', nodeWidget(user.input));
    this._userRow.node.appendChild(user.list);
    this._userRow.hide();
    const row = new Toolbar();
    row.addClass('jp-exp-toolbar-row');
    row.addItem('status', nodeWidget(filters.status));
    row.addItem('sort', nodeWidget(filters.sort));
    row.addItem('direction', this._direction);

    this.addWidget(nodeWidget(filters.experiment));
    this.addWidget(nodeWidget(filters.search));
    this.addWidget(this._userRow);
    this.addWidget(row);
  }

  /** Show `state` in the controls; the user row on a shared store (or once a user was picked). */
  render(state: IRunsState, shared: boolean): void {
    this._userRow.setHidden(!this._filters.render(state, shared));
    const { direction } = parseSort(state.sort);
    this._direction.pressed = direction === 'ASC';
    this._direction.node.dataset.direction = direction;
  }

  /** Only the user row (the store changed: shared or not). */
  renderUser(state: IRunsState, shared: boolean): void {
    this._userRow.setHidden(!this._filters.renderUser(state, shared));
  }

  private _filters: FilterBar;
  private _direction: ToolbarButton;
  private _userRow: Toolbar;
}
