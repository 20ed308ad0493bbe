/**
 * OpenFeature wiring: provider selection, the snapshot refresh, and the admin updates
 * (README.md, "Feature flags (OpenFeature)").
 *
 * - `memory` (default): `TypedInMemoryProvider` seeded with the defaults; the admin API rewrites it.
 * - `flagd`: `@openfeature/flagd-provider`, imported lazily (it loads gRPC, ≈ 200 ms) and configured by
 *   its own `FLAGD_*` variables; `FLAGD_RESOLVER=in-process` + `FLAGD_OFFLINE_FLAG_SOURCE_PATH` works offline.
 *
 * The snapshot is refreshed on the provider's Ready and ConfigurationChanged events and by a fallback
 * poll every `FLAGS_REFRESH_MS`. Flags are non-critical: a provider that is not ready by
 * `FLAGS_INIT_TIMEOUT_MS` leaves the defaults in place (`warn flags_provider_not_ready`).
 */
import { randomUUID } from 'node:crypto';
import { OpenFeature, ProviderEvents, TypedInMemoryProvider } from '@openfeature/server-sdk';
import type { Client, Provider } from '@openfeature/server-sdk';
import type { Config, FlagsProviderName } from '../config.ts';
import type { Logger } from '../log.ts';
import { changedKeys, defaultFlags, snapshotOf } from './flags.ts';
import type { FlagSnapshot, FlagValues } from './flags.ts';

/** Thrown by `update`/`reset` when flags are owned by flagd (HTTP 409 `flags_managed_by_flagd`). */
export class FlagsManagedByFlagdError extends Error {
  constructor() {
    super('flags are managed by flagd; change them in the flag source');
    this.name = 'FlagsManagedByFlagdError';
  }
}

function inMemoryConfiguration(values: FlagValues) {
  return {
    metrics_enabled: { variants: { on: true, off: false }, defaultVariant: values.metrics_enabled ? 'on' : 'off', disabled: false },
    greeting: { variants: { value: values.greeting }, defaultVariant: 'value', disabled: false },
  } as const;
}

/** Flags for the request path (`snapshot`) and the admin API (`update`, `reset`). */
export class FlagService {
  readonly providerName: FlagsProviderName;
  /** Read by every request: replaced whole, never mutated. */
  snapshot: FlagSnapshot;
  readonly #config: Config;
  readonly #log: Logger;
  readonly #defaults: FlagValues;
  // Each service instance gets its own OpenFeature domain, so instances (tests) never share a provider.
  readonly #domain = `sample-service-${randomUUID()}`;
  #client: Client | undefined;
  #provider: Provider | undefined;
  #memory: TypedInMemoryProvider | undefined;
  #memoryValues: FlagValues;
  #poll: NodeJS.Timeout | undefined;
  #started = 0;
  #applied = 0;

  constructor(config: Config, log: Logger) {
    this.providerName = config.flagsProvider;
    this.#config = config;
    this.#log = log;
    this.#defaults = defaultFlags(config.enableMetrics);
    this.#memoryValues = { ...this.#defaults };
    this.snapshot = snapshotOf(this.#defaults);
  }

  /**
   * Creates and registers the provider; resolves once it is ready or `FLAGS_INIT_TIMEOUT_MS` has
   * passed (never rejects: on failure or timeout the defaults stay in place and a warning is logged).
   */
  async init(): Promise<void> {
    try {
      this.#provider = await this.#createProvider();
    } catch (error) {
      this.#log.warn('flags_provider_not_ready', { provider: this.providerName, err: error });
      return;
    }
    const client = OpenFeature.getClient(this.#domain);
    this.#client = client;
    const refresh = (): void => void this.refresh();
    client.addHandler(ProviderEvents.Ready, refresh);
    client.addHandler(ProviderEvents.ConfigurationChanged, refresh);
    this.#poll = setInterval(refresh, this.#config.flagsRefreshMs).unref();

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), this.#config.flagsInitTimeoutMs); });
    try {
      const outcome = await Promise.race([OpenFeature.setProviderAndWait(this.#domain, this.#provider).then(() => 'ready' as const), deadline]);
      if (outcome === 'timeout') this.#log.warn('flags_provider_not_ready', { provider: this.providerName, reason: 'timeout', timeout_ms: this.#config.flagsInitTimeoutMs });
      else await this.refresh();
    } catch (error) {
      this.#log.warn('flags_provider_not_ready', { provider: this.providerName, err: error });
    } finally {
      clearTimeout(timer);
    }
  }

  async #createProvider(): Promise<Provider> {
    if (this.providerName === 'flagd') {
      // Lazy: the flagd provider pulls in gRPC; services on the in-memory provider never load it.
      const { FlagdProvider } = await import('@openfeature/flagd-provider');
      return new FlagdProvider();
    }
    this.#memory = new TypedInMemoryProvider(inMemoryConfiguration(this.#memoryValues));
    return this.#memory;
  }

  /**
   * Evaluates every flag once and swaps the snapshot when a value changed (logs `flags_changed`
   * with the changed keys and their new values; no flag here is secret). Concurrent refreshes are
   * ordered: a slower, older evaluation never overwrites a newer one.
   */
  async refresh(): Promise<FlagSnapshot> {
    const client = this.#client;
    if (!client) return this.snapshot;
    const sequence = ++this.#started;
    const [metricsEnabled, greeting] = await Promise.all([
      client.getBooleanValue('metrics_enabled', this.#defaults.metrics_enabled),
      client.getStringValue('greeting', this.#defaults.greeting),
    ]);
    if (sequence < this.#applied) return this.snapshot;
    this.#applied = sequence;
    const next: FlagValues = { metrics_enabled: metricsEnabled, greeting };
    const changed = changedKeys(this.snapshot.values, next);
    if (changed.length > 0) {
      this.snapshot = snapshotOf(next);
      this.#log.info('flags_changed', { provider: this.providerName, changed, values: Object.fromEntries(changed.map((k) => [k, next[k]])) });
    }
    return this.snapshot;
  }

  /**
   * Applies a partial update to the in-memory provider and returns the snapshot the next request
   * will see. @throws FlagsManagedByFlagdError when the provider is flagd.
   */
  async update(patch: Partial<FlagValues>): Promise<FlagSnapshot> {
    const memory = this.#requireMemory();
    this.#memoryValues = { ...this.#memoryValues, ...patch };
    memory.putConfiguration(inMemoryConfiguration(this.#memoryValues));
    return this.refresh();
  }

  /** Restores the defaults (in-memory provider only). @throws FlagsManagedByFlagdError */
  async reset(): Promise<FlagSnapshot> {
    return this.update(this.#defaults);
  }

  #requireMemory(): TypedInMemoryProvider {
    if (this.providerName === 'flagd') throw new FlagsManagedByFlagdError();
    if (!this.#memory) throw new Error('flags provider is not initialised yet');
    return this.#memory;
  }

  /** Stops the poll and closes the provider (flagd: its file watch or gRPC stream). */
  async close(): Promise<void> {
    clearInterval(this.#poll);
    await this.#provider?.onClose?.();
  }
}
