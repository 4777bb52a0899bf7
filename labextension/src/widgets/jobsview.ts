/**
 * Plain-DOM rendering of reproduction jobs (`.jp-exp-job[data-state][data-job-id]`).
 */
import { isJobActive, type IJobsState } from '../jobsmodel';
import type { IReproductionJob } from '../types';
import { ExpClass } from './classes';
import { button, el, untranslated, type Trans } from './dom';
import { renderVerdict } from './runlist';

export interface IJobCallbacks {
  onCancel(jobId: string): void;
  onDismiss(jobId: string): void;
  onOpenRun(runId: string): void;
}

function runLink(
  doc: Document,
  runId: string,
  callbacks: IJobCallbacks,
  trans: Trans
): HTMLAnchorElement {
  const link = el(doc, 'a', ExpClass.jobRun, runId.slice(0, 8));
  link.href = '#';
  link.title = trans.__('Show run %1', runId);
  link.dataset.runId = runId;
  link.addEventListener('click', event => {
    event.preventDefault();
    callbacks.onOpenRun(runId);
  });
  return link;
}

/** One job line. */
export function renderJob(
  doc: Document,
  job: IReproductionJob,
  callbacks: IJobCallbacks,
  trans: Trans = untranslated
): HTMLElement {
  const node = el(doc, 'div', ExpClass.job);
  node.dataset.jobId = job.id;
  node.dataset.state = job.state;
  const active = isJobActive(job);

  const head = el(doc, 'div', 'jp-exp-job-head');
  // What the job is, wrapping as needed, so the button beside it stays inside the sidebar.
  const title = el(doc, 'span', 'jp-exp-job-title');
  const verb = active
    ? trans.__('Reproducing')
    : job.state === 'finished'
      ? trans.__('Reproduced')
      : job.state === 'cancelled'
        ? trans.__('Cancelled reproduction of')
        : trans.__('Could not reproduce');
  title.append(`${verb} `, runLink(doc, job.run_id, callbacks, trans));
  const overrides = Object.entries(job.overrides ?? {});
  if (overrides.length > 0) {
    const text = overrides.map(([k, v]) => `${k}=${v}`).join(', ');
    const caption = el(
      doc,
      'span',
      ExpClass.caption,
      ` ${trans.__('with %1', text)}`
    );
    caption.title = text;
    title.append(caption);
  }
  head.appendChild(title);
  if (active) {
    head.appendChild(
      button(doc, ExpClass.jobCancel, trans.__('Cancel'), {
        title: trans.__('Stop the reproduction'),
        onClick: () => callbacks.onCancel(job.id)
      })
    );
  } else {
    head.appendChild(
      button(doc, ExpClass.jobDismiss, '×', {
        title: trans.__('Dismiss'),
        onClick: () => callbacks.onDismiss(job.id)
      })
    );
  }
  node.appendChild(head);

  if (active) {
    const { done, total, current } = job.progress ?? {
      done: 0,
      total: 0,
      current: null
    };
    const progress = el(doc, 'progress', ExpClass.jobProgress);
    if (total > 0) {
      progress.max = total;
      progress.value = done;
    }
    progress.setAttribute('aria-label', trans.__('Reproduction progress'));
    node.appendChild(progress);
    const label =
      total > 0
        ? trans._n('%2/%1 cell', '%2/%1 cells', total, done)
        : trans.__('starting…');
    const line = el(doc, 'div', ExpClass.jobSummary, label);
    if (current) {
      line.append(' · ', el(doc, 'code', '', current));
      line.title = current;
    }
    node.appendChild(line);
    return node;
  }

  const result = el(doc, 'div', ExpClass.jobSummary);
  if (job.state === 'finished' && job.verdict) {
    result.appendChild(renderVerdict(doc, job.verdict, trans));
    result.append(' ');
  } else {
    result.appendChild(el(doc, 'span', 'jp-exp-job-state', job.state));
    result.append(' ');
  }
  if (job.reproduction_run_id) {
    result.append(runLink(doc, job.reproduction_run_id, callbacks, trans), ' ');
  }
  const text = job.error || job.summary;
  if (text) {
    result.appendChild(el(doc, 'span', '', text));
    result.title = text;
  }
  node.appendChild(result);
  return node;
}

/** Replace the content of `host` with the job lines (hidden when there is none). */
export function renderJobs(
  host: HTMLElement,
  state: IJobsState,
  callbacks: IJobCallbacks,
  trans: Trans = untranslated
): void {
  const doc = host.ownerDocument;
  host.replaceChildren();
  host.hidden = state.jobs.length === 0 && !state.error;
  for (const job of state.jobs) {
    host.appendChild(renderJob(doc, job, callbacks, trans));
  }
  if (state.error) {
    host.appendChild(
      el(doc, 'div', ExpClass.error, trans.__('Jobs: %1', state.error))
    );
  }
}
