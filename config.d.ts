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
        /**
         * Fetch full packuments for artifacts that do not say
         * (`fullMetadata` in their config). The abbreviated ones carry
         * neither licenses nor publication times, which the admission
         * checks `licenses` and `minimumReleaseAge` need. Default false.
         */
        fullMetadata?: boolean;
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
      /** The NuGet processor: packages from a NuGet v3 feed. */
      nuget?: {
        /** The feed's service index. Defaults to https://api.nuget.org/v3/index.json */
        serviceIndex?: string;
        /**
         * Project target frameworks whose nearest dependency group each
         * package contributes to the closure, e.g. `net8.0`, `netstandard2.0`,
         * `net48`. Default `net8.0`, `net6.0`, `netstandard2.0`, `net48`;
         * an artifact's `frameworks` config overrides it for its closure.
         */
        frameworks?: string[];
        /** Set to false to leave the built-in processor out. */
        enabled?: boolean;
      };
      /** The Composer processor: PHP packages from a Composer v2 repository. */
      composer?: {
        /** The repository (its `packages.json` names the `metadata-url`). Defaults to https://repo.packagist.org */
        repository?: string;
        /** Other repositories an artifact's own `repository` setting may name. */
        allowedRepositories?: string[];
        /**
         * Hosts dist archives download from besides the repositories';
         * defaults to api.github.com and codeload.github.com (where
         * Packagist's GitHub zipballs redirect) when the repository is
         * Packagist, none otherwise. Add gitlab.com, bitbucket.org or your
         * Git server for packages hosted there.
         */
        distHosts?: string[];
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
      /** The Cargo processor: Rust crates from a sparse registry. */
      cargo?: {
        /** Sparse index URL (where `config.json` and the index files are). Defaults to https://index.crates.io */
        index?: string;
        /** Other sparse indexes an artifact's own `index` setting may name. */
        allowedIndexes?: string[];
        /**
         * Hosts `.crate` files download from, when the `dl` of a registry's
         * config.json is on another host than its index and may resolve to
         * internal addresses (the operator's). A `dl` host name found in
         * config.json is otherwise let through as public-only (an IP address
         * never); list it here
         * too when collection runs on replicas that did not discover.
         * static.crates.io is built in for the default index.
         */
        downloadHosts?: string[];
        /**
         * Target triples (e.g. `x86_64-unknown-linux-gnu`) whose
         * target-specific dependencies are mirrored, for artifacts that set
         * none. Default: every target, which `cargo generate-lockfile` needs.
         */
        targets?: string[];
        /** Set to false to leave the built-in processor out. */
        enabled?: boolean;
      };
      /** Models, datasets and spaces of a Hugging Face Hub. */
      huggingface?: {
        /** The Hub's base URL (its API and `resolve` URLs). Defaults to https://huggingface.co */
        endpoint?: string;
        /**
         * Access token for gated and private repositories, sent as a
         * bearer token to the endpoint's host only, never to the hosts
         * downloads redirect to.
         * @visibility secret
         */
        token?: string;
        /**
         * Hosts the Hub redirects file downloads to (LFS and Xet storage),
         * allowed as the operator's (internal addresses too). Default, with
         * the default endpoint: cdn-lfs.huggingface.co, cdn-lfs.hf.co,
         * cdn-lfs-us-1.hf.co, cdn-lfs-eu-1.hf.co and cas-bridge.xethub.hf.co,
         * as public-only; none with another endpoint.
         */
        downloadHosts?: string[];
        /** Files listed per commit at most; a larger repository fails discovery. Default 10000. */
        maxFiles?: number;
        /** Set to false to leave the built-in processor out. */
        enabled?: boolean;
      };
      /**
       * External ("raw") processors: programs in any language speaking
       * Backpack's processor protocol (newline-delimited JSON over stdio,
       * see the README). Each entry becomes a processor of its own name.
       */
      external?: Array<{
        /** The processor's name: lowercase letters, digits and `-`, at most 40. */
        name: string;
        /** Shown in the processor listing; defaults to what the plugin's handshake says. */
        description?: string;
        /** Executable and arguments, run without a shell, e.g. `[python3, /opt/conda-processor.py]`. */
        command: string[];
        /**
         * The plugin's whole environment besides PATH, locale and temp
         * directories: nothing else of the backend's (no database, queue or
         * storage credentials) is passed on.
         * @visibility secret
         */
        env?: { [name: string]: string };
        /** Per request (a discovery), from the call to the answer. Default 60000. */
        timeoutMs?: number;
        /** Stop the plugin after this long without requests; 0 keeps it running. Default 300. */
        idleSeconds?: number;
        /** Between the polite stop (stdin closed) and the kill, at idle and shutdown. Default 5000. */
        graceMs?: number;
        /** From starting the plugin to its handshake answer. Default 10000. */
        startTimeoutMs?: number;
        /** Largest line either side may write. Default 16777216 (16 MiB). */
        maxMessageBytes?: number;
        /** Requests sent to the plugin at once; more wait. Default 8. */
        maxConcurrentRequests?: number;
        /**
         * Hosts the plugin's metadata (read through Backpack's `fetch`) and
         * files come from (`host`, `host:port` or base URLs), registered in the
         * host policy as the operator's.
         */
        allowedHosts?: string[];
        /**
         * `semver`, `pep440`, `maven`, `oci` or `nuget`: the version scheme the plugin
         * declares in its handshake, known ahead of its start (and checked
         * against it). Without it the scheme is learnt when the backend starts.
         */
        versionScheme?: string;
      }>;
      /** The Go modules processor. */
      go?: {
        /** GOPROXY base URL. Defaults to https://proxy.golang.org */
        proxy?: string;
        /** Other GOPROXYs an artifact's own `proxy` setting may name (base URLs). */
        allowedProxies?: string[];
        /**
         * A checksum database speaking sum.golang.org's protocol (e.g.
         * `https://sum.golang.org`), that the `h1:` hashes of every mirrored
         * zip and go.mod are compared with (a mismatch fails the version;
         * an unreachable database or an unknown module leaves them logged).
         * Unset by default: the hashes are logged only. Its host is the
         * operator's.
         */
        sumdb?: string;
        /** go.mod files one module graph may read. Default 10000. */
        maxGraphModules?: number;
        /**
         * Bytes of a module zip once unzipped. Default 524288000 (500 MiB, the
         * go command's own bound). Zips are hashed during discovery, read
         * under `backpack.upstream.maxMetadataBytes`.
         */
        maxUnzippedBytes?: number;
        /** Files in one module zip. Default 100000. */
        maxZipFiles?: number;
        /** Set to false to leave the built-in processor out. */
        enabled?: boolean;
      };
      /** The Helm processor: charts of chart repositories, with their subcharts and images. */
      helm?: {
        /**
         * Chart repositories by alias (the key, or `alias`): what a chart's
         * `repository` config and Chart.yaml dependencies (`@alias`, or the
         * URL) may name, and the `<alias>` of the Helm view
         * (`/api/backpack/helm/<alias>/index.yaml`) and of bundles
         * (`helm/<alias>/index.yaml`). A configured repository is the
         * operator's host (it may resolve to internal addresses). Charts in
         * OCI registries are named `oci://<registry>/<path>` and read from
         * the registries of `backpack.processors.oci.registries`.
         */
        repositories?: {
          [name: string]: {
            /** The alias, when it is not the key (config keys cannot hold dots); not `charts`. */
            alias?: string;
            /** Base URL of the repository, where its `index.yaml` is. */
            url: string;
          };
        };
        /** Largest chart archive read for its Chart.yaml and values.yaml, in bytes. Default 33554432 (32 MiB). */
        maxChartBytes?: number;
        /** Largest Chart.yaml or values.yaml read out of a chart, in bytes. Default 4194304 (4 MiB). */
        maxChartFileBytes?: number;
        /** Nodes of a values.yaml looked at for image references. Default 100000. */
        maxValuesNodes?: number;
        /** Set to false to leave the built-in processor out. */
        enabled?: boolean;
      };
      /** The GitHub releases processor: release assets of github.com or GitHub Enterprise repositories. */
      'github-releases'?: {
        /** REST API base URL. Default https://api.github.com; GitHub Enterprise: `https://<host>/api/v3`. */
        apiUrl?: string;
        /**
         * Token for the API (private repositories, a higher rate limit). Sent
         * only to the API's origin (scheme, host and port), never on a
         * redirect to another host. Without it, the token of the
         * `integrations.github` entry whose `apiBaseUrl` is `apiUrl` is used.
         * With a token, assets are downloaded through the API.
         * @visibility secret
         */
        token?: string;
        /**
         * Hosts release assets download from (redirect targets included).
         * Default for github.com: github.com, objects.githubusercontent.com,
         * release-assets.githubusercontent.com; none for another `apiUrl`,
         * whose own host is allowed.
         */
        downloadHosts?: string[];
        /** Mirror pre-releases of artifacts that do not say. Default false. */
        includePrereleases?: boolean;
        /** Pages of 100 releases read per repository (newest first). Default 10. */
        maxPages?: number;
        /** Largest checksum file (SHA256SUMS, checksums.txt, *.sha256) read, in bytes. Default 1048576. */
        maxChecksumBytes?: number;
        /** Set to false to leave the built-in processor out. */
        enabled?: boolean;
      };
      /** The files processor: plain URLs on `backpack.allowedHosts`, each with its sha256. */
      files?: {
        /** Largest checksum file read, in bytes. Default 1048576. */
        maxChecksumBytes?: number;
        /** Set to false to leave the built-in processor out. */
        enabled?: boolean;
      };
      /**
       * The Terraform / OpenTofu provider processor: providers from
       * registries speaking the provider registry protocol, artifact ids
       * `<hostname>/<namespace>/<type>`.
       */
      terraform?: {
        /**
         * Registries besides the built-in `registry.terraform.io` and
         * `registry.opentofu.org` (public addresses only): a host name,
         * reached over https, or `{ host, url }` where `host` is the name
         * in provider addresses and `url` where its
         * `/.well-known/terraform.json` is served. A configured registry is
         * the operator's host (it may resolve to internal addresses) and
         * replaces a built-in one of the same host.
         */
        registries?: Array<
          | string
          | {
              host: string;
              url?: string;
              /**
               * A token for a private registry, sent as a bearer token to requests to its `url`'s origin only.
               * @visibility secret
               */
              token?: string;
            }
        >;
        /**
         * Hosts packages and checksums may be downloaded from besides the
         * registries and the built-in `releases.hashicorp.com`,
         * `github.com`, `objects.githubusercontent.com` and
         * `release-assets.githubusercontent.com`.
         */
        downloadHosts?: string[];
        /**
         * Platforms (`<os>_<arch>`) mirrored for artifacts that name none.
         * Default `linux_amd64`; an artifact's `platforms` config overrides it.
         */
        platforms?: string[];
        /** Largest SHA256SUMS read, in bytes. Default 1048576 (1 MiB). */
        maxSumsBytes?: number;
        /** Largest SHA256SUMS signature read, in bytes. Default 65536. */
        maxSignatureBytes?: number;
        /** Set to false to leave the built-in processor out. */
        enabled?: boolean;
      };
    };

    /** Politeness towards upstream registries during discovery. */
    upstream?: {
      /** Requests in flight at once per upstream host. Default 8. */
      maxConcurrencyPerHost?: number;
      /**
       * Artifacts a run's or preview's walk discovers (or versions it
       * describes) at once, over all upstreams; each host is further held
       * to `maxConcurrencyPerHost`. A run that finds nothing new is bound
       * by the latency of these conditional requests. Default 16.
       */
      discoveryConcurrency?: number;
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
      /** The Terraform provider network mirror at `/terraform/`. */
      terraform?: {
        /**
         * Key of the time-limited package links of version documents
         * (Terraform sends no credentials for packages, so a protected view
         * links them signed). At least 32 characters, the same on every
         * replica; without it each process makes its own, and a link works
         * only on the replica that made it.
         * @visibility secret
         */
        archiveLinkSecret?: string;
        /** How long a package link works, in seconds. Default 600. */
        archiveLinkTtlSeconds?: number;
      };
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
      /** The NuGet feed in bundles. */
      nuget?: {
        /**
         * Where the far side serves the bundle's `nuget/` directory; the
         * bundle's service index (`nuget/v3/index.json`) names its flat
         * container there, since NuGet needs absolute URLs. Default
         * `http://localhost:8080/nuget/`.
         */
        feedBaseUrl?: string;
      };
      /** The Composer repository in bundles. */
      composer?: {
        /**
         * Where the far side serves the bundle's `composer/` directory; the
         * bundle's `packages.json` and p2 documents name the metadata and
         * the dists there, since Composer takes dist URLs as written.
         * Default `http://localhost:8080/composer/`.
         */
        repositoryUrl?: string;
      };
      /**
       * Signs every bundle's manifest: a detached SSH signature
       * (`manifest.json.sig`, namespace `backpack-bundle`) that
       * `ssh-keygen -Y verify` and `backpack-verify-bundle --key` check.
       */
      signing?: {
        /**
         * An Ed25519 private key: an unencrypted OpenSSH key file
         * (`ssh-keygen -t ed25519 -N ''`) or a PKCS#8 PEM
         * (`openssl genpkey -algorithm ed25519`), e.g. `$file: …`.
         * @visibility secret
         */
        privateKey: string;
      };
    };

    /** How Backpack talks to its database (Backstage's `backend.database` says where it is). */
    database?: {
      /**
       * Name the statements run once per collected file, so PostgreSQL
       * parses and plans them once per connection rather than per file.
       * Set to false behind a connection pooler in transaction mode that
       * cannot keep prepared statements (PgBouncer before 1.21, or without
       * `max_prepared_statements`). Default true.
       */
      preparedStatements?: boolean;
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
         * Bytes per part of a multipart upload, from 5242880 (5 MiB, S3's
         * minimum) to 5 GiB; a file no larger is one PutObject. Default
         * 5242880.
         *
         * What uploads hold in memory: one upload holds the parts in flight
         * plus the one being filled, `partSizeBytes × (queueSize + 1)`
         * (defaults: 5 MiB × 5 = 25 MiB), whatever the file's size; a
         * replica holds that times the files it collects at once,
         * `× backpack.queue.concurrency`, when all of them are larger than a
         * part (defaults: 25 MiB × 8 = 200 MiB; one 1 GiB file among small
         * ones: 25 MiB). Lower `queueSize` or the concurrency where memory
         * is tighter than that; a larger part only helps files over 48 GiB
         * (S3 allows 10,000 parts).
         */
        partSizeBytes?: number;
        /**
         * Parts of one upload in flight at once, 1 to 64. Default 4 (as
         * rclone); each adds `partSizeBytes` to what an upload holds.
         */
        queueSize?: number;
        /**
         * Sign request bodies without hashing them (`UNSIGNED-PAYLOAD`):
         * every byte is already hashed once against the upstream's digest,
         * and the SDK's payload signature would hash it again. Set to false
         * for a server that refuses unsigned payloads. Default true.
         */
        unsignedPayload?: boolean;
        /**
         * Send a small file's PutObject with the SDK's own endpoint, SigV4
         * signer and HTTP handler but without its per-request middleware
         * (about 2 ms of CPU per file); a put that path cannot complete is
         * sent again through the SDK. Set to false to send every put
         * through the SDK's full stack. Default true.
         */
        directPuts?: boolean;
        /** Static credentials; the AWS default chain is used without them. */
        credentials?: {
          /** @visibility secret */
          accessKeyId: string;
          /** @visibility secret */
          secretAccessKey: string;
        };
      };
    };
    /**
     * Admission: what may enter the mirror. Every version a run or a
     * preview would select is checked (the built-in checks below, then
     * those of modules and external plugins); a denied version is never
     * collected, served or exported, and one waiting for approval is
     * collected once approved (`POST …/versions/:version/approve`).
     * Artifacts may override these settings in their `admission` field.
     */
    admission?: {
      /** Versions never admitted, by processor and id (and a version range; every version without one). */
      deny?: Array<{ processor: string; id: string; versions?: string; reason?: string }>;
      /**
       * Versions admitted without the other built-in checks (exceptions);
       * the deny list still applies.
       */
      allow?: Array<{ processor: string; id: string; versions?: string }>;
      /**
       * What a version no allow entry names gets: `allow` (default), or
       * `deny` / `pending-approval` to make the allow list exclusive.
       */
      unlisted?: 'allow' | 'deny' | 'pending-approval';
      /** License policy over the SPDX expression a version declares. */
      licenses?: {
        /** SPDX ids admitted; when set, a license outside it is denied. */
        allow?: string[];
        /** SPDX ids denied. */
        deny?: string[];
        /** A missing or unparsable license: `allow` (default), `deny` or `pending-approval`. */
        unknown?: 'allow' | 'deny' | 'pending-approval';
      };
      /**
       * Cooldown: versions younger than this are denied (e.g. `3d`, `12h`,
       * `P3D`); a later run admits them. Default none.
       */
      minimumReleaseAge?: string;
      /** Versions with a file larger than this many bytes are denied. Default none. */
      maximumFileSize?: number;
      /** Yanked versions: `allow` (default), `deny` or `pending-approval`. */
      yanked?: 'allow' | 'deny' | 'pending-approval';
      /** Deprecated versions: `allow` (default), `deny` or `pending-approval`. */
      deprecated?: 'allow' | 'deny' | 'pending-approval';
      /**
       * Verdicts kept in memory, one per (artifact, version, policy
       * revision), about 160 bytes each. Default 100000. Keep it above the
       * versions a run selects: a smaller cache misses on all of them in
       * the next run, and each miss reads the version's stored facts and
       * files again.
       */
      cacheSize?: number;
      /**
       * Admission plugins in other processes (any language), speaking the
       * `backpack-admission` protocol over stdio (see the README); asked
       * after the built-in checks. A plugin that fails or hangs denies
       * the version for now (fail closed).
       */
      external?: Array<{
        /** Shown with its reasons; lowercase letters, digits and `-`. */
        name: string;
        /** Executable and arguments; no shell. */
        command: string[];
        /**
         * The plugin's environment besides PATH, locale and temp dirs.
         * @visibility secret
         */
        env?: { [name: string]: string };
        /** Per check. Default 30000. */
        timeoutMs?: number;
        /** Stop the plugin after this long without checks; 0 keeps it running. Default 300. */
        idleSeconds?: number;
        /** Between the polite stop and the kill at shutdown. Default 5000. */
        graceMs?: number;
        /** From spawning to the handshake. Default 10000. */
        startTimeoutMs?: number;
        /** Checks sent at once. Default 8. */
        maxConcurrentRequests?: number;
      }>;
    };
    /**
     * Change events on Backstage's events service (the README's "Change
     * events"); published only when the backend has an events service and
     * the events module is added (it is part of the default export).
     */
    events?: {
      /** Publish change events. Default true. */
      enabled?: boolean;
      /**
       * File outcomes are published in batches per run: a batch goes out
       * when it holds `batchSize` files, `flushSeconds` after its first
       * file, and when its run finishes.
       */
      files?: {
        /** Files per event at most. Default 100. */
        batchSize?: number;
        /** Seconds a file waits in a batch at most. Default 5. */
        flushSeconds?: number;
      };
      /**
       * Events waiting to be published (a slow subscriber) beyond which new
       * events are dropped, with a warning, rather than held in memory.
       * Default 10000.
       */
      maxPending?: number;
    };

    /**
     * The catalog module (`catalogModuleBackpackEntityProvider`, installed in
     * the catalog plugin): root artifacts as catalog entities, read over
     * Backpack's REST API with the catalog plugin's service token.
     */
    catalog?: {
      /** Entity ref of every entity's `spec.owner`. Default `group:default/platform`. */
      owner?: string;
      /** Entity ref of every entity's `spec.system`. Default none. */
      system?: string;
      /** Namespace of the entities. Default `default`. */
      namespace?: string;
      /**
       * When the full mutation replaces every entity with the current root
       * artifacts. Default every 10 minutes, with a 5 minute timeout.
       */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /**
       * When each backend instance sends what changed since its last
       * mutation (a delta: added, changed and removed entities). Default
       * every 30 seconds, scope `local`, since each instance diffs against
       * what it last applied.
       */
      deltaSchedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /** Root artifacts per request to `GET /artifacts` (at most 500, the default). */
      pageSize?: number;
      /**
       * More root artifacts than this fails the run and changes no entity,
       * rather than loading an unbounded list into memory. Default 100000.
       */
      maxArtifacts?: number;
      /**
       * Whether Backpack's change events (`backpack.artifact.*`,
       * `backpack.run.finished`) start a delta mutation at once. Default true.
       */
      events?: boolean;
    };
  };
}
