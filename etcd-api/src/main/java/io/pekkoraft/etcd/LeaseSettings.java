package io.pekkoraft.etcd;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How leases expire ({@code pekko-raft.etcd.lease}, with the Raft timing it derives from): see this module's
 * reference.conf.
 *
 * @param minTtlSeconds the smallest TTL granted: a grant asking less gets this one, as etcd raises it to its
 *     minimum (one and a half election timeouts, {@code election-timeout-min}, rounded up to whole seconds)
 * @param leaderExtension what a new leader adds to every lease's TTL before it may expire any: the longest
 *     election ({@code election-timeout-max}), so that a lease kept alive across a leader change does not expire
 * @param checkInterval how often the leader looks for expired leases
 * @param revokeRetry after how long a proposed revocation not yet applied is proposed again
 * @param askTimeout how long a service waits for the leader's lessor ({@code pekko-raft.client.ask-timeout})
 */
record LeaseSettings(long minTtlSeconds, Duration leaderExtension, Duration checkInterval, Duration revokeRetry,
    Duration askTimeout) {

  /** etcd's largest TTL ({@code MaxLeaseTTL}, 9,000,000,000 s); more is refused with "too large lease TTL". */
  static final long MAX_TTL_SECONDS = 9_000_000_000L;

  LeaseSettings {
    if (minTtlSeconds < 1) throw new IllegalArgumentException("the minimum lease TTL must be 1 s or more");
    if (checkInterval.isNegative() || checkInterval.isZero()) {
      throw new IllegalArgumentException(EtcdSettings.PATH + ".lease.check-interval must be positive");
    }
    if (revokeRetry.isNegative() || revokeRetry.isZero()) {
      throw new IllegalArgumentException(EtcdSettings.PATH + ".lease.revoke-retry must be positive");
    }
  }

  static LeaseSettings fromConfig(Config config) {
    Duration electionMin = config.getDuration("pekko-raft.election-timeout-min");
    long minTtl = Math.max(1, (electionMin.toMillis() * 3 / 2 + 999) / 1000);
    Config c = config.getConfig(EtcdSettings.PATH + ".lease");
    return new LeaseSettings(minTtl, config.getDuration("pekko-raft.election-timeout-max"),
        c.getDuration("check-interval"), c.getDuration("revoke-retry"),
        config.getDuration("pekko-raft.client.ask-timeout"));
  }
}
