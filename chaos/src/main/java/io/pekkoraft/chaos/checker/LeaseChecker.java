package io.pekkoraft.chaos.checker;

import java.util.ArrayList;
import java.util.List;

/**
 * The check of the etcd workload's leases: no lease (and no key attached to it) is gone while a keep-alive
 * acknowledged within its TTL says it lives. Pure; every time is nanoseconds on the driver's one monotonic
 * clock (the nodes run on the same machine, so their clocks run at its rate, paused or not).
 *
 * <p>A keep-alive (or the grant) sent at {@code s} and acknowledged with a TTL of {@code t} seconds was applied
 * by the leader at some {@code p >= s}, which then holds the lease until {@code p + t} at least (a new leader
 * extends every lease by more than its TTL). So the lease lives at least until {@code s + t}: an observation
 * that it is gone (a linearizable Get that found its key missing, a keep-alive answered TTL 0 or "lease not
 * found", a TimeToLive of -1), which took effect no later than its completion {@code c}, violates it when
 * {@code c < s + t} for any acknowledged keep-alive or grant of the lease, whenever that acknowledgement came.
 * Only the sending time counts: a member paused after applying a keep-alive delays its acknowledgement, not the
 * deadline.
 */
public final class LeaseChecker {

  private LeaseChecker() {}

  /** A grant or keep-alive sent at {@code sentNanos}, acknowledged at {@code ackNanos} with {@code ttlSeconds} > 0. */
  public record Ack(long sentNanos, long ackNanos, long ttlSeconds) {
    long guaranteedUntil() {
      return sentNanos + ttlSeconds * 1_000_000_000L;
    }
  }

  /** An observation that the lease (or its key) is gone: invoked at {@code invokeNanos}, answered at {@code completeNanos}. */
  public record Gone(long invokeNanos, long completeNanos, String how) {}

  /** One lease: its id, its key, the acknowledged grant and keep-alives, and the observations that it is gone. */
  public record Lease(long id, String key, List<Ack> acks, List<Gone> gone) {}

  public record Result(boolean holds, String summary, List<String> violations) {
    @Override
    public String toString() {
      return (holds ? "OK: " : "VIOLATED: ") + summary + (violations.isEmpty() ? "" : "; " + String.join("; ", violations));
    }
  }

  public static Result check(List<Lease> leases) {
    List<String> violations = new ArrayList<>();
    int acks = 0;
    int expired = 0;
    for (Lease lease : leases) {
      acks += lease.acks().size();
      if (!lease.gone().isEmpty()) expired++;
      Gone first = lease.gone().stream().min(java.util.Comparator.comparingLong(Gone::completeNanos)).orElse(null);
      if (first == null) continue;
      Ack latest = lease.acks().stream().max(java.util.Comparator.comparingLong(Ack::guaranteedUntil)).orElse(null);
      if (latest != null && first.completeNanos() < latest.guaranteedUntil()) {
        violations.add(String.format("lease %x (key %s) gone (%s, answered at %.3f s) while the keep-alive sent at %.3f s,"
            + " acknowledged at %.3f s with TTL %d s, holds it until %.3f s", lease.id(), lease.key(), first.how(),
            first.completeNanos() / 1e9, latest.sentNanos() / 1e9, latest.ackNanos() / 1e9, latest.ttlSeconds(),
            latest.guaranteedUntil() / 1e9));
      }
    }
    String summary = leases.size() + " leases, " + acks + " acknowledged grants and keep-alives, " + expired
        + " seen gone";
    return new Result(violations.isEmpty(), summary, List.copyOf(violations));
  }
}
