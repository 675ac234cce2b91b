package io.pekkoraft.chaos.runner;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.pekkoraft.chaos.checker.LeaseChecker;
import io.pekkoraft.chaos.checker.WatchChecker;
import io.pekkoraft.chaos.history.Event;
import io.pekkoraft.chaos.history.HistoryWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * The etcd workload's clients, each its own jetcd {@link Client} (endpoints: every member's gateway, or with
 * {@code --routes home} its home member's alone):
 *
 * <ul>
 *   <li>register clients: Put, linearizable Range (Get) and Txn-as-CAS (compare the value, then put; else get) on
 *       the keys {@value #KV_PREFIX}r0, r1, ... (three at a time, about {@value Workload#OPS_PER_KEY} operations each,
 *       as the register workload), values 0-4 as decimal text, recorded in the history as {@code read},
 *       {@code write} and {@code cas} of the register {@code rN}. A failed CAS completes {@code fail} with the value
 *       it found (a read of another value); a call that fails or times out after it was sent is {@code info}
 *       (a read: {@code fail}, reads change nothing). jetcd retries nothing ({@code retryMaxAttempts(0)}): each
 *       operation is one call, which the gateway applies at most once;
 *   <li>watchers: a watch on {@value #KV_PREFIX} from revision 1, kept by jetcd (which watches again on another
 *       member from its last revision + 1 when its stream fails, after telling the listener's onError); if jetcd
 *       closed the watch (an error it does not retry), the watcher starts it again itself from its last revision
 *       + 1. Every event is recorded in arrival order;
 *   <li>lease keepers: grant a lease of {@value #LEASE_TTL_SECONDS} s, put a key under it
 *       ({@value #LEASE_PREFIX}...), keep it alive with jetcd's {@code keepAliveOnce} every TTL / 3 and read the key
 *       (linearizable Get) after each; each grant and keep-alive is recorded with the driver's times of sending and
 *       acknowledgement (the streaming {@code keepAlive} hides when each request left, which the check needs). Once
 *       the lease is seen gone (its key missing, a keep-alive answered "lease not found"), a new lease is granted.
 * </ul>
 */
final class EtcdClients {

  static final String KV_PREFIX = "/chaos/kv/";
  static final String LEASE_PREFIX = "/chaos/lease/";
  /** Every key the workload writes: the reference watch's prefix. */
  static final String ALL_PREFIX = "/chaos/";
  static final long LEASE_TTL_SECONDS = 4;
  static final int WATCHERS = 2;
  static final int LEASE_KEEPERS = 2;
  private static final int KEYS_AT_ONCE = 3;
  private static final int VALUES = 5;

  final Clients.Tally tally;
  private final List<String> endpoints;
  private final boolean home;
  private final HistoryWriter history;
  private final Duration timeout;
  private final long startNanos;
  private final int count;
  private final long seed;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong issued = new AtomicLong();
  private final AtomicInteger nextSpareProcess = new AtomicInteger(1_000_000);
  private final List<Thread> threads = new ArrayList<>();
  private final List<Client> jetcdClients = new CopyOnWriteArrayList<>();
  /** Acknowledged writes (Put and a CAS that succeeded), with the revision of the response's header. */
  final List<WatchChecker.AckedWrite> acknowledged = new CopyOnWriteArrayList<>();
  final List<Watcher> watchers = new ArrayList<>();
  final List<LeaseRecord> leases = new CopyOnWriteArrayList<>();

  /**
   * @param endpoints every member's gateway ({@code http://127.0.0.1:port}), in member order
   * @param home with --routes home: client i talks to member i mod N only
   */
  EtcdClients(List<String> endpoints, boolean home, HistoryWriter history, Duration timeout, long startNanos, int count,
      long seed) {
    this.endpoints = List.copyOf(endpoints);
    this.home = home;
    this.history = history;
    this.tally = new Clients.Tally(history, this::now);
    this.timeout = timeout;
    this.startNanos = startNanos;
    this.count = count;
    this.seed = seed;
  }

  /** A jetcd client of its own for client {@code index}: every member, or its home member. */
  Client newClient(int index) {
    String[] to = home ? new String[] {endpoints.get(index % endpoints.size())} : endpoints.toArray(String[]::new);
    // No retries inside jetcd: an operation of unknown outcome is recorded as such, never sent twice.
    Client client = Client.builder().endpoints(to).retryMaxAttempts(0).connectTimeout(Duration.ofSeconds(2)).build();
    jetcdClients.add(client);
    return client;
  }

  void start() {
    for (int c = 0; c < count; c++) {
      int index = c;
      Client client = newClient(c);
      spawn("etcd-client-" + c, () -> runRegisterClient(index, client));
    }
    for (int w = 0; w < WATCHERS; w++) {
      Watcher watcher = new Watcher("watch-" + w, newClient(count + w));
      watchers.add(watcher);
      watcher.start(1);
    }
    for (int l = 0; l < LEASE_KEEPERS; l++) {
      int index = l;
      Client client = newClient(count + WATCHERS + l);
      spawn("etcd-lease-" + l, () -> runLeaseKeeper(index, client));
    }
  }

  private void spawn(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    threads.add(thread);
    thread.start();
  }

  /** Lets every client finish its operation in flight, and waits for them (the watchers go on). */
  void stop() throws InterruptedException {
    running.set(false);
    for (Thread thread : threads) thread.join(timeout.toMillis() * 2 + 15_000);
  }

  void close() {
    for (Watcher watcher : watchers) watcher.close();
    for (Client client : jetcdClients) client.close();
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static Long number(ByteSequence value) {
    String text = value.toString(StandardCharsets.UTF_8);
    try {
      return Long.valueOf(text);
    } catch (NumberFormatException e) {
      throw new IllegalStateException("a register holds a number, not '" + text + "'");
    }
  }

  private void runRegisterClient(int index, Client client) {
    Random random = new Random(seed * 31 + index);
    int process = index;
    while (running.get()) {
      long n = issued.getAndIncrement();
      String key = "r" + ((n / (Workload.OPS_PER_KEY * KEYS_AT_ONCE)) * KEYS_AT_ONCE + random.nextInt(KEYS_AT_ONCE));
      Event done = switch (random.nextInt(3)) {
        case 0 -> read(process, client, key);
        case 1 -> write(process, client, key, random.nextInt(VALUES));
        default -> cas(process, client, key, random.nextInt(VALUES), random.nextInt(VALUES));
      };
      if (done.type() == Event.Type.INFO) process += count;
    }
  }

  /** A linearizable Get of register {@code key}: ok with its value (null: never written), fail when the call fails. */
  Event read(int process, Client client, String key) {
    Event invoke = tally.record(time -> Event.invoke(process, "read", key, null, time));
    LongFunction<Event> completion;
    try {
      GetResponse response = await(client.getKVClient().get(bytes(KV_PREFIX + key)));
      Long value = response.getKvs().isEmpty() ? null : number(response.getKvs().get(0).getValue());
      completion = time -> invoke.complete(Event.Type.OK, value, time, null);
    } catch (Failure e) {
      completion = time -> invoke.complete(Event.Type.FAIL, null, time, e.getMessage());
    }
    return tally.complete(completion);
  }

  private Event write(int process, Client client, String key, long value) {
    Event invoke = tally.record(time -> Event.invoke(process, "write", key, value, time));
    LongFunction<Event> completion;
    try {
      PutResponse response = await(client.getKVClient().put(bytes(KV_PREFIX + key), bytes(Long.toString(value))));
      acknowledged.add(new WatchChecker.AckedWrite(response.getHeader().getRevision(), KV_PREFIX + key, Long.toString(value)));
      completion = time -> invoke.complete(Event.Type.OK, value, time, null);
    } catch (Failure e) {
      completion = time -> invoke.complete(Event.Type.INFO, value, time, e.getMessage());
    }
    return tally.complete(completion);
  }

  /** Txn: if the value is {@code expected}, put {@code next}; else get the key (what the CAS found). */
  private Event cas(int process, Client client, String key, long expected, long next) {
    List<Long> pair = List.of(expected, next);
    Event invoke = tally.record(time -> Event.invoke(process, "cas", key, pair, time));
    ByteSequence k = bytes(KV_PREFIX + key);
    LongFunction<Event> completion;
    try {
      TxnResponse response = await(client.getKVClient().txn()
          .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.value(bytes(Long.toString(expected)))))
          .Then(Op.put(k, bytes(Long.toString(next)), PutOption.DEFAULT))
          .Else(Op.get(k, GetOption.DEFAULT))
          .commit());
      if (response.isSucceeded()) {
        acknowledged.add(new WatchChecker.AckedWrite(response.getHeader().getRevision(), KV_PREFIX + key, Long.toString(next)));
        completion = time -> invoke.complete(Event.Type.OK, pair, time, null);
      } else {
        List<KeyValue> found = response.getGetResponses().isEmpty() ? List.of() : response.getGetResponses().get(0).getKvs();
        String what = found.isEmpty() ? "nothing" : found.get(0).getValue().toString(StandardCharsets.UTF_8);
        completion = time -> invoke.complete(Event.Type.FAIL, pair, time, "cas found " + what);
      }
    } catch (Failure e) {
      completion = time -> invoke.complete(Event.Type.INFO, pair, time, e.getMessage());
    }
    return tally.complete(completion);
  }

  /** After the faults: a linearizable read of register {@code key}, tried again as a new process until {@code within} passes. */
  Object finalRead(Client client, String key, Duration within) throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      Event done = read(nextSpareProcess.getAndIncrement(), client, key);
      if (done.type() == Event.Type.OK) return done.value();
      Thread.sleep(200); // a pause between attempts while a leader is being elected
    }
    throw new TimeoutException("no successful read of " + key + " within " + within.toSeconds() + " s");
  }

  long now() {
    return System.nanoTime() - startNanos;
  }

  /** A call that failed or did not answer within the deadline (then cancelled); its message says which. */
  static final class Failure extends Exception {
    final ErrorCode code;

    Failure(String message, ErrorCode code) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  <T> T await(CompletableFuture<T> call) throws Failure {
    try {
      return call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new Failure("no answer within " + timeout.toMillis() + " ms", null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure("interrupted", null);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      ErrorCode code = cause instanceof EtcdException etcd ? etcd.getErrorCode() : null;
      throw new Failure(code + ": " + (cause == null ? e : cause.getMessage()), code);
    }
  }

  /** One watch on {@value #KV_PREFIX}: its events in the order received, and how often it was started again. */
  final class Watcher {
    final String name;
    private final Client client;
    final List<WatchChecker.WatchEvent> events = new CopyOnWriteArrayList<>();
    volatile long lastRevision;
    /** Watches this watcher started again itself, after jetcd closed one. */
    final AtomicInteger resumes = new AtomicInteger();
    /** Errors jetcd reported (it watches again itself after most of them). */
    final AtomicInteger errors = new AtomicInteger();
    private volatile Watch.Watcher current;
    private volatile boolean closed;

    Watcher(String name, Client client) {
      this.name = name;
      this.client = client;
    }

    synchronized void start(long fromRevision) {
      if (closed) return;
      current = client.getWatchClient().watch(bytes(KV_PREFIX),
          WatchOption.builder().isPrefix(true).withRevision(fromRevision).build(),
          Watch.listener(response -> {
            for (WatchEvent e : response.getEvents()) {
              KeyValue kv = e.getKeyValue();
              events.add(new WatchChecker.WatchEvent(kv.getModRevision(), kv.getKey().toString(StandardCharsets.UTF_8),
                  e.getEventType().name(), e.getEventType() == WatchEvent.EventType.PUT
                      ? kv.getValue().toString(StandardCharsets.UTF_8) : null));
              lastRevision = Math.max(lastRevision, kv.getModRevision());
            }
          }, failure -> {
            // jetcd tells every error, and then watches again by itself from its last revision + 1 unless the error
            // halts the watch: only a watch jetcd closed is started again here.
            errors.incrementAndGet();
            CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS).execute(this::restartIfClosed);
          }));
    }

    private synchronized void restartIfClosed() {
      if (closed || current == null || !current.isClosed()) return;
      resumes.incrementAndGet();
      start(lastRevision + 1);
    }

    WatchChecker.Watch result() {
      return new WatchChecker.Watch(name, KV_PREFIX, 1, List.copyOf(events), resumes.get());
    }

    synchronized void close() {
      closed = true;
      if (current != null) current.close();
    }
  }

  /** One lease a keeper granted: what the lease check reads. */
  static final class LeaseRecord {
    final long id;
    final String key;
    final List<LeaseChecker.Ack> acks = new CopyOnWriteArrayList<>();
    final List<LeaseChecker.Gone> gone = new CopyOnWriteArrayList<>();

    LeaseRecord(long id, String key) {
      this.id = id;
      this.key = key;
    }

    LeaseChecker.Lease result() {
      return new LeaseChecker.Lease(id, key, List.copyOf(acks), List.copyOf(gone));
    }
  }

  private void runLeaseKeeper(int index, Client client) {
    int granted = 0;
    while (running.get()) {
      long sent = now();
      long id;
      try {
        id = await(client.getLeaseClient().grant(LEASE_TTL_SECONDS)).getID();
      } catch (Failure e) {
        sleep(500);
        continue;
      }
      LeaseRecord lease = new LeaseRecord(id, LEASE_PREFIX + index + "-" + granted++);
      lease.acks.add(new LeaseChecker.Ack(sent, now(), LEASE_TTL_SECONDS));
      leases.add(lease);
      boolean attached = false;
      while (running.get() && lease.gone.isEmpty()) {
        if (!attached) {
          try {
            await(client.getKVClient().put(bytes(lease.key), bytes("held"), PutOption.builder().withLeaseId(id).build()));
            attached = true;
          } catch (Failure e) {
            if (e.code == ErrorCode.NOT_FOUND) lease.gone.add(new LeaseChecker.Gone(sent, now(), "put: " + e.getMessage()));
          }
        }
        sleep(LEASE_TTL_SECONDS * 1000 / 3);
        if (!lease.gone.isEmpty()) break;
        long keepAliveSent = now();
        try {
          LeaseKeepAliveResponse answer = await(client.getLeaseClient().keepAliveOnce(id));
          if (answer.getTTL() > 0) {
            lease.acks.add(new LeaseChecker.Ack(keepAliveSent, now(), answer.getTTL()));
          } else {
            lease.gone.add(new LeaseChecker.Gone(keepAliveSent, now(), "keep-alive answered TTL " + answer.getTTL()));
          }
        } catch (Failure e) {
          if (e.code == ErrorCode.NOT_FOUND) {
            lease.gone.add(new LeaseChecker.Gone(keepAliveSent, now(), "keep-alive: " + e.getMessage()));
          }
        }
        if (attached && lease.gone.isEmpty()) observeKey(client, lease);
      }
      if (!running.get() && lease.gone.isEmpty()) {
        // The run is over: a last look at the lease (TimeToLive), then it is revoked so that it makes no more revisions.
        long ttlSent = now();
        try {
          LeaseTimeToLiveResponse ttl = await(client.getLeaseClient().timeToLive(id, LeaseOption.DEFAULT));
          if (ttl.getTTL() < 0) lease.gone.add(new LeaseChecker.Gone(ttlSent, now(), "TimeToLive answered " + ttl.getTTL()));
          else await(client.getLeaseClient().revoke(id));
        } catch (Failure e) {
          // unknown: nothing observed
        }
      }
    }
  }

  /** A linearizable Get of the lease's key: missing means the lease is gone. */
  private void observeKey(Client client, LeaseRecord lease) {
    long sent = now();
    try {
      GetResponse response = await(client.getKVClient().get(bytes(lease.key)));
      if (response.getKvs().isEmpty()) lease.gone.add(new LeaseChecker.Gone(sent, now(), "its key was missing"));
      else if (response.getKvs().get(0).getLease() != lease.id) {
        throw new IllegalStateException("the key " + lease.key + " is under lease " + response.getKvs().get(0).getLease()
            + ", not " + lease.id);
      }
    } catch (Failure e) {
      // unknown: nothing observed
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The reference log: every event under {@value #ALL_PREFIX} from revision 1 up to {@code finalRevision}, from a watch. */
  static List<WatchChecker.WatchEvent> referenceLog(Client client, long finalRevision, Duration within) throws InterruptedException, TimeoutException {
    List<WatchChecker.WatchEvent> events = new CopyOnWriteArrayList<>();
    AtomicLong last = new AtomicLong(1);
    CompletableFuture<Void> done = new CompletableFuture<>();
    try (Watch.Watcher watcher = client.getWatchClient().watch(bytes(ALL_PREFIX),
        WatchOption.builder().isPrefix(true).withRevision(1).build(), Watch.listener(response -> {
          for (WatchEvent e : response.getEvents()) {
            KeyValue kv = e.getKeyValue();
            events.add(new WatchChecker.WatchEvent(kv.getModRevision(), kv.getKey().toString(StandardCharsets.UTF_8),
                e.getEventType().name(), e.getEventType() == WatchEvent.EventType.PUT
                    ? kv.getValue().toString(StandardCharsets.UTF_8) : null));
            last.set(kv.getModRevision());
          }
          if (last.get() >= finalRevision) done.complete(null);
        }, done::completeExceptionally))) {
      if (finalRevision <= 1) return List.of();
      try {
        done.get(within.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        throw new IllegalStateException("the reference watch failed at revision " + last.get() + ": " + e.getCause(), e);
      }
    }
    return List.copyOf(events);
  }
}
