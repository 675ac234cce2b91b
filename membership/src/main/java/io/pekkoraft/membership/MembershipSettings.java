package io.pekkoraft.membership;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;

/**
 * The membership module's settings, {@code pekko-raft.membership.coordinator} and
 * {@code pekko-raft.membership.cluster-bridge} (see the module's reference.conf for what each means).
 */
public record MembershipSettings(
    Duration operationTimeout, Duration promoteTimeout, Duration attemptTimeout, Duration retryInterval,
    Duration retryIntervalMax, int queueSizeMax,
    boolean bridgeEnabled, String bridgeRole, int targetVoters, Duration bridgeInterval,
    Optional<Duration> removeUnreachableAfter) {

  public MembershipSettings {
    positive("coordinator.operation-timeout", operationTimeout);
    positive("coordinator.promote-timeout", promoteTimeout);
    positive("coordinator.attempt-timeout", attemptTimeout);
    positive("coordinator.retry-interval", retryInterval);
    positive("cluster-bridge.interval", bridgeInterval);
    if (retryIntervalMax.compareTo(retryInterval) < 0) {
      throw new IllegalArgumentException("pekko-raft.membership.coordinator.retry-interval-max (" + retryIntervalMax
          + ") is below retry-interval (" + retryInterval + ")");
    }
    if (queueSizeMax < 0) {
      throw new IllegalArgumentException("pekko-raft.membership.coordinator.queue-size-max must be >= 0: " + queueSizeMax);
    }
    if (targetVoters < 1) {
      throw new IllegalArgumentException("pekko-raft.membership.cluster-bridge.target-voters must be >= 1: " + targetVoters);
    }
    removeUnreachableAfter.ifPresent(d -> positive("cluster-bridge.remove-unreachable-after", d));
  }

  public static MembershipSettings fromConfig(Config root) {
    Config c = root.getConfig("pekko-raft.membership.coordinator");
    Config b = root.getConfig("pekko-raft.membership.cluster-bridge");
    String removeAfter = b.getString("remove-unreachable-after");
    Optional<Duration> remove = removeAfter.equalsIgnoreCase("off") ? Optional.empty()
        : Optional.of(b.getDuration("remove-unreachable-after"));
    return new MembershipSettings(c.getDuration("operation-timeout"), c.getDuration("promote-timeout"),
        c.getDuration("attempt-timeout"), c.getDuration("retry-interval"), c.getDuration("retry-interval-max"),
        c.getInt("queue-size-max"), b.getBoolean("enabled"), b.getString("role"), b.getInt("target-voters"),
        b.getDuration("interval"), remove);
  }

  private static void positive(String key, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("pekko-raft.membership." + key + " must be positive: " + d);
    }
  }
}
