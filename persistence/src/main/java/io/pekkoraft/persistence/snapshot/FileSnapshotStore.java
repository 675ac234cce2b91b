package io.pekkoraft.persistence.snapshot;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.snapshot.japi.SnapshotStore;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serialization$;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import scala.concurrent.Future;
import scala.util.Try;

/**
 * A Pekko Persistence snapshot store on plain files that are durable when a save is acknowledged: each
 * snapshot is written to a temporary file, fsynced, renamed into place atomically, and the directory is
 * fsynced, so after a crash a snapshot file is either whole or absent. Every file carries a CRC32C; a file
 * that fails it, or any other file that is not a snapshot, fails the load with an error naming the file:
 * a Raft node whose log was compacted into a snapshot must not silently start from an older state.
 *
 * <p>Files are named {@code snapshot-<persistence id, URL-encoded>-<sequence nr>-<timestamp>.snap}. The
 * store does its I/O in the plugin actor, one request at a time, on its own dispatcher (plugin-dispatcher).
 */
public final class FileSnapshotStore extends SnapshotStore {

  static final int MAGIC = 0x50525331; // "PRS1"
  private static final String PREFIX = "snapshot-";
  private static final String SUFFIX = ".snap";
  private static final String TEMP_SUFFIX = ".tmp";

  private final SnapshotStoreSettings settings;
  private final ExtendedActorSystem system;
  private final Serialization serialization;
  private boolean directoryChecked;

  public FileSnapshotStore(Config config, String configPath) {
    this.settings = SnapshotStoreSettings.from(config, configPath);
    this.system = (ExtendedActorSystem) context().system();
    this.serialization = SerializationExtension.get(system);
  }

  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    try {
      for (SnapshotFile f : matching(persistenceId, criteria)) {
        return Futures.successful(Optional.of(SelectedSnapshot.create(f.metadata(), read(f.path()))));
      }
      return Futures.successful(Optional.empty());
    } catch (IOException | RuntimeException e) {
      return Futures.failed(e);
    }
  }

  @Override
  public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
    try {
      Path dir = directory();
      Path target = dir.resolve(SnapshotFile.name(metadata.persistenceId(), metadata.sequenceNr(), metadata.timestamp()));
      Path temp = dir.resolve(target.getFileName() + TEMP_SUFFIX);
      byte[] bytes = encode(snapshot);
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) ch.write(buf);
        if (settings.fsync()) ch.force(true);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system of " + dir + " cannot rename atomically; snapshots need it", e);
      }
      if (settings.fsync()) syncDirectory(dir);
      return Futures.successful(null);
    } catch (IOException | RuntimeException e) {
      return Futures.failed(e);
    }
  }

  /**
   * Deletes the snapshot of that persistence id, sequence number and timestamp; a timestamp of 0 means any
   * timestamp, as in Pekko's own stores: a classic {@code deleteSnapshot(sequenceNr)} and the clean-up
   * after a failed save send metadata without one.
   */
  @Override
  public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
    try {
      Path dir = directory();
      if (metadata.timestamp() == 0L) {
        long seq = metadata.sequenceNr();
        for (SnapshotFile f : matching(metadata.persistenceId(), SnapshotSelectionCriteria.create(seq, Long.MAX_VALUE, seq, 0L))) {
          Files.deleteIfExists(f.path());
        }
      } else {
        Files.deleteIfExists(dir.resolve(SnapshotFile.name(metadata.persistenceId(), metadata.sequenceNr(),
            metadata.timestamp())));
      }
      if (settings.fsync()) syncDirectory(dir);
      return Futures.successful(null);
    } catch (IOException | RuntimeException e) {
      return Futures.failed(e);
    }
  }

  @Override
  public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    try {
      List<SnapshotFile> doomed = matching(persistenceId, criteria);
      for (SnapshotFile f : doomed) Files.deleteIfExists(f.path());
      if (!doomed.isEmpty() && settings.fsync()) syncDirectory(directory());
      return Futures.successful(null);
    } catch (IOException | RuntimeException e) {
      return Futures.failed(e);
    }
  }

  /** Pekko's selection rule: the snapshot's sequence number and timestamp lie within the criteria's bounds. */
  public static boolean selects(SnapshotSelectionCriteria criteria, SnapshotMetadata m) {
    return m.sequenceNr() <= criteria.maxSequenceNr() && m.timestamp() <= criteria.maxTimestamp()
        && m.sequenceNr() >= criteria.minSequenceNr() && m.timestamp() >= criteria.minTimestamp();
  }

  /** The snapshots of {@code persistenceId} that {@code criteria} selects, youngest first. */
  private List<SnapshotFile> matching(String persistenceId, SnapshotSelectionCriteria criteria) throws IOException {
    List<SnapshotFile> out = new ArrayList<>();
    for (SnapshotFile f : scan()) {
      SnapshotMetadata m = f.metadata();
      if (m.persistenceId().equals(persistenceId) && selects(criteria, m)) out.add(f);
    }
    out.sort(Comparator.comparingLong((SnapshotFile f) -> f.metadata().sequenceNr())
        .thenComparingLong(f -> f.metadata().timestamp()).reversed());
    return out;
  }

  /** Every snapshot file of the directory; leftovers of a save cut short by a crash are removed. */
  private List<SnapshotFile> scan() throws IOException {
    Path dir = directory();
    List<SnapshotFile> files = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        if (name.endsWith(TEMP_SUFFIX) && name.startsWith(PREFIX)) {
          log().warning("Removing {}: a snapshot save that a crash cut short (the snapshot was never acknowledged)", p);
          Files.deleteIfExists(p);
          continue;
        }
        files.add(SnapshotFile.parse(p)
            .orElseThrow(() -> new IOException("snapshot store " + dir + " (" + settings.key("dir") + ") holds " + p
                + ", which is not a snapshot file; nothing but snapshots may be in this directory")));
      }
    }
    return files;
  }

  private Path directory() throws IOException {
    Path dir = settings.dir();
    if (!directoryChecked) {
      if (Files.exists(dir) && !Files.isDirectory(dir)) {
        throw new IOException(settings.key("dir") + " = " + dir + " is not a directory");
      }
      if (!Files.isDirectory(dir)) {
        if (!settings.createDir()) {
          throw new IOException(settings.key("dir") + " = " + dir + " does not exist and "
              + settings.key("create-dir") + " is off");
        }
        try {
          Files.createDirectories(dir);
        } catch (IOException e) {
          throw new IOException("cannot create the snapshot directory " + settings.key("dir") + " = " + dir + ": " + e, e);
        }
      }
      if (!Files.isWritable(dir)) throw new IOException(settings.key("dir") + " = " + dir + " is not writable");
      directoryChecked = true;
    }
    return dir;
  }

  private static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  // ---- file format: magic, serializer id, manifest, payload, CRC32C of all before it ----

  private byte[] encode(Object snapshot) {
    org.apache.pekko.serialization.Serializer serializer = serialization.findSerializerFor(snapshot);
    byte[] manifest = Serializers.manifestFor(serializer, snapshot).getBytes(StandardCharsets.UTF_8);
    byte[] payload = toBinary(serializer, snapshot);
    ByteBuffer buf = ByteBuffer.allocate(4 + 4 + 4 + manifest.length + 4 + payload.length + 4);
    buf.putInt(MAGIC).putInt(serializer.identifier()).putInt(manifest.length).put(manifest)
        .putInt(payload.length).put(payload);
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), 0, buf.position());
    buf.putInt((int) crc.getValue());
    return buf.array();
  }

  /**
   * Serializes with the actor system's transport information, as Pekko's own stores do, so that
   * serializers that write or resolve ActorRefs through it (Jackson's, for one) work for snapshots.
   * Reading needs nothing more: {@link Serialization#deserialize(byte[], int, String)} sets it itself.
   */
  private byte[] toBinary(org.apache.pekko.serialization.Serializer serializer, Object snapshot) {
    return Serialization$.MODULE$.withTransportInformation(system, () -> serializer.toBinary(snapshot));
  }

  private Object read(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    try {
      if (buf.getInt() != MAGIC) throw corrupt(file, 0, "it does not start with the snapshot file magic");
      int serializerId = buf.getInt();
      int manifestLength = buf.getInt();
      if (manifestLength < 0 || manifestLength > buf.remaining()) throw corrupt(file, 8, "bad manifest length " + manifestLength);
      byte[] manifest = new byte[manifestLength];
      buf.get(manifest);
      int payloadOffset = buf.position();
      int payloadLength = buf.getInt();
      if (payloadLength < 0 || payloadLength > buf.remaining() - 4) { // not payloadLength + 4: it overflows
        throw corrupt(file, payloadOffset, "payload length " + payloadLength + " runs past the end of the file ("
            + bytes.length + " bytes): the file is truncated");
      }
      byte[] payload = new byte[payloadLength];
      buf.get(payload);
      int crcOffset = buf.position();
      CRC32C crc = new CRC32C();
      crc.update(bytes, 0, crcOffset);
      if (buf.getInt() != (int) crc.getValue()) throw corrupt(file, crcOffset, "CRC32C mismatch");
      if (buf.hasRemaining()) throw corrupt(file, buf.position(), buf.remaining() + " unexpected bytes after the CRC");
      String manifestText = new String(manifest, StandardCharsets.UTF_8);
      Try<Object> snapshot = serialization.deserialize(payload, serializerId, manifestText);
      if (snapshot.isFailure()) {
        Throwable cause = snapshot.failed().get();
        throw new IOException("cannot deserialize snapshot file " + file + " (serializer " + serializerId + ", manifest '"
            + manifestText + "'): " + cause, cause);
      }
      return snapshot.get();
    } catch (java.nio.BufferUnderflowException e) {
      throw corrupt(file, buf.position(), "the file ends early (" + bytes.length + " bytes): it is truncated");
    }
  }

  private static IOException corrupt(Path file, long offset, String what) {
    return new IOException("corrupt snapshot file " + file + " at offset " + offset + ": " + what
        + ". Refusing to start from an older state; restore the file or remove the node's data to rejoin empty");
  }

  /** A snapshot file's name and what it encodes. */
  record SnapshotFile(Path path, SnapshotMetadata metadata) {

    static String name(String persistenceId, long sequenceNr, long timestamp) {
      return PREFIX + java.net.URLEncoder.encode(persistenceId, StandardCharsets.UTF_8) + "-" + sequenceNr + "-"
          + timestamp + SUFFIX;
    }

    static Optional<SnapshotFile> parse(Path path) {
      String name = path.getFileName().toString();
      if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) return Optional.empty();
      String core = name.substring(PREFIX.length(), name.length() - SUFFIX.length());
      int tsDash = core.lastIndexOf('-');
      int seqDash = tsDash < 0 ? -1 : core.lastIndexOf('-', tsDash - 1);
      if (seqDash < 0) return Optional.empty(); // seqDash 0: the empty persistence id, which save accepts
      try {
        long seq = Long.parseLong(core.substring(seqDash + 1, tsDash));
        long ts = Long.parseLong(core.substring(tsDash + 1));
        String pid = java.net.URLDecoder.decode(core.substring(0, seqDash), StandardCharsets.UTF_8);
        return Optional.of(new SnapshotFile(path, SnapshotMetadata.apply(pid, seq, ts)));
      } catch (RuntimeException e) {
        return Optional.empty();
      }
    }
  }
}
