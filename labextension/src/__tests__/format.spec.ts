import {
  formatStoreLabel,
  mlflowRunPageUrl,
  parseStoreInfo,
  redactUri,
  shortenPath,
  sqlitePath
} from '../format';

const STORE = {
  tracking_uri: 'sqlite:////home/ada/project/mlflow.db',
  artifact_root: '/home/ada/project/mlartifacts',
  root: '/home/ada/project',
  version: '0.1.0'
};

describe('sqlitePath', () => {
  it('reads absolute and relative database paths', () => {
    expect(sqlitePath('sqlite:////abs/path/mlflow.db')).toBe(
      '/abs/path/mlflow.db'
    );
    expect(sqlitePath('sqlite:///rel/mlflow.db')).toBe('rel/mlflow.db');
    expect(sqlitePath('sqlite+pysqlite:////abs/x.db?mode=ro')).toBe(
      '/abs/x.db'
    );
  });

  it('recognizes in-memory databases and rejects other schemes', () => {
    expect(sqlitePath('sqlite://')).toBe(':memory:');
    expect(sqlitePath('sqlite:///:memory:')).toBe(':memory:');
    expect(sqlitePath('postgresql://h/db')).toBeNull();
    expect(sqlitePath('/abs/mlruns')).toBeNull();
  });
});

describe('shortenPath', () => {
  it('is relative to the root when inside it', () => {
    expect(
      shortenPath('/home/ada/project/mlflow.db', '/home/ada/project')
    ).toBe('mlflow.db');
    expect(
      shortenPath('/home/ada/project/sub/m.db', '/home/ada/project/')
    ).toBe('sub/m.db');
  });

  it('keeps the last two segments outside the root', () => {
    expect(shortenPath('/var/lib/mlflow/store/mlflow.db', '/home/ada')).toBe(
      '…/store/mlflow.db'
    );
    expect(shortenPath('/tmp/x.db', '/home/ada')).toBe('/tmp/x.db');
    // A sibling directory sharing a prefix is not "inside" the root.
    expect(shortenPath('/home/ada/project2/m.db', '/home/ada/project')).toBe(
      '…/project2/m.db'
    );
  });
});

describe('formatStoreLabel', () => {
  it('shortens a sqlite URI under the root to the file name', () => {
    expect(formatStoreLabel(STORE)).toBe('mlflow.db (SQLite)');
  });

  it('shortens a sqlite URI outside the root', () => {
    expect(
      formatStoreLabel({
        tracking_uri: 'sqlite:////srv/data/shared/runs.db',
        root: '/home/ada'
      })
    ).toBe('…/shared/runs.db (SQLite)');
    expect(formatStoreLabel({ tracking_uri: 'sqlite://' })).toBe(
      'in-memory (SQLite)'
    );
  });

  it('names database servers without their credentials', () => {
    const label = formatStoreLabel({
      tracking_uri:
        'postgresql+psycopg2://mlflow:s3cret@db.example.org:5432/mlflow'
    });
    expect(label).toBe('db.example.org:5432/mlflow (PostgreSQL)');
    expect(label).not.toContain('s3cret');
  });

  it('labels tracking servers, file stores and unknown URIs', () => {
    expect(formatStoreLabel({ tracking_uri: 'http://localhost:5000' })).toBe(
      'localhost:5000 (MLflow server)'
    );
    expect(
      formatStoreLabel({
        tracking_uri: 'file:///home/ada/project/mlruns',
        root: '/home/ada/project'
      })
    ).toBe('mlruns (file store)');
    expect(
      formatStoreLabel({
        tracking_uri: '/home/ada/project/mlruns',
        root: '/home/ada/project'
      })
    ).toBe('mlruns (file store)');
    expect(formatStoreLabel({ tracking_uri: 'databricks' })).toBe('Databricks');
    expect(formatStoreLabel({ tracking_uri: '' })).toBe('unknown store');
  });
});

describe('redactUri', () => {
  it('hides passwords and leaves other URIs alone', () => {
    expect(redactUri('postgresql://u:pw@h:5432/db')).toBe(
      'postgresql://u:***@h:5432/db'
    );
    expect(redactUri(STORE.tracking_uri)).toBe(STORE.tracking_uri);
    expect(redactUri('http://localhost:5000')).toBe('http://localhost:5000');
  });
});

describe('parseStoreInfo', () => {
  it('accepts the server answer', () => {
    expect(parseStoreInfo({ ...STORE, extra: 1 })).toEqual({
      ...STORE,
      shared: false
    });
  });

  it('tells a shared store: the server says so, or its tracking URI is a server', () => {
    const shared = (info: object) =>
      parseStoreInfo({ ...STORE, ...info }).shared;
    expect(shared({ tracking_uri: 'http://mlflow:5000' })).toBe(true);
    expect(shared({ tracking_uri: 'postgresql://u:***@db/mlflow' })).toBe(true);
    expect(shared({ tracking_uri: 'sqlite:////tmp/mlflow.db' })).toBe(false);
    expect(shared({ tracking_uri: 'file:///tmp/mlruns' })).toBe(false);
    expect(shared({ tracking_uri: '/tmp/mlruns' })).toBe(false);
    expect(shared({ tracking_uri: 'C:\\runs' })).toBe(false);
    expect(shared({ tracking_uri: 'http://mlflow:5000', shared: false })).toBe(
      false
    );
  });

  it('defaults optional fields and rejects malformed answers', () => {
    expect(parseStoreInfo({ tracking_uri: 'sqlite://' })).toEqual({
      tracking_uri: 'sqlite://',
      artifact_root: '',
      root: '',
      version: '',
      shared: false
    });
    expect(() => parseStoreInfo(null)).toThrow(TypeError);
    expect(() => parseStoreInfo([STORE])).toThrow(/not an object/);
    expect(() => parseStoreInfo({ root: '/x' })).toThrow(/tracking_uri/);
    expect(() => parseStoreInfo({ ...STORE, version: 1 })).toThrow(/"version"/);
  });
});

describe('mlflowRunPageUrl', () => {
  it("opens a run page in MLflow 3's model training view", () => {
    const run = 'http://mlflow:5000/#/experiments/1/runs/abc';
    expect(mlflowRunPageUrl(run)).toBe(`${run}?workflowType=machine_learning`);
    expect(mlflowRunPageUrl(`${run}?workflowType=genai`)).toBe(
      `${run}?workflowType=genai`
    );
    expect(mlflowRunPageUrl(`${run}?workspace=team`)).toBe(
      `${run}?workspace=team&workflowType=machine_learning`
    );
    expect(mlflowRunPageUrl('https://host/prefix/mlflow/#/experiments/7')).toBe(
      'https://host/prefix/mlflow/#/experiments/7?workflowType=machine_learning'
    );
    expect(mlflowRunPageUrl('http://mlflow:5000')).toBe('http://mlflow:5000');
  });
});
