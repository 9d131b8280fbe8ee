import { PluginProcess } from './PluginProcess';

/** What the handshake needs of the host's options. */
export interface HandshakeOptions<Info> {
  protocol: string;
  protocolVersions: number[];
  handshakeParams?: Record<string, unknown>;
  parseHandshake?(result: Record<string, unknown>): Info;
}

/**
 * The first exchange with a fresh plugin: the host names its protocol and
 * the versions it speaks, the plugin answers with the version it chose and
 * what the protocol wants to know of it. Throws what keeps the plugin from
 * being used (no answer in time, another version, an answer the protocol's
 * parser refuses).
 */
export async function greet<Info>(
  process: PluginProcess,
  options: HandshakeOptions<Info>,
  startTimeoutMs: number,
): Promise<Info> {
  const { id, response } = process.send('handshake', {
    protocol: options.protocol,
    protocolVersions: options.protocolVersions,
    ...options.handshakeParams,
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      process.forget(id);
      reject(new Error(`no handshake within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
  });
  try {
    const result = await Promise.race([response, timeout]);
    if (!result || typeof result !== 'object' || Array.isArray(result)) {
      throw new Error('the handshake answer is not an object');
    }
    const answer = result as Record<string, unknown>;
    const version = answer.protocolVersion;
    if (typeof version !== 'number' || !options.protocolVersions.includes(version)) {
      throw new Error(
        `it speaks protocol version ${JSON.stringify(version)}, the host ${options.protocolVersions.join(', ')}`,
      );
    }
    return options.parseHandshake ? options.parseHandshake(answer) : (answer as unknown as Info);
  } finally {
    clearTimeout(timer);
  }
}
