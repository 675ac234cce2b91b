package io.pekkoraft.consensus.impl.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.impl.SessionSettings;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The session all the clients of a connection share: the acknowledged sequence never passes a command still
 * waiting, at most max-cached-results-per-session commands wait at once, and neither the answers' thread (the
 * dispatcher) nor a client thread ever waits for another client thread that holds the session.
 */
class ClientSessionTest {

  private static SessionSettings settings(int cachedResultsMax) {
    return SessionSettings.fromConfig(ConfigFactory.parseString(
            "pekko-raft.session.max-cached-results-per-session = " + cachedResultsMax)
        .withFallback(ConfigFactory.load()).getConfig("pekko-raft"));
  }

  @Test
  void theAcknowledgedSequenceStopsBelowTheLowestCommandStillWaiting() {
    ClientSession session = new ClientSession(settings(1000));
    assertEquals(0, session.acked());
    long one = session.start();
    long two = session.start();
    long three = session.start();
    assertEquals(0, session.acked());
    session.done(two);
    assertEquals(0, session.acked(), "1 still waits");
    session.done(one);
    assertEquals(two, session.acked(), "3 still waits");
    session.done(three);
    assertEquals(three, session.acked());
    session.done(three); // a second report changes nothing
    assertEquals(three, session.acked());
  }

  @Test
  void atMostCachedResultsMaxCommandsWaitAtOnce() {
    ClientSession session = new ClientSession(settings(2));
    long one = session.start();
    session.start();
    assertEquals(0, session.start(), "a third command waiting is refused");
    session.done(one);
    assertEquals(3, session.start());
  }

  @Test
  void answeringStartingAndAttemptingNeverWaitForAThreadHoldingTheSession() throws Exception {
    ClientSession session = new ClientSession(settings(1000));
    long sequence = session.start();
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread holder = new Thread(() -> {
      synchronized (session) { // a client thread preempted while it starts a command
        held.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    holder.start();
    try {
      held.await();
      CompletableFuture<Long> answered = CompletableFuture.supplyAsync(() -> {
        session.done(sequence);
        return session.acked();
      });
      assertEquals(sequence, answered.get(10, TimeUnit.SECONDS));
      // nor does another client thread starting a command
      CompletableFuture<Long> started = CompletableFuture.supplyAsync(session::start);
      assertEquals(sequence + 1, started.get(10, TimeUnit.SECONDS));
      assertEquals(sequence, session.acked());
    } finally {
      release.countDown();
      holder.join();
    }
  }
}
