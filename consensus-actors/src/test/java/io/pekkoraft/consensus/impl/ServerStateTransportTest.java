package io.pekkoraft.consensus.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.Configuration;
import io.pekkoraft.consensus.rules.ConfigurationCodec;
import io.pekkoraft.consensus.transport.Transport;
import io.pekkoraft.persistence.LogEntry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

// The transport hears of every configuration the server puts in effect: the recovered one at start, one
// appended, and the one before it again when its entry is truncated away, so it can follow the members.
class ServerStateTransportTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** Records the configurations it is told of. */
  private static final class Recorder implements Transport {
    final List<Configuration> configurations = new CopyOnWriteArrayList<>();

    @Override
    public void bind(String selfId, ActorRef<ServerCommand> server, ActorContext<ServerCommand> context) {}

    @Override
    public boolean send(String to, ServerCommand message) {
      return false;
    }

    @Override
    public void configurationChanged(Configuration config) {
      configurations.add(config);
    }
  }

  @Test
  void theTransportFollowsTheConfigurationAtStartOnAppendAndOnTruncation() throws Exception {
    Configuration bootstrap = Configuration.ofVoters(Set.of("node-1", "node-2", "node-3"));
    Configuration withLearner = new Configuration(Set.of("node-1", "node-2", "node-3"), Set.of(), Set.of("node-4"),
        Set.of(), Map.of("node-4", "pekko://d@127.0.0.1:4"), Map.of());
    Recorder transport = new Recorder();
    Throwable failure = ServerStateFixture.run(testKit, transport, 1, null, List.of(), s -> {
      s.append(new LogEntry(1, 1, LogEntry.Type.CONFIGURATION, ConfigurationCodec.encode(withLearner)));
      s.truncateFrom(1);
    });
    assertNull(failure);
    assertEquals(List.of(bootstrap, withLearner, bootstrap), transport.configurations,
        "at start, the entry appended, and the rollback when it was truncated");
  }

  @Test
  void aMemberLeftOutIsReachedUntilItsRemovalCommits() throws Exception {
    // A leader that removes itself leads until the removal commits and needs its followers' answers: the
    // transport keeps reaching node-3 (as a learner) while the entry that leaves it out is uncommitted.
    Configuration bootstrap = Configuration.ofVoters(Set.of("node-1", "node-2", "node-3"));
    Configuration withoutThree = Configuration.ofVoters(Set.of("node-1", "node-2"));
    Recorder transport = new Recorder();
    Throwable failure = ServerStateFixture.run(testKit, transport, 1, null, List.of(), s -> {
      s.append(new LogEntry(1, 1, LogEntry.Type.CONFIGURATION, ConfigurationCodec.encode(withoutThree)));
      s.commitTo(1);
    });
    assertNull(failure);
    assertEquals(List.of(bootstrap, new Configuration(Set.of("node-1", "node-2"), Set.of(), Set.of("node-3")), withoutThree),
        transport.configurations, "at start, node-3 still reached while its removal is uncommitted, then not");
  }
}
