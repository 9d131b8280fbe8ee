import { InputError } from '@backstage/errors';
import { BackpackProcessor } from './types';

/**
 * The processors known to this backend: the built-in ones and those added by
 * modules through the extension point.
 */
export class ProcessorRegistry {
  private readonly processors = new Map<string, BackpackProcessor>();

  add(processor: BackpackProcessor): void {
    if (this.processors.has(processor.name)) {
      throw new Error(`A Backpack processor named '${processor.name}' is already registered`);
    }
    this.processors.set(processor.name, processor);
  }

  has(name: string): boolean {
    return this.processors.has(name);
  }

  /** The processor, or undefined. */
  find(name: string): BackpackProcessor | undefined {
    return this.processors.get(name);
  }

  /** The processor; an InputError naming the field when unknown. */
  get(name: string, field = 'processor'): BackpackProcessor {
    const processor = this.processors.get(name);
    if (!processor) {
      const known = [...this.processors.keys()].join(', ') || 'none';
      throw new InputError(`${field}: unknown processor '${name}' (known: ${known})`);
    }
    return processor;
  }

  list(): BackpackProcessor[] {
    return [...this.processors.values()];
  }
}
