package io.pekkoraft.persistence.journal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Stored data that fails its check where a torn write cannot explain it: a bad CRC before the tail of
 * the last segment, a missing segment, a file that is not a segment. The journal refuses to start (or
 * the replay fails) rather than silently drop acknowledged data; an operator has to look.
 */
public final class JournalCorruptedException extends IOException {

  private final Path file;
  private final long offset;

  JournalCorruptedException(Path file, long offset, String problem) {
    super("journal file " + file + " is corrupt" + (offset >= 0 ? " at byte offset " + offset : "") + ": " + problem
        + ". The journal does not start over a corrupt file; move the directory aside or restore it"
        + " (this node's Raft state must then be rebuilt from its peers).");
    this.file = file;
    this.offset = offset;
  }

  /** The file at fault (for a missing segment: the file that should exist). */
  public Path file() {
    return file;
  }

  /** Byte offset of the problem in {@link #file()}, or -1 when it concerns the whole file. */
  public long offset() {
    return offset;
  }
}
