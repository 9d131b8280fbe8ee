import { InputError } from '@backstage/errors';
import { BackpackProcessorContext, BackpackProcessorFactory } from './context';
import { BackpackProcessor } from './types';

/** How a processor was registered. */
export interface ProcessorRegistrationOptions {
  /**
   * Whether another registration of the same name replaces this one. The
   * built-in processors are replaceable, so a module can bring its own npm
   * processor; two processors that are not replaceable may not share a name.
   */
  replaceable?: boolean;
}

/**
 * The processors known to this backend: the built-in ones and those added by
 * modules through the extension point. Ready processors count at once;
 * factories wait for {@link ProcessorRegistry.create}, when the plugin has
 * the context (the gated upstream client) they are created with.
 *
 * The registry owns the rule of which processor wins a name: a replaceable
 * one (a built-in) yields to any other; two others clash.
 */
export class ProcessorRegistry {
  private readonly processors = new Map<string, BackpackProcessor>();
  private readonly replaceable = new Set<string>();
  private readonly factories: Array<{ factory: BackpackProcessorFactory; replaceable: boolean }> =
    [];
  private created = false;

  /** Adds a ready processor. */
  add(processor: BackpackProcessor, options: ProcessorRegistrationOptions = {}): void {
    const name = processor.name;
    const replaceable = options.replaceable ?? false;
    if (this.processors.has(name)) {
      if (!this.replaceable.has(name) && !replaceable) {
        throw new Error(`A Backpack processor named '${name}' is already registered`);
      }
      // The one already here stays unless it is the replaceable one.
      if (!this.replaceable.has(name)) return;
    }
    this.processors.set(name, processor);
    if (replaceable) this.replaceable.add(name);
    else this.replaceable.delete(name);
  }

  /**
   * Adds a processor to be created from the plugin's context when it
   * starts; the factory may return undefined to leave it out (e.g. when its
   * config disables it).
   */
  addFactory(factory: BackpackProcessorFactory, options: ProcessorRegistrationOptions = {}): void {
    if (this.created) {
      throw new Error('Backpack processor factories must be added before the plugin starts');
    }
    this.factories.push({ factory, replaceable: options.replaceable ?? false });
  }

  /** Creates the processors of the factories added so far; once. */
  create(context: BackpackProcessorContext): void {
    if (this.created) throw new Error('Backpack processors were created already');
    this.created = true;
    for (const { factory, replaceable } of this.factories) {
      const processor = factory(context);
      if (processor) this.add(processor, { replaceable });
    }
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
