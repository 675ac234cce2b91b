package io.pekkoraft.persistence.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftEvent;
import io.pekkoraft.persistence.serialization.TestMessages.Color;
import io.pekkoraft.persistence.serialization.TestMessages.Greeting;
import io.pekkoraft.persistence.serialization.TestMessages.Holder;
import io.pekkoraft.persistence.serialization.TestMessages.Palette;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class KryoCodecRoundTripTest {

  private final KryoCodec codec =
      KryoCodec.create(
          getClass().getClassLoader(), List.of(new PersistenceKryoRegistrar(), new TestKryoRegistrar()));

  private <T> T roundTrip(T value) {
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) value.getClass();
    T copy = codec.fromBytes(codec.toBytes(value), type);
    assertEquals(value, copy);
    return copy;
  }

  @Test
  void everyRaftEventSurvives() {
    // Every journal event comes back equal, including entries with and without data.
    LogEntry command = new LogEntry(2, 1, LogEntry.Type.COMMAND, "set x=1".getBytes(StandardCharsets.UTF_8));
    LogEntry empty = new LogEntry(3, 1, LogEntry.Type.CONFIGURATION, new byte[0]);
    roundTrip(new RaftEvent.TermAdvanced(7));
    roundTrip(new RaftEvent.VoteCast(7, "node-2"));
    roundTrip(new RaftEvent.VoteCast(7, null));
    roundTrip(new RaftEvent.EntriesTruncated(42));
    roundTrip(new RaftEvent.ReplicaIdCreated(-3_141_592_653_589_793L));
    roundTrip(new RaftEvent.EntriesAppended(List.of()));
    roundTrip(new RaftEvent.EntriesAppended(List.of(LogEntry.noop(1, 1))));
    roundTrip(new RaftEvent.EntriesAppended(List.of(LogEntry.noop(1, 1), command)));
    roundTrip(new RaftEvent.EntriesAppended(List.of(LogEntry.noop(1, 1), command, empty)));
    roundTrip(new RaftEvent.EntriesAppended(new ArrayList<>(List.of(command, empty))));
    roundTrip(new RaftEvent.EntriesAppended(Stream.of(command, empty).toList()));
  }

  @Test
  void logEntriesKeepTheirBytes() {
    // A log entry's payload comes back byte for byte, and an empty payload stays empty, not null.
    byte[] data = new byte[10_000];
    for (int i = 0; i < data.length; i++) data[i] = (byte) i;
    assertArrayEquals(data, roundTrip(new LogEntry(5, 2, LogEntry.Type.COMMAND, data)).data());
    assertEquals(0, roundTrip(new LogEntry(1, 1, LogEntry.Type.COMMAND, null)).data().length);
    assertEquals(LogEntry.Type.NOOP, roundTrip(LogEntry.noop(9, 3)).type());
  }

  @Test
  void immutableCollectionsStayImmutable() {
    // List.of, Map.of and Set.of results of every size come back equal and of the same class.
    for (Object value :
        List.<Object>of(
            List.of(),
            List.of(1),
            List.of(1, 2),
            List.of(1, 2, 3),
            List.copyOf(new ArrayList<>(List.of("a", "b", "c", "d"))),
            Map.of(),
            Map.of("a", 1L),
            Map.of("a", 1L, "b", 2L, "c", 3L),
            Set.of(),
            Set.of("a"),
            Set.of("a", "b"),
            Set.of("a", "b", "c"))) {
      assertSame(value.getClass(), roundTrip(value).getClass());
    }
  }

  @Test
  void mutableCollectionsStayMutable() {
    // ArrayList, HashMap and HashSet come back as the same mutable classes.
    assertSame(ArrayList.class, roundTrip(new ArrayList<>(List.of(1L, "two", Color.RED))).getClass());
    assertSame(HashMap.class, roundTrip(new HashMap<>(Map.of("a", List.of(1), "b", List.of()))).getClass());
    assertSame(HashSet.class, roundTrip(new HashSet<>(Set.of(1, 2, 3))).getClass());
  }

  @Test
  void arraysSurvive() {
    // byte[], long[] and String[] (with a null inside) come back element for element.
    assertArrayEquals(new byte[] {1, -1, 0}, codec.fromBytes(codec.toBytes(new byte[] {1, -1, 0}), byte[].class));
    assertArrayEquals(new long[] {Long.MIN_VALUE, 0, 7}, codec.fromBytes(codec.toBytes(new long[] {Long.MIN_VALUE, 0, 7}), long[].class));
    assertArrayEquals(new String[] {"a", null, ""}, codec.fromBytes(codec.toBytes(new String[] {"a", null, ""}), String[].class));
  }

  @Test
  void recordsEnumsAndNullStrings() {
    // Kryo's record support works with registration required: null String components, enums, and
    // nested records inside List, Map and Set components.
    roundTrip(new Greeting("hello", null));
    roundTrip(Color.GREEN);
    roundTrip(
        new Palette(
            new Greeting(null, null),
            Color.RED,
            List.of(new Greeting("a", "b"), new Greeting("c", null)),
            Map.of("x", 1L, "y", Long.MAX_VALUE),
            Set.of(Color.RED, Color.GREEN)));
    roundTrip(new Palette(null, null, List.of(), Map.of(), Set.of()));
    roundTrip(new Holder(new Greeting("inside an Object component", null)));
  }

  @Test
  void oneCodecServesManyThreads() throws Exception {
    // Threads sharing one codec each get their own messages back, never another thread's.
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        long term = t + 1;
        results.add(
            pool.submit(
                () -> {
                  for (int i = 1; i <= 2_000; i++) {
                    Object event = new RaftEvent.EntriesAppended(List.of(LogEntry.noop(i, term)));
                    assertEquals(event, codec.fromBytes(codec.toBytes(event)));
                  }
                }));
      }
      for (Future<?> result : results) result.get();
    } finally {
      pool.shutdownNow();
    }
  }
}
