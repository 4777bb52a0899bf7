/**
 * @jest-environment jsdom
 */
import {
  ARTIFACT_DRIVE_NAME,
  ArtifactDrive,
  artifactModel
} from '../artifactdrive';
import { ManageClient, parseTagEdit, type IHistories } from '../manageapi';
import {
  chartCurves,
  chartRows,
  runChartSpec,
  smooth
} from '../widgets/charts/runcharts';

const histories: IHistories = {
  keys: ['train/loss'],
  runs: [
    {
      run_id: 'aaaaaaaa1',
      run_name: 'same',
      series: {
        'train/loss': {
          steps: [0, 1, 2],
          timestamps: [1000, 2000, 3000],
          values: [3, 2, 1],
          total_points: 3,
          downsampled: false
        }
      }
    },
    {
      run_id: 'bbbbbbbb2',
      run_name: 'same',
      series: {
        'train/loss': {
          steps: [0, 1],
          timestamps: [1500, 2500],
          values: [4, 4],
          total_points: 2,
          downsampled: false
        }
      }
    }
  ]
};

describe('run charts', () => {
  it('smooths with a debiased moving average (0 is raw)', () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const s = smooth([4, 4, 4], 0.9);
    s.forEach(v => expect(v).toBeCloseTo(4));
  });

  it('overlays runs, labelled apart when they share a name', () => {
    const rows = chartRows(histories, 'train/loss', 0);
    expect(new Set(rows.map(r => r.run))).toEqual(
      new Set(['same', 'same (bbbbbb)'])
    );
    expect(rows).toHaveLength(5);
  });

  it('zooms, and puts wall time or step on the x axis', () => {
    const spec = runChartSpec(histories, 'train/loss', {
      axis: 'time',
      smoothing: 0.5
    }) as {
      layer: { params?: unknown[]; encoding: { x: { field: string } } }[];
    };
    expect(spec.layer).toHaveLength(2); // smoothed over the raw points
    expect(spec.layer[0].params).toEqual([
      { name: 'zoom', select: 'interval', bind: 'scales' }
    ]);
    expect(spec.layer[0].encoding.x.field).toBe('time');
    const curves = chartCurves(histories, 'train/loss', {
      axis: 'step',
      smoothing: 0
    });
    expect(curves[0].steps).toEqual([0, 1, 2]);
  });
});

describe('run management', () => {
  it('reads key=value and -key', () => {
    expect(parseTagEdit(' stage = best ')).toEqual({
      set: { stage: 'best' },
      remove: []
    });
    expect(parseTagEdit('-stage')).toEqual({ set: {}, remove: ['stage'] });
    expect(parseTagEdit('nothing')).toBeNull();
  });

  it('posts each change to its route', async () => {
    const calls: [string, RequestInit | undefined][] = [];
    const client = new ManageClient(
      async <T>(path?: string, init?: RequestInit) => {
        calls.push([path ?? '', init]);
        return {} as T;
      }
    );
    await client.rename('r/1', 'new');
    await client.updateTags('r1', { a: 'b' }, ['c']);
    await client.deleteRun('r1');
    await client.artifact('r1', 'a b/c.json');
    expect(calls.map(c => c[0])).toEqual([
      'runs/r%2F1/rename',
      'runs/r1/tags',
      'runs/r1/delete',
      'runs/r1/artifact?path=a+b%2Fc.json'
    ]);
    expect(JSON.parse(String(calls[1][1]?.body))).toEqual({
      set: { a: 'b' },
      delete: ['c']
    });
  });
});

describe('artifact drive', () => {
  it('serves images as base64 files and notebooks untrusted, and writes nothing', async () => {
    const image = artifactModel('r1/f.png', {
      run_id: 'r1',
      path: 'f.png',
      kind: 'image',
      mimetype: 'image/png',
      format: 'base64',
      content: 'AAAA',
      size: 3
    });
    expect(image).toMatchObject({
      type: 'file',
      format: 'base64',
      writable: false
    });
    const drive = new ArtifactDrive({
      serverSettings: {} as never,
      fetchArtifact: async (runId, path) => ({
        run_id: runId,
        path,
        kind: 'notebook',
        mimetype: 'application/x-ipynb+json',
        format: 'json',
        content: { cells: [{ metadata: { trusted: true } }] },
        size: 10
      })
    });
    expect(drive.name).toBe(ARTIFACT_DRIVE_NAME);
    const model = await drive.get('r1/jupyter_exp/notebook.ipynb');
    expect(model.type).toBe('notebook');
    expect(
      (model.content as { cells: { metadata: { trusted: boolean } }[] })
        .cells[0].metadata.trusted
    ).toBe(false);
    await expect(drive.save()).rejects.toThrow('read-only');
  });
});
