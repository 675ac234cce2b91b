package io.pekkoraft.consensus;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.impl.RaftSettings;
import org.junit.jupiter.api.Test;

// A remote ActorSystem whose Artery frame is too small for Raft's largest messages would drop them and
// retry forever; the group refuses to start instead, naming the keys to change.
class FrameSizeCheckTest {

  private static Config config(String hocon) {
    return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).resolve();
  }

  @Test
  void pekkosDefaultFrameIsTooSmallForTheDefaultBatchesAndChunks() {
    Config c = config("pekko.actor.provider = cluster");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PekkoRaft.checkFrameSize(c, RaftSettings.fromConfig(c)));
    assertTrue(e.getMessage().contains("pekko.remote.artery.advanced.maximum-frame-size"), e.getMessage());
    assertTrue(e.getMessage().contains("pekko-raft.snapshot.chunk-size"), e.getMessage());
  }

  @Test
  void aLargerFrameOrSmallerMessagesPass() {
    Config large = config("pekko.actor.provider = cluster\npekko.remote.artery.advanced.maximum-frame-size = 2 MiB");
    assertDoesNotThrow(() -> PekkoRaft.checkFrameSize(large, RaftSettings.fromConfig(large)));
    Config small = config("pekko.actor.provider = cluster\npekko-raft.replication.batch-bytes-max = 128 KiB\n"
        + "pekko-raft.client.request-bytes-max = 128 KiB\npekko-raft.snapshot.chunk-size = 128 KiB");
    assertDoesNotThrow(() -> PekkoRaft.checkFrameSize(small, RaftSettings.fromConfig(small)));
  }

  @Test
  void aLocalActorSystemSendsNothingOverArtery() {
    Config local = config("pekko.actor.provider = local");
    assertDoesNotThrow(() -> PekkoRaft.checkFrameSize(local, RaftSettings.fromConfig(local)));
  }
}
