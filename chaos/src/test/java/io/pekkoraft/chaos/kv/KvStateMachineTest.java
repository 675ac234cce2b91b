package io.pekkoraft.chaos.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pekkoraft.chaos.kv.KvStateMachine.Add;
import io.pekkoraft.chaos.kv.KvStateMachine.AddUnique;
import io.pekkoraft.chaos.kv.KvStateMachine.Cas;
import io.pekkoraft.chaos.kv.KvStateMachine.Read;
import io.pekkoraft.chaos.kv.KvStateMachine.Result;
import io.pekkoraft.chaos.kv.KvStateMachine.Write;
import org.junit.jupiter.api.Test;

class KvStateMachineTest {

  @Test
  void addsWritesAndCompareAndSets() {
    KvStateMachine kv = new KvStateMachine();
    assertEquals(new Result(null, true), kv.query(new Read("k")));
    assertEquals(new Result(1L, true), kv.apply(new Add("c", 1)));
    assertEquals(new Result(3L, true), kv.apply(new Add("c", 2)));
    assertEquals(new Result(null, false), kv.apply(new Cas("k", 0, 1)), "a cas on a key never written fails");
    assertEquals(new Result(4L, true), kv.apply(new Write("k", 4)));
    assertEquals(new Result(4L, false), kv.apply(new Cas("k", 0, 1)));
    assertEquals(new Result(2L, true), kv.apply(new Cas("k", 4, 2)));
    assertEquals(new Result(2L, true), kv.query(new Read("k")));
  }

  @Test
  void anOverflowChangesNothing() {
    KvStateMachine kv = new KvStateMachine();
    kv.apply(new Write("c", Long.MAX_VALUE));
    assertThrows(ArithmeticException.class, () -> kv.apply(new Add("c", 1)));
    assertEquals(new Result(Long.MAX_VALUE, true), kv.query(new Read("c")));
  }

  @Test
  void aSnapshotRestoresTheWholeMapElsewhere() {
    KvStateMachine kv = new KvStateMachine();
    kv.apply(new Write("a", 1));
    kv.apply(new Add("b", 5));
    Object snapshot = kv.snapshot();
    kv.apply(new Write("a", 9)); // after the snapshot: not in it
    KvStateMachine other = new KvStateMachine();
    other.apply(new Write("z", 3)); // replaced by the restore
    other.restore(snapshot);
    assertEquals(new Result(1L, true), other.query(new Read("a")));
    assertEquals(new Result(5L, true), other.query(new Read("b")));
    assertEquals(new Result(null, true), other.query(new Read("z")));
  }

  @Test
  void addsWithIdsAreListedInTheOrderAppliedAndADoubleApplyListsItsIdTwice() {
    KvStateMachine kv = new KvStateMachine();
    kv.apply(new AddUnique("c", 1, 7));
    kv.apply(new AddUnique("c", 1, 3));
    kv.apply(new AddUnique("c", 1, 7)); // applied again: counted again, and visible
    assertEquals(new Result(3L, true, new long[] {7, 3, 7}, 3), kv.query(new Read("c", 0)));
    assertEquals(new Result(3L, true, new long[] {3, 7}, 3), kv.query(new Read("c", 1)), "a page from position 1");
    assertEquals(new Result(3L, true), kv.query(new Read("c")), "a plain read carries no ids");

    KvStateMachine other = new KvStateMachine();
    other.restore(kv.snapshot());
    assertEquals(new Result(3L, true, new long[] {7, 3, 7}, 3), other.query(new Read("c", 0)), "the ids travel in snapshots");
  }
}
