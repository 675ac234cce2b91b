package io.pekkoraft.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.Configuration;
import io.pekkoraft.consensus.transport.Transport;
import io.pekkoraft.persistence.LogEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.junit.jupiter.api.Test;

// The network forwards what it does not drop, drops silently (the send reports success), and counts what
// each member sent, dropped or not.
class TestNetworkTest {

  /** A member's transport that records what reaches it on the way out. */
  private static final class Recorder implements Transport {
    final List<String> delivered = new ArrayList<>();
    final List<Configuration> configurations = new ArrayList<>();

    @Override
    public void bind(String selfId, ActorRef<ServerCommand> server, ActorContext<ServerCommand> context) {}

    @Override
    public boolean send(String to, ServerCommand message) {
      delivered.add(to);
      return true;
    }

    @Override
    public void configurationChanged(Configuration config) {
      configurations.add(config);
    }
  }

  private final TestNetwork network = new TestNetwork();
  private final Recorder innerOf1 = new Recorder();
  private final Recorder innerOf2 = new Recorder();
  private final Transport node1 = network.decorate(innerOf1);
  private final Transport node2 = network.decorate(innerOf2);

  TestNetworkTest() {
    node1.bind("node-1", null, null);
    node2.bind("node-2", null, null);
  }

  private static RaftMessage.AppendEntries append(int entries) {
    List<LogEntry> list = new ArrayList<>();
    for (int i = 1; i <= entries; i++) list.add(new LogEntry(i, 1, LogEntry.Type.COMMAND, new byte[] {1}));
    return new RaftMessage.AppendEntries(1, "node-1", 0, 0, list, 0, 1);
  }

  @Test
  void theConfigurationInEffectReachesTheDecoratedTransport() {
    Configuration config = Configuration.ofVoters(Set.of("node-1", "node-2", "node-3"));
    node1.configurationChanged(config);
    assertEquals(List.of(config), innerOf1.configurations, "the transport underneath follows the members too");
  }

  @Test
  void anIsolatedMemberNeitherSendsNorReceivesButItsSendsLookSent() {
    network.isolate("node-2");
    assertTrue(node1.send("node-2", append(2)), "a lost message looks sent");
    assertTrue(node2.send("node-1", new RaftMessage.Heartbeat(1, "node-2", 0, 1)));
    assertTrue(node1.send("node-3", append(1)));
    assertEquals(List.of("node-3"), innerOf1.delivered);
    assertEquals(List.of(), innerOf2.delivered);

    network.heal();
    node2.send("node-1", new RaftMessage.Heartbeat(1, "node-2", 0, 2));
    assertEquals(List.of("node-1"), innerOf2.delivered);
  }

  @Test
  void aBlockCutsOneDirectionAndReplacesTheBlockBefore() {
    network.block("node-1", Set.of("node-2", "node-3"));
    network.block("node-1", Set.of("node-2"));
    node1.send("node-2", append(1));
    node1.send("node-3", append(1));
    node2.send("node-1", append(1));
    assertEquals(List.of("node-3"), innerOf1.delivered);
    assertEquals(List.of("node-1"), innerOf2.delivered);
    assertEquals(Set.of("node-2"), network.blocked("node-1"));
  }

  @Test
  void countsWhatEachMemberSentDroppedOrNot() {
    network.block("node-1", Set.of("node-3"));
    node1.send("node-2", append(3));
    node1.send("node-3", append(2));
    node1.send("node-2", new RaftMessage.Heartbeat(1, "node-1", 0, 1));
    TestNetwork.Counts before = network.counts();
    node2.send("node-1", append(0));

    assertEquals(new TestNetwork.Counts(3, 2, 5, 1, 1), network.counts("node-1"));
    assertEquals(new TestNetwork.Counts(1, 1, 0, 0, 0), network.counts().minus(before));
    assertEquals(TestNetwork.Counts.ZERO, network.counts("node-3"));
  }
}
