package io.pekkoraft.consensus.behavior;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.AppliedEntry;
import io.pekkoraft.consensus.behavior.EntityMessages.Accepted;
import io.pekkoraft.consensus.behavior.EntityMessages.Conflict;
import io.pekkoraft.consensus.behavior.EntityMessages.Duplicate;
import io.pekkoraft.consensus.behavior.EntityMessages.Proposal;
import io.pekkoraft.consensus.behavior.EntityMessages.StaleTerm;
import io.pekkoraft.consensus.StoredSnapshot;
import io.pekkoraft.consensus.impl.ConsensusKryoRegistrar;
import io.pekkoraft.persistence.serialization.KryoCodec;
import io.pekkoraft.persistence.serialization.PersistenceKryoRegistrar;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The rules by which every replica decides whether a command's events apply, from the entry and the state
 * before it alone: once per (caller, sequence); only in the term they were decided in; only on the entity's
 * sequence number they were decided on. And what survives a snapshot.
 */
class EntityStoreTest {

  private final TestCounter.Recorder recorder = new TestCounter.Recorder();

  private EntityStore<TestCounter.Command, TestCounter.Added, Long> store() {
    return ReplicatedEntity.<TestCounter.Command, TestCounter.Added, Long>of("g",
        id -> new TestCounter(id, "m", null, recorder)).withCallerTtl(java.time.Duration.ofSeconds(60)).newStore();
  }

  private static Proposal add(String entity, long term, long expectedSeqNr, long delta, String caller, long seq) {
    return new Proposal(entity, term, expectedSeqNr, List.of(new TestCounter.Added(entity, delta, 0)), caller, seq, 0);
  }

  private static AppliedEntry at(long index, long term, long timeMs) {
    return new AppliedEntry(index, term, timeMs);
  }

  @Test
  void eventsApplyOnlyInTheTermTheyWereDecidedIn() {
    var s = store();
    assertEquals(new StaleTerm(3), s.apply(add("a", 2, 0, 5, "c", 1), at(10, 3, 0)), "decided in 2, appended in 3");
    assertEquals(0L, s.entity("a").state());
    assertEquals(new Accepted(1), s.apply(add("a", 3, 0, 5, "c", 1), at(11, 3, 0)), "the same command decided again in 3");
    assertEquals(5L, s.entity("a").state());
  }

  @Test
  void eventsApplyOnlyOnTheSequenceNumberTheyWereDecidedOn() {
    var s = store();
    assertEquals(new Accepted(1), s.apply(add("a", 1, 0, 1, "c", 1), at(1, 1, 0)));
    assertEquals(new Conflict(1), s.apply(add("a", 1, 0, 100, "d", 1), at(2, 1, 0)), "decided before the first applied");
    assertEquals(new Accepted(1), s.apply(add("b", 1, 0, 7, "d", 2), at(3, 1, 0)), "another entity is not affected");
    assertEquals(1L, s.entity("a").state());
  }

  @Test
  void aCommandAppliesOnceAndARetryGetsTheStateRightAfterIt() {
    var s = store();
    assertEquals(new Accepted(1), s.apply(add("a", 1, 0, 5, "c", 1), at(1, 1, 0)));
    assertEquals(new Accepted(2), s.apply(add("a", 1, 1, 10, "d", 1), at(2, 1, 0)));
    // the retry of c#1, decided again by a new leader on the latest state, in its term
    assertEquals(new Duplicate(1, 5L), s.apply(add("a", 2, 2, 5, "c", 1), at(3, 2, 0)));
    assertEquals(15L, s.entity("a").state());
  }

  @Test
  void aCallerIsForgottenAfterItsTtlOfLogTimeAndItsAcknowledgedResultsAtOnce() {
    var s = store();
    s.apply(add("a", 1, 0, 1, "c", 1), at(1, 1, 1_000));
    s.apply(new Proposal("a", 1, 1, List.of(new TestCounter.Added("a", 1, 0)), "c", 2, 1), at(2, 1, 2_000));
    assertInstanceOf(Conflict.class, s.apply(add("a", 1, 0, 1, "c", 1), at(3, 1, 3_000)),
        "c acknowledged #1: its result is forgotten, so the copy is judged on its own (and refused)");
    assertInstanceOf(Duplicate.class, s.apply(add("a", 1, 2, 1, "c", 2), at(4, 1, 4_000)));
    s.apply(add("b", 1, 0, 1, "other", 1), at(5, 1, 70_000)); // c idle for more than 60 s of log time
    assertInstanceOf(Accepted.class, s.apply(add("a", 1, 2, 1, "c", 2), at(6, 1, 70_001)), "c was forgotten");
  }

  @Test
  void aSnapshotRestoresStatesSequenceNumbersAndRememberedResults() {
    var s = store();
    s.apply(add("a", 1, 0, 5, "c", 1), at(1, 1, 0));
    s.apply(add("b", 1, 0, 7, "c", 2), at(2, 1, 0));
    var restored = store();
    restored.restore(s.snapshot());
    assertEquals(new EntityStore.Entity<>(5L, 1), restored.entity("a"));
    assertEquals(new EntityStore.Entity<>(7L, 1), restored.entity("b"));
    assertEquals(new Duplicate(1, 7L), restored.apply(add("b", 2, 1, 7, "c", 2), at(3, 2, 0)));
  }

  @Test
  void aStateOutOfMemoryIsReadBackAloneFromItsRecordInTheStoredSnapshot() {
    // A passivated entity's state leaves memory once a stored snapshot holds it; a store restored from that
    // snapshot builds no state at all, a command's read builds exactly the one it needs, and the next
    // snapshot carries the records of the states still out of memory over without building them.
    KryoCodec codec = KryoCodec.create(getClass().getClassLoader(), List.of(new PersistenceKryoRegistrar(),
        new ConsensusKryoRegistrar(), new BehaviorKryoRegistrar(), new TestKryoRegistrar()));
    var s = store();
    s.apply(add("a", 1, 0, 5, "c", 1), at(1, 1, 0));
    s.apply(add("b", 1, 0, 7, "c", 2), at(2, 1, 0));
    s.apply(add("c", 1, 0, 9, "c", 3), at(3, 1, 0));
    s.passivate("a");
    assertEquals(Set.of("a", "b", "c"), s.statesInMemory(), "changed since the latest snapshot: kept");
    Stored first = new Stored(codec, s.snapshot());
    s.snapshotStored(first);
    assertEquals(Set.of("b", "c"), s.statesInMemory(), "passivated and now in the snapshot: out of memory");
    assertEquals(new EntityStore.Entity<>(5L, 1), s.entity("a"), "read back from its record");
    assertEquals(1, first.decoded.get(), "one state built");

    var restored = store();
    restored.restore(codec.fromStream(first.openState()), first);
    assertEquals(Set.of(), restored.statesInMemory(), "a restored store holds no state");
    assertEquals(1, first.decoded.get(), "and built none");
    assertEquals(new Accepted(2), restored.apply(add("b", 2, 1, 1, "c2", 1), at(4, 2, 0)));
    assertEquals(Set.of("b"), restored.statesInMemory());
    assertEquals(2, first.decoded.get(), "the event read b's state alone");
    assertEquals(1, restored.activations());

    Stored second = new Stored(codec, restored.snapshot());
    restored.snapshotStored(second);
    assertEquals(2, first.decoded.get(), "a and c carried over as records, not built");
    var third = store();
    third.restore(codec.fromStream(second.openState()), second);
    assertEquals(new EntityStore.Entity<>(5L, 1), third.entity("a"));
    assertEquals(new EntityStore.Entity<>(8L, 2), third.entity("b"));
    assertEquals(new EntityStore.Entity<>(9L, 1), third.entity("c"));
    assertEquals(3, second.decoded.get());
    assertTrue(third.statesInMemory().containsAll(Set.of("a", "b", "c")));
  }

  /** A snapshot "file" in memory, as the runner writes it (Kryo, class first), counting the states built. */
  private static final class Stored implements StoredSnapshot {
    final KryoCodec codec;
    final byte[] bytes;
    final AtomicInteger decoded = new AtomicInteger();

    Stored(KryoCodec codec, Object snapshot) {
      this.codec = codec;
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      codec.toStream(snapshot, out);
      this.bytes = out.toByteArray();
    }

    @Override
    public long index() {
      return 0;
    }

    @Override
    public long term() {
      return 0;
    }

    @Override
    public InputStream openState() {
      return new ByteArrayInputStream(bytes);
    }

    @Override
    public Object decode(byte[] b) {
      decoded.incrementAndGet();
      return codec.fromBytes(b);
    }
  }

  @Test
  void anEventTheHandlerHasNoCaseForStopsTheReplica() {
    var s = store();
    Proposal unknown = new Proposal("a", 1, 0, List.of("not an Added"), "c", 1, 0);
    assertThrows(EventHandlerBuilder.UnhandledEventError.class, () -> s.apply(unknown, at(1, 1, 0)));
    assertEquals(new EntityStore.Entity<>(0L, 0), s.entity("a"), "unchanged");
  }
}
