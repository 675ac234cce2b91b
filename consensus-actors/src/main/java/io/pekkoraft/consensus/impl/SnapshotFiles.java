package io.pekkoraft.consensus.impl;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import io.pekkoraft.persistence.serialization.KryoCodec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The state machine snapshots of one member, one file each, named by the index and term they cover. The
 * data is stored once, here; the journal records only that a snapshot at (index, term) of so many bytes
 * exists ({@code RaftEvent.SnapshotStored}). A file is written whole and durable before that event is:
 * into a temporary file, fsynced, renamed atomically, and the directory fsynced.
 *
 * <p>Layout: a header (magic, index, term), then inside one zstd frame with its content checksum the client
 * session table ({@link SessionTable#writeTo}, versioned) and the state as Kryo. A file of the first layout
 * (magic {@code PRNAPSN1}: the state alone) still reads, with an empty session table. Writing and reading stream through a small buffer, so the size of a snapshot is bounded by
 * the disk, not the heap; a leader sends a file in chunks read at an offset, and a follower writes the
 * chunks it receives into a file of its own ({@link Incoming}). A file that is missing, damaged or names
 * another position fails loudly with its path: a node never starts from a state it cannot trust.
 *
 * <p>Every method does blocking file I/O; the callers are the state machine runner (taking and restoring
 * snapshots, which already block it for the serialization) and the server (one chunk at a time).
 */
final class SnapshotFiles {

  private static final long MAGIC_STATE_ONLY = 0x50524E4150534E31L; // "PRNAPSN1"
  private static final long MAGIC = 0x50524E4150534E32L; // "PRNAPSN2": sessions, then state
  private static final int HEADER_BYTES = 24;
  /** zstd's default level: fast, and most of the ratio of the higher levels for typical state. */
  private static final int LEVEL = 3;
  private static final String SUFFIX = ".snapshot";

  private final Path dir;

  /** The snapshots of the member whose journal persistence id is {@code persistenceId}, below {@code root}. */
  SnapshotFiles(Path root, String persistenceId) {
    this.dir = root.resolve(persistenceId.replaceAll("[^A-Za-z0-9._-]", "_"));
    if (!Files.isDirectory(dir)) return; // created with the first snapshot
    try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir, "*.{tmp,part}")) {
      for (Path p : leftovers) Files.deleteIfExists(p); // of a write or transfer a crash interrupted
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use the snapshot directory " + dir
          + " (pekko-raft.snapshot.dir): " + e.getMessage(), e);
    }
  }

  private void createDir() {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the snapshot directory " + dir
          + " (pekko-raft.snapshot.dir): " + e.getMessage(), e);
    }
  }

  Path path(long index, long term) {
    return dir.resolve(String.format("%020d-%020d", index, term) + SUFFIX);
  }

  /** Writes {@code sessions} and {@code state} as the snapshot at (index, term), durably; returns the file's size. */
  long write(long index, long term, Object state, SessionTable sessions, KryoCodec codec) {
    createDir();
    Path target = path(index, term);
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      OutputStream file = new BufferedOutputStream(Channels.newOutputStream(ch), 64 * 1024);
      DataOutputStream header = new DataOutputStream(file);
      header.writeLong(MAGIC);
      header.writeLong(index);
      header.writeLong(term);
      ZstdOutputStream zstd = new ZstdOutputStream(file, LEVEL);
      zstd.setChecksum(true);
      DataOutputStream table = new DataOutputStream(zstd);
      sessions.writeTo(table, codec);
      table.flush();
      codec.toStream(state, zstd);
      zstd.close(); // ends the frame and flushes through to the channel (closing it is harmless: force below)
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the snapshot " + tmp + ": " + e.getMessage(), e);
    }
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.force(true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot sync the snapshot " + tmp + ": " + e.getMessage(), e);
    }
    publish(tmp, target);
    try {
      return Files.size(target);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads the state stored as the snapshot at (index, term), checking its header and checksum, and puts the
   * session table stored with it into {@code sessions} (an empty one for a file of the first layout).
   */
  Object read(long index, long term, SessionTable sessions, KryoCodec codec) {
    Path file = path(index, term);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024)) {
      DataInputStream header = new DataInputStream(in);
      long magic = header.readLong();
      long i = header.readLong();
      long t = header.readLong();
      if ((magic != MAGIC && magic != MAGIC_STATE_ONLY) || i != index || t != term) {
        throw new IllegalStateException("the snapshot file " + file + " is not the snapshot at " + index + "@" + term
            + " (header " + Long.toHexString(magic) + ", " + i + "@" + t + ")");
      }
      try (ZstdInputStream zstd = new ZstdInputStream(in)) {
        if (magic == MAGIC) sessions.readFrom(new DataInputStream(zstd), codec);
        else sessions.clear();
        return codec.fromStream(zstd);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the snapshot file " + file + ": " + e, e);
    } catch (RuntimeException e) {
      throw new IllegalStateException("the snapshot file " + file + " is damaged: " + e.getMessage(), e);
    }
  }

  /**
   * The snapshot at (index, term) as a {@link io.pekkoraft.consensus.StoredSnapshot}: its state's Kryo bytes
   * streamed from the file (header checked, session table skipped), for a state machine that reads parts of
   * its snapshot back later. The file is opened at each {@code openState}.
   */
  io.pekkoraft.consensus.StoredSnapshot stored(long index, long term, KryoCodec codec) {
    return new io.pekkoraft.consensus.StoredSnapshot() {
      @Override
      public long index() {
        return index;
      }

      @Override
      public long term() {
        return term;
      }

      @Override
      public InputStream openState() {
        Path file = path(index, term);
        InputStream in = null;
        try {
          in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024);
          DataInputStream header = new DataInputStream(in);
          long magic = header.readLong();
          long i = header.readLong();
          long t = header.readLong();
          if ((magic != MAGIC && magic != MAGIC_STATE_ONLY) || i != index || t != term) {
            throw new IllegalStateException("the snapshot file " + file + " is not the snapshot at " + index + "@" + term
                + " (header " + Long.toHexString(magic) + ", " + i + "@" + t + ")");
          }
          ZstdInputStream zstd = new ZstdInputStream(in);
          if (magic == MAGIC) SessionTable.skip(new DataInputStream(zstd));
          return zstd;
        } catch (IOException e) {
          closeQuietly(in);
          throw new IllegalStateException("cannot read the snapshot file " + file + ": " + e, e);
        } catch (RuntimeException e) {
          closeQuietly(in);
          throw e;
        }
      }

      @Override
      public Object decode(byte[] bytes) {
        return codec.fromBytes(bytes);
      }

      @Override
      public String toString() {
        return path(index, term).toString();
      }
    };
  }

  private static void closeQuietly(InputStream in) {
    if (in == null) return;
    try {
      in.close();
    } catch (IOException ignored) {
      // already failing
    }
  }

  /** Whether the snapshot at (index, term) is here with {@code bytes} bytes. */
  boolean has(long index, long term, long bytes) {
    Path file = path(index, term);
    try {
      return Files.isRegularFile(file) && Files.size(file) == bytes;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Opens the snapshot at (index, term) for reading chunks. An open file stays readable after a newer
   * snapshot deleted it, so a transfer under way always finishes the snapshot it started.
   */
  FileChannel open(long index, long term) throws IOException {
    return FileChannel.open(path(index, term), StandardOpenOption.READ);
  }

  /** Up to {@code max} bytes of an opened snapshot from {@code offset}. */
  static byte[] readChunk(FileChannel ch, long offset, int max) throws IOException {
    long size = ch.size();
    int n = (int) Math.max(0, Math.min(max, size - offset));
    ByteBuffer buf = ByteBuffer.allocate(n);
    while (buf.hasRemaining()) {
      if (ch.read(buf, offset + buf.position()) < 0) throw new IOException("snapshot file shorter than " + size);
    }
    return buf.array();
  }

  /** Deletes the snapshot files older than the one at {@code keepFromIndex}. */
  void deleteBefore(long keepFromIndex) {
    if (!Files.isDirectory(dir)) return;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path p : files) {
        try {
          String name = p.getFileName().toString();
          if (Long.parseLong(name.substring(0, 20)) < keepFromIndex) Files.deleteIfExists(p);
        } catch (IOException | RuntimeException e) {
          // A file of another name, or one that cannot be deleted now: left behind, it costs disk only.
        }
      }
    } catch (IOException e) {
      // The next snapshot tries again.
    }
  }

  /** A leader's snapshot at (index, term) arriving chunk by chunk, written straight to a file. */
  Incoming receive(long index, long term, long totalBytes) {
    return new Incoming(index, term, totalBytes);
  }

  private void publish(Path tmp, Path target) {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      } catch (IOException e) {
        // Some platforms cannot open a directory; the rename is then as durable as the file system makes it.
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot publish the snapshot " + target + ": " + e.getMessage(), e);
    }
  }

  /** The chunks of one incoming snapshot, in order; {@link #complete} makes it a snapshot file. */
  final class Incoming {
    final long index;
    final long term;
    final long totalBytes;
    private final Path part;
    private FileChannel channel;
    private long received;

    private Incoming(long index, long term, long totalBytes) {
      this.index = index;
      this.term = term;
      this.totalBytes = totalBytes;
      this.part = path(index, term).resolveSibling(path(index, term).getFileName() + ".part");
      createDir();
      try {
        this.channel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot receive a snapshot into " + part + ": " + e.getMessage(), e);
      }
    }

    long received() {
      return received;
    }

    boolean isComplete() {
      return received == totalBytes;
    }

    /** Appends a chunk that starts at {@link #received()}. */
    void write(byte[] chunk) {
      ByteBuffer buf = ByteBuffer.wrap(chunk);
      try {
        while (buf.hasRemaining()) channel.write(buf, received + buf.position());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write a snapshot chunk to " + part + ": " + e.getMessage(), e);
      }
      received += chunk.length;
    }

    /** All chunks arrived: make the file durable and the snapshot at (index, term). */
    void complete() {
      try {
        channel.force(true);
        channel.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot sync the received snapshot " + part + ": " + e.getMessage(), e);
      }
      publish(part, path(index, term));
    }

    /** Drop what arrived (a newer transfer replaces it). */
    void abandon() {
      try {
        channel.close();
        Files.deleteIfExists(part);
      } catch (IOException e) {
        // best effort: a leftover .part file is removed at the next start
      }
    }
  }
}
