/**
 * @jest-environment jsdom
 */
import { renderJob } from '../widgets/jobsview';
import { bracketed, makeJob } from './fixtures';

describe('renderJob', () => {
  it('keeps the title (with its overrides) apart from the button, the overrides whole on hover', () => {
    const callbacks = {
      onCancel: jest.fn(),
      onDismiss: jest.fn(),
      onOpenRun: jest.fn()
    };
    const overrides = {
      'config.epochs': '3',
      'config.optimizer.learning_rate': '0.0001'
    };
    const node = renderJob(
      document,
      makeJob({ state: 'finished', verdict: 'varied', overrides }),
      callbacks
    );
    const head = node.querySelector('.jp-exp-job-head');
    const title = head?.querySelector('.jp-exp-job-title');
    const caption = title?.querySelector('.jp-exp-caption');
    expect(caption?.textContent).toBe(
      ' with config.epochs=3, config.optimizer.learning_rate=0.0001'
    );
    expect(caption?.getAttribute('title')).toBe(
      'config.epochs=3, config.optimizer.learning_rate=0.0001'
    );
    // The title and the dismiss button are the head's only two children: the title wraps.
    expect(Array.from(head?.children ?? []).map(c => c.className)).toEqual([
      'jp-exp-job-title',
      expect.stringContaining('jp-exp-job-dismiss')
    ]);
    head?.querySelector('button')?.click();
    expect(callbacks.onDismiss).toHaveBeenCalledWith('job-1');
  });

  it('shows its strings through the translator', () => {
    const callbacks = {
      onCancel: jest.fn(),
      onDismiss: jest.fn(),
      onOpenRun: jest.fn()
    };
    const node = renderJob(
      document,
      makeJob({ progress: { done: 2, total: 3, current: null } }),
      callbacks,
      bracketed
    );
    expect(node.querySelector('.jp-exp-job-title')?.textContent).toBe(
      '[Reproducing] a1b2c3d4'
    );
    expect(node.querySelector('.jp-exp-job-cancel')?.textContent).toBe(
      '[Cancel]'
    );
    expect(node.querySelector('.jp-exp-job-summary')?.textContent).toBe(
      '[2/3 cells]'
    );
    expect(
      node.querySelector('.jp-exp-job-progress')?.getAttribute('aria-label')
    ).toBe('[Reproduction progress]');
  });
});
