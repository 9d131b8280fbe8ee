/**
 * Sends a stored object as a response body, the one way every download
 * route does (registry views' files, export parts and manifests): a
 * client that goes away stops the read, and a read that fails after the
 * headers cuts the connection rather than leaving it hanging.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Pipes `body` into the response, whose status and headers are set already. */
export async function sendStream(
  req: Request,
  res: Response,
  body: Readable,
  logger: LoggerService,
): Promise<void> {
  try {
    await pipeline(body, res);
  } catch (error) {
    // The status is sent; all that is left is to cut the connection, which
    // pipeline did. Clients going away mid-download end here too.
    logger.info(`Sending ${req.originalUrl} stopped after the headers: ${error}`);
  }
}

/**
 * Answers 200 with `file` as a download the client saves as `filename`:
 * the headers every export download sends, then the body as
 * {@link sendStream} sends it.
 */
export async function sendAttachment(
  req: Request,
  res: Response,
  file: { size: number; body: Readable },
  download: { contentType: string; filename: string },
  logger: LoggerService,
): Promise<void> {
  res.status(200).set({
    'Content-Type': download.contentType,
    'Content-Length': String(file.size),
    'Content-Disposition': `attachment; filename="${download.filename}"`,
  });
  await sendStream(req, res, file.body, logger);
}
