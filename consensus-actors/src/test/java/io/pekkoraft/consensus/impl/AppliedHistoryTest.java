package io.pekkoraft.consensus.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** pekko-raft.watch.buffer-entries: 10000 by default, and a ring of no command is refused at start, naming the key. */
class AppliedHistoryTest {

  @Test
  void theRingHoldsBufferEntriesCommandsAndAtLeastOne() {
    assertEquals(10000, AppliedHistory.fromConfig(ConfigFactory.load()).capacity());
    ConfigException.BadValue zero = assertThrows(ConfigException.BadValue.class, () -> AppliedHistory.fromConfig(
        ConfigFactory.parseString("pekko-raft.watch.buffer-entries = 0").withFallback(ConfigFactory.load())));
    assertTrue(zero.getMessage().contains("pekko-raft.watch.buffer-entries"), zero.getMessage());
  }
}
