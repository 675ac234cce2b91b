package io.pekkoraft.samples.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pekkoraft.persistence.serialization.KryoCodec;
import io.pekkoraft.samples.lock.LockStateMachine.Acquire;
import io.pekkoraft.samples.lock.LockStateMachine.Acquired;
import io.pekkoraft.samples.lock.LockStateMachine.Busy;
import io.pekkoraft.samples.lock.LockStateMachine.GetLock;
import io.pekkoraft.samples.lock.LockStateMachine.LockState;
import io.pekkoraft.samples.lock.LockStateMachine.Reason;
import io.pekkoraft.samples.lock.LockStateMachine.Refused;
import io.pekkoraft.samples.lock.LockStateMachine.Release;
import io.pekkoraft.samples.lock.LockStateMachine.Released;
import io.pekkoraft.samples.lock.LockStateMachine.Renew;
import io.pekkoraft.samples.lock.LockStateMachine.Renewed;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Everything the lock puts in the log, in answers and in snapshots travels through Kryo unchanged. */
class LockKryoRegistrarTest {

  @Test
  void commandsResultsAndTheSnapshotRoundTrip() {
    KryoCodec codec = KryoCodec.create(getClass().getClassLoader(), List.of(new LockKryoRegistrar()));
    for (Object o : List.of(new Acquire("A", 500), new Renew("A", 4), new Release("A", 4), GetLock.INSTANCE,
        new Acquired("A", 4, 1_500), new Busy("A", 1_500), new Renewed("A", 4, 2_000), new Released("A", 4),
        new Refused("A", 4, Reason.SUPERSEDED, "acquired since"), new LockState("", 4, 0, 0, 1_600),
        new LockState("B", 9, 500, 2_100, 1_600))) {
      assertEquals(o, codec.fromBytes(codec.toBytes(o)), o.getClass().getSimpleName());
    }
  }
}
