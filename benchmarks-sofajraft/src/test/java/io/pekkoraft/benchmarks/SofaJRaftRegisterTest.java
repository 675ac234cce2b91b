package io.pekkoraft.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Status;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * W1's register on SOFAJRaft adds each entry's increment, gives the leader's closure the new value, and stops loudly
 * on an entry too short to hold an increment.
 */
class SofaJRaftRegisterTest {

  /** Entries as SOFAJRaft hands them to the state machine: data, and on the leader the task's closure. */
  private record Entry(ByteBuffer data, Closure done) {}

  private static final class Entries implements Iterator {
    private final List<Entry> entries;
    private int at;

    Entries(List<Entry> entries) {
      this.entries = entries;
    }

    @Override
    public boolean hasNext() {
      return at < entries.size();
    }

    @Override
    public ByteBuffer next() {
      at++;
      return hasNext() ? entries.get(at).data() : null;
    }

    @Override
    public ByteBuffer getData() {
      return entries.get(at).data();
    }

    @Override
    public long getIndex() {
      return at + 1;
    }

    @Override
    public long getTerm() {
      return 1;
    }

    @Override
    public Closure done() {
      return entries.get(at).done();
    }

    @Override
    public void setAutoCommitPerLog(boolean status) {}

    @Override
    public boolean commit() {
      return false;
    }

    @Override
    public void commitAndSnapshotSync(Closure done) {}

    @Override
    public void setErrorAndRollback(long ntail, Status st) {}
  }

  /** A leader-side closure that remembers what it was told. */
  private static final class Answer extends SofaJRaftRegister.AddClosure {
    final List<Long> answers = new ArrayList<>();

    @Override
    public void run(Status status) {
      assertTrue(status.isOk(), status.toString());
      answers.add(value);
    }
  }

  @Test
  void eachEntryAddsItsBigEndianIncrementAndTheLeadersClosureGetsTheNewValue() {
    SofaJRaftRegister register = new SofaJRaftRegister();
    Answer answer = new Answer();
    ByteBuffer bigIncrement = ByteBuffer.allocate(256).putLong(0, 41);

    register.onApply(new Entries(List.of(
        new Entry(ByteBuffer.wrap(Register.command(0, 256).payload()), answer),
        new Entry(ByteBuffer.wrap(Register.command(5, 256).payload()), null), // a follower's entry: no closure
        new Entry(bigIncrement, answer))));

    assertEquals(43L, register.value());
    assertEquals(List.of(1L, 43L), answer.answers);
  }

  @Test
  void anEntryShorterThanAnIncrementStopsTheStateMachineNamingTheEntry() {
    SofaJRaftRegister register = new SofaJRaftRegister();

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> register.onApply(new Entries(List.of(new Entry(ByteBuffer.allocate(4), null)))));

    assertTrue(e.getMessage().contains("entry 1 of term 1 has 4 bytes"), e.getMessage());
    assertEquals(0L, register.value());
  }
}
