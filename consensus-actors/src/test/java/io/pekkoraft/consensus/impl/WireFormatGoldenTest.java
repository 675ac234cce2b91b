package io.pekkoraft.consensus.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.protocol.ClientBatch;
import io.pekkoraft.consensus.protocol.ClientEnvelope;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.serialization.KryoCodec;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * The wire format of every hand-written protocol serializer, pinned: a fixed instance of each message is
 * serialized and compared, byte for byte, with a checked-in file under src/test/resources/golden/ (hex,
 * one file per message). A change to a serializer that changes its bytes fails here, as servers of the
 * old and the new version would misread each other; the golden bytes must also still read back to a
 * message that writes the same bytes.
 *
 * <p>When the format changes on purpose, regenerate the files and commit them with the change:
 * <pre>
 * mvn -o -pl consensus-actors -am test -Dtest=WireFormatGoldenTest -Dsurefire.failIfNoSpecifiedTests=false -Dgolden.update=true
 * </pre>
 * ({@code golden.update} writes the files into this module's src/test/resources/golden/ instead of comparing.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WireFormatGoldenTest {

  /** Set to true to rewrite the golden files from the current serializers. */
  static final String UPDATE_PROPERTY = "golden.update";
  private static final Path SOURCE_DIR = Path.of("src", "test", "resources", "golden");

  private ActorTestKit testKit;
  private KryoCodec codec;
  /** A replyTo whose path is the same on every run: no uid, a fixed system name, no port. */
  private ActorRef<ClientReply> client;

  @BeforeAll
  void start() {
    testKit = ActorTestKit.create("golden", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
    codec = RaftSerialization.get(testKit.system()).codec();
    client = ActorRefResolver.get(testKit.system()).resolveActorRef("pekko://golden/user/client");
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  /** One fixed instance per message with a hand-written serializer, by golden file name. */
  private Map<String, Object> messages() {
    byte[] payload = "payload".getBytes(StandardCharsets.UTF_8);
    ClientEnvelope.Tagged tagged = new ClientEnvelope.Tagged(41, new ClientReply.Applied("result", 17));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("RequestVote", new RaftMessage.RequestVote(7, "node-2", 12, 6, true, false, 0x0123456789ABCDEFL));
    m.put("RequestVoteResponse", new RaftMessage.RequestVoteResponse(7, "node-3", true, false, -2L));
    m.put("AppendEntries", new RaftMessage.AppendEntries(7, "node-1", 11, 6,
        List.of(LogEntry.noop(12, 7), new LogEntry(13, 7, LogEntry.Type.COMMAND, payload)), 10, 300));
    m.put("AppendEntriesWithLogTime", new RaftMessage.AppendEntries(7, "node-1", 11, 6, List.of(
        new LogEntry(12, 7, LogEntry.Type.SESSION_OPEN, new byte[] {1, 2, 3}, 1_700_000_000_000L),
        new LogEntry(13, 7, LogEntry.Type.SESSION_COMMAND, payload, 1_700_000_000_001L)), 10, 300));
    m.put("AppendEntriesResponse", new RaftMessage.AppendEntriesResponse(7, "node-2", false, 0, 5, 9, 300, 0x0123456789ABCDEFL));
    m.put("Heartbeat", new RaftMessage.Heartbeat(7, "node-1", 13, 1000));
    m.put("HeartbeatResponse", new RaftMessage.HeartbeatResponse(7, "node-3", 1000, -2L));
    m.put("TimeoutNow", new RaftMessage.TimeoutNow(7, "node-1"));
    m.put("ClientCommand", new ClientRequest.ClientCommand(payload, 1, 42, client));
    m.put("ClientCommandInSession", new ClientRequest.ClientCommand(payload, 12, 5, 3, 1, 42, client));
    m.put("ClientQuery", new ClientRequest.ClientQuery(payload, ReadConsistency.LINEARIZABLE, 2, 43, client));
    // A bounded STALE read: a flag in the consistency byte, then maxLagEntries + 1 and minIndex.
    m.put("ClientQueryStaleBounded", new ClientRequest.ClientQuery(payload, ReadConsistency.STALE, 100, 7, 1, 45, client));
    m.put("ClientQueryFollower", new ClientRequest.ClientQuery(payload, ReadConsistency.FOLLOWER, 0, 46, client));
    m.put("Applied", new ClientReply.Applied(123456789L, 99));
    m.put("Tagged", tagged);
    m.put("NotLeader", new ClientReply.NotLeader("node-2"));
    m.put("ClientBatch", new ClientBatch(List.of(
        new ClientRequest.ClientCommand(payload, 0, 1, client),
        new ClientRequest.ClientQuery(payload, ReadConsistency.STALE, 0, 2, client))));
    m.put("TaggedBatch", new ClientEnvelope.TaggedBatch(List.of(tagged, new ClientEnvelope.Tagged(44, new ClientReply.NotLeader(null)))));
    return m;
  }

  @TestFactory
  Stream<DynamicTest> everySerializerWritesItsGoldenBytes() {
    boolean update = Boolean.getBoolean(UPDATE_PROPERTY);
    return messages().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
      byte[] written = codec.toBytes(e.getValue());
      if (update) {
        Files.createDirectories(SOURCE_DIR);
        Files.writeString(SOURCE_DIR.resolve(e.getKey() + ".hex"), HexFormat.of().formatHex(written) + "\n");
        return;
      }
      byte[] golden = golden(e.getKey());
      assertEquals(HexFormat.of().formatHex(golden), HexFormat.of().formatHex(written),
          e.getKey() + "'s wire format changed (a server of the previous version would misread it); if on purpose,"
              + " regenerate with -D" + UPDATE_PROPERTY + "=true");
      Object read = codec.fromBytes(golden);
      assertEquals(e.getValue().getClass(), read.getClass());
      assertArrayEquals(golden, codec.toBytes(read), e.getKey() + ": the golden bytes no longer read back to the same message");
    }));
  }

  private static byte[] golden(String name) throws IOException {
    try (InputStream in = WireFormatGoldenTest.class.getResourceAsStream("/golden/" + name + ".hex")) {
      if (in == null) throw new AssertionError("no golden file golden/" + name + ".hex; generate it with -D" + UPDATE_PROPERTY + "=true");
      return HexFormat.of().parseHex(new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip());
    }
  }
}
