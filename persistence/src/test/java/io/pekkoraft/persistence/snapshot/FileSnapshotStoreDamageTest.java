package io.pekkoraft.persistence.snapshot;

import static io.pekkoraft.persistence.snapshot.SnapshotClient.assertSnapshot;
import static io.pekkoraft.persistence.snapshot.SnapshotTestSupport.PLUGIN;
import static io.pekkoraft.persistence.snapshot.SnapshotTestSupport.assertSameRaftLogSnapshot;
import static io.pekkoraft.persistence.snapshot.SnapshotTestSupport.messages;
import static io.pekkoraft.persistence.snapshot.SnapshotTestSupport.raftLogSnapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.persistence.RaftLogSnapshot;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.DeleteSnapshotsFailure;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged and foreign files in the snapshot directory. A Raft node's journal is compacted up to its
 * latest snapshot, so a load that cannot read that snapshot must fail, naming the file (and the offset
 * of the damage): answering with an older snapshot, or none, would silently rebuild an older state.
 *
 * <p>Each damage is undone before the next one, and a load then succeeds again: that shows the damage
 * was the cause, and keeps Pekko's circuit breaker of the store (5 failures in a row) closed.
 */
class FileSnapshotStoreDamageTest {

  private Path dir;
  private ActorSystem system;
  private SnapshotClient store;

  @BeforeEach
  void start(@TempDir Path dir) {
    this.dir = dir;
    this.system = SnapshotTestSupport.startSystem(SnapshotTestSupport.storeConfig(dir, ""));
    this.store = new SnapshotClient(system, PLUGIN);
  }

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  private Path fileOf(SnapshotMetadata m) {
    return dir.resolve(FileSnapshotStore.SnapshotFile.name(m.persistenceId(), m.sequenceNr(), m.timestamp()));
  }

  private static void assertNamesTheDamage(Throwable cause, Path file, String what) {
    String all = messages(cause);
    assertTrue(all.contains("corrupt snapshot file " + file + " at offset "), what + ": " + all);
  }

  @Test
  void aFlippedByteAnywhereFailsTheLoad() throws Exception {
    // Every byte of the youngest snapshot, flipped in turn: each load fails naming the file and an
    // offset, and never answers with the older snapshot that is still intact.
    SnapshotMetadata older = store.save("p", 1, "older state");
    SnapshotMetadata youngest = store.save("p", 2, "the youngest state of p");
    Path file = fileOf(youngest);
    byte[] intact = Files.readAllBytes(file);
    for (int offset = 0; offset < intact.length; offset++) {
      byte[] damaged = intact.clone();
      damaged[offset] ^= (byte) (1 << (offset % 8));
      Files.write(file, damaged);
      assertNamesTheDamage(store.loadFailure("p"), file, "bit " + (offset % 8) + " of byte " + offset);
      Files.write(file, intact);
      assertSnapshot(youngest, "the youngest state of p", store.loadLatest("p"));
    }
    assertSnapshot(older, "older state", store.load("p", SnapshotSelectionCriteria.create(1, Long.MAX_VALUE)));
  }

  @Test
  void aFlippedByteAnywhereInARaftLogSnapshotFailsTheLoad() throws Exception {
    // The same for the Raft node's state (Kryo): each byte set to its complement in turn.
    RaftLogSnapshot state = raftLogSnapshot(3, 4);
    store.save("node", 1, raftLogSnapshot(2, 1));
    SnapshotMetadata youngest = store.save("node", 9, state);
    Path file = fileOf(youngest);
    byte[] intact = Files.readAllBytes(file);
    for (int offset = 0; offset < intact.length; offset++) {
      byte[] damaged = intact.clone();
      damaged[offset] = (byte) ~damaged[offset];
      Files.write(file, damaged);
      assertNamesTheDamage(store.loadFailure("node"), file, "byte " + offset);
      Files.write(file, intact);
      assertSameRaftLogSnapshot(state, store.loadLatest("node").orElseThrow().snapshot());
    }
  }

  @Test
  void aTruncatedFileFailsTheLoadWhereverItIsCut() throws Exception {
    // Cut at every length from empty to one byte short (inside the magic, the header, the manifest,
    // the payload, the CRC): each load fails naming the file and an offset.
    store.save("p", 1, "older state");
    SnapshotMetadata youngest = store.save("p", 2, raftLogSnapshot(5, 2));
    Path file = fileOf(youngest);
    byte[] intact = Files.readAllBytes(file);
    for (int length = 0; length < intact.length; length++) {
      Files.write(file, Arrays.copyOf(intact, length));
      assertNamesTheDamage(store.loadFailure("p"), file, "cut at " + length);
      Files.write(file, intact);
      assertEquals(2, store.loadLatest("p").orElseThrow().metadata().sequenceNr());
    }
  }

  @Test
  void bytesAppendedAfterTheCrcFailTheLoad() throws Exception {
    // A file longer than what it declares is not a snapshot this store wrote.
    SnapshotMetadata m = store.save("p", 1, "state");
    Path file = fileOf(m);
    Files.write(file, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);
    assertNamesTheDamage(store.loadFailure("p"), file, "one byte appended");
  }

  @Test
  void aForeignFileFailsEveryLoadNamingIt() throws Exception {
    // Nothing but snapshots may be in the directory: a stray file, a file with a snapshot-like name
    // that does not parse, and a subdirectory each fail loads (of any id) and deletes by criteria,
    // naming the file and the key of the directory. Once removed, the snapshots load again.
    SnapshotMetadata saved = store.save("p", 1, "state");
    for (String name : List.of("notes.txt", "snapshot-p-x-1.snap", "snapshot-p-1.snap", "snapshot-p-1-2.snap.bak",
        ".hidden", "snapshot-p-1-2-extra.tmp.old")) {
      Path foreign = Files.write(dir.resolve(name), "not a snapshot".getBytes(StandardCharsets.UTF_8));
      String all = messages(store.loadFailure("p"));
      assertTrue(all.contains(foreign + ", which is not a snapshot file"), name + ": " + all);
      assertTrue(all.contains(PLUGIN + ".dir"), name + ": " + all);
      assertTrue(messages(store.loadFailure("someone-else")).contains(foreign.toString()), name);
      Object reply = store.ask(new SnapshotProtocol.DeleteSnapshots("p", SnapshotSelectionCriteria.latest()));
      assertTrue(reply instanceof DeleteSnapshotsFailure f && messages(f.cause()).contains(foreign.toString()), name + ": " + reply);
      Files.delete(foreign);
      assertSnapshot(saved, "state", store.loadLatest("p"));
    }
    Path subdirectory = Files.createDirectory(dir.resolve("lost+found"));
    assertTrue(messages(store.loadFailure("p")).contains(subdirectory + ", which is not a snapshot file"));
    Files.delete(subdirectory);
    assertSnapshot(saved, "state", store.loadLatest("p"));
  }

  @Test
  void aSnapshotThatCannotBeDeserializedFailsTheLoadNamingTheFile() throws Exception {
    // A whole file (its CRC matches) whose serializer this system does not have, as after a change of
    // serialization configuration: the load fails and says which file it could not read.
    SnapshotMetadata m = SnapshotMetadata.apply("p", 3, 1_700_000_000_000L);
    Path file = fileOf(m);
    Files.write(file, crafted(987_654, "some.Manifest", "payload".getBytes(StandardCharsets.UTF_8), "payload".length()));
    String all = messages(store.loadFailure("p"));
    assertTrue(all.contains(file.toString()), all);
    assertTrue(all.contains("987654"), all);
  }

  @Test
  void aHugeDeclaredPayloadLengthFailsTheLoad() throws Exception {
    // A payload length near Integer.MAX_VALUE (damage the CRC cannot be checked before) is reported as
    // running past the end of the file, not attempted as an allocation.
    SnapshotMetadata m = SnapshotMetadata.apply("p", 3, 1_700_000_000_000L);
    Path file = fileOf(m);
    for (int length : new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE - 3, Integer.MAX_VALUE - 1}) {
      Files.write(file, crafted(20, "", new byte[0], length));
      assertNamesTheDamage(store.loadFailure("p"), file, "payload length " + length);
    }
  }

  /** A file in the store's format: magic, serializer id, manifest, payload (declared length given), CRC32C. */
  private static byte[] crafted(int serializerId, String manifest, byte[] payload, int declaredPayloadLength) {
    byte[] m = manifest.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(4 + 4 + 4 + m.length + 4 + payload.length + 4);
    buf.putInt(FileSnapshotStore.MAGIC).putInt(serializerId).putInt(m.length).put(m)
        .putInt(declaredPayloadLength).put(payload);
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), 0, buf.position());
    buf.putInt((int) crc.getValue());
    return buf.array();
  }
}
