import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { z } from 'zod';

// The catalog module runs in the catalog plugin, so it reads Backpack the
// way any other plugin would: over Backpack's REST API, with a service
// token, through discovery. Nothing in-process is shared across plugins.

/** A root artifact as the catalog module reads it from `GET /artifacts`. */
export interface RootArtifact {
  processor: string;
  id: string;
  filter?: string;
  filterType?: string;
  status: string;
  config: Record<string, unknown>;
  lastRunAt?: string;
  lastError?: string;
}

const artifactSchema = z.object({
  processor: z.string().min(1),
  id: z.string().min(1),
  filter: z.string().optional(),
  filterType: z.string().optional(),
  status: z.string(),
  config: z.record(z.string(), z.unknown()).default({}),
  lastRunAt: z.string().optional(),
  lastError: z.string().optional(),
});

const pageSchema = z.object({
  items: z.array(artifactSchema),
  total: z.number().int().nonnegative().optional(),
});

/** Options of {@link BackpackArtifactsClient}. */
export interface BackpackArtifactsClientOptions {
  discovery: DiscoveryService;
  auth: AuthService;
  /** Items per request; the API's maximum is 500. */
  pageSize: number;
  /** More root artifacts than this is an error rather than a partial answer. */
  maxArtifacts: number;
}

/** Reads every root artifact from Backpack's REST API, page by page. */
export class BackpackArtifactsClient {
  constructor(private readonly options: BackpackArtifactsClientOptions) {}

  /**
   * Every root artifact the catalog plugin's service principal may read.
   * Throws rather than answering a partial list: a full mutation of a
   * partial list would delete the entities of the artifacts it missed.
   */
  async listRootArtifacts(signal?: AbortSignal): Promise<RootArtifact[]> {
    const { discovery, auth, pageSize, maxArtifacts } = this.options;
    const baseUrl = await discovery.getBaseUrl('backpack');
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'backpack',
    });
    // Pages are ordered by (processor, id); one artifact created or deleted
    // between two pages could shift the pages, so an artifact is keyed and
    // the list is read again when the total changed while reading.
    for (let attempt = 0; attempt < 3; attempt++) {
      const seen = new Map<string, RootArtifact>();
      let total: number | undefined;
      let stable = true;
      for (let offset = 0; ; offset += pageSize) {
        const page = await this.fetchPage(baseUrl, token, offset, signal);
        if (total === undefined) total = page.total;
        else if (page.total !== undefined && page.total !== total) stable = false;
        for (const item of page.items) seen.set(`${item.processor}\0${item.id}`, item);
        if (seen.size > maxArtifacts) {
          throw new Error(
            `Backpack has more than ${maxArtifacts} root artifacts (backpack.catalog.maxArtifacts); no entities were changed`,
          );
        }
        if (page.items.length < pageSize) break;
      }
      if (stable) return [...seen.values()];
    }
    throw new Error('Backpack root artifacts kept changing while being read; will try again on the next run');
  }

  private async fetchPage(baseUrl: string, token: string, offset: number, signal?: AbortSignal) {
    const url = `${baseUrl}/artifacts?root=true&limit=${this.options.pageSize}&offset=${offset}`;
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal });
    if (!response.ok) {
      const body = (await response.text()).slice(0, 500);
      throw new Error(`Backpack answered GET ${url} with ${response.status} ${response.statusText}: ${body}`);
    }
    const parsed = pageSchema.safeParse(await response.json());
    if (!parsed.success) {
      throw new Error(`Backpack answered GET /artifacts with an unexpected body: ${parsed.error.message}`);
    }
    return parsed.data;
  }
}
