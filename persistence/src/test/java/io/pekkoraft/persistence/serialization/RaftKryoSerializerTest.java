package io.pekkoraft.persistence.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftEvent;
import io.pekkoraft.persistence.serialization.TestMessages.Ask;
import io.pekkoraft.persistence.serialization.TestMessages.Greeting;
import io.pekkoraft.persistence.serialization.TestMessages.Holder;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.internal.adapter.ActorRefAdapter;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RaftKryoSerializerTest {

  private ActorTestKit testKit;
  private Serialization serialization;

  @BeforeAll
  void start() {
    testKit = ActorTestKit.create(); // loads application-test.conf: serialize-messages on
    serialization = SerializationExtension.get(testKit.system());
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void raftSerializableClassesAreBoundToKryo() {
    // Pekko picks our serializer, identifier 4242, for every RaftSerializable and no other.
    for (Object message :
        List.of(LogEntry.noop(1, 1), new RaftEvent.TermAdvanced(1), new Greeting("a", null))) {
      Serializer serializer = serialization.findSerializerFor(message);
      assertSame(RaftKryoSerializer.class, serializer.getClass());
      assertEquals(RaftKryoSerializer.IDENTIFIER, serializer.identifier());
    }
    assertFalse(serialization.findSerializerFor("a string") instanceof RaftKryoSerializer);
  }

  @Test
  void typedActorRefInsideARecordSurvives() {
    // A replyTo inside a record comes back through Pekko serialization as a ref to the same actor.
    TestProbe<Greeting> probe = testKit.createTestProbe();
    // What a probe's ref is at runtime: an adapter over a classic ref, which is what the codec registers.
    assertSame(ActorRefAdapter.class, probe.getRef().getClass());
    Ask ask = new Ask("who?", probe.getRef());
    Ask copy = new SerializationTestKit(testKit.system()).verifySerialization(ask, true);
    assertNotSame(ask, copy);
    copy.replyTo().tell(new Greeting("me", null));
    assertEquals(new Greeting("me", null), probe.receiveMessage());
  }

  @Test
  void theSystemAsAnActorRefSurvives() {
    // The typed ActorSystem is itself an ActorRef (to the user guardian); it serializes like any ref.
    Holder holder = new Holder(testKit.system());
    byte[] bytes = serialization.serialize(holder).get();
    Holder copy = (Holder) serialization.deserialize(bytes, RaftKryoSerializer.IDENTIFIER, "").get();
    assertEquals(((ActorRef<?>) testKit.system()).path(), ((ActorRef<?>) copy.content()).path());
  }

  @Test
  void messagesToAProbeArriveEqualButCopied() {
    // With serialize-messages on, a message sent locally goes through Kryo and arrives equal, not same.
    TestProbe<RaftSerializable> probe = testKit.createTestProbe();
    TestProbe<Greeting> replyProbe = testKit.createTestProbe();
    List<RaftSerializable> messages =
        List.of(
            new RaftEvent.EntriesAppended(
                List.of(LogEntry.noop(1, 1), new LogEntry(2, 1, LogEntry.Type.COMMAND, new byte[] {7}))),
            new RaftEvent.VoteCast(3, "node-1"),
            new Ask("q", replyProbe.getRef()));
    for (RaftSerializable message : messages) {
      probe.getRef().tell(message);
      RaftSerializable received = probe.receiveMessage();
      assertEquals(message, received);
      assertNotSame(message, received);
    }
  }

  @Test
  void arteryByteBufferPathAndTheArrayPathReadEachOther() throws Exception {
    // Artery writes through ByteBufferSerializer into its envelope and reads with deserializeByteBuffer;
    // persistence and serialize-messages use arrays. No manifest either way; each reads the other's bytes.
    TestProbe<Greeting> probe = testKit.createTestProbe();
    Ask ask = new Ask("where?", probe.getRef());
    Serializer serializer = serialization.findSerializerFor(ask);
    assertTrue(serializer instanceof ByteBufferSerializer, "Artery uses the buffer path");
    assertEquals("", Serializers.manifestFor(serializer, ask));
    ByteBuffer buffer = ByteBuffer.allocateDirect(1024);
    ((ByteBufferSerializer) serializer).toBinary(ask, buffer);
    buffer.flip();
    byte[] fromBuffer = new byte[buffer.remaining()];
    buffer.get(0, fromBuffer);
    byte[] fromArray = serialization.serialize(ask).get();
    assertArrayEquals(fromArray, fromBuffer);

    Ask viaBuffer = (Ask) serialization.deserializeByteBuffer(buffer, RaftKryoSerializer.IDENTIFIER, "");
    Ask viaArray = (Ask) serialization.deserialize(fromBuffer, RaftKryoSerializer.IDENTIFIER, "").get();
    Ask arrayViaBuffer =
        (Ask) serialization.deserializeByteBuffer(ByteBuffer.wrap(fromArray), RaftKryoSerializer.IDENTIFIER, "");
    for (Ask copy : List.of(viaBuffer, viaArray, arrayViaBuffer)) {
      assertEquals(ask, copy);
      copy.replyTo().tell(new Greeting("here", null));
      assertEquals(new Greeting("here", null), probe.receiveMessage());
    }
  }

  @Test
  void theSerializerSharesTheSystemCodec() {
    // Bytes from RaftSerialization's codec are what the Pekko serializer writes and reads.
    KryoCodec codec = RaftSerialization.get(testKit.system()).codec();
    assertSame(codec, RaftSerialization.get(testKit.system()).codec());
    RaftEvent event = new RaftEvent.EntriesTruncated(5);
    byte[] bytes = serialization.serialize(event).get();
    assertEquals(event, codec.fromBytes(bytes, RaftEvent.class));
  }

  @Test
  void aCodecWithoutResolverNamesTheMissingPiece() {
    // A codec built without an ActorRefResolver refuses ActorRefs and says why.
    KryoCodec codec =
        KryoCodec.create(
            getClass().getClassLoader(), List.of(new PersistenceKryoRegistrar(), new TestKryoRegistrar()));
    TestProbe<Greeting> probe = testKit.createTestProbe();
    RaftSerializationException e =
        assertThrows(RaftSerializationException.class, () -> codec.toBytes(new Ask("q", probe.getRef())));
    assertTrue(e.getMessage().contains(ActorRefAdapter.class.getName()), e.getMessage());
    assertTrue(e.getMessage().contains("ActorRefResolver"), e.getMessage());
  }
}
