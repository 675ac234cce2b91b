package io.pekkoraft.benchmarks;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.pekkoraft.consensus.RaftException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One client count of W1: {@code clients} closed-loop clients, each on its own thread with its own client
 * object, submit one command, wait for its reply, submit the next, through a warm-up and then the measured
 * window. An op counts when its reply arrives inside the window; its latency is taken with
 * {@link System#nanoTime()} on the client thread, from just before the submit to just after the reply.
 */
final class ThroughputPhase {

  /** What one client count produced. {@code acknowledged} and {@code unknownOutcome} include the warm-up. */
  record Result(int clients, double measureSeconds, LatencySummary latencies, long errors, long orderViolations,
      long acknowledged, long unknownOutcome) {

    double opsPerSecond() {
      return latencies.count() / measureSeconds;
    }

    Map<String, Object> fields() {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("clients", clients);
      f.put("ops", latencies.count());
      f.put("ops_per_s", round(opsPerSecond(), 1));
      f.put("p50_ms", millis(latencies.p50Nanos()));
      f.put("p99_ms", millis(latencies.p99Nanos()));
      f.put("max_ms", millis(latencies.maxNanos()));
      f.put("mean_ms", round(latencies.meanNanos() / 1e6, 3));
      f.put("errors", errors);
      f.put("order_violations", orderViolations);
      return f;
    }
  }

  private ThroughputPhase() {}

  static Result run(ClientPath path, int clients, W1Options options) throws InterruptedException {
    List<ClientTally> tallies = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    List<ClientPath.Client> clientObjects = new ArrayList<>();
    CountDownLatch ready = new CountDownLatch(clients);
    CountDownLatch go = new CountDownLatch(1);
    long[] window = new long[2]; // start and end of the measured window, set before go opens
    for (int id = 0; id < clients; id++) {
      ClientTally tally = new ClientTally();
      tallies.add(tally);
      ClientPath.Client client = path.newClient();
      clientObjects.add(client);
      Register.Add command = Register.command(id, options.payloadBytes());
      Thread thread = new Thread(() -> {
        ready.countDown();
        try {
          go.await();
          closedLoop(client, command, tally, window[0], window[1]);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "w1-client-" + clients + "-" + id);
      threads.add(thread);
      thread.start();
    }
    ready.await();
    long start = System.nanoTime();
    window[0] = start + TimeUnit.SECONDS.toNanos(options.warmupSeconds());
    window[1] = window[0] + TimeUnit.SECONDS.toNanos(options.measureSeconds());
    go.countDown();
    for (Thread thread : threads) thread.join();
    for (ClientPath.Client client : clientObjects) client.close();

    long errors = 0;
    long violations = 0;
    long acknowledged = 0;
    long unknown = 0;
    for (ClientTally t : tallies) {
      errors += t.errors();
      violations += t.orderViolations();
      acknowledged += t.acknowledged();
      unknown += t.unknownOutcome();
    }
    return new Result(clients, options.measureSeconds(), LatencySummary.of(tallies), errors, violations, acknowledged, unknown);
  }

  /** Submit, wait, repeat, until the window has ended; the request in flight at its end still completes. */
  private static void closedLoop(ClientPath.Client client, Register.Add command, ClientTally tally, long windowStart,
      long windowEnd) throws InterruptedException {
    while (System.nanoTime() - windowEnd < 0) {
      long sent = System.nanoTime();
      try {
        // The client's own deadline (pekko-raft.client.ask-timeout) completes the stage first; this bound
        // only keeps a lost completion from hanging the benchmark.
        long value = client.submit(command).toCompletableFuture().get(BenchCluster.STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        long received = System.nanoTime();
        tally.reply(value, received - sent, inWindow(received, windowStart, windowEnd));
      } catch (ExecutionException | TimeoutException e) {
        long failed = System.nanoTime();
        tally.error(inWindow(failed, windowStart, windowEnd), outcomeUnknown(e));
      }
    }
  }

  private static boolean inWindow(long at, long windowStart, long windowEnd) {
    return at - windowStart >= 0 && at - windowEnd <= 0;
  }

  /**
   * NotLeader and Rejected mean "not applied", and so do the gateway's status codes for a command refused
   * before or without being applied; anything else (a timeout, UNAVAILABLE, DEADLINE_EXCEEDED, a lost
   * connection) may have been applied.
   */
  static boolean outcomeUnknown(Exception e) {
    Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
    while (cause instanceof CompletionException && cause.getCause() != null) cause = cause.getCause();
    if (cause instanceof StatusRuntimeException status) return !NOT_APPLIED.contains(status.getStatus().getCode());
    return !(cause instanceof RaftException.NotLeader || cause instanceof RaftException.Rejected);
  }

  /**
   * The gateway's codes for a command that was surely not applied (pekkoraft/v1/raft.proto). Not
   * FAILED_PRECONDITION: an expired session is one, and RaftClient's SessionExpired counts as unknown too.
   */
  private static final Set<Status.Code> NOT_APPLIED = EnumSet.of(Status.Code.ABORTED, Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND, Status.Code.RESOURCE_EXHAUSTED, Status.Code.UNAUTHENTICATED,
      Status.Code.PERMISSION_DENIED, Status.Code.UNIMPLEMENTED);

  static double millis(long nanos) {
    return round(nanos / 1e6, 3);
  }

  static double round(double value, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round(value * scale) / scale;
  }
}
