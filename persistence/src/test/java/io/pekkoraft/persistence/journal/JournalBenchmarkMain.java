package io.pekkoraft.persistence.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * Measures the segment journal; prints figures and never fails (a benchmark is not a test).
 *
 * <pre>
 * mvn -q -pl persistence exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.pekkoraft.persistence.journal.JournalBenchmarkMain
 * </pre>
 *
 * System properties: {@code bench.steps} (default {@code disk,pekko,store,recovery}),
 * {@code bench.seconds} (per rate figure, default 5), {@code bench.writers}
 * (default 64), {@code bench.entries} (recovery, default 1000000), {@code bench.dir} (default
 * {@code persistence/target/journal-benchmark}; must be a real disk, not tmpfs), {@code bench.keep}.
 *
 * <ol>
 *   <li>the disk: one 256-byte append + fdatasync at a time, on a plain file;
 *   <li>single writer: one EventSourcedBehavior persists one 256-byte event, waits for it, repeats;
 *   <li>many writers: {@code bench.writers} such behaviors (one persistence id each) at once;
 *   <li>the same two through the store alone (no Pekko), to show what Pekko's path costs;
 *   <li>recovery: a journal of {@code bench.entries} 256-byte events of one persistence id (one record
 *       each): the journal's start (scan, CRC and index), a replay in the store, and the recovery of
 *       an EventSourcedBehavior through Pekko (with a fresh actor system and journal).
 * </ol>
 */
public final class JournalBenchmarkMain {

  private static final int EVENT_BYTES = 256;
  private static final byte[] PAYLOAD = new byte[EVENT_BYTES];

  private JournalBenchmarkMain() {}

  public static void main(String[] args) {
    int seconds = Integer.getInteger("bench.seconds", 5);
    int writers = Integer.getInteger("bench.writers", 64);
    int entries = Integer.getInteger("bench.entries", 1_000_000);
    Arrays.fill(PAYLOAD, (byte) 'x');
    Path base;
    try {
      base = Path.of(System.getProperty("bench.dir", defaultDir())).toAbsolutePath();
      deleteRecursively(base);
      Files.createDirectories(base);
      System.out.printf("journal benchmark in %s (file system type: %s), %d s per rate figure%n",
          base, Files.getFileStore(base).type(), seconds);
      System.out.printf("java %s, %d cpus, heap max %d MiB%n", System.getProperty("java.version"),
          Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
    } catch (Exception e) {
      System.out.println("cannot prepare the benchmark directory: " + e);
      return;
    }
    List<String> steps = List.of(System.getProperty("bench.steps", "disk,pekko,store,recovery").split(","));
    if (steps.contains("disk")) run("disk", () -> diskBaseline(base.resolve("raw"), seconds));
    if (steps.contains("pekko")) {
      run("single writer (Pekko)", () -> pekkoWriters(base.resolve("single"), 1, seconds));
      run(writers + " writers (Pekko)", () -> pekkoWriters(base.resolve("many"), writers, seconds));
    }
    if (steps.contains("store")) {
      run("single writer (store only)", () -> storeWriters(base.resolve("store-single"), 1, seconds));
      run(writers + " writers (store only)", () -> storeWriters(base.resolve("store-many"), writers, seconds));
    }
    if (steps.contains("recovery")) run("recovery", () -> recovery(base.resolve("recovery"), entries));
    if (!Boolean.getBoolean("bench.keep")) {
      try {
        deleteRecursively(base);
      } catch (IOException e) {
        System.out.println("could not delete " + base + ": " + e);
      }
    }
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void run(String name, Step step) {
    try {
      step.run();
    } catch (Throwable t) {
      System.out.printf("%-28s FAILED: %s%n", name, t);
    }
  }

  private static String defaultDir() {
    try {
      Path testClasses = Path.of(JournalBenchmarkMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return testClasses.getParent().resolve("journal-benchmark").toString();
    } catch (Exception e) {
      return "target/journal-benchmark";
    }
  }

  private static void diskBaseline(Path dir, int seconds) throws IOException {
    Files.createDirectories(dir);
    try (FileChannel ch = FileChannel.open(dir.resolve("raw"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(PAYLOAD);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      long n = 0;
      long pos = 0;
      long start = System.nanoTime();
      while (System.nanoTime() < deadline) {
        buf.clear();
        pos += ch.write(buf, pos);
        ch.force(false);
        n++;
      }
      double s = (System.nanoTime() - start) / 1e9;
      System.out.printf("%-28s %,10.0f appends+fdatasync/s  (%.3f ms each)%n", "disk (plain file)", n / s, s * 1000 / n);
    }
  }

  // ---- Pekko -------------------------------------------------------------------------------------

  private static Config systemConfig(Path dir) {
    return ConfigFactory.parseString(
            "pekko.persistence.journal.plugin = \"pekko-raft.journal\"\n"
                + "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.no-snapshot-store\"\n"
                + "pekko.loglevel = WARNING\n"
                + "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]\n"
                + "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"\n"
                + "pekko-raft.journal.recovery-event-timeout = 120s\n")
        .withValue("pekko-raft.journal.dir", ConfigValueFactory.fromAnyRef(dir.toString()))
        .withFallback(ConfigFactory.load());
  }

  /** Commands of the benchmark writer. */
  sealed interface Cmd {}

  enum Next implements Cmd { INSTANCE }

  record Stop(ActorRef<long[]> replyTo) implements Cmd {}

  record Recovered(ActorRef<Long> replyTo) implements Cmd {}

  /**
   * Persists one event, waits for it, persists the next, until stopped; answers Stop with its
   * latencies (ns). Counts its events as its state.
   */
  static final class Writer extends EventSourcedBehavior<Cmd, byte[], long[]> {
    private final ActorRef<Cmd> self;
    private final AtomicLong done;
    private final ActorRef<Long> onRecovered;
    private long[] latencies = new long[1 << 16];
    private int count;
    private boolean running = true;
    private long sentAt;

    static Behavior<Cmd> create(String pid, AtomicLong done, ActorRef<Long> onRecovered) {
      return Behaviors.setup(ctx -> new Writer(pid, ctx.getSelf(), done, onRecovered));
    }

    private Writer(String pid, ActorRef<Cmd> self, AtomicLong done, ActorRef<Long> onRecovered) {
      super(PersistenceId.ofUniqueId(pid));
      this.self = self;
      this.done = done;
      this.onRecovered = onRecovered;
    }

    @Override
    public long[] emptyState() {
      return new long[1];
    }

    @Override
    public CommandHandler<Cmd, byte[], long[]> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Next.class, (state, cmd) -> {
            if (!running) return Effect().none();
            sentAt = System.nanoTime();
            return Effect().persist(PAYLOAD).thenRun(s -> {
              if (count == latencies.length) latencies = Arrays.copyOf(latencies, count * 2);
              latencies[count++] = System.nanoTime() - sentAt;
              done.incrementAndGet();
              self.tell(Next.INSTANCE);
            });
          })
          .onCommand(Stop.class, (state, cmd) -> {
            running = false;
            cmd.replyTo().tell(Arrays.copyOf(latencies, count));
            return Effect().none();
          })
          .build();
    }

    @Override
    public EventHandler<long[], byte[]> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> {
        state[0]++;
        return state;
      });
    }

    @Override
    public SignalHandler<long[]> signalHandler() {
      return newSignalHandlerBuilder()
          .onSignal(RecoveryCompleted.instance(), state -> {
            if (onRecovered != null) onRecovered.tell(state[0]);
          })
          .build();
    }
  }

  private static void pekkoWriters(Path dir, int writers, int seconds) throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench", systemConfig(dir));
    try {
      AtomicLong done = new AtomicLong();
      List<ActorRef<Cmd>> refs = new ArrayList<>();
      for (int i = 0; i < writers; i++) refs.add(system.systemActorOf(Writer.create("w-" + i, done, null), "w-" + i,
          org.apache.pekko.actor.typed.Props.empty()));
      refs.forEach(r -> r.tell(Next.INSTANCE));
      Thread.sleep(1000); // warm-up
      long startCount = done.get();
      long start = System.nanoTime();
      Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
      long n = done.get() - startCount;
      double s = (System.nanoTime() - start) / 1e9;
      List<long[]> all = new ArrayList<>();
      for (ActorRef<Cmd> r : refs) {
        CompletionStage<long[]> l = AskPattern.ask(r, Stop::new, Duration.ofSeconds(30), system.scheduler());
        all.add(l.toCompletableFuture().get(30, TimeUnit.SECONDS));
      }
      String label = writers == 1 ? "single writer (Pekko)" : writers + " writers (Pekko)";
      System.out.printf("%-28s %,10.0f persists/s  %s%n", label, n / s, percentiles(all));
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static String percentiles(List<long[]> samples) {
    long[] all = samples.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    if (all.length == 0) return "";
    return String.format("latency p50 %.2f ms, p99 %.2f ms, max %.2f ms", all[all.length / 2] / 1e6,
        all[(int) (all.length * 0.99)] / 1e6, all[all.length - 1] / 1e6);
  }

  // ---- store only --------------------------------------------------------------------------------

  private static void storeWriters(Path dir, int writers, int seconds) throws Exception {
    try (JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      AtomicLong done = new AtomicLong();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds + 1);
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        String pid = "s-" + w;
        Thread t = new Thread(() -> {
          long seq = 1;
          while (System.nanoTime() < deadline) {
            try {
              store.append(List.of(StoredEvent.of(pid, seq++, 0, "w", "", 4, "", PAYLOAD))).get();
              done.incrementAndGet();
            } catch (Exception e) {
              return;
            }
          }
        });
        t.start();
        threads.add(t);
      }
      Thread.sleep(1000);
      long startCount = done.get();
      long start = System.nanoTime();
      Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
      long n = done.get() - startCount;
      double s = (System.nanoTime() - start) / 1e9;
      for (Thread t : threads) t.join();
      String label = writers == 1 ? "single writer (store only)" : writers + " writers (store only)";
      System.out.printf("%-28s %,10.0f appends/s%n", label, n / s);
    }
  }

  // ---- recovery ----------------------------------------------------------------------------------

  private static void recovery(Path dir, int entries) throws Exception {
    String pid = "raft-log";
    long fillStart = System.nanoTime();
    // Written the way Pekko writes them: one record per event, serialized by Pekko's byte array
    // serializer (id 4), so that the actor below can read them back.
    try (JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      Semaphore window = new Semaphore(20_000);
      CompletableFuture<Optional<Exception>> last = null;
      for (long seq = 1; seq <= entries; seq++) {
        window.acquire();
        last = store.append(List.of(StoredEvent.of(pid, seq, System.currentTimeMillis(), "bench", "", 4, "", PAYLOAD)));
        last.whenComplete((r, e) -> window.release());
      }
      if (last != null) last.get(60, TimeUnit.SECONDS);
    }
    double fill = (System.nanoTime() - fillStart) / 1e9;
    long bytes;
    try (Stream<Path> files = Files.list(dir)) {
      bytes = files.mapToLong(f -> f.toFile().length()).sum();
    }
    System.out.printf("%-28s %,d entries of %d bytes, %,d MiB on disk, written in %.1f s (%,.0f entries/s pipelined)%n",
        "recovery: journal", entries, EVENT_BYTES, bytes >> 20, fill, entries / fill);

    long openStart = System.nanoTime();
    JournalStore store = JournalStore.open(JournalSettings.defaults(dir));
    double open = (System.nanoTime() - openStart) / 1e9;
    long replayStart = System.nanoTime();
    long[] replayed = new long[1];
    store.replay(pid, 1, Long.MAX_VALUE, Long.MAX_VALUE, e -> replayed[0]++);
    double replay = (System.nanoTime() - replayStart) / 1e9;
    store.close();
    System.out.printf("%-28s start (scan, CRC, index) %.2f s; replay of %,d events in the store %.2f s%n",
        "recovery: store", open, replayed[0], replay);

    long systemStart = System.nanoTime();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "recover", systemConfig(dir));
    try {
      CompletableFuture<Long> recovered = new CompletableFuture<>();
      ActorRef<Long> onRecovered = system.systemActorOf(Behaviors.receiveMessage(n -> {
        recovered.complete(n);
        return Behaviors.stopped();
      }), "recovered", org.apache.pekko.actor.typed.Props.empty());
      system.systemActorOf(Writer.create(pid, new AtomicLong(), onRecovered), "writer", org.apache.pekko.actor.typed.Props.empty());
      long n = recovered.get(600, TimeUnit.SECONDS);
      double s = (System.nanoTime() - systemStart) / 1e9;
      System.out.printf("%-28s %,d events recovered by an EventSourcedBehavior in %.2f s (new actor system,"
          + " journal start included; %,.0f events/s)%n", "recovery: Pekko", n, s, n / s);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) Files.delete(p);
    }
  }
}
