import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  /** Configuration of the Backpack package mirror. */
  backpack?: {
    /**
     * When the scheduled mirror run re-discovers every tracked artifact.
     * Defaults to every 6 hours with a 3 hour timeout.
     */
    schedule?: SchedulerServiceTaskScheduleDefinitionConfig;

    /** Settings of the built-in processors, by processor name. */
    processors?: {
      /** The npm processor. */
      npm?: {
        /** Registry base URL. Defaults to https://registry.npmjs.org */
        registry?: string;
        /**
         * Other registries an artifact's own `registry` setting may name
         * (base URLs). Any other per-artifact registry is refused with 400.
         */
        allowedRegistries?: string[];
        /** Set to false to leave the built-in processor out. */
        enabled?: boolean;
      };
      /** The PyPI processor. */
      pypi?: {
        /** Index base URL (JSON API at <index>/pypi/...). Defaults to https://pypi.org */
        index?: string;
        /** `json` (the JSON API, default) or `simple` (PEP 691 JSON with PEP 658 metadata files). */
        api?: 'json' | 'simple';
        /** Other indexes an artifact's own `index` setting may name. */
        allowedIndexes?: string[];
        /** Hosts files download from besides the index; defaults to files.pythonhosted.org for pypi.org. */
        fileHosts?: string[];
        /** Target Python versions (e.g. `3.12`) for artifacts that set none; default: a documented list of CPython 3.8-3.13. */
        pythonVersions?: string[];
        /** Target wheel platform tags for artifacts that set none; default: linux, windows and macOS on x86_64 and arm64. */
        platforms?: string[];
        /** Mirror source distributions. Default true. */
        includeSdist?: boolean;
        /** Mirror yanked files. Default false. */
        includeYanked?: boolean;
        /** Set to false to leave the built-in processor out. */
        enabled?: boolean;
      };
      /** The Maven processor. */
      maven?: {
        /** Repository base URL. Defaults to https://repo.maven.apache.org/maven2 */
        repository?: string;
        /** Other repositories an artifact's own `repository` setting may name. */
        allowedRepositories?: string[];
        /** Set to false to leave the built-in processor out. */
        enabled?: boolean;
      };
      /** The OCI processor: container images and any OCI artifact. */
      oci?: {
        /**
         * Upstream registries by alias (the key, or `alias`), the first
         * component of artifact ids (`<alias>/<path>`). `docker.io` (Docker Hub), `ghcr.io`, `quay.io`
         * and `registry.k8s.io` are built in; an alias of the same name
         * replaces a built-in one. A configured registry is the operator's
         * host (it may resolve to internal addresses).
         */
        registries?: {
          [name: string]: {
            /**
             * The alias, when it is not the key: config keys cannot hold dots,
             * aliases may (`docker.io` to give Docker Hub credentials,
             * `registry.example.com`).
             */
            alias?: string;
            /** Base URL: scheme, host, port, optionally a path prefixed to every repository. */
            url: string;
            /** User name for the token realm (bearer flow) or basic auth. */
            username?: string;
            /**
             * Password or token for the user.
             * @visibility secret
             */
            password?: string;
            /**
             * Other hosts the registry sends clients to: its token realm and
             * blob storage (a CDN, a bucket). A token realm must be the
             * registry's own host or one of these; credentials go nowhere else.
             */
            hosts?: string[];
          };
        };
        /** Platforms (`os/arch[/variant]`) of image indexes for artifacts that name none. Default: every platform. */
        platforms?: string[];
        /** Mirror signatures, SBOMs and attestations (referrers API and the cosign tag scheme). Default true. */
        referrers?: boolean;
        /** Mirror non-distributable (foreign) layers. Default false: they are recorded as parked files. */
        includeForeignLayers?: boolean;
        /** Largest manifest read, in bytes. Default 4194304 (4 MiB, distribution's own limit). */
        maxManifestBytes?: number;
        /** Manifests and blobs one tag's closure may have. Default 10000. */
        maxObjectsPerVersion?: number;
        /** Tags read from one repository's listing. Default 100000. */
        maxTags?: number;
        /** Set to false to leave the built-in processor out. */
        enabled?: boolean;
      };
    };

    /** Politeness towards upstream registries during discovery. */
    upstream?: {
      /** Requests in flight at once per upstream host. Default 8. */
      maxConcurrencyPerHost?: number;
      /** Timeout of one request in milliseconds. Default 30000. */
      timeoutMs?: number;
      /** Retries on network errors, 5xx and 429. Default 3. */
      retries?: number;
      /** Base delay of the exponential backoff in milliseconds. Default 250. */
      backoffMs?: number;
      /** Longest wait a Retry-After header can ask for, in milliseconds. Default 60000. */
      maxRetryAfterMs?: number;
      /**
       * Largest metadata document (packument, project page, POM, checksum
       * file) read, in bytes after content decoding; a larger one fails its
       * artifact. Default 67108864 (64 MiB): the largest real packuments are
       * some tens of MiB, and a parsed document costs several times its size.
       */
      maxMetadataBytes?: number;
      /** Redirects followed per request, each checked against the allowed hosts. Default 5. */
      maxRedirects?: number;
      /** Time to establish a connection (TCP and TLS) in milliseconds. Default 10000. */
      connectTimeoutMs?: number;
      /**
       * Longest wait for response headers and between two body chunks, in
       * milliseconds, for discovery and collection. Default 30000.
       */
      idleTimeoutMs?: number;
    };

    /**
     * Hosts, besides the processors' configured upstreams, that any request
     * (discovery, metadata files, downloads, redirect hops) may go to, e.g. a
     * CDN that tarball URLs point at. Entries are host names, optionally with
     * a port (`files.example.com:8443`), or IP addresses. Hosts listed here
     * or named in a configured upstream URL may resolve to private, loopback
     * or link-local addresses (an internal mirror); built-in default
     * upstreams (registry.npmjs.org, pypi.org, files.pythonhosted.org, Maven
     * Central, when not configured) only ever to public ones.
     *
     * Backpack's URL reader reads every URL on these host names and the
     * upstreams' (on any port), ahead of Backstage's readers: a host listed
     * here is read without an integration's credentials even when
     * `integrations.*` names it. Other hosts are read only by Backstage's
     * readers (`backend.reading.allow`, `integrations.*`).
     */
    allowedHosts?: string[];

    /** Collection of files. */
    collection?: {
      /**
       * Files whose upstream declares no digest: `reject` (default) parks
       * them without downloading, with the error "upstream declares no
       * digest; …"; `allow` collects them and marks them `verified: false`
       * in the API, an `x-backpack-verified: false` header in the views and
       * the bundle manifest. After switching to `allow`, retry the parked
       * files.
       */
      unverifiedFiles?: 'reject' | 'allow';
      /**
       * Milliseconds a worker holds a file it collects without renewing
       * its lease (renewed every third of it while the file streams). A
       * crashed worker's files are queued again by another replica soon
       * after its leases ran out; those of a process on the same host that
       * no longer runs are taken back at startup at once. Default 30000,
       * at least 3000.
       */
      leaseMs?: number;
      /**
       * Downloads from one upstream host at once per replica, so one slow
       * host cannot hold every worker: further files of a saturated host
       * wait (without counting an attempt) while other hosts' files go
       * ahead. Default one less than `queue.concurrency` (at least 1), so
       * that a worker is always left to other hosts.
       */
      maxConcurrencyPerHost?: number;
      /**
       * Milliseconds a file parked after transient failures (network,
       * timeout, 5xx, 408, 429) waits before the collection sweep queues it
       * again with its attempts reset. A run queues such files again at
       * once when their artifact's upstream answers. Permanent failures
       * (other 4xx, refused hosts, integrity mismatches) stay parked until
       * `POST /retry`. Default 900000 (15 minutes).
       */
      parkedRetryAfterMs?: number;
      /**
       * Milliseconds a `GET /stats` answer (counts and bytes by processor
       * and status, an aggregate over every file) is reused for requests
       * with the same scope; concurrent requests share one computation.
       * 0 computes it for every request. Default 5000.
       */
      statsCacheMs?: number;
      /** Limits of each download. */
      download?: {
        /** Overall deadline of one download, headers and body, in seconds. Default 3600. */
        timeoutSeconds?: number;
        /**
         * Slowest average rate tolerated, in bytes per second over
         * `rateWindowSeconds`; a slower download fails (and is retried).
         * 0 turns the check off. Default 1024.
         */
        minBytesPerSecond?: number;
        /** Window the rate is measured over, in seconds. Default 30. */
        rateWindowSeconds?: number;
      };
    };

    /** Bounds on parsing what upstreams send; exceeding one fails that artifact. */
    limits?: {
      /** XML documents (POMs, maven-metadata.xml). */
      xml?: {
        /** Deepest element nesting. Default 64. */
        maxDepth?: number;
        /** Entity references expanded per document. Default 10000. */
        maxEntityExpansions?: number;
      };
      /** Maven `${…}` property interpolation. */
      maven?: {
        /** Characters a value may grow to by interpolation. Default 65536. */
        maxInterpolatedLength?: number;
        /** Characters produced by interpolation per effective POM. Default 16777216. */
        maxInterpolationWork?: number;
      };
      /** Reading package.json out of stored npm tarballs (registry view, bundles). */
      tarball?: {
        /** Bytes inflated while looking for it. Default 268435456 (256 MiB). */
        maxInflatedBytes?: number;
        /** Tar entries looked at while looking for it. Default 100000. */
        maxEntries?: number;
      };
    };

    /** The job queue that carries collect jobs. */
    queue?: {
      /**
       * Attempts per file before it is parked. Default 5. A file parked
       * after transient failures (network, timeout, 5xx, 408, 429) is
       * queued again later; see `collection.parkedRetryAfterMs`.
       */
      maxAttempts?: number;
      /**
       * Delays before the retries of a failed file, in milliseconds: retry
       * n waits `retryDelaysMs[n - 1]`, the last delay repeating, in both
       * queue drivers. Default [1000, 10000, 60000]. With RabbitMQ every
       * distinct delay is a TTL queue `<queue>.retry.<ms>`.
       */
      retryDelaysMs?: number[];
      /**
       * An upstream's Retry-After (on 429, 503, ...) is honoured as the
       * minimum delay of the next retry, up to this many milliseconds.
       * Default 3600000 (1 hour).
       */
      maxRetryAfterMs?: number;
      /** Files collected at once by this replica. Default 8. */
      concurrency?: number;
      /**
       * Minutes a queued file counts as in flight (waiting in the queue or
       * a retry delay): runs and sweeps queue it again only after that.
       * Default 60. At startup the in-process queue, whose jobs died with
       * the process, queues every uncollected file again at once.
       */
      requeueAfterMinutes?: number;
      /**
       * Use RabbitMQ instead of the in-process queue. Several backend
       * replicas then share the work.
       */
      rabbitmq?: {
        /**
         * AMQP URL, e.g. amqp://user:password@rabbitmq:5672/vhost
         * @visibility secret
         */
        url: string;
        /** Name of the work queue. Default `backpack.collect`. */
        queue?: string;
        /** Unacknowledged messages per consumer. Defaults to queue.concurrency. */
        prefetch?: number;
      };
    };

    /**
     * The read-only registry views native clients install from (`/npm`,
     * `/pypi/simple`, `/maven` under the plugin's path; OCI's `/v2/` at the
     * backend's origin).
     */
    serve?: {
      /**
       * Answer the views without credentials. Default false: callers send a
       * Backstage token, as a bearer token (npm's `_authToken`) or as the
       * password of basic auth (pip's `https://user:token@host/…`, Maven's
       * `<server>` credentials, `skopeo --creds token:<token>`), and need
       * `backpack.artifact.read`.
       */
      public?: boolean;
    };

    /** Bounds of what the REST API accepts. */
    api?: {
      /**
       * Largest JSON request body in bytes; a larger one is refused with
       * 400. Default 102400 (100 KiB), far above any request Backpack takes.
       */
      maxBodyBytes?: number;
      /**
       * Deepest nesting of objects and arrays in a JSON request body; a
       * deeper one is refused with 400 before it is validated. Default 32.
       */
      maxBodyDepth?: number;
    };

    /** Export bundles (`POST /exports`). */
    exports?: {
      /**
       * Exports this replica builds at once; further ones wait, queued.
       * Identical requests while one is queued or running share it.
       * Default 1.
       */
      maxConcurrentBuilds?: number;
      /**
       * Size of each part of a bundle's tar stream in bytes; the last part
       * is shorter. Default 1073741824 (1 GiB).
       */
      partSizeBytes?: number;
      /**
       * Seconds a build waits before it reads what was collected, so that
       * collections stamped before its cut-off (its start) have committed;
       * more than the clock skew between replicas. Default 5.
       */
      settleSeconds?: number;
      /** npm packuments in bundles. */
      npm?: {
        /**
         * Base URL of the tarball URLs in packuments, i.e. where the
         * bundle's `npm/` directory will be served. Default
         * `https://registry.npmjs.org/`, which npm replaces with the
         * configured registry's origin (`replace-registry-host`), so the
         * default works when `npm/` is served at the root of an origin.
         */
        tarballBaseUrl?: string;
      };
    };

    /** Where collected files are stored. Defaults to a local directory. */
    storage?: {
      /** Key prefix in front of the keys (`files/…`, `exports/…`) in S3, when `s3.prefix` is not set. Default none. */
      prefix?: string;
      /** The local-directory store, the embedded default. */
      local?: {
        /** Directory of the store. Defaults to `backpack-storage` in the working directory. */
        directory?: string;
      };
      /** Store in an S3 bucket instead of a local directory. */
      s3?: {
        bucket: string;
        /** Default us-east-1. */
        region?: string;
        /** Endpoint of an S3-compatible server. */
        endpoint?: string;
        /** Path-style addressing, needed by most S3-compatible servers. */
        forcePathStyle?: boolean;
        /** Key prefix in front of the keys (`files/…`, `exports/…`), e.g. `mirror/`. Default none. */
        prefix?: string;
        /** Create the bucket at startup when it does not exist. Default false. */
        createBucket?: boolean;
        /**
         * Bytes per part of a multipart upload, at least 5 MiB; a file no
         * larger is one PutObject. A replica buffers at most
         * `partSizeBytes × (queueSize + 1) × queue.concurrency` for uploads.
         * Default 5242880 (5 MiB).
         */
        partSizeBytes?: number;
        /** Parts of one upload in flight at once. Default 4 (as rclone). */
        queueSize?: number;
        /**
         * Sign request bodies without hashing them (`UNSIGNED-PAYLOAD`):
         * every byte is already hashed once against the upstream's digest,
         * and the SDK's payload signature would hash it again. Set to false
         * for a server that refuses unsigned payloads. Default true.
         */
        unsignedPayload?: boolean;
        /** Static credentials; the AWS default chain is used without them. */
        credentials?: {
          /** @visibility secret */
          accessKeyId: string;
          /** @visibility secret */
          secretAccessKey: string;
        };
      };
    };
  };
}
