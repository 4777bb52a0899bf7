/**
 * @jest-environment jsdom
 */
import { ReproduceBody } from '../widgets/reproducebody';
import { zoneProblem, zoneRequest } from '../widgets/zonefield';

function body(): ReproduceBody {
  return new ReproduceBody({ runId: 'r1', kernels: [], defaultKernel: '' });
}

function pick(widget: ReproduceBody, choice: string, name = ''): void {
  const select = widget.node.querySelector(
    'select.jp-exp-zone-select'
  ) as HTMLSelectElement;
  select.value = choice;
  select.dispatchEvent(new Event('change'));
  const input = widget.node.querySelector(
    'input.jp-exp-zone-input'
  ) as HTMLInputElement;
  input.value = name;
  input.dispatchEvent(new Event('input'));
}

describe('the reproduce dialog time zone', () => {
  it('asks for the recorded zone by default, the name input hidden', () => {
    const widget = body();
    const select = widget.node.querySelector(
      'select.jp-exp-zone-select'
    ) as HTMLSelectElement;
    expect([...select.options].map(o => o.textContent)).toEqual([
      'The recorded one',
      "This server's current zone",
      'Another zone…'
    ]);
    expect(
      (widget.node.querySelector('input.jp-exp-zone-input') as HTMLElement)
        .hidden
    ).toBe(true);
    expect(widget.getValue()?.tz).toBeNull();
    widget.dispose();
  });

  it('sends current, or the typed zone trimmed', () => {
    const widget = body();
    pick(widget, 'current');
    expect(widget.getValue()?.tz).toBe('current');
    pick(widget, 'named', '  Pacific/Kiritimati ');
    expect(
      (widget.node.querySelector('input.jp-exp-zone-input') as HTMLElement)
        .hidden
    ).toBe(false);
    expect(widget.getValue()?.tz).toBe('Pacific/Kiritimati');
    widget.dispose();
  });

  it('holds back a named zone without a name, with an inline error, and keeps the draft', () => {
    const widget = body();
    pick(widget, 'named', ' ');
    const error = widget.node.querySelector(
      '.jp-exp-zone-error'
    ) as HTMLElement;
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe('Type a time zone, e.g. Europe/Paris');
    expect(widget.getValue()).toBeNull();
    const again = new ReproduceBody({
      runId: 'r1',
      kernels: [],
      defaultKernel: '',
      draft: widget.draft()
    });
    expect(
      (
        again.node.querySelector(
          'select.jp-exp-zone-select'
        ) as HTMLSelectElement
      ).value
    ).toBe('named');
    pick(again, 'named', 'Europe/Paris');
    expect(error.hidden).toBe(false); // the first dialog's error is its own
    expect(
      (again.node.querySelector('.jp-exp-zone-error') as HTMLElement).hidden
    ).toBe(true);
    expect(again.getValue()?.tz).toBe('Europe/Paris');
    widget.dispose();
    again.dispose();
  });

  it('checks names only for a named zone (the server knows which zones exist)', () => {
    expect(zoneProblem({ choice: 'recorded', name: '' })).toBe('');
    expect(zoneProblem({ choice: 'named', name: 'Mars/Olympus Mons' })).toBe(
      '"Mars/Olympus Mons" is not a time zone name'
    );
    expect(zoneProblem({ choice: 'named', name: 'Mars/Olympus_Mons' })).toBe(
      ''
    );
    expect(
      zoneRequest({ choice: 'recorded', name: 'Europe/Paris' })
    ).toBeNull();
  });
});
