package io.pekkoraft.chaos.runner;

import io.pekkoraft.chaos.history.Event;
import io.pekkoraft.chaos.history.HistoryWriter;
import io.pekkoraft.chaos.kv.KvStateMachine;
import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.ReadConsistency;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * The concurrent clients: each a thread running one operation at a time through the {@link RaftClient}, and
 * recording its invoke and completion. The completion is {@code ok} with the result; {@code fail} when the
 * answer says it was not applied ({@link RaftException.NotLeader}, {@link RaftException.Rejected},
 * {@link RaftException.CommandFailed}: committed but refused, the state unchanged; or a cas that found another
 * value); {@code info} when the outcome is unknown ({@link RaftException.Timeout},
 * {@link RaftException.NoQuorum}, no answer). After an {@code info} the client goes on as a new process
 * (its id plus the number of clients), as Jepsen's do: the old process may still be in flight.
 *
 * <p>With client sessions on, the {@link RaftClient} itself retries commands of unknown outcome until the
 * deadline ({@code --timeout}), so each is one operation here: {@code info} only when the deadline passed.
 * With {@code --reads follower} the {@link RaftClient} sends the reads to the nodes other than the leader.
 */
final class Clients {

  /** Counts of completions, for the progress lines. */
  static final class Tally {
    final AtomicLong ok = new AtomicLong();
    final AtomicLong fail = new AtomicLong();
    final AtomicLong info = new AtomicLong();

    long total() {
      return ok.get() + fail.get() + info.get();
    }
  }

  private final RaftClient<KvStateMachine.Command, KvStateMachine.Read, KvStateMachine.Result> client;
  private final HistoryWriter history;
  private final Workload workload;
  private final Duration timeout;
  private final ReadConsistency reads;
  private final long startNanos;
  private final int count;
  private final long seed;
  final Tally tally = new Tally();
  private final AtomicBoolean running = new AtomicBoolean(true);
  /** The next process id for one-off operations (the final reads): above every client's. */
  private final AtomicInteger nextSpareProcess = new AtomicInteger(1_000_000);
  private final List<Thread> threads = new ArrayList<>();

  Clients(RaftClient<KvStateMachine.Command, KvStateMachine.Read, KvStateMachine.Result> client, HistoryWriter history,
      Workload workload, Duration timeout, ReadConsistency reads, long startNanos, int count, long seed) {
    this.client = client;
    this.history = history;
    this.workload = workload;
    this.timeout = timeout;
    this.reads = reads;
    this.startNanos = startNanos;
    this.count = count;
    this.seed = seed;
  }

  void start() {
    for (int c = 0; c < count; c++) {
      int first = c;
      Thread thread = new Thread(() -> runClient(first), "chaos-client-" + c);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  /** Lets every client finish its operation in flight, and waits for them. */
  void stop() throws InterruptedException {
    running.set(false);
    for (Thread thread : threads) thread.join(timeout.toMillis() + 15_000);
  }

  private void runClient(int index) {
    Random random = new Random(seed * 31 + index);
    int process = index;
    while (running.get()) {
      Event.Type outcome = perform(process, workload.next(random)).type();
      if (outcome == Event.Type.INFO) process += count;
    }
  }

  /** One operation by {@code process}: invoked, awaited, recorded. Returns the completion. */
  Event perform(int process, Workload.Op op) {
    return perform(process, op, reads);
  }

  private Event perform(int process, Workload.Op op, ReadConsistency consistency) {
    Event invoke = record(time -> Event.invoke(process, op.f(), op.key(), op.value(), time, op.id()));
    LongFunction<Event> completion;
    try {
      CompletionStage<KvStateMachine.Result> request = op.command() != null ? client.submit(op.command())
          : client.read(op.query(), consistency);
      // The client answers within its deadline; the margin only guards against a lost completion.
      KvStateMachine.Result result = request.toCompletableFuture().get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
      if (op.f().equals("cas") && !result.applied()) {
        completion = time -> invoke.complete(Event.Type.FAIL, op.value(), time, "cas found " + result.value());
      } else {
        completion = time -> invoke.complete(Event.Type.OK, Workload.okValue(op, result), time, null);
      }
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
      Event.Type type = definitelyNotApplied(cause) ? Event.Type.FAIL : Event.Type.INFO;
      completion = time -> invoke.complete(type, op.value(), time, describe(cause));
    } catch (TimeoutException e) {
      completion = time -> invoke.complete(Event.Type.INFO, op.value(), time, "no answer");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      completion = time -> invoke.complete(Event.Type.INFO, op.value(), time, "interrupted");
    }
    Event completed = record(completion);
    switch (completed.type()) {
      case OK -> tally.ok.incrementAndGet();
      case FAIL -> tally.fail.incrementAndGet();
      default -> tally.info.incrementAndGet();
    }
    return completed;
  }

  /** Timestamps and records an event under one lock, so that the history's lines are in time order. */
  private Event record(LongFunction<Event> at) {
    synchronized (history) {
      Event event = at.apply(now());
      history.record(event);
      return event;
    }
  }

  /**
   * A linearizable read of one key (whatever --reads says) as its own process, tried again (as a new process each time) until it
   * succeeds or {@code within} passes. The value read, or an exception.
   */
  Object finalRead(String historyKey, String storeKey, Duration within) throws TimeoutException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      Event done = perform(nextSpareProcess.getAndIncrement(), Workload.read(historyKey, storeKey), ReadConsistency.LINEARIZABLE);
      if (done.type() == Event.Type.OK) return done.value();
      try {
        Thread.sleep(200); // a pause between attempts while a leader is being elected
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new TimeoutException("no successful read of " + storeKey + " within " + within.toSeconds() + " s");
  }

  /**
   * After the faults: the ids of every add applied to {@code storeKey}, in the order applied, read with
   * linearizable reads, a page at a time (tried again until {@code within} passes). The clients have stopped,
   * so the list no longer grows; a list that changed between pages is read again from the start.
   */
  long[] appliedIds(String storeKey, Duration within) throws TimeoutException {
    long deadline = System.nanoTime() + within.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        long[] ids = null;
        int filled = 0;
        while (ids == null || filled < ids.length) {
          KvStateMachine.Result page = client.read(new KvStateMachine.Read(storeKey, filled)).toCompletableFuture()
              .get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
          if (ids == null) ids = new long[(int) page.idsTotal()];
          if (page.idsTotal() != ids.length) throw new IllegalStateException("the list of applied ids changed while read");
          System.arraycopy(page.ids(), 0, ids, filled, page.ids().length);
          filled += page.ids().length;
          if (page.ids().length == 0 && filled < ids.length) throw new IllegalStateException("an empty page");
        }
        return ids;
      } catch (ExecutionException | RuntimeException e) {
        last = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (TimeoutException e) {
        last = e;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new TimeoutException("no read of the applied ids of " + storeKey + " within " + within.toSeconds() + " s: " + last);
  }

  private static boolean definitelyNotApplied(Throwable cause) {
    return cause instanceof RaftException.NotLeader || cause instanceof RaftException.Rejected
        || cause instanceof RaftException.CommandFailed;
  }

  private static String describe(Throwable cause) {
    if (cause instanceof RaftException) return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    return String.valueOf(cause);
  }

  private long now() {
    return System.nanoTime() - startNanos;
  }

}
