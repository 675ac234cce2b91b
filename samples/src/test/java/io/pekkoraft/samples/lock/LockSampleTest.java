package io.pekkoraft.samples.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.samples.lock.FencedStorage.StaleToken;
import io.pekkoraft.samples.lock.LockStateMachine.Reason;
import io.pekkoraft.samples.lock.LockStateMachine.Refused;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sample's scenario on a real three-node cluster (Artery, durable journals in a temporary directory), with
 * a short lease: the stale holder's write after its pause is rejected by its token, and its renewal refused.
 * Client B asks again until A's lease has passed in log time; nothing here depends on how long that takes.
 */
class LockSampleTest {

  private static final Logger log = LoggerFactory.getLogger(LockSampleTest.class);

  @Test
  void theStaleHoldersWriteIsRejectedByItsToken() throws Exception {
    LockScenario.Outcome o = LockSample.run(null, Duration.ofMillis(500), Duration.ZERO, line -> log.info(line));
    assertTrue(o.b().token() > o.a().token(), "B's token must be higher: " + o);
    StaleToken stale = assertInstanceOf(StaleToken.class, o.aWroteAfterPause(), "A's write after its pause: " + o);
    assertEquals(o.b().token(), stale.highestSeen());
    assertEquals(Reason.SUPERSEDED, assertInstanceOf(Refused.class, o.aRenewedAfterPause()).reason());
    assertEquals(LockScenario.valueOfB(o.b().token()), o.finalValue(), "B's write stands");
    assertTrue(o.behaved(), o.toString());
  }
}
