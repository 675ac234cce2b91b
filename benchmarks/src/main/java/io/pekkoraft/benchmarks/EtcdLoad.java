package io.pekkoraft.benchmarks;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One client count of {@code bin/bench etcd}: {@code clients} closed-loop clients, each its own jetcd
 * {@link Client} (given every member's endpoint) on its own thread, alternate a Put of a fresh value to key
 * {@code k/<C>/<client>/<n mod 100>} and a linearizable Get (Range, not serializable) of that key, through a
 * warm-up and the measured window, counted as W1's throughput phase counts (an op counts when its answer
 * arrives inside the window; latency by {@link System#nanoTime()} around the call on the client thread).
 *
 * <p>Each Get is also checked: it must return the value just put, at a header revision not below the Put's
 * ({@code stale_reads} otherwise), and a client's Put revisions must increase ({@code put_order_violations}).
 */
final class EtcdLoad {

  /** Keys per client: Puts cycle over them. */
  static final int KEYS_PER_CLIENT = 100;

  /**
   * The last Put a client had acknowledged, and the values of Puts to the same key that failed after it (their
   * outcome unknown: any of them may be what the key holds).
   */
  record LastPut(String key, byte[] value, List<byte[]> unknownAfter) {

    /** Whether {@code read} is what the key may hold now. */
    boolean matches(byte[] read) {
      if (read == null) return false;
      if (Arrays.equals(value, read)) return true;
      for (byte[] v : unknownAfter) if (Arrays.equals(v, read)) return true;
      return false;
    }
  }

  /** What one client count produced; {@code answered} counts every Put and Get answered, warm-up included. */
  record Result(int clients, double measureSeconds, LatencySummary puts, LatencySummary gets, LatencySummary all,
      long putErrors, long getErrors, long putOrderViolations, long getRevisionWentBack, long staleReads,
      List<LastPut> lastPuts, long answered) {

    double opsPerSecond() {
      return all.count() / measureSeconds;
    }

    Map<String, Object> fields() {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("clients", clients);
      f.putAll(latency(all, measureSeconds));
      f.put("put", latency(puts, measureSeconds));
      f.put("get", latency(gets, measureSeconds));
      f.put("errors", putErrors + getErrors);
      f.put("put_errors", putErrors);
      f.put("get_errors", getErrors);
      f.put("put_order_violations", putOrderViolations);
      f.put("get_revision_went_back", getRevisionWentBack);
      f.put("stale_reads", staleReads);
      return f;
    }
  }

  private EtcdLoad() {}

  static Map<String, Object> latency(LatencySummary s, double seconds) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("ops", s.count());
    f.put("ops_per_s", ThroughputPhase.round(s.count() / seconds, 1));
    f.put("p50_ms", ThroughputPhase.millis(s.p50Nanos()));
    f.put("p99_ms", ThroughputPhase.millis(s.p99Nanos()));
    f.put("max_ms", ThroughputPhase.millis(s.maxNanos()));
    f.put("mean_ms", ThroughputPhase.round(s.meanNanos() / 1e6, 3));
    return f;
  }

  static String key(int clients, int client, long n) {
    return "k/" + clients + "/" + client + "/" + (n % KEYS_PER_CLIENT);
  }

  /**
   * Put number {@code n} of client {@code client}: {@code "c<client>-n<n>-"}, then the client's fixed filler
   * ({@code new Random(client * 7919 + 1)}, as W1's commands), {@code payloadBytes} in all; unique per Put.
   */
  static byte[] value(int client, long n, byte[] filler) {
    byte[] head = ("c" + client + "-n" + n + "-").getBytes(StandardCharsets.US_ASCII);
    byte[] value = filler.clone();
    System.arraycopy(head, 0, value, 0, Math.min(head.length, value.length));
    return value;
  }

  static byte[] filler(int client, int payloadBytes) {
    byte[] filler = new byte[payloadBytes];
    new Random(client * 7919L + 1).nextBytes(filler);
    return filler;
  }

  /** A new jetcd client to every endpoint: jetcd spreads its calls over them (round robin). */
  static Client client(List<String> endpoints) {
    return Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
  }

  static Result run(List<String> endpoints, int clients, EtcdOptions options) throws InterruptedException {
    List<ClientTally> putTallies = new ArrayList<>();
    List<ClientTally> getTallies = new ArrayList<>();
    List<Client> jetcds = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    LastPut[] lastPuts = new LastPut[clients];
    long[] staleReads = new long[clients];
    long[] answered = new long[clients];
    CountDownLatch ready = new CountDownLatch(clients);
    CountDownLatch go = new CountDownLatch(1);
    long[] window = new long[2];
    for (int id = 0; id < clients; id++) {
      ClientTally puts = new ClientTally();
      ClientTally gets = new ClientTally();
      putTallies.add(puts);
      getTallies.add(gets);
      Client jetcd = client(endpoints);
      jetcds.add(jetcd);
      int client = id;
      Thread thread = new Thread(() -> {
        ready.countDown();
        try {
          go.await();
          closedLoop(jetcd.getKVClient(), clients, client, options.payloadBytes(), puts, gets, window, lastPuts, staleReads, answered);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "etcd-client-" + clients + "-" + id);
      threads.add(thread);
      thread.start();
    }
    ready.await();
    window[0] = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.warmupSeconds());
    window[1] = window[0] + TimeUnit.SECONDS.toNanos(options.measureSeconds());
    go.countDown();
    for (Thread thread : threads) thread.join();
    jetcds.forEach(Client::close);

    List<ClientTally> all = new ArrayList<>(putTallies);
    all.addAll(getTallies);
    return new Result(clients, options.measureSeconds(), LatencySummary.of(putTallies), LatencySummary.of(getTallies),
        LatencySummary.of(all), putTallies.stream().mapToLong(ClientTally::errors).sum(),
        getTallies.stream().mapToLong(ClientTally::errors).sum(),
        putTallies.stream().mapToLong(ClientTally::orderViolations).sum(),
        getTallies.stream().mapToLong(ClientTally::orderViolations).sum(), Arrays.stream(staleReads).sum(),
        Arrays.stream(lastPuts).filter(p -> p != null).toList(), Arrays.stream(answered).sum());
  }

  /** Put, wait, Get, wait, repeat, until the window has ended; the call in flight at its end still completes. */
  private static void closedLoop(KV kv, int clients, int client, int payloadBytes, ClientTally puts, ClientTally gets,
      long[] window, LastPut[] lastPuts, long[] staleReads, long[] answered) throws InterruptedException {
    byte[] filler = filler(client, payloadBytes);
    long timeout = BenchCluster.STEP_TIMEOUT.toMillis();
    for (long n = 0; System.nanoTime() - window[1] < 0; n++) {
      String key = key(clients, client, n);
      ByteSequence keyBytes = ByteSequence.from(key, StandardCharsets.UTF_8);
      byte[] value = value(client, n, filler);
      long putRevision;
      long sent = System.nanoTime();
      try {
        // jetcd sets no deadline of its own; this bound only keeps a lost answer from hanging the benchmark.
        putRevision = kv.put(keyBytes, ByteSequence.from(value)).get(timeout, TimeUnit.MILLISECONDS).getHeader().getRevision();
        long received = System.nanoTime();
        puts.reply(putRevision, received - sent, inWindow(received, window));
        lastPuts[client] = new LastPut(key, value, new ArrayList<>());
        answered[client]++;
      } catch (ExecutionException | TimeoutException e) {
        puts.error(inWindow(System.nanoTime(), window), true);
        LastPut last = lastPuts[client];
        if (last != null && last.key().equals(key)) last.unknownAfter().add(value);
        continue; // nothing of ours to read back
      }
      sent = System.nanoTime();
      try {
        GetResponse got = kv.get(keyBytes).get(timeout, TimeUnit.MILLISECONDS);
        long received = System.nanoTime();
        long revision = got.getHeader().getRevision();
        gets.read(revision, received - sent, inWindow(received, window));
        answered[client]++;
        byte[] read = got.getKvs().isEmpty() ? null : got.getKvs().get(0).getValue().getBytes();
        if (revision < putRevision || !Arrays.equals(read, value)) staleReads[client]++;
      } catch (ExecutionException | TimeoutException e) {
        gets.error(inWindow(System.nanoTime(), window), false);
      }
    }
  }

  private static boolean inWindow(long at, long[] window) {
    return at - window[0] >= 0 && at - window[1] <= 0;
  }
}
