import { HttpAuthService, LoggerService } from '@backstage/backend-plugin-api';
import express, { Request, Response } from 'express';
import { ArtifactAuthorizer } from '../../permissions/ArtifactAuthorizer';
import { ServeAccess } from '../../views/ServeAccess';
import { ServedContent, ServedDocument, ServedFile } from '../../views/ServedContent';
import { ServeViews } from '../../views/ServeViews';
import { sendStream } from '../sendStream';
import { viewAccessFor } from '../viewAccess';

/** What the routes of a registry view need from the router. */
export interface ViewRouteContext {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  authorizer: ArtifactAuthorizer;
  serve: ServeViews;
}

/** The HTTP side every registry view shares: access, documents and files. */
export interface ViewHttp {
  serve: ServeViews;
  logger: LoggerService;
  /**
   * The caller's access; challenges for basic credentials when there are
   * none, since pip, Maven and container clients send them only then.
   */
  access(req: Request, res: Response): Promise<ServeAccess>;
  sendDocument(res: Response, document: ServedDocument): void;
  /** A stored file: HEAD answers its size, GET streams it. */
  sendFile(req: Request, res: Response, file: ServedFile): Promise<void>;
  sendContent(req: Request, res: Response, content: ServedContent): Promise<void>;
}

/**
 * The routes of one ecosystem's registry view, under path prefixes of the
 * plugin's router that authenticate their callers themselves.
 */
export interface ViewRoutes {
  /** Path prefixes, e.g. `/npm`. */
  paths: string[];
  add(router: express.Router, http: ViewHttp): void;
}

/**
 * The routes of a registry view that clients look for at the backend's
 * origin rather than under the plugin's path (OCI's `/v2/`): a router of
 * their own, mounted on the root router at `mount`, authenticating callers
 * themselves.
 */
export interface RootViewRoutes {
  /** Where the root router mounts them, e.g. `/v2`. */
  mount: string;
  add(router: express.Router, http: ViewHttp): void;
}

/** The shared HTTP side of the views over the router's services. */
export function createViewHttp(ctx: ViewRouteContext): ViewHttp {
  const sendDocument = (res: Response, document: ServedDocument) => {
    res.type(document.contentType).send(document.body);
  };
  const sendFile = async (req: Request, res: Response, file: ServedFile) => {
    res.type(file.contentType);
    // Whether the bytes were checked against a digest the upstream declared.
    res.setHeader('x-backpack-verified', String(file.verified));
    if (req.method === 'HEAD') {
      res.setHeader('content-length', await file.size());
      res.end();
      return;
    }
    const { body, size } = await file.open();
    res.setHeader('content-length', size);
    await sendStream(req, res, body, ctx.logger);
  };
  return {
    serve: ctx.serve,
    logger: ctx.logger,
    access: (req, res) =>
      viewAccessFor(req, {
        httpAuth: ctx.httpAuth,
        authorizer: ctx.authorizer,
        isPublic: ctx.serve.public,
        onUnauthenticated: () => res.setHeader('WWW-Authenticate', 'Basic realm="Backpack"'),
      }),
    sendDocument,
    sendFile,
    sendContent: async (req, res, content) => {
      if (content.kind === 'document') sendDocument(res, content);
      else await sendFile(req, res, content);
    },
  };
}
