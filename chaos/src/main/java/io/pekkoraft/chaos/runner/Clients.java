package io.pekkoraft.chaos.runner;

import io.pekkoraft.chaos.history.Event;
import io.pekkoraft.chaos.history.HistoryWriter;
import io.pekkoraft.chaos.kv.KvStateMachine;
import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.impl.client.ClientConnection;
import io.pekkoraft.consensus.impl.client.MemberRoute;
import io.pekkoraft.consensus.impl.client.RequestLoop;
import io.pekkoraft.consensus.protocol.ServerCommand;
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
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;

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
 *
 * <p>With {@code --routes shared} every client goes through the one {@link RaftClient}, whose leader hint they
 * share. With {@code --routes home} each client has a home node (client i the node i mod N, as a Jepsen client
 * is connected to one node) and a route of its own ({@link Home}): every command and LINEARIZABLE or LEASE read
 * is sent to its home node first, and from there where that node's NotLeader answer and the client's own
 * leader hint lead. A client at home on a leader cut off from its peers then keeps asking it, while the others
 * write through the new leader: the way a deposed leader's lease read reaches a client.
 */
final class Clients {

  /** The history's recorder, with counts of completions for the progress lines. */
  static final class Tally {
    final AtomicLong ok = new AtomicLong();
    final AtomicLong fail = new AtomicLong();
    final AtomicLong info = new AtomicLong();
    private final HistoryWriter history;
    private final LongSupplier now;

    Tally(HistoryWriter history, LongSupplier now) {
      this.history = history;
      this.now = now;
    }

    long total() {
      return ok.get() + fail.get() + info.get();
    }

    /** Timestamps and records an event under one lock, so that the history's lines are in time order. */
    Event record(LongFunction<Event> at) {
      synchronized (history) {
        Event event = at.apply(now.getAsLong());
        history.record(event);
        return event;
      }
    }

    /** Records a completion and counts it by its type. */
    Event complete(LongFunction<Event> completion) {
      Event completed = record(completion);
      switch (completed.type()) {
        case OK -> ok.incrementAndGet();
        case FAIL -> fail.incrementAndGet();
        default -> info.incrementAndGet();
      }
      return completed;
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
  final Tally tally;
  private final AtomicBoolean running = new AtomicBoolean(true);
  /** The next process id for one-off operations (the final reads): above every client's. */
  private final AtomicInteger nextSpareProcess = new AtomicInteger(1_000_000);
  private final List<Thread> threads = new ArrayList<>();
  /** With --routes home: each client's home node and route, by client index; empty with --routes shared. */
  private final List<Home> homes = new ArrayList<>();

  Clients(RaftClient<KvStateMachine.Command, KvStateMachine.Read, KvStateMachine.Result> client, HistoryWriter history,
      Workload workload, Duration timeout, ReadConsistency reads, long startNanos, int count, long seed) {
    this(client, history, workload, timeout, reads, startNanos, count, seed, List.of(), Duration.ofSeconds(2));
  }

  /**
   * @param homeNodes with --routes home, the nodes the clients are at home on in turn (client i on
   *     {@code homeNodes[i mod size]}); empty: every client goes through {@code client}'s shared route
   * @param attemptTimeout how long one attempt waits for an answer (the client system's
   *     {@code pekko-raft.session.attempt-timeout}): a silent home is passed over that long
   */
  Clients(RaftClient<KvStateMachine.Command, KvStateMachine.Read, KvStateMachine.Result> client, HistoryWriter history,
      Workload workload, Duration timeout, ReadConsistency reads, long startNanos, int count, long seed,
      List<String> homeNodes, Duration attemptTimeout) {
    this.client = client;
    if (!homeNodes.isEmpty()) {
      // The connection the RaftClient shares: its listing, and the request loop (outbox, session) the homes use.
      ClientConnection connection = (ClientConnection) client.route();
      for (int c = 0; c < count; c++) homes.add(new Home(connection, homeNodes.get(c % homeNodes.size()), attemptTimeout));
    }
    this.history = history;
    this.tally = new Tally(history, this::now);
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
      Thread thread = new Thread(() -> runClient(first), "chaos-client-" + c + (homes.isEmpty() ? "" : "@" + homes.get(c).node));
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
      Event.Type outcome = perform(process, workload.next(random), reads, homes.isEmpty() ? null : homes.get(index)).type();
      if (outcome == Event.Type.INFO) process += count;
    }
  }

  /** One operation by {@code process}: invoked, awaited, recorded. Returns the completion. */
  Event perform(int process, Workload.Op op) {
    return perform(process, op, reads, null);
  }

  /** {@code home}: the client's home and route (--routes home), or null for the shared route. */
  private Event perform(int process, Workload.Op op, ReadConsistency consistency, Home home) {
    Event invoke = tally.record(time -> Event.invoke(process, op.f(), op.key(), op.value(), time, op.id()));
    LongFunction<Event> completion;
    try {
      CompletionStage<KvStateMachine.Result> request = home != null ? home.request(op, consistency, timeout)
          : op.command() != null ? client.submit(op.command()) : client.read(op.query(), consistency);
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
    return tally.complete(completion);
  }

  /**
   * A linearizable read of one key (whatever --reads says) as its own process, tried again (as a new process each time) until it
   * succeeds or {@code within} passes. The value read, or an exception.
   */
  Object finalRead(String historyKey, String storeKey, Duration within) throws TimeoutException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      Event done = perform(nextSpareProcess.getAndIncrement(), Workload.read(historyKey, storeKey), ReadConsistency.LINEARIZABLE,
          null);
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

  /**
   * A client's home node and its own route (--routes home): its own leader hint and its own list of servers
   * that gave no answer lately, over the shared connection's listing of the members. Each command and
   * LINEARIZABLE or LEASE read is first sent to the home node, whatever happened to the one before (as a
   * client connected to one node does): a home that is paused costs each operation one attempt timeout.
   * FOLLOWER and STALE reads take the client's own route off the leader.
   */
  static final class Home {
    final String node;
    private final ClientConnection connection;
    private final MemberRoute own;

    Home(ClientConnection connection, String node, Duration attemptTimeout) {
      this.node = node;
      this.connection = connection;
      this.own = new MemberRoute(connection, System::nanoTime, attemptTimeout);
    }

    CompletionStage<KvStateMachine.Result> request(Workload.Op op, ReadConsistency consistency, Duration timeout) {
      RequestLoop requests = connection.requests();
      if (op.command() != null) return requests.command(op.command(), new FromHome(), timeout);
      RequestLoop.Route route = consistency == ReadConsistency.FOLLOWER || consistency == ReadConsistency.STALE
          ? own.forReads(consistency) : new FromHome();
      return requests.query(op.query(), consistency, route, timeout);
    }

    /** The route of one request: the home node first, then the client's own route. */
    private final class FromHome implements RequestLoop.Route {
      private volatile boolean homeAsked;

      @Override
      public ActorRef<ServerCommand> next() {
        if (!homeAsked) {
          homeAsked = true;
          ActorRef<ServerCommand> home = connection.usable(node, true);
          if (home != null) return home;
        }
        return own.next();
      }

      @Override
      public boolean notLeader(ActorRef<ServerCommand> asked, String leaderId) {
        return own.notLeader(asked, leaderId);
      }

      @Override
      public void served(ActorRef<ServerCommand> asked) {
        own.served(asked);
      }

      @Override
      public void noAnswer(ActorRef<ServerCommand> asked) {
        own.noAnswer(asked);
      }

      @Override
      public int hops() {
        return 1;
      }
    }
  }
}
