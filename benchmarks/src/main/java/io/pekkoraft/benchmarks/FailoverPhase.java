package io.pekkoraft.benchmarks;

import io.pekkoraft.benchmarks.W1Options.FailoverMode;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.testkit.TestNetwork;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The failover part of W1. Each trial runs on a fresh cluster (new directories, new ports): wait for a
 * leader, make 200 writes, then at t0 take the leader away and submit one write through a client that
 * retries every millisecond; {@code failover_ms} is t0 until that write is acknowledged.
 *
 * <ul>
 *   <li>{@code stop}: t0 is the call that terminates the leader's ActorSystem (CoordinatedShutdown runs,
 *       as on a graceful stop of the process).
 *   <li>{@code crash}: t0 is the moment every Raft message from and to the leader starts being dropped
 *       ({@link TestNetwork#isolate}); its ActorSystem is terminated right after. No hand-over is possible.
 * </ul>
 *
 * Whether a graceful stop hands leadership over is judged by when the new leader appears: without a
 * hand-over no follower can start an election before its election timeout runs out, at the earliest
 * {@code election-timeout-min - heartbeat-interval} after t0 (the last heartbeat came at most one
 * interval before t0). A new leader sooner than that was handed over.
 */
final class FailoverPhase {

  static final int WRITES_BEFORE = 200;
  /** The failover client's deadline per request: a request sent to the departed leader is given up soon. */
  static final Duration FAILOVER_ASK_TIMEOUT = Duration.ofMillis(50);
  /** The pause between two attempts of the failover client. */
  static final Duration RETRY_PAUSE = Duration.ofMillis(1);
  /** Bound on one failover: far above any election, so only a cluster that never recovers hits it. */
  static final Duration FAILOVER_BOUND = Duration.ofSeconds(30);

  /** One trial: the measured failover, when the new leader appeared, and how it got there. */
  record Trial(FailoverMode mode, double failoverMs, double newLeaderMs, String oldLeader, long oldTerm,
      String newLeader, long newTerm, List<RaftRole> newLeaderRoles, boolean handedOver, int attempts,
      Map<String, Integer> failures) {

    Map<String, Object> fields() {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("mode", mode.flagName());
      f.put("failover_ms", failoverMs);
      f.put("new_leader_ms", newLeaderMs);
      f.put("old_leader", oldLeader);
      f.put("old_term", oldTerm);
      f.put("new_leader", newLeader);
      f.put("new_term", newTerm);
      f.put("new_leader_roles", newLeaderRoles.stream().map(Enum::name).toList());
      f.put("handed_over", handedOver);
      // A write acknowledged before any new leader existed was committed by the departing leader itself.
      f.put("acked_by_old_leader", failoverMs < newLeaderMs);
      f.put("attempts", attempts);
      f.put("failed_attempts", failures);
      return f;
    }
  }

  private FailoverPhase() {}

  /**
   * One trial on a fresh cluster with its journals under {@code dataDir}. {@code onStarted} sees the
   * cluster once it is up (the first trial prints the settings from it).
   */
  static Trial trial(FailoverMode mode, Path dataDir, W1Options options, ClusterListener onStarted) throws Exception {
    TestNetwork network = new TestNetwork();
    try (BenchCluster cluster = BenchCluster.start(dataDir, network, options.nodeConfig())) {
      onStarted.started(cluster);
      cluster.roles().awaitLeader(BenchCluster.STEP_TIMEOUT);
      ClientPath path = new RaftClientPath(cluster.clientSystem());
      ClientPath.Client writer = path.newClient();
      Register.Add command = Register.command(0, options.payloadBytes());
      for (int i = 0; i < WRITES_BEFORE; i++) {
        writer.submit(command).toCompletableFuture().get(BenchCluster.STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
      RoleWatch.Seen leader = cluster.roles().latestLeader();
      String leaderId = leader.change().memberId();
      long term = leader.change().term();
      // The client that made the 200 writes, with a short deadline: it knows the members and the leader.
      ClientPath.Client failoverClient = writer.withAskTimeout(FAILOVER_ASK_TIMEOUT);
      Register.Add failoverCommand = Register.command(1, options.payloadBytes());

      long t0 = System.nanoTime();
      if (mode == FailoverMode.CRASH) network.isolate(leaderId);
      cluster.terminate(leaderId);
      Map<String, Integer> failures = new TreeMap<>();
      int attempts = submitUntilAcknowledged(failoverClient, failoverCommand, t0, failures);
      long acknowledged = System.nanoTime();

      RoleWatch.Seen next = cluster.roles().awaitLeaderAfter(term, t0, BenchCluster.STEP_TIMEOUT);
      long earliestElection = cluster.memberConfig().getDuration("pekko-raft.election-timeout-min").toNanos()
          - cluster.memberConfig().getDuration("pekko-raft.heartbeat-interval").toNanos();
      long newLeaderNanos = next.atNanos() - t0;
      String newLeader = next.change().memberId();
      return new Trial(mode, ThroughputPhase.millis(acknowledged - t0), ThroughputPhase.millis(newLeaderNanos), leaderId,
          term, newLeader, next.change().term(), cluster.roles().rolesOf(newLeader, t0), newLeaderNanos < earliestElection,
          attempts, failures);
    }
  }

  /** Called with each trial's cluster once it is up. */
  interface ClusterListener {
    void started(BenchCluster cluster) throws Exception;
  }

  /**
   * Submits until one attempt is acknowledged, pausing {@link #RETRY_PAUSE} after each failure, and counts the
   * failures by kind (the simple name of the exception).
   */
  private static int submitUntilAcknowledged(ClientPath.Client client, Register.Add command, long t0,
      Map<String, Integer> failures) throws Exception {
    int attempts = 0;
    while (true) {
      attempts++;
      try {
        client.submit(command).toCompletableFuture().get(BenchCluster.STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return attempts;
      } catch (ExecutionException | TimeoutException e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        failures.merge(cause.getClass().getSimpleName(), 1, Integer::sum);
        if (System.nanoTime() - t0 > FAILOVER_BOUND.toNanos()) {
          throw new IllegalStateException("no write acknowledged within " + FAILOVER_BOUND.toSeconds()
              + " s of the leader's departure (" + attempts + " attempts; last failure: " + e.getCause() + ")", e);
        }
        Thread.sleep(RETRY_PAUSE.toMillis());
      }
    }
  }

  /** The median of the trials (the mean of the two middle values for an even count). */
  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    if (n == 0) throw new IllegalArgumentException("no values");
    return n % 2 == 1 ? sorted.get(n / 2) : ThroughputPhase.round((sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2, 3);
  }
}
