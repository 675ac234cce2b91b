package io.pekkoraft.samples.counter;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated-behavior counter on a real three-node cluster (Artery, durable journals in a temporary
 * directory): entity refs on every node reach the leader's command handler, the leader's node stops, and
 * every remaining node reads each counter at exactly the increments acknowledged.
 */
class CounterBehaviorSampleTest {

  private static final Logger log = LoggerFactory.getLogger(CounterBehaviorSampleTest.class);

  @Test
  void everyNodeReadsEveryAcknowledgedIncrementAcrossALeaderStop() throws Exception {
    assertTrue(CounterBehaviorSample.run(log::info), "a node read another value than the increments acknowledged");
  }
}
