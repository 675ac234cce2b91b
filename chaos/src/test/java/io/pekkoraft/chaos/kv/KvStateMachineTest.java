package io.pekkoraft.chaos.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pekkoraft.chaos.kv.KvStateMachine.Add;
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
}
