import { SnapshotDrive, isSnapshotPath, snapshotPath } from '../snapshotdrive';

const NOTEBOOK = { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 };

describe('SnapshotDrive', () => {
  it('tells snapshot paths from server paths', () => {
    expect(isSnapshotPath(snapshotPath('r1', 'nb/train.ipynb'))).toBe(true);
    expect(isSnapshotPath('nb/train.ipynb')).toBe(false);
    expect(isSnapshotPath('RTC:nb/train.ipynb')).toBe(false);
  });

  it('names the file after the notebook and the run, without path characters', () => {
    expect(snapshotPath('r1', 'nb/train.ipynb', 'slow-lr')).toBe(
      'JupyterExpSnapshots:r1/train @ slow-lr.ipynb'
    );
    expect(snapshotPath('r1', 'train', 'a/b\\c:d')).toBe(
      'JupyterExpSnapshots:r1/train @ a-b-c-d.ipynb'
    );
    expect(snapshotPath('r1', null, '  ')).toBe(
      'JupyterExpSnapshots:r1/snapshot.ipynb'
    );
  });

  const settings = { baseUrl: 'http://localhost:8888/' } as never;

  it('serves a run snapshot as a read-only notebook, fetched once', async () => {
    const fetchSnapshot = jest.fn(async () => NOTEBOOK);
    const drive = new SnapshotDrive({
      fetchSnapshot,
      serverSettings: settings
    });
    expect(snapshotPath('r1', 'examples/quickstart.ipynb')).toBe(
      'JupyterExpSnapshots:r1/quickstart.ipynb'
    );
    const model = await drive.get('r1/quickstart.ipynb', { content: true });
    expect(model).toMatchObject({
      type: 'notebook',
      writable: false,
      format: 'json',
      name: 'quickstart.ipynb',
      path: 'r1/quickstart.ipynb',
      content: NOTEBOOK
    });
    // Dates JupyterLab can format (an empty one throws "Invalid time value"), stable per fetch.
    expect(Number.isNaN(Date.parse(model.last_modified))).toBe(false);
    expect(Number.isNaN(Date.parse(model.created))).toBe(false);
    const directory = await drive.get('r1');
    expect(Number.isNaN(Date.parse(directory.last_modified))).toBe(false);
    const again = await drive.get('r1/quickstart.ipynb', { content: false });
    expect(again.last_modified).toBe(model.last_modified);
    expect(fetchSnapshot).toHaveBeenCalledTimes(1);
    expect(fetchSnapshot).toHaveBeenCalledWith('r1');
    expect(await drive.getDownloadUrl('r1/quickstart.ipynb')).toBe(
      'http://localhost:8888/jupyter-exp/runs/r1/snapshot'
    );
    drive.dispose();
  });

  it('serves every cell untrusted, whatever the recorded file says', async () => {
    const recorded = {
      ...NOTEBOOK,
      cells: [
        {
          cell_type: 'code',
          metadata: { trusted: true, tags: ['a'] },
          source: ''
        },
        { cell_type: 'markdown', metadata: ['trusted'], source: '' },
        { cell_type: 'raw', source: '' }
      ]
    };
    const drive = new SnapshotDrive({
      fetchSnapshot: async () => recorded,
      serverSettings: settings
    });
    const model = await drive.get('r1/x.ipynb');
    expect(
      (model.content as typeof recorded).cells.map(cell => cell.metadata)
    ).toEqual([
      { trusted: false, tags: ['a'] },
      { trusted: false },
      { trusted: false }
    ]);
    expect(recorded.cells[0].metadata).toEqual({ trusted: true, tags: ['a'] });
    drive.dispose();
  });

  it('rejects every change with a clear error and does not cache failures', async () => {
    const fetchSnapshot = jest
      .fn()
      .mockRejectedValueOnce(new Error('The run has no snapshot'))
      .mockResolvedValue(NOTEBOOK);
    const drive = new SnapshotDrive({
      fetchSnapshot,
      serverSettings: settings
    });
    await expect(drive.save()).rejects.toThrow(/read-only/);
    await expect(drive.delete()).rejects.toThrow(/read-only/);
    await expect(drive.rename()).rejects.toThrow(/read-only/);
    await expect(drive.newUntitled()).rejects.toThrow(/read-only/);
    await expect(drive.get('r2/x.ipynb')).rejects.toThrow(
      'The run has no snapshot'
    );
    await expect(drive.get('r2/x.ipynb')).resolves.toMatchObject({
      writable: false
    });
    drive.dispose();
  });
});
