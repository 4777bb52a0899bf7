/**
 * What a change of one model means for the others, in this one place: the settings set the
 * polls and the default scope; the run shown in detail reloads when its row in the list changed
 * (RUNNING -> FINISHED, a new verdict); a reproduction that ended brings its run into the list and
 * the detail. No view: the panel only renders the models.
 */
import type { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

import type { IExpModels } from './tokens';
import type { IRunSummary } from './types';

/** Stable key of what the detail depends on in a run's summary. */
export function summaryKey(run: IRunSummary | undefined): string {
  return run
    ? JSON.stringify([
        run.status,
        run.end_time,
        run.metrics,
        run.verdict,
        run.note
      ])
    : '';
}

/** Reload everything the panel shows: the store line, the list and the detail. */
export function refreshAll(
  models: Pick<IExpModels, 'store' | 'runs' | 'detail'>
): Promise<void> {
  return Promise.all([
    models.store.refresh(),
    models.runs.refresh(),
    models.detail.reload()
  ]).then(() => undefined);
}

/** Keeps the models consistent with each other while it lives (the application's lifetime). */
export class ModelCoordinator implements IDisposable {
  constructor(models: IExpModels) {
    this._models = models;
    this._defaultScope = models.settings.state.defaultScope;
    models.settings.changed.connect(this._onSettingsChanged, this);
    models.runs.changed.connect(this._onRunsChanged, this);
    models.detail.changed.connect(this._onDetailChanged, this);
    models.jobs.jobEnded.connect(this._onJobEnded, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.disconnectReceiver(this);
  }

  /** The polls follow the interval; a new default scope applies at once. */
  private _onSettingsChanged(): void {
    const { settings, store, runs } = this._models;
    const next = settings.state;
    store.setPollInterval(next.pollInterval);
    runs.setPollInterval(next.pollInterval);
    if (next.defaultScope !== this._defaultScope) {
      this._defaultScope = next.defaultScope;
      runs.setScope(next.defaultScope);
    }
  }

  /** Reload the detail when its run changed in the list (e.g. RUNNING -> FINISHED). */
  private _onRunsChanged(): void {
    const { runs, detail } = this._models;
    const runId = detail.runId;
    if (runId) {
      const key = summaryKey(runs.run(runId));
      if (key && this._detailKey && key !== this._detailKey) {
        void detail.reload();
      }
      this._detailKey = key;
    }
  }

  private _onDetailChanged(): void {
    const { runs, detail } = this._models;
    const runId = detail.runId;
    this._detailKey = runId ? summaryKey(runs.run(runId)) : '';
  }

  /** A reproduction ended: its run is new in the list, and the detail may show its verdict. */
  private _onJobEnded(): void {
    const { runs, detail } = this._models;
    void runs.refresh();
    if (detail.runId) {
      void detail.reload();
    }
  }

  private _models: IExpModels;
  private _defaultScope: IExpModels['settings']['state']['defaultScope'];
  private _detailKey = '';
  private _isDisposed = false;
}
