package io.pekkoraft.samples.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.AppliedEntry;
import io.pekkoraft.samples.lock.FencedStorage.StaleToken;
import io.pekkoraft.samples.lock.FencedStorage.Written;
import io.pekkoraft.samples.lock.LockStateMachine.Acquire;
import io.pekkoraft.samples.lock.LockStateMachine.Acquired;
import io.pekkoraft.samples.lock.LockStateMachine.Busy;
import io.pekkoraft.samples.lock.LockStateMachine.GetLock;
import io.pekkoraft.samples.lock.LockStateMachine.LockCommand;
import io.pekkoraft.samples.lock.LockStateMachine.LockResult;
import io.pekkoraft.samples.lock.LockStateMachine.LockState;
import io.pekkoraft.samples.lock.LockStateMachine.Reason;
import io.pekkoraft.samples.lock.LockStateMachine.Refused;
import io.pekkoraft.samples.lock.LockStateMachine.Release;
import io.pekkoraft.samples.lock.LockStateMachine.Released;
import io.pekkoraft.samples.lock.LockStateMachine.Renew;
import io.pekkoraft.samples.lock.LockStateMachine.Renewed;
import org.junit.jupiter.api.Test;

/**
 * The lock as a unit, each command applied at a log index and a log time given by the test (as the runner
 * gives them from the log): fencing tokens are the acquisitions' indexes, leases end by log time only, and a
 * renew or release by anyone but the current holder, with its token, in its lease, is refused with its reason.
 */
class LockStateMachineTest {

  private final LockStateMachine lock = new LockStateMachine();

  private LockResult at(long index, long logTime, LockCommand command) {
    return lock.apply(command, new AppliedEntry(index, 1, logTime));
  }

  @Test
  void tokensAreTheAcquisitionsIndexesAndStrictlyIncrease() {
    Acquired first = assertInstanceOf(Acquired.class, at(5, 1_000, new Acquire("a", 100)));
    assertEquals(5, first.token());
    assertEquals(1_100, first.expiresAtMillis());
    assertInstanceOf(Released.class, at(6, 1_010, new Release("a", 5)));
    Acquired second = assertInstanceOf(Acquired.class, at(9, 1_020, new Acquire("b", 100)));
    assertEquals(9, second.token());
    Acquired third = assertInstanceOf(Acquired.class, at(12, 2_000, new Acquire("a", 100))); // b's lease passed
    assertTrue(first.token() < second.token() && second.token() < third.token());
  }

  /**
   * The Jepsen schedule in log time: A holds until 1 000 + 500; B is Busy at 1 400, gets the lock at 1 500 with
   * a higher token; A's renew and release are SUPERSEDED, and the storage rejects A's write after B's.
   */
  @Test
  void aLeaseEndsByLogTimeAndTheStaleHolderIsFenced() {
    Acquired a = assertInstanceOf(Acquired.class, at(3, 1_000, new Acquire("A", 500)));
    Busy busy = assertInstanceOf(Busy.class, at(4, 1_499, new Acquire("B", 500)));
    assertEquals(new Busy("A", 1_500), busy);
    Acquired b = assertInstanceOf(Acquired.class, at(5, 1_500, new Acquire("B", 500)), "A's lease passed at 1 500");
    assertTrue(b.token() > a.token());

    Refused renew = assertInstanceOf(Refused.class, at(6, 1_600, new Renew("A", a.token())));
    assertEquals(Reason.SUPERSEDED, renew.reason(), renew.detail());
    assertEquals(Reason.SUPERSEDED, assertInstanceOf(Refused.class, at(7, 1_610, new Release("A", a.token()))).reason());
    assertEquals(new LockState("B", b.token(), 500, 2_000, 1_610), lock.query(GetLock.INSTANCE), "B holds it still");

    FencedStorage storage = new FencedStorage();
    assertInstanceOf(Written.class, storage.write("k", "A's", a.token()));
    assertInstanceOf(Written.class, storage.write("k", "B's", b.token()));
    assertEquals(new StaleToken("k", a.token(), b.token()), storage.write("k", "A's, after its pause", a.token()));
    assertEquals("B's", storage.read("k").orElseThrow());
  }

  @Test
  void renewExtendsTheLeaseFromNowAndOnlyWithinIt() {
    Acquired a = assertInstanceOf(Acquired.class, at(1, 1_000, new Acquire("A", 500)));
    assertEquals(new Renewed("A", 1, 1_900), at(2, 1_400, new Renew("A", a.token())));
    assertInstanceOf(Busy.class, at(3, 1_800, new Acquire("B", 500)), "the renewed lease holds until 1 900");
    Refused late = assertInstanceOf(Refused.class, at(4, 1_900, new Renew("A", a.token())));
    assertEquals(Reason.EXPIRED, late.reason(), "nobody took the lock, but the lease passed: " + late.detail());
    assertInstanceOf(Acquired.class, at(5, 1_901, new Acquire("B", 500)));
  }

  @Test
  void theWrongOwnerOrTokenIsRefusedAndChangesNothing() {
    Acquired a = assertInstanceOf(Acquired.class, at(1, 1_000, new Acquire("A", 500)));
    LockResult before = lock.query(GetLock.INSTANCE);
    assertEquals(Reason.NOT_HOLDER, assertInstanceOf(Refused.class, at(2, 1_000, new Renew("B", a.token()))).reason());
    assertEquals(Reason.NOT_HOLDER, assertInstanceOf(Refused.class, at(3, 1_000, new Release("B", a.token()))).reason());
    assertEquals(Reason.NOT_HOLDER, assertInstanceOf(Refused.class, at(4, 1_000, new Renew("A", 99))).reason());
    assertEquals(Reason.NOT_HOLDER, assertInstanceOf(Refused.class, at(5, 1_000, new Release("A", 0))).reason());
    assertInstanceOf(Busy.class, at(6, 1_000, new Acquire("A", 500)), "not reentrant: the holder renews instead");
    LockState after = (LockState) lock.query(GetLock.INSTANCE);
    assertEquals(((LockState) before).expiresAtMillis(), after.expiresAtMillis());
    assertEquals("A", after.holder());

    assertInstanceOf(Released.class, at(7, 1_100, new Release("A", a.token())));
    assertEquals(Reason.RELEASED, assertInstanceOf(Refused.class, at(8, 1_100, new Renew("A", a.token()))).reason());
    assertEquals(Reason.RELEASED, assertInstanceOf(Refused.class, at(9, 1_100, new Release("A", a.token()))).reason());
  }

  @Test
  void invalidAcquisitionsThrowBeforeChangingAnything() {
    assertThrows(IllegalArgumentException.class, () -> at(1, 1_000, new Acquire("A", 0)));
    assertThrows(IllegalArgumentException.class, () -> at(2, 1_000, new Acquire("", 100)));
    assertThrows(IllegalArgumentException.class, () -> at(3, 0, new Acquire("A", 100)), "no log time, no lease");
    assertEquals(0, ((LockState) lock.query(GetLock.INSTANCE)).token());
  }

  @Test
  void aSnapshotRestoresTheHoldingAndItsLease() {
    at(4, 1_000, new Acquire("A", 500));
    LockStateMachine restored = new LockStateMachine();
    restored.restore(lock.snapshot());
    assertInstanceOf(Busy.class, restored.apply(new Acquire("B", 500), new AppliedEntry(5, 1, 1_200)));
    assertEquals(new Renewed("A", 4, 1_800), restored.apply(new Renew("A", 4), new AppliedEntry(6, 1, 1_300)));
  }
}
