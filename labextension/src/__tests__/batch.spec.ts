/**
 * @jest-environment jsdom
 */
import { MessageLoop, type Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { RunsModel } from '../runsmodel';
import { PendingParts } from '../widgets/batch';
import { makeRun } from './fixtures';

/** A view rendering the way the Runs panel does: signals mark parts, one render per update. */
class View extends Widget {
  constructor(readonly runs: RunsModel) {
    super();
    runs.changed.connect(() => this.pending.request('runs'));
  }

  readonly pending: PendingParts<'runs' | 'store'> = new PendingParts(this);
  readonly renders: string[][] = [];

  protected onUpdateRequest(msg: Message): void {
    super.onUpdateRequest(msg);
    this.renders.push([...this.pending.take()].sort());
  }
}

describe('PendingParts', () => {
  it('renders once for many model signals, with every part they marked', async () => {
    const runs = new RunsModel({
      fetchRuns: async () => ({
        runs: [makeRun({ run_id: 'a' }), makeRun({ run_id: 'b' })],
        next_page_token: null
      }),
      scope: 'all'
    });
    await runs.refresh();
    const view = new View(runs);
    Widget.attach(view, document.body);
    const changes = jest.fn();
    runs.changed.connect(changes);
    runs.toggleSelected('a');
    runs.toggleSelected('b');
    runs.toggleSelected('a');
    view.pending.request('store');
    expect(changes).toHaveBeenCalledTimes(3);
    expect(view.renders).toEqual([]);
    MessageLoop.flush();
    expect(view.renders).toEqual([['runs', 'store']]);
    // Nothing changed since: no render, and a later change renders just its part.
    MessageLoop.flush();
    runs.toggleSelected('b');
    MessageLoop.flush();
    expect(view.renders).toEqual([['runs', 'store'], ['runs']]);
    view.dispose();
    runs.dispose();
  });
});
