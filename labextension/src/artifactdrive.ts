/**
 * A read-only contents drive serving a run's artifacts, so JupyterLab opens them in its own viewers
 * (text editor, JSON viewer, image viewer, notebook): `JupyterExpArtifacts:<run_id>/<artifact path>`.
 * The server decides what can be shown (text, JSON, images, notebooks), follows no link and marks a
 * notebook's cells untrusted; the drive marks them again and never writes.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { Contents, ServerConnection } from '@jupyterlab/services';
import type { Widget } from '@lumino/widgets';

import type { IArtifactContent } from './manageapi';
import { directoryModel, ReadOnlyDrive } from './readonlydrive';
import { SNAPSHOT_KERNEL_PREFERENCE } from './snapshot';
import { untrustedNotebook } from './snapshotdrive';

export const ARTIFACT_DRIVE_NAME = 'JupyterExpArtifacts';

/** The drive path of a run's artifact. */
export function artifactPath(runId: string, path: string): string {
  return `${ARTIFACT_DRIVE_NAME}:${runId}/${path}`;
}

/** Whether `path` is a document of the artifact drive. */
export function isArtifactPath(path: string): boolean {
  return path.startsWith(`${ARTIFACT_DRIVE_NAME}:`);
}

/** The contents model of a fetched artifact. */
export function artifactModel(
  path: string,
  artifact: IArtifactContent,
  withContent = true
): Contents.IModel {
  const notebook = artifact.kind === 'notebook';
  const now = new Date().toISOString();
  return {
    name: path.split('/').pop() ?? path,
    path,
    type: notebook ? 'notebook' : 'file',
    writable: false,
    created: now,
    last_modified: now,
    mimetype: artifact.mimetype,
    content: withContent
      ? notebook
        ? untrustedNotebook(artifact.content)
        : artifact.content
      : null,
    format: notebook
      ? 'json'
      : artifact.format === 'base64'
        ? 'base64'
        : 'text',
    size: artifact.size
  };
}

export class ArtifactDrive extends ReadOnlyDrive<IArtifactContent> {
  constructor(options: ArtifactDrive.IOptions) {
    super(
      'Run artifacts are read-only: use "Save As…" to keep a copy.',
      options.serverSettings
    );
    this._fetch = options.fetchArtifact;
  }

  readonly name = ARTIFACT_DRIVE_NAME;

  async get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const path = localPath.replace(/^\/+|\/+$/g, '');
    const [runId, ...rest] = path.split('/');
    const artifact = rest.join('/');
    if (!runId || !artifact) {
      return directoryModel(path);
    }
    const found = await this._artifact(runId, artifact);
    return artifactModel(path, found, options?.content !== false);
  }

  /** An artifact from the cache or the server. */
  private _artifact(runId: string, path: string): Promise<IArtifactContent> {
    return this.cached(`${runId}/${path}`, () => this._fetch(runId, path));
  }

  private _fetch: (runId: string, path: string) => Promise<IArtifactContent>;
}

export namespace ArtifactDrive {
  export interface IOptions {
    fetchArtifact: (runId: string, path: string) => Promise<IArtifactContent>;
    serverSettings?: ServerConnection.ISettings;
  }
}

/** The part of a document widget used here. */
interface IDocumentTab {
  context?: {
    ready: Promise<void>;
    model: { readOnly: boolean; dirty: boolean };
  };
}

/**
 * Open a run's artifact in JupyterLab's default viewer for its type, read-only (a notebook with no
 * kernel). Rejects, before any tab opens, when the server cannot show it.
 */
export async function openRunArtifact(
  app: JupyterFrontEnd,
  runId: string,
  path: string
): Promise<Widget | undefined> {
  const drivePath = artifactPath(runId, path);
  await app.serviceManager.contents.get(drivePath, { content: false });
  const widget = (await app.commands.execute('docmanager:open', {
    path: drivePath,
    kernelPreference: SNAPSHOT_KERNEL_PREFERENCE
  })) as Widget | undefined;
  const context = (widget as IDocumentTab | undefined)?.context;
  if (context) {
    await context.ready;
    context.model.readOnly = true;
    context.model.dirty = false;
  }
  return widget;
}
