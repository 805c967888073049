/**
 * Which page started each data check in flight (a `dataset.check` or `pipeline.start` sent with a `checkId`),
 * so a host can route its progress to that page and cancel a page's `dataset.check`s when the page goes away:
 * the engine does not go on reading data for nobody. A `pipeline.start` is not cancelled: the user clicked
 * Queue, and the pipeline a reload or a closed tab cut off from its page still starts (the reloaded page lists
 * it; Cancel beside the check is how to stop it). `onnx-studio serve` owns
 * checks by WebSocket (a closed socket cancels them; progress goes to the owner only), Electron by the
 * window's `webContents` (a closed or reloaded window cancels them). Cancelling is what
 * `studio:dataset.cancelCheck` does: the backend's own dispatch of that channel.
 */
import { IPC_CHANNELS, type IpcMethodChannel, type IpcResponse } from '../../../shared/ipc-contract.js';
import type { StudioBackend } from './studio-backend.js';

/** The `checkId` of a request that runs a data check under one (`dataset.check`, `pipeline.start`). */
export function checkIdOf(channel: string, payload: unknown): string | undefined {
  if (channel !== IPC_CHANNELS.datasetCheck && channel !== IPC_CHANNELS.pipelineStart) return undefined;
  const checkId = (payload as { checkId?: unknown } | null)?.checkId;
  return typeof checkId === 'string' && checkId !== '' ? checkId : undefined;
}

export class CheckOwners<Owner> {
  /** By `checkId`: an entry object per request, so a request that settles removes its own entry only. */
  private readonly owners = new Map<string, { owner: Owner; channel: string }>();

  constructor(private readonly backend: Pick<StudioBackend, 'dispatch'>) {}

  /**
   * The backend's `dispatch`, for a request from `owner`: a data check it runs under a `checkId` belongs to
   * `owner` until the request settles.
   */
  async dispatch<C extends IpcMethodChannel>(
    owner: Owner,
    channel: C,
    payload: unknown,
    context?: unknown,
  ): Promise<IpcResponse<C>> {
    const checkId = checkIdOf(channel, payload);
    // A second request under an id in flight is refused by the backend: the first keeps its owner.
    const entry = checkId !== undefined && !this.owners.has(checkId) ? { owner, channel } : undefined;
    if (entry) this.owners.set(checkId!, entry);
    try {
      return await this.backend.dispatch(channel, payload, context);
    } finally {
      // A cancel removed the entry already; a new request (the reloaded page's) may have taken the id since.
      if (entry && this.owners.get(checkId!) === entry) this.owners.delete(checkId!);
    }
  }

  /** Who started the check running under `checkId`, if one does. */
  ownerOf(checkId: string): Owner | undefined {
    return this.owners.get(checkId)?.owner;
  }

  /** The ids of the checks `owner` started that are still running. */
  ownedBy(owner: Owner): string[] {
    return [...this.owners].flatMap(([checkId, entry]) => (entry.owner === owner ? [checkId] : []));
  }

  /**
   * `owner` went away: cancels its `dataset.check`s still running, as `studio:dataset.cancelCheck` does; its
   * `pipeline.start`s run on (their pipelines start), owned by nobody, so their progress goes nowhere.
   */
  cancelOwnedBy(owner: Owner): void {
    for (const checkId of this.ownedBy(owner)) {
      const entry = this.owners.get(checkId)!;
      this.owners.delete(checkId);
      if (entry.channel !== IPC_CHANNELS.pipelineStart)
        void this.backend.dispatch(IPC_CHANNELS.datasetCheckCancel, { checkId });
    }
  }
}
